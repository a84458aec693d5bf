import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT_SID, ALL_KEY, type ApiApp, bearer, CALLER, callSid, startApiApp } from './support.js';

const auth = bearer(ALL_KEY);

describe('calls API through the engine (in-memory store)', () => {
  let h: ApiApp;
  beforeEach(async () => {
    h = await startApiApp();
  });
  afterEach(async () => {
    await h.close();
  });

  const post = (url: string, payload: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    h.app.http.inject({ method: 'POST', url, headers: { ...auth, ...headers }, payload });
  const get = (url: string) => h.app.http.inject({ method: 'GET', url, headers: auth });
  const hangUp = (callId: string) =>
    h.webhook('/twilio/status', { CallSid: callId, AccountSid: ACCOUNT_SID, CallStatus: 'completed' });

  it('a call started before a publish keeps its version; one started after gets the new one', async () => {
    const before = await h.incomingCall();
    await h.app.http.inject({
      method: 'PATCH',
      url: '/v1/agents/front-desk',
      headers: auth,
      payload: {
        handoffConfig: {
          transferRules: [
            { label: 'Spanish line', when: 'caller prefers Spanish', destination: '+14155550122' },
          ],
        },
      },
    });
    // Still the draft: a new call gets version 1 as well.
    const beforePublish = await h.incomingCall();
    expect((await get(`/v1/calls/${beforePublish}`)).json().agentVersion).toBe(1);
    expect((await post('/v1/agents/front-desk/publish')).json().version).toBe(2);
    const after = await h.incomingCall();

    expect((await get(`/v1/calls/${before}`)).json().agentVersion).toBe(1);
    expect((await get(`/v1/calls/${after}`)).json().agentVersion).toBe(2);

    // The rule exists only in version 2: the old call's transfer is planned on version 1.
    const old = await post(`/v1/calls/${before}/transfer`, { rule: 'Spanish line' });
    expect(old.statusCode).toBe(422);
    expect(old.json().error).toMatchObject({ code: 'invalid_destination', field: 'rule' });
    const oldBilling = await post(`/v1/calls/${before}/transfer`, { rule: 'Billing' });
    expect(oldBilling.statusCode).toBe(202);
    const fresh = await post(`/v1/calls/${after}/transfer`, { rule: 'Spanish line' });
    expect(fresh.statusCode).toBe(202);
    // Version 2 dropped Billing.
    const freshBilling = await post(`/v1/calls/${beforePublish}/transfer`, { rule: 'Billing' });
    expect(freshBilling.statusCode).toBe(202);
  });

  it('transfers a live call through the API and cancels it: the caller is back with the AI', async () => {
    const callId = await h.incomingCall();
    const res = await post(`/v1/calls/${callId}/transfer`, {
      destination: '+1 415 555 0111',
      message: 'VIP caller',
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ callId, transferId: `${callId}.t1` });

    const during = (await get(`/v1/calls/${callId}`)).json();
    expect(during.phase).toBe('transferring');
    expect(during.transfer).toMatchObject({ transferId: `${callId}.t1`, mode: 'cold', outcome: null });
    expect(during.transfers[0]).toMatchObject({ trigger: 'api', chainLength: 1 });
    expect(await h.app.store.flags.get(callId)).toBe('+14155550111');

    const again = await post(`/v1/calls/${callId}/transfer`, { rule: 'Billing' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('transfer_in_progress');

    const cancel = await post(`/v1/calls/${callId}/transfer/cancel`);
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json()).toEqual({ callId, transferId: `${callId}.t1`, outcome: 'canceled' });
    const after = (await get(`/v1/calls/${callId}`)).json();
    expect(after.phase).toBe('ai');
    expect(after.transfers[0].outcome).toBe('canceled');
    expect(after.outcome).toBe('canceled');
    expect(await h.app.store.flags.get(callId)).toBeNull();

    const nothing = await post(`/v1/calls/${callId}/transfer/cancel`);
    expect(nothing.statusCode).toBe(409);
    expect(nothing.json().error.code).toBe('no_transfer_in_progress');
    // A second transfer may start once the first is over.
    expect(
      (await post(`/v1/calls/${callId}/transfer`, { skill: 'transfer_to_billing', mode: 'warm' })).statusCode,
    ).toBe(202);
    expect((await get(`/v1/calls/${callId}`)).json().transfer).toMatchObject({
      transferId: `${callId}.t2`,
      mode: 'warm',
    });
  });

  it('a transfer request without a body goes to the default destination', async () => {
    const callId = await h.incomingCall();
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      headers: auth,
    });
    expect(res.statusCode).toBe(202);
    expect(await h.app.store.flags.get(callId)).toBe('+14155550133');
  });

  it('applies a retried request with the same Idempotency-Key once', async () => {
    const callId = await h.incomingCall();
    const key = { 'idempotency-key': 'crm-retry-1' };
    const first = await post(`/v1/calls/${callId}/transfer`, {}, key);
    const second = await post(`/v1/calls/${callId}/transfer`, {}, key);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ callId, transferId: first.json().transferId, duplicate: true });
    const bad = await post(`/v1/calls/${callId}/transfer`, {}, { 'idempotency-key': 'no spaces allowed' });
    expect([bad.statusCode, bad.json().error.field]).toEqual([422, 'Idempotency-Key']);
  });

  it('returns typed refusals with their field', async () => {
    const callId = await h.incomingCall();
    const premium = await post(`/v1/calls/${callId}/transfer`, { destination: '+19005550100' });
    expect(premium.statusCode).toBe(422);
    expect(premium.json().error).toMatchObject({ code: 'destination_not_allowed', field: 'destination' });
    const invented = await post(`/v1/calls/${callId}/transfer`, { destination: '+14155550999' });
    expect(invented.json().error).toMatchObject({ code: 'destination_not_allowed', field: 'destination' });
    const garbage = await post(`/v1/calls/${callId}/transfer`, { destination: 'call my manager' });
    expect(garbage.json().error).toMatchObject({ code: 'invalid_destination', field: 'destination' });
    const noSkill = await post(`/v1/calls/${callId}/transfer`, { skill: 'nope' });
    expect(noSkill.json().error).toMatchObject({ code: 'invalid_destination', field: 'skill' });
    const two = await post(`/v1/calls/${callId}/transfer`, { rule: 'Billing', skill: 'x' });
    expect([two.statusCode, two.json().error.code, two.json().error.field]).toEqual([
      422,
      'validation_failed',
      'destination',
    ]);
    const extra = await post(`/v1/calls/${callId}/transfer`, { number: '+14155550111' });
    expect(extra.statusCode).toBe(422);
    const badMode = await post(`/v1/calls/${callId}/transfer`, { mode: 'lukewarm' });
    expect([badMode.statusCode, badMode.json().error.field]).toEqual([422, 'mode']);
    const missing = await post(`/v1/calls/${callSid()}/transfer`, {});
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'call_not_found']);
    const badId = await post('/v1/calls/not%20an%20id/transfer', {});
    expect([badId.statusCode, badId.json().error.field]).toEqual([422, 'id']);
    // Refusals are on the record; the call stays with the AI.
    const record = (await get(`/v1/calls/${callId}`)).json();
    expect(record.phase).toBe('ai');
    expect(record.refusals.map((r: { refusal: string }) => r.refusal)).toEqual([
      'destination_not_allowed',
      'destination_not_allowed',
      'invalid_destination',
      'invalid_destination',
    ]);

    await hangUp(callId);
    const over = await post(`/v1/calls/${callId}/transfer`, {});
    expect([over.statusCode, over.json().error.code]).toEqual([409, 'call_not_active']);
  });

  it("places an outbound call from the agent's outbound number; the lead's answer connects the agent", async () => {
    const res = await post('/v1/calls', { agentId: 'front-desk', to: '(415) 555-0111' });
    expect(res.statusCode).toBe(202);
    const { callId, agentVersion } = res.json();
    expect(agentVersion).toBe(1);
    const create = h.rest.requests.find((r) => r.path.endsWith('/Calls.json'));
    expect(create?.form).toMatchObject({
      To: '+14155550111',
      From: '+14155550100',
      Url: 'http://127.0.0.1:18080/twilio/voice',
      StatusCallback: 'http://127.0.0.1:18080/twilio/status',
    });
    const record = (await get(`/v1/calls/${callId}`)).json();
    expect(record).toMatchObject({
      direction: 'outbound',
      from: '+14155550100',
      to: '+14155550111',
      phase: 'ai',
    });
    const answered = await h.webhook('/twilio/voice', {
      CallSid: callId,
      AccountSid: ACCOUNT_SID,
      From: '+14155550100',
      To: '+14155550111',
      Direction: 'outbound-api',
    });
    expect(answered.body).toContain('<Stream');

    const noFrom = await post('/v1/calls', { agentId: 'clinic', to: '+14155550210' });
    expect(noFrom.statusCode).toBe(422);
    expect(noFrom.json().error).toMatchObject({ code: 'missing_outbound_number', field: 'from' });
    const withFrom = await post('/v1/calls', { agentId: 'clinic', to: '+14155550210', from: '415 555 0201' });
    expect(withFrom.statusCode).toBe(202);
    const notAllowed = await post('/v1/calls', { agentId: 'front-desk', to: '+19005550100' });
    expect(notAllowed.json().error).toMatchObject({ code: 'destination_not_allowed', field: 'to' });
    const nobody = await post('/v1/calls', { agentId: 'nobody', to: '+14155550111' });
    expect([nobody.statusCode, nobody.json().error.field]).toEqual([404, 'agentId']);
    const noTo = await post('/v1/calls', { agentId: 'front-desk' });
    expect([noTo.statusCode, noTo.json().error.field]).toEqual([422, 'to']);
  });

  it("lists an agent's calls with outcome and endedReason, and its transfer rates over a window", async () => {
    const plain = await h.incomingCall();
    const canceled = await h.incomingCall();
    const connected = await h.incomingCall();
    const other = await h.incomingCall('+14155550200');
    expect((await post(`/v1/calls/${canceled}/transfer`, {})).statusCode).toBe(202);
    await post(`/v1/calls/${canceled}/transfer/cancel`);
    const t = (await post(`/v1/calls/${connected}/transfer`, { rule: 'Billing' })).json()
      .transferId as string;
    // The carrier's side of a cold transfer, fed as the webhooks would: the handoff sentence
    // played, the first number answered.
    await h.app.engine.dispatch(
      connected,
      { type: 'transfer.event', transferId: t, event: { type: 'handoff.played' } },
      undefined,
    );
    await h.app.engine.dispatch(
      connected,
      { type: 'transfer.event', transferId: t, event: { type: 'leg.answered', legId: `${t}:0` } },
      undefined,
    );
    for (const id of [plain, canceled, connected, other]) await hangUp(id);
    const live = await h.incomingCall();

    const res = await get('/v1/agents/front-desk/calls?sinceMs=0');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.stats).toMatchObject({
      calls: 3,
      transferred: 2,
      connected: 1,
      transferRate: 2 / 3,
      transferSuccessRate: 0.5,
      endedReasons: { caller_hangup: 2, transferred: 1 },
      transferOutcomes: { canceled: 1, connected: 1 },
      truncated: false,
    });
    // Newest first; these ended within the same millisecond, so compare by id.
    const byId = new Map(body.calls.map((c: { callId: string }) => [c.callId, c]));
    expect(byId.get(connected)).toMatchObject({
      outcome: 'connected',
      endedReason: 'transferred',
      agentVersion: 1,
    });
    expect(byId.get(canceled)).toMatchObject({ outcome: 'canceled', endedReason: 'caller_hangup' });
    expect(byId.get(plain)).toMatchObject({ outcome: null, endedReason: 'caller_hangup', transfers: [] });
    expect((await get('/v1/agents/front-desk/calls?limit=2')).json().calls).toHaveLength(2);
    expect(JSON.stringify(body)).not.toContain(CALLER);
    expect(body.active.map((c: { callId: string }) => c.callId)).toEqual([live]);

    const later = (await get(`/v1/agents/front-desk/calls?sinceMs=${Date.now() + 60_000}`)).json();
    expect(later.stats).toMatchObject({ calls: 0, transferRate: null, transferSuccessRate: null });
    expect((await get('/v1/agents/clinic/calls')).json().stats.calls).toBe(1);
    expect((await get('/v1/agents/nobody/calls')).statusCode).toBe(404);
  });
});
