import http from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPlivoControl, PLIVO_MACHINE_DETECTION_TIME_MS } from '../../providers/plivo/control.js';
import { plivoMarkup } from '../../providers/plivo/markup.js';
import type { CarrierControl, ConferenceControl } from '../../providers/types.js';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { CarrierError, DaemonError } from '../../src/domain/errors.js';

/**
 * The Plivo REST control (protocols.md §3.4) against the simulator over real HTTP: JSON bodies,
 * Basic auth, the configurable base URL; `calls.transfer` to the continuation URL instead of
 * inline XML; hang-up by CallUUID or request_uuid; conference members; bounded retries that
 * never re-create a call unless Plivo certainly did not act.
 */

const AUTH_ID = 'MA1234567890ABCDEFGH';
const TOKEN = 'plivo-test-token';
const NUMBER = '+14155550100';
const PUBLIC = 'https://pt.example.com';
const RETRY = { maxRetries: 2, retryIntervalMs: 1, timeoutMs: 5000 };

describe('Plivo control', () => {
  let sim: Simulator;
  let control: CarrierControl & ConferenceControl;
  let retries: number;
  /** Answers the simulator's XML fetches: `/wait` keeps a call up, `/conf` puts it in a room. */
  let xml: http.Server;
  let xmlUrl = '';

  beforeEach(async () => {
    xml = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        req.url?.startsWith('/conf')
          ? '<Response><Conference>room-1</Conference><Speak>left the room</Speak></Response>'
          : '<Response><Wait length="60"/></Response>',
      );
    });
    await new Promise<void>((resolve) => xml.listen(0, '127.0.0.1', resolve));
    xmlUrl = `http://127.0.0.1:${(xml.address() as AddressInfo).port}`;
    sim = await startSimulator({ plivo: { authId: AUTH_ID, authToken: TOKEN, sayMsPerChar: 5 } });
    retries = 0;
    control = createPlivoControl({
      authId: AUTH_ID,
      authToken: TOKEN,
      apiBase: sim.url,
      // The daemon's continuation URL is served by the XML server here: a transferred call stays up.
      publicUrl: xmlUrl,
      retry: RETRY,
      retryDeps: { sleep: async () => {}, onRetry: () => retries++ },
    });
  });

  afterEach(async () => {
    await sim.stop();
    await new Promise<void>((resolve) => xml.close(() => resolve()));
  });

  /** A live inbound call, answered and waiting. */
  async function liveCall() {
    sim.plivo.configureNumber(NUMBER, { answerUrl: `${xmlUrl}/wait` });
    const call = await sim.network.placeCall({ carrier: 'plivo', from: '+14155557777', to: NUMBER });
    await sim.waitFor(() => sim.plivo.call(call.sid)?.leg.state === 'answered');
    return call;
  }

  const requests = () => sim.log.ofType('rest.request');

  it('createCall: POST /Call/ with answer_url, ring_url, hangup_url, ring_timeout; resolves with the request_uuid', async () => {
    const human = sim.network.addHuman('+14155550111', { type: 'no-answer' });
    const placed = await control.createCall({
      to: '+14155550111',
      from: NUMBER,
      next: { url: `${PUBLIC}/plivo/voice?callId=c&transferId=t&legId=l` },
      statusCallbackUrl: `${PUBLIC}/plivo/status?callId=c&transferId=t&legId=l`,
      timeoutSec: 15,
    });
    expect(requests()[0]).toMatchObject({
      method: 'POST',
      path: `/v1/Account/${AUTH_ID}/Call/`,
      status: 201,
      params: {
        from: '14155550100',
        to: '14155550111',
        answer_url: `${PUBLIC}/plivo/voice?callId=c&transferId=t&legId=l`,
        answer_method: 'POST',
        ring_url: `${PUBLIC}/plivo/status?callId=c&transferId=t&legId=l`,
        hangup_url: `${PUBLIC}/plivo/status?callId=c&transferId=t&legId=l`,
        ring_timeout: '15',
      },
    });
    expect(sim.plivo.callByRequest(placed.carrierCallId)?.leg.to).toBe('+14155550111');
    // Still ringing: the request_uuid cancels it (DELETE /Call/ first, then /Request/).
    await sim.waitFor(() => human.activeLeg?.state === 'ringing');
    await control.hangupCall(placed.carrierCallId);
    expect(human.legs[0]?.end?.status).toBe('canceled');
    expect(
      requests()
        .slice(1)
        .map((r) => `${r.method} ${r.path.replace(`/v1/Account/${AUTH_ID}/`, '')} ${r.status}`),
    ).toEqual([`DELETE Call/${placed.carrierCallId}/ 404`, `DELETE Request/${placed.carrierCallId}/ 204`]);
    // Gone is success.
    await control.hangupCall(placed.carrierCallId);
    await expect(
      control.createCall({ to: '+1', from: NUMBER, next: plivoMarkup.hangup(), timeoutSec: 5 }),
    ).rejects.toBeInstanceOf(DaemonError);
  });

  it('callLive: GET /Call/{uuid}/?status=live answers while the call is live, 404 once it ended', async () => {
    const call = await liveCall();
    expect(await control.callLive?.(call.sid)).toBe(true);
    expect(requests().at(-1)).toMatchObject({
      method: 'GET',
      path: `/v1/Account/${AUTH_ID}/Call/${call.sid}/`,
      status: 200,
    });
    call.hangup();
    await sim.waitFor(() => sim.plivo.call(call.sid)?.isEnded === true);
    expect(await control.callLive?.(call.sid)).toBe(false);
    expect(requests().at(-1)?.status).toBe(404);
    expect(await control.callLive?.('00000000-0000-0000-0000-000000000000')).toBe(false);
  });

  it('createCall with machine detection: machine_detection, machine_detection_time and _url (asynchronous), as plivo-node names them', async () => {
    sim.network.addHuman('+14155550111', { type: 'no-answer' });
    const placed = await control.createCall({
      to: '+14155550111',
      from: NUMBER,
      next: { url: `${PUBLIC}/plivo/voice?callId=c&transferId=t&legId=l` },
      statusCallbackUrl: `${PUBLIC}/plivo/status?callId=c&transferId=t&legId=l`,
      timeoutSec: 15,
      machineDetection: true,
      machineDetectionUrl: `${PUBLIC}/plivo/status?callId=c&transferId=t&legId=l`,
    });
    expect(requests()[0]).toMatchObject({
      status: 201,
      params: {
        machine_detection: 'true',
        machine_detection_time: String(PLIVO_MACHINE_DETECTION_TIME_MS),
        machine_detection_url: `${PUBLIC}/plivo/status?callId=c&transferId=t&legId=l`,
        machine_detection_method: 'POST',
      },
    });
    await control.hangupCall(placed.carrierCallId);
  });

  it('redirectCall: a document becomes a transfer to the call’s continuation URL; a URL is transferred to as is', async () => {
    const call = await liveCall();
    await control.redirectCall(call.sid, plivoMarkup.hangup());
    const transfer = requests().find((r) => r.path.endsWith(`/Call/${call.sid}/`));
    expect(transfer?.params['legs']).toBe('aleg');
    expect(transfer?.params['aleg_method']).toBe('POST');
    const alegUrl = new URL(String(transfer?.params['aleg_url']));
    expect(`${alegUrl.origin}${alegUrl.pathname}`).toBe(`${xmlUrl}/plivo/voice`);
    await sim.waitFor(() =>
      sim.log.ofType('webhook.sent').some((e) => e.kind === 'transfer' && e.status === 200),
    );
    expect(alegUrl.searchParams.get('callId')).toBe(call.sid);
    expect(alegUrl.searchParams.get('seq')).toMatch(/^\d+$/);
    await control.redirectCall(call.sid, { url: `${xmlUrl}/elsewhere` });
    expect(
      requests()
        .filter((r) => r.path.endsWith(`/Call/${call.sid}/`))
        .at(-1)?.params['aleg_url'],
    ).toBe(`${xmlUrl}/elsewhere`);
  });

  it('retries: a transfer is retried on 503; a create is not (it may have dialed), except on 429', async () => {
    const call = await liveCall();
    sim.faults.add({ type: 'rest.error', method: 'POST', path: `/Call/${call.sid}/`, status: 503 });
    await control.redirectCall(call.sid, { url: `${xmlUrl}/x` });
    expect(retries).toBe(1);
    sim.network.addHuman('+14155550111', { type: 'no-answer' });
    const create = { to: '+14155550111', from: NUMBER, next: { url: `${PUBLIC}/v` }, timeoutSec: 5 };
    sim.faults.add({ type: 'rest.error', method: 'POST', path: /\/Call\/$/, status: 503 });
    const err = await control.createCall(create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CarrierError);
    expect((err as CarrierError).status).toBe(503);
    expect(retries).toBe(1);
    sim.faults.add({ type: 'rest.error', method: 'POST', path: /\/Call\/$/, status: 429 });
    await control.createCall(create);
    expect(retries).toBe(2);
    expect(sim.plivo.calls.filter((c) => c.direction === 'outbound')).toHaveLength(1);
  });

  it('a transfer sent `once` (a dial) is not retried on 503: Plivo may have done it; on 429 it is', async () => {
    const call = await liveCall();
    sim.faults.add({ type: 'rest.error', method: 'POST', path: `/Call/${call.sid}/`, status: 503 });
    const err = await control
      .redirectCall(call.sid, { url: `${xmlUrl}/x` }, { once: true })
      .catch((e: unknown) => e);
    expect((err as CarrierError).status).toBe(503);
    expect(retries).toBe(0);
    sim.faults.add({ type: 'rest.error', method: 'POST', path: `/Call/${call.sid}/`, status: 429 });
    await control.redirectCall(call.sid, { url: `${xmlUrl}/x` }, { once: true });
    expect(retries).toBe(1);
  });

  it('wrong credentials: a permanent CarrierError 401, not retried', async () => {
    const wrong = createPlivoControl({
      authId: AUTH_ID,
      authToken: 'nope',
      apiBase: sim.url,
      publicUrl: PUBLIC,
      retry: RETRY,
      retryDeps: { sleep: async () => {}, onRetry: () => retries++ },
    });
    const err = await wrong.hangupCall('5b1c9e1a-7a47-4d2b-8b0b-000000000001').catch((e: unknown) => e);
    expect(err).toMatchObject({ carrier: 'plivo', status: 401, retryable: false });
    expect(retries).toBe(0);
  });

  it('no answer at all: status 0 after the bounded retries (a create only when the connection was refused)', async () => {
    const port = await closedPort();
    const offline = createPlivoControl({
      authId: AUTH_ID,
      authToken: TOKEN,
      apiBase: `http://127.0.0.1:${port}`,
      publicUrl: PUBLIC,
      retry: RETRY,
      retryDeps: { sleep: async () => {}, onRetry: () => retries++ },
    });
    const err = await offline
      .createCall({ to: '+14155550111', from: NUMBER, next: { url: `${PUBLIC}/v` }, timeoutSec: 5 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ carrier: 'plivo', status: 0, retryable: true });
    expect(retries).toBe(2);
  });

  it('conferences: members by call UUID — mute, kick; ending a conference; gone is success', async () => {
    sim.plivo.configureNumber(NUMBER, { answerUrl: `${xmlUrl}/conf` });
    const call = await sim.network.placeCall({ carrier: 'plivo', from: '+14155557777', to: NUMBER });
    await sim.waitFor(() => sim.plivo.conference('room-1')?.members.size === 1, 5000);
    await control.updateParticipant({ room: 'room-1', participant: call.sid, muted: true });
    expect([...(sim.plivo.conference('room-1')?.members.values() ?? [])][0]?.muted).toBe(true);
    await expect(
      control.updateParticipant({ room: 'room-1', participant: 'nobody', muted: true }),
    ).rejects.toMatchObject({ status: 404 });
    await control.removeParticipant({ room: 'room-1', participant: call.sid });
    await sim.waitFor(() => call.heard.first('say'), 5000);
    await control.removeParticipant({ room: 'room-1', participant: call.sid });
    await control.endConference({ room: 'room-1' });
    await expect(
      control.addParticipant({ room: 'room-1', to: '+1', from: NUMBER, label: 'h', timeoutSec: 5 }),
    ).rejects.toBeInstanceOf(DaemonError);
  });
});

/** A port nothing listens on (connections are refused). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
