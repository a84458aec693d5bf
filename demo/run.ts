/**
 * `npm run demo`: the daemon, the Twilio simulator and a scripted agent in one process, on the
 * embedded defaults (in-memory store, no accounts), playing the transfer scenarios one by one
 * and printing each call's timeline. Exits 0 when every scenario ended as expected.
 */
import { createServer } from 'node:net';
import { startSimulator } from '../sim/simulator.js';
import { ScriptedAgentServer, type ScriptStep } from '../src/agent/scripted-agent-server.js';
import { buildApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/log.js';
import type { CallRecord } from '../src/runtime/call-record.js';
import { demoConfig } from './config.js';
import { heardLine, summaryLine, timelineLines } from './print.js';
import { COLD_NUMBER, type DemoScenario, SCENARIOS, WARM_NUMBER } from './scenarios.js';

const ACCOUNT_SID = `AC${'d'.repeat(32)}`;
const AUTH_TOKEN = 'demo-auth-token';
const CALLER = '+14155559876';

/** What each scenario must end as, so the demo fails loudly if the engine misbehaves. */
const EXPECTED: readonly { outcome: string | undefined; refusal?: string }[] = [
  { outcome: 'connected' },
  { outcome: 'connected' },
  { outcome: 'connected' },
  { outcome: 'no_answer' },
  { outcome: 'caller_hangup' },
  { outcome: undefined, refusal: 'destination_not_allowed' },
];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function main(): Promise<void> {
  let started = 0;
  const scripts: (readonly ScriptStep[])[] = SCENARIOS.map((s) => s.script);
  const agent = await ScriptedAgentServer.start({
    script: (start) => (start.resumed ? [] : (scripts[started++] ?? [])),
    summary: 'Caller Dana was charged twice for order 1234 and wants a refund.',
  });
  const sim = await startSimulator({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const env = parseEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE: sim.url,
    LOG_LEVEL: 'warn',
  });
  const app = buildApp({
    env,
    agents: demoConfig(agent.url),
    log: createLogger({ level: 'warn' }),
    timerIntervalMs: 100,
  });
  await app.listen();
  for (const n of [COLD_NUMBER, WARM_NUMBER]) {
    sim.twilio.configureNumber(n, {
      voiceUrl: `${publicUrl}/twilio/voice`,
      statusCallback: `${publicUrl}/twilio/status`,
    });
  }
  process.stdout.write(
    `patchthrough demo: daemon ${publicUrl}, Twilio simulator ${sim.url}, agent ${agent.url}\n\n`,
  );

  let failures = 0;
  for (const [i, scenario] of SCENARIOS.entries()) {
    const record = await play(scenario, sim, app.engine.get.bind(app.engine));
    const expected = EXPECTED[i]!;
    const last = record.transfers[record.transfers.length - 1];
    const ok =
      last?.outcome === expected.outcome &&
      (expected.refusal === undefined || record.refusals.some((r) => r.refusal === expected.refusal));
    if (!ok) failures += 1;
    process.stdout.write(`${ok ? '✔' : '✘'} ${i + 1}. ${scenario.title}\n`);
  }
  await app.close();
  await sim.stop();
  await agent.close();
  process.stdout.write(
    failures === 0
      ? '\nAll scenarios ended as expected.\n'
      : `\n${failures} scenario(s) did not end as expected.\n`,
  );
  process.exit(failures === 0 ? 0 : 1);
}

async function play(
  scenario: DemoScenario,
  sim: Awaited<ReturnType<typeof startSimulator>>,
  getRecord: (id: string) => Promise<CallRecord | undefined>,
): Promise<CallRecord> {
  // The same person may play several scenarios: give them this scenario's behaviour.
  const humans = Object.entries(scenario.humans).map(([n, b]) => {
    if (!sim.network.hasEndpoint(n)) return sim.network.addHuman(n, b);
    const known = sim.network.endpoint(n);
    known.setBehaviour(b);
    return known;
  });
  const heardBefore = new Map(humans.map((h) => [h, h.heard.segments.length]));
  const call = await sim.network.placeCall({
    carrier: 'twilio',
    from: CALLER,
    to: scenario.dial,
    audio: { type: 'tone', hz: 440, amplitude: 0.2 },
    ...(scenario.callerHangsUpAfterMs === undefined ? {} : { hangupAfterMs: scenario.callerHangsUpAfterMs }),
  });
  const deadline = Date.now() + scenario.maxMs;
  // Let the call run its course: until it ends, or the transfer settles and the parties talk a bit.
  for (;;) {
    const r = await getRecord(call.sid);
    if (r?.phase === 'ended' || Date.now() > deadline) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  if (call.state !== 'ended') call.hangup();
  for (;;) {
    const r = await getRecord(call.sid);
    if (r?.phase === 'ended') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const record = (await getRecord(call.sid))!;
  process.stdout.write(`── ${scenario.title}\n`);
  for (const line of timelineLines(record)) process.stdout.write(`${line}\n`);
  process.stdout.write(`    caller heard: ${heardLine(call.heard.segments)}\n`);
  for (const h of humans) {
    const segments = h.heard.segments.slice(heardBefore.get(h) ?? 0);
    process.stdout.write(`    ${h.address} heard: ${heardLine(segments)}\n`);
  }
  process.stdout.write(`    → ${summaryLine(record)}\n\n`);
  return record;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
