import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT_SID, ALL_KEY, type ApiApp, bearer, callSid, startApiApp } from './support.js';

/**
 * Twilio does not order a created call's status callbacks after the REST answer to its create
 * (protocols.md, corrections): a lead whose line fails at once may be reported over before the
 * daemon has recorded the call. The record must still end — nothing stays live forever.
 */
describe('an outbound call reported over before its create answered', () => {
  let h: ApiApp;
  beforeEach(async () => {
    h = await startApiApp();
  });
  afterEach(async () => {
    await h.close();
  });

  it('ends the record as soon as it is made (no_answer), and the early callback changed nothing else', async () => {
    // The fake REST API hands out sids in order: the create below will answer with the next one.
    const n = Number.parseInt(callSid().slice(2), 16) + 1;
    const next = `CA${n.toString(16).padStart(32, '0')}`;
    const early = await h.webhook('/twilio/status', {
      CallSid: next,
      AccountSid: ACCOUNT_SID,
      CallStatus: 'failed',
      Direction: 'outbound-api',
    });
    expect(early.statusCode).toBe(200);
    expect(await h.app.engine.get(next)).toBeUndefined();

    const res = await h.app.http.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: bearer(ALL_KEY),
      payload: { agentId: 'front-desk', to: '+14155550111' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().callId).toBe(next);
    const record = await h.app.engine.get(next);
    expect(record).toMatchObject({ phase: 'ended', endedReason: 'no_answer' });
    expect((await h.app.store.calls.listActive()).map((s) => s.record.callId)).not.toContain(next);
  });
});
