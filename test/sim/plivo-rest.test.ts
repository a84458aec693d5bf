import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { TestApp } from './helpers.js';

/**
 * The Plivo REST API of the simulator (protocols.md §3.4) with the bodies plivo-node sends (JSON,
 * snake_case, trailing slashes — the captured requests of §3.4): Basic auth, create, details,
 * transfer, hang-up, cancel a request, Plivo's `{ api_id, error }` on bad requests, faults.
 */

const AUTH_ID = 'MA1234567890ABCDEFGH';
const TOKEN = 'plivo-test-token';
const NUMBER = '+14155550100';
const HUMAN = '+14155550199';

describe('Plivo REST', () => {
  let sim: Simulator;
  let app: TestApp;

  const rest = (
    method: string,
    path: string,
    body?: unknown,
    auth = `${AUTH_ID}:${TOKEN}`,
    account = AUTH_ID,
  ) =>
    fetch(`${sim.url}/v1/Account/${account}/${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(auth).toString('base64')}`,
        'content-type': 'application/json',
        'user-agent': 'plivo-node',
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  beforeEach(async () => {
    sim = await startSimulator({ plivo: { authId: AUTH_ID, authToken: TOKEN, sayMsPerChar: 5 } });
    app = await TestApp.start(TOKEN);
    sim.plivo.configureNumber(NUMBER, { answerUrl: `${app.url}/answer` });
    app.route('/answer', '<Response><Speak>hello from the API</Speak><Wait length="30"/></Response>');
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
  });

  it('refuses wrong credentials and another account with 401 and Plivo’s error body', async () => {
    for (const res of [
      await rest('GET', 'Call/', undefined, `${AUTH_ID}:wrong`),
      await rest('GET', 'Call/', undefined, `${AUTH_ID}:${TOKEN}`, 'MA0000000000000000XX'),
    ]) {
      expect(res.status).toBe(401);
      const body = (await res.json()) as Record<string, unknown>;
      expect(typeof body['api_id']).toBe('string');
      expect(typeof body['error']).toBe('string');
    }
    const noAuth = await fetch(`${sim.url}/v1/Account/${AUTH_ID}/Call/`);
    expect(noAuth.status).toBe(401);
  });

  it('create (the body plivo-node sends) → 201 call fired; answer_url runs when the callee answers; hangup → 204', async () => {
    const human = sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 200 });
    const res = await rest('POST', 'Call/', {
      hangup_url: `${app.url}/hangup`,
      ring_timeout: 30,
      caller_name: 'Bot',
      from: '14155550100',
      to: '14155550199',
      answer_url: `${app.url}/answer`,
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ message: 'call fired' });
    expect(created['request_uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(created['api_id']).toMatch(/^[0-9a-f-]{36}$/);
    await sim.waitFor(() => human.heard.first('say'), 5000);
    const call = sim.plivo.callByRequest(String(created['request_uuid']))!;
    expect(call.uuid).not.toBe(created['request_uuid']);
    const details = (await (await rest('GET', `Call/${call.uuid}/`)).json()) as Record<string, unknown>;
    expect(details).toMatchObject({
      call_uuid: call.uuid,
      call_status: 'in-progress',
      to_number: '14155550199',
      from_number: '14155550100',
    });
    const answer = app.to('/answer')[0]!;
    expect(answer.params).toMatchObject({
      CallUUID: call.uuid,
      RequestUUID: created['request_uuid'],
      Direction: 'outbound',
      CallStatus: 'in-progress',
    });
    const hung = await rest('DELETE', `Call/${call.uuid}/`, {});
    expect(hung.status).toBe(204);
    expect(await hung.text()).toBe('');
    await sim.waitFor(() => app.to('/hangup').length > 0);
    expect(app.to('/hangup')[0]!.params).toMatchObject({
      CallStatus: 'completed',
      HangupCause: 'NORMAL_CLEARING',
      HangupSource: 'API',
    });
    expect((await rest('DELETE', `Call/${call.uuid}/`, {})).status).toBe(404);
  });

  it('a ringing call is canceled by its request_uuid (DELETE /Request/{uuid}/), reported as cancel', async () => {
    const human = sim.network.addHuman(HUMAN, { type: 'no-answer' });
    const res = await rest('POST', 'Call/', {
      from: '14155550100',
      to: '14155550199',
      answer_url: `${app.url}/answer`,
      hangup_url: `${app.url}/hangup`,
    });
    const { request_uuid: requestUuid } = (await res.json()) as { request_uuid: string };
    await sim.waitFor(() => human.activeLeg?.state === 'ringing');
    expect((await rest('DELETE', `Call/${requestUuid}/`, {})).status).toBe(404);
    expect((await rest('DELETE', `Request/${requestUuid}/`, {})).status).toBe(204);
    await sim.waitFor(() => app.to('/hangup').length > 0);
    expect(app.to('/hangup')[0]!.params).toMatchObject({
      CallStatus: 'cancel',
      HangupCause: 'ORIGINATOR_CANCEL',
    });
    expect((await rest('DELETE', `Request/${requestUuid}/`, {})).status).toBe(404);
  });

  it('a callee who never answers within ring_timeout ends no-answer on hangup_url', async () => {
    sim.network.addHuman(HUMAN, { type: 'no-answer' });
    await rest('POST', 'Call/', {
      from: '14155550100',
      to: '14155550199',
      answer_url: `${app.url}/answer`,
      hangup_url: `${app.url}/hangup`,
      ring_timeout: 1,
    });
    await sim.waitFor(() => app.to('/hangup').length > 0, 5000);
    expect(app.to('/hangup')[0]!.params).toMatchObject({
      CallStatus: 'no-answer',
      HangupCause: 'NO_ANSWER',
      Direction: 'outbound',
    });
    expect(app.to('/answer')).toHaveLength(0);
  });

  it('bad requests get 400 with an error; a path without its trailing slash is unknown', async () => {
    const missing = await rest('POST', 'Call/', { from: '14155550100', to: '14155550199' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Record<string, string>)['error']).toContain('answer_url');
    expect(
      (await rest('POST', 'Call/', { from: 'bot', to: '14155550199', answer_url: `${app.url}/answer` }))
        .status,
    ).toBe(400);
    expect(
      (await rest('POST', 'Call/', { from: '14155550100', to: '14155550199', answer_url: 'not a url' }))
        .status,
    ).toBe(400);
    expect((await rest('POST', 'Call/', '{"from":')).status).toBe(400);
    expect(
      (
        await rest('POST', 'Call', {
          from: '14155550100',
          to: '14155550199',
          answer_url: `${app.url}/answer`,
        })
      ).status,
    ).toBe(404);
  });

  it('transfer: 202 for a live call; 404 for an unknown or ringing one; bleg is not simulated', async () => {
    sim.network.addHuman(HUMAN, { type: 'no-answer' });
    const ringing = (await (
      await rest('POST', 'Call/', { from: '14155550100', to: '14155550199', answer_url: `${app.url}/answer` })
    ).json()) as { request_uuid: string };
    await sim.waitFor(() => sim.plivo.callByRequest(ringing.request_uuid)?.leg.state === 'ringing');
    const ringingUuid = sim.plivo.callByRequest(ringing.request_uuid)!.uuid;
    expect(
      (
        await rest('POST', `Call/${ringingUuid}/`, {
          legs: 'aleg',
          aleg_url: `${app.url}/x`,
          aleg_method: 'POST',
        })
      ).status,
    ).toBe(404);
    expect(
      (await rest('POST', 'Call/5b1c9e1a-7a47-4d2b-8b0b-000000000001/', { aleg_url: `${app.url}/x` })).status,
    ).toBe(404);
    const inbound = await sim.network.placeCall({ carrier: 'plivo', from: '+14155557777', to: NUMBER });
    await sim.waitFor(() => inbound.heard.first('say'));
    app.route('/x', '<Response><Speak>moved</Speak></Response>');
    expect(
      (await rest('POST', `Call/${inbound.sid}/`, { legs: 'bleg', bleg_url: `${app.url}/x` })).status,
    ).toBe(400);
    expect((await rest('POST', `Call/${inbound.sid}/`, { legs: 'aleg' })).status).toBe(400);
    const moved = await rest('POST', `Call/${inbound.sid}/`, {
      legs: 'aleg',
      aleg_url: `${app.url}/x`,
      aleg_method: 'POST',
    });
    expect(moved.status).toBe(202);
    expect(await moved.json()).toMatchObject({ message: 'call transferred' });
    await sim.waitFor(() => inbound.heard.from('say').some((s) => s.text === 'moved'));
    expect(app.to('/x')[0]!.params['CallUUID']).toBe(inbound.sid);
  });

  it('an injected rest.error answers before the handler, with Plivo’s error body', async () => {
    sim.faults.add({ type: 'rest.error', method: 'POST', path: '/Call/', status: 503 });
    const res = await rest('POST', 'Call/', {
      from: '14155550100',
      to: '14155550199',
      answer_url: `${app.url}/answer`,
    });
    expect(res.status).toBe(503);
    expect(typeof ((await res.json()) as Record<string, unknown>)['error']).toBe('string');
    expect(sim.plivo.calls).toHaveLength(0);
    expect(sim.log.ofType('rest.request')[0]).toMatchObject({ carrier: 'plivo', status: 503 });
  });
});
