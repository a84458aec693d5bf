/**
 * Starts a simulator from a {@link Scenario}: numbers, humans, and calls placed on a schedule.
 * Used by `npm run sim` (sim/main.ts); callable in-process too.
 */
import type { Scenario } from './scenario.js';
import { type Simulator, startSimulator } from './simulator.js';

export async function startScenario(scenario: Scenario): Promise<Simulator> {
  const { twilio } = scenario;
  const sim = await startSimulator({
    host: scenario.host,
    port: scenario.port,
    network: {
      keepAudio: scenario.keepAudio,
      ...(scenario.unknownNumber === undefined ? {} : { unknownNumber: scenario.unknownNumber }),
    },
    twilio: {
      ...twilio.options,
      ...(twilio.accountSid === undefined ? {} : { accountSid: twilio.accountSid }),
      ...(twilio.authToken === undefined ? {} : { authToken: twilio.authToken }),
    },
  });
  for (const [number, config] of Object.entries(twilio.numbers)) sim.twilio.configureNumber(number, config);
  for (const [address, behaviour] of Object.entries(scenario.humans))
    sim.network.addHuman(address, behaviour);
  const timers: NodeJS.Timeout[] = [];
  for (const c of scenario.calls) {
    const place = () =>
      void sim.network
        .placeCall({
          carrier: c.carrier,
          from: c.from,
          to: c.to,
          ...(c.audio === undefined ? {} : { audio: c.audio }),
          ...(c.hangupAfterMs === undefined ? {} : { hangupAfterMs: c.hangupAfterMs }),
        })
        .catch((err: unknown) =>
          sim.log.add({}, { type: 'sim.error', code: 'sim.place_call', message: String(err) }),
        );
    timers.push(setTimeout(place, c.atMs));
  }
  const stop = sim.stop.bind(sim);
  return {
    ...sim,
    url: sim.url,
    waitFor: sim.waitFor.bind(sim),
    async stop() {
      for (const t of timers) clearTimeout(t);
      await stop();
    },
  };
}
