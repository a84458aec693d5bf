import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { ANSWERS, useE2e } from './fixture.js';
import { type Harness, type HarnessOptions, until } from './harness.js';

/**
 * `POST /v1/calls` on every carrier, end to end: the daemon places the call with the carrier's
 * REST API, the lead answers, the AI talks, a transfer connects; a lead who never answers ends
 * the record. The simulators are as strict as the carriers: Plivo answers the create with a
 * `request_uuid` and names the answered call by a new `CallUUID` (plus `RequestUUID`); Exotel's
 * Calls/connect takes only a flow URL and an ExoPhone as caller ID. On virtual time: the rings
 * cost no wall time.
 */

const LEAD = '+14155550150';
const HUMAN = '+14155550111';
const WRITE_KEY = 'e2e-writer-key-0123456789';

const SCRIPT: HarnessOptions['script'] = [
  { say: 400 },
  { text: ['One moment [TRANSFER:+14155550111]'] },
  { say: 200 },
];

async function start(run: (o: HarnessOptions) => Promise<Harness>): Promise<Harness> {
  return run({
    script: SCRIPT,
    // The lead must pass the agent's destination policy, like every number the daemon dials.
    agent: (agent) => ({ ...agent, destinationPolicy: { allow: [LEAD], countries: [] } }),
    env: {
      PATCHTHROUGH_API_KEYS: `${WRITE_KEY}:calls:read+calls:write`,
    },
  });
}

async function placeOutbound(h: Harness): Promise<string> {
  const res = await h.app.http.inject({
    method: 'POST',
    url: '/v1/calls',
    headers: { authorization: `Bearer ${WRITE_KEY}` },
    payload: { agentId: 'demo', to: LEAD },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().callId as string;
}

/** The call's record, following a placement to the call it became (as the API does). */
async function waitForCall(
  h: Harness,
  callId: string,
  predicate: (r: CallRecord) => boolean,
  timeoutMs = 10_000,
): Promise<CallRecord> {
  let last: CallRecord | undefined;
  return until(
    h,
    async () => {
      const first = await h.app.engine.get(callId);
      last = first?.boundTo === undefined ? first : await h.app.engine.get(first.boundTo);
      return last !== undefined && predicate(last) ? last : undefined;
    },
    () => `call ${callId} to meet the condition; timeline=${JSON.stringify(last?.timeline)}`,
    timeoutMs,
  );
}

async function liveCalls(h: Harness): Promise<readonly CallRecord[]> {
  return (await h.app.store.calls.listActive()).map((s) => s.record);
}

describe.each(['twilio', 'plivo', 'exotel'] as const)('outbound calls on %s', (carrier) => {
  const e2e = useE2e(carrier, { virtualTime: true });

  it('the lead answers, the AI talks, then a transfer connects the lead to a human', async () => {
    const h = await start((o) => e2e.run(o));
    const lead = h.sim.network.addHuman(LEAD, { ...ANSWERS, afterMs: 200 });
    const human = h.sim.network.addHuman(HUMAN, ANSWERS);
    const callId = await placeOutbound(h);
    await h.sim.waitFor(() => lead.heard.from('stream:').length > 0, 8000);
    const connected = await waitForCall(h, callId, (r) => r.phase === 'human', 15_000);
    expect(connected).toMatchObject({ direction: 'outbound', pii: { from: '+14155550100', to: LEAD } });
    // The human speaks once answered: the lead hears them through the bridge.
    await h.sim.waitFor(() => lead.heard.from('party:').length > 0, 8000);
    expect(human.legs).toHaveLength(1);
    lead.hangup();
    const ended = await waitForCall(h, callId, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(await liveCalls(h)).toEqual([]);
  });

  it('a lead who does not answer ends the record: nothing stays live', async () => {
    const h = await start((o) => e2e.run(o));
    h.sim.network.addHuman(LEAD, { type: 'busy', afterMs: 200 });
    const callId = await placeOutbound(h);
    const ended = await waitForCall(h, callId, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('no_answer');
    expect(await liveCalls(h)).toEqual([]);
    expect(h.agent?.sessions).toHaveLength(0);
  });
});
