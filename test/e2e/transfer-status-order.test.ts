import { describe, expect, it } from 'vitest';
import { ANSWERS, useE2e, warm } from './fixture.js';
import { type Harness, waitForRecord } from './harness.js';

/**
 * `transfer_status` only moves forward for the agent, however the carrier orders things. Twilio
 * may deliver a new call's `initiated`/`ringing` status callbacks before its answer to Calls
 * create (protocols.md corrections); the simulator is made to do exactly that here, on
 * virtual time (the rings and the whisper cost no wall time).
 */

const FIRST = '+14155550111';
const SECOND = '+14155550112';

async function statusesSeen(h: Harness): Promise<string[]> {
  const agent = await h.agent!.session(0);
  return agent.frames('transfer_status').map((r) => String(r.frame.status));
}

describe('twilio: status callbacks before the REST answer to Calls create', () => {
  const e2e = useE2e('twilio', { virtualTime: true });

  it('warm transfer: the agent sees started, dialing, ringing, answered, whispering, connected', async () => {
    const h = await e2e.run({
      simulator: { twilio: { callbacksBeforeRestResponse: true } },
      agent: warm('A caller about an invoice.'),
      script: [{ say: 200 }, { text: [`One moment [TRANSFER:${FIRST}]`] }, { say: 100 }],
    });
    h.sim.network.addHuman(FIRST, ANSWERS);
    const call = await e2e.placeCall(h);
    await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    // The ringing callback did reach the daemon before the REST answer (the ordering under test).
    const ringing = h.sim.log
      .ofType('webhook.sent')
      .find((e) => e.kind === 'status' && e.params['CallStatus'] === 'ringing');
    const created = h.sim.log
      .ofType('rest.request')
      .find((e) => e.method === 'POST' && e.path.endsWith('/Calls.json') && e.status === 201);
    const ringingAt = ringing?.seq ?? -1;
    const createdAt = created?.seq ?? -1;
    expect(ringingAt).toBeGreaterThanOrEqual(0);
    expect(ringingAt).toBeLessThan(createdAt);
    const agent = await h.agent!.session(0);
    await agent.waitFor((f) => f.event === 'transfer_status' && f.status === 'connected');
    expect(await statusesSeen(h)).toEqual([
      'started',
      'dialing',
      'ringing',
      'answered',
      'whispering',
      'connected',
    ]);
    call.hangup();
  });

  it('first number busy, second answers: each leg moves forward, the second leg from dialing', async () => {
    const h = await e2e.run({
      simulator: { twilio: { callbacksBeforeRestResponse: true } },
      agent: warm('A caller about an invoice.'),
      script: [{ say: 200 }, { transfer: { rule: 'Billing' } }, { say: 100 }],
    });
    h.sim.network.addHuman(FIRST, { type: 'busy', afterMs: 200 });
    h.sim.network.addHuman(SECOND, ANSWERS);
    const call = await e2e.placeCall(h);
    await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    const agent = await h.agent!.session(0);
    await agent.waitFor((f) => f.event === 'transfer_status' && f.status === 'connected');
    expect(await statusesSeen(h)).toEqual([
      'started',
      'dialing',
      'dialing',
      'ringing',
      'answered',
      'whispering',
      'connected',
    ]);
    call.hangup();
  });
});
