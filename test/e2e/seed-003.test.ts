import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { eventually } from '../support/eventually.js';
import { ANSWERS, useE2e } from './fixture.js';
import { type Harness, INBOUND } from './harness.js';
import { runSeed, seedAgent } from './seed-support.js';

/**
 * Seed 003, end to end on every carrier: the page's template as written (its
 * `transfer_number`, `+1234567890`, changed to a valid number) and its outbound leads,
 * `POST /v1/calls { agentId, to, lead: { outbound_number_id } }`. The lead is called from that
 * number; the AI calls `connect_to_live_agent`; the lead meets the live agent. A lead without
 * `outbound_number_id` is still called, but the function answers `missing_outbound_number_id`
 * and the AI keeps talking.
 */

const LIVE_AGENT = '+14155550123';
const TALKS = { type: 'answer', afterMs: 200, speak: { type: 'tone', hz: 660 } } as const;
const LEAD = '+14155550150';
const WRITE_KEY = 'e2e-writer-key-0123456789';

/** The page's template configuration, verbatim but for the number. */
const TEMPLATE = {
  configurations: { transfer_number: LIVE_AGENT },
  global_builtin_functions: [
    {
      name: 'connect_to_live_agent',
      description: 'Transfer the customer to a live human agent when they request to speak with a person.',
      parameters: {},
    },
  ],
};

const SCRIPT = [
  { say: 400 },
  { toolCall: { name: 'connect_to_live_agent', arguments: {} } },
  { awaitEvent: 'tool_result' },
  { say: 400, mark: 'after-tool' },
] as const;

async function placeLead(h: Harness, lead: Record<string, unknown>): Promise<string> {
  const res = await h.app.http.inject({
    method: 'POST',
    url: '/v1/calls',
    headers: { authorization: `Bearer ${WRITE_KEY}` },
    payload: { agentId: 'demo', to: LEAD, lead },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().callId as string;
}

/** The call's record, following a placement to the call it became (Plivo's new CallUUID). */
async function waitForCall(
  h: Harness,
  callId: string,
  predicate: (r: CallRecord) => boolean,
): Promise<CallRecord> {
  let last: CallRecord | undefined;
  return eventually(
    async () => {
      const first = await h.app.engine.get(callId);
      last = first?.boundTo === undefined ? first : await h.app.engine.get(first.boundTo);
      return last !== undefined && predicate(last) ? last : undefined;
    },
    () => `call ${callId} to meet the condition; timeline=${JSON.stringify(last?.timeline)}`,
    { timeoutMs: 15_000, everyMs: 25 },
  );
}

describe.each(['twilio', 'plivo', 'exotel'] as const)('seed 003 on %s', (carrier) => {
  const e2e = useE2e(carrier);
  const env = { PATCHTHROUGH_API_KEYS: `${WRITE_KEY}:calls:read+calls:write` };
  // The lead must pass the agent's destination policy, like every number the daemon dials.
  const policy = { destinationPolicy: { allow: [LEAD] } };

  it('a lead with outbound_number_id: called from it, then connect_to_live_agent connects the live agent', async () => {
    // No outboundNumber on the agent: the number the lead is called from can only be the lead's.
    const h = await runSeed(e2e, { script: SCRIPT, env, agent: seedAgent(TEMPLATE, policy) });
    // Both speak on, so each hears the other once they are bridged.
    const lead = h.sim.network.addHuman(LEAD, TALKS);
    const live = h.sim.network.addHuman(LIVE_AGENT, TALKS);
    const callId = await placeLead(h, { outbound_number_id: INBOUND });
    const connected = await waitForCall(h, callId, (r) => r.phase === 'human');
    expect(connected).toMatchObject({
      direction: 'outbound',
      pii: { from: INBOUND, to: LEAD },
      lead: { outboundNumberId: INBOUND },
    });
    expect(connected.transfers).toMatchObject([{ trigger: 'default', outcome: 'connected' }]);
    const session = await h.agent!.session(0);
    expect(session.frames('tool_result')[0]?.frame).toMatchObject({ id: 'call_1', ok: true });
    await h.sim.waitFor(
      () => lead.heard.from('party:').length > 0 && live.heard.from('party:').length > 0,
      5000,
    );
    // The lead heard the AI, then the live agent; nobody heard a whisper (the seed has none).
    expect(lead.heard.from('stream:').length).toBeGreaterThan(0);
    expect(live.heard.from('say')).toEqual([]);
    lead.hangup();
    const ended = await waitForCall(h, callId, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
  });

  it('a lead without outbound_number_id: still called; connect_to_live_agent answers missing_outbound_number_id and the AI keeps talking', async () => {
    const h = await runSeed(e2e, {
      script: SCRIPT,
      env,
      agent: seedAgent(TEMPLATE, { ...policy, outboundNumber: INBOUND }),
    });
    const lead = h.sim.network.addHuman(LEAD, { ...ANSWERS, afterMs: 200 });
    const live = h.sim.network.addHuman(LIVE_AGENT, ANSWERS);
    const callId = await placeLead(h, {});
    const session = await h.agent!.session(0);
    const result = await session.waitFor((f) => f.event === 'tool_result');
    expect(result.frame).toMatchObject({
      id: 'call_1',
      ok: false,
      error: { code: 'missing_outbound_number_id' },
    });
    // The AI speaks on, and the lead hears it to its end.
    await session.waitFor(
      (f) => f.event === 'mark' && (f['mark'] as { name?: string }).name === 'after-tool',
    );
    const record = await waitForCall(h, callId, (r) => r.refusals.length > 0);
    expect(record.refusals).toMatchObject([{ refusal: 'missing_outbound_number_id' }]);
    expect(record.phase).toBe('ai');
    expect(record.transfers).toEqual([]);
    expect(live.legs).toEqual([]);
    lead.hangup();
    const ended = await waitForCall(h, callId, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });
});
