import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTwilioControl,
  restRingTimeoutSec,
  type TwilioControlOptions,
} from '../../providers/twilio/control.js';
import { twilioMarkup } from '../../providers/twilio/markup.js';
import type { CarrierControl, ConferenceControl } from '../../providers/types.js';
import { CarrierError } from '../../src/domain/errors.js';
import type { RetryPolicy } from '../../src/lib/retry.js';

const AC = `AC${'1'.repeat(32)}`;
const TOKEN = 'test-auth-token';
const CALLER = `CA${'a'.repeat(32)}`;
const HUMAN = `CA${'b'.repeat(32)}`;
const CF = `CF${'c'.repeat(32)}`;
const ACCOUNT = `/2010-04-01/Accounts/${AC}`;
const BASIC = `Basic ${Buffer.from(`${AC}:${TOKEN}`).toString('base64')}`;
const POLICY: RetryPolicy = { maxRetries: 2, retryIntervalMs: 0, timeoutMs: 5000 };

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly form: URLSearchParams;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

/** A stand-in for api.twilio.com that records every request and answers from a script. */
let server: Server;
let base: string;
let requests: Recorded[];
let script: (req: Recorded) => Reply;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        form: new URLSearchParams(body),
      };
      requests.push(recorded);
      const reply = script(recorded);
      if (reply.status === 0) return; // never answers
      res.writeHead(reply.status, reply.body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  connections = 0;
  script = () => ({ status: 500 });
});

function control(overrides: Partial<TwilioControlOptions> = {}): CarrierControl & ConferenceControl {
  return createTwilioControl({
    accountSid: AC,
    authToken: TOKEN,
    apiBase: base,
    retry: POLICY,
    retryDeps: { sleep: async () => {} },
    ...overrides,
  });
}

function twilioError(status: number, code: number): Reply {
  return {
    status,
    body: {
      code,
      message: 'The number +15550003333 is unverified',
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
  };
}

const callBody = (sid: string) => ({
  sid,
  account_sid: AC,
  status: 'queued',
  to: '+15550003333',
  from: '+15550002222',
});

async function rejection(promise: Promise<unknown>): Promise<CarrierError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CarrierError);
  return err as CarrierError;
}

describe('wire format (protocols.md §2.4)', () => {
  it('createCall: POST Calls.json, PascalCase form, repeated StatusCallbackEvent, Basic auth', async () => {
    script = () => ({ status: 201, body: callBody(HUMAN) });
    const result = await control().createCall({
      to: '+15550003333',
      from: '+15550002222',
      next: { url: 'https://pt.example.com/twilio/voice?callId=c1&transferId=t1&legId=t1%3A0' },
      statusCallbackUrl: 'https://pt.example.com/twilio/status?callId=c1&transferId=t1&legId=t1%3A0',
      timeoutSec: 15,
    });
    expect(result).toEqual({ carrierCallId: HUMAN });
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`${ACCOUNT}/Calls.json`);
    expect(req?.headers.authorization).toBe(BASIC);
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.headers.accept).toBe('application/json');
    expect(req?.body).toContain(
      'StatusCallbackEvent=ringing&StatusCallbackEvent=answered&StatusCallbackEvent=completed',
    );
    expect(Object.fromEntries(req?.form ?? [])).toEqual({
      To: '+15550003333',
      From: '+15550002222',
      Url: 'https://pt.example.com/twilio/voice?callId=c1&transferId=t1&legId=t1%3A0',
      Method: 'POST',
      StatusCallback: 'https://pt.example.com/twilio/status?callId=c1&transferId=t1&legId=t1%3A0',
      StatusCallbackMethod: 'POST',
      StatusCallbackEvent: 'completed',
      // 15 s configured: Twilio adds up to 5 s to a REST call's Timeout, so 10 is asked for.
      Timeout: '10',
    });
    expect(req?.form.getAll('StatusCallbackEvent')).toEqual(['ringing', 'answered', 'completed']);
  });

  it("asks for 5 s less than the ring timeout (Twilio's REST buffer), never below what Twilio accepts", () => {
    expect(restRingTimeoutSec(15, 1)).toBe(10);
    expect(restRingTimeoutSec(5, 1)).toBe(1);
    expect(restRingTimeoutSec(5, 5)).toBe(5);
    expect(restRingTimeoutSec(120, 5)).toBe(115);
  });

  it('createCall with a document sends Twiml, and only the events asked for', async () => {
    script = () => ({ status: 201, body: callBody(HUMAN) });
    const doc = twilioMarkup.whisperThenJoin({ text: 'Billing question', room: 'xfer-t1' });
    await control().createCall({
      to: 'sip:desk@pbx.example.com',
      from: '+15550002222',
      next: doc,
      statusCallbackUrl: 'https://pt.example.com/s',
      statusCallbackEvents: ['answered', 'completed'],
      timeoutSec: 20,
    });
    expect(requests[0]?.form.get('Twiml')).toBe(doc.body);
    expect(requests[0]?.form.has('Url')).toBe(false);
    expect(requests[0]?.form.getAll('StatusCallbackEvent')).toEqual(['answered', 'completed']);
  });

  it('redirectCall with a document or a URL', async () => {
    script = () => ({ status: 200, body: callBody(CALLER) });
    const doc = twilioMarkup.hangup();
    await control().redirectCall(CALLER, doc);
    await control().redirectCall(CALLER, { url: 'https://pt.example.com/twilio/voice?callId=c1&seq=3' });
    expect(requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', `${ACCOUNT}/Calls/${CALLER}.json`],
      ['POST', `${ACCOUNT}/Calls/${CALLER}.json`],
    ]);
    expect(Object.fromEntries(requests[0]?.form ?? [])).toEqual({ Twiml: doc.body });
    // A URL is its own fallback (FallbackUrl): should the worker answering it fail, another does.
    expect(Object.fromEntries(requests[1]?.form ?? [])).toEqual({
      Url: 'https://pt.example.com/twilio/voice?callId=c1&seq=3',
      Method: 'POST',
      FallbackUrl: 'https://pt.example.com/twilio/voice?callId=c1&seq=3',
      FallbackMethod: 'POST',
    });
  });

  it('hangupCall sends Status=completed', async () => {
    script = () => ({ status: 200, body: { ...callBody(CALLER), status: 'completed' } });
    await control().hangupCall(CALLER);
    expect(requests[0]?.path).toBe(`${ACCOUNT}/Calls/${CALLER}.json`);
    expect(requests[0]?.body).toBe('Status=completed');
  });

  it('callLive reads the call: live while queued, ringing or in progress; over once ended or unknown', async () => {
    let status = 'in-progress';
    script = (req) =>
      req.path.endsWith('/Calls/CAgone.json')
        ? twilioError(404, 20404)
        : { status: 200, body: { ...callBody(CALLER), status } };
    const c = control();
    expect(await c.callLive?.(CALLER)).toBe(true);
    expect(requests[0]).toMatchObject({ method: 'GET', path: `${ACCOUNT}/Calls/${CALLER}.json` });
    status = 'ringing';
    expect(await c.callLive?.(CALLER)).toBe(true);
    for (status of ['completed', 'canceled', 'busy', 'no-answer', 'failed'])
      expect(await c.callLive?.(CALLER)).toBe(false);
    expect(await c.callLive?.('CAgone')).toBe(false);
    script = () => twilioError(500, 20500);
    await expect(c.callLive?.(CALLER)).rejects.toBeInstanceOf(CarrierError);
  });

  it('addParticipant dials into the room by name, with both callbacks', async () => {
    script = () => ({
      status: 201,
      body: { call_sid: HUMAN, conference_sid: CF, account_sid: AC, label: 'human', status: 'queued' },
    });
    const result = await control().addParticipant({
      room: 'xfer-t1',
      to: '+15550003333',
      from: '+15550002222',
      label: 'human',
      timeoutSec: 15,
      statusCallbackUrl: 'https://pt.example.com/s',
      conferenceStatusCallbackUrl: 'https://pt.example.com/c',
    });
    expect(result).toEqual({ carrierCallId: HUMAN });
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.path).toBe(`${ACCOUNT}/Conferences/xfer-t1/Participants.json`);
    const form = requests[0]?.form ?? new URLSearchParams();
    expect({
      From: form.get('From'),
      To: form.get('To'),
      Label: form.get('Label'),
      Timeout: form.get('Timeout'),
      Beep: form.get('Beep'),
      StartConferenceOnEnter: form.get('StartConferenceOnEnter'),
      EndConferenceOnExit: form.get('EndConferenceOnExit'),
      StatusCallback: form.get('StatusCallback'),
      ConferenceStatusCallback: form.get('ConferenceStatusCallback'),
    }).toEqual({
      From: '+15550002222',
      To: '+15550003333',
      Label: 'human',
      // Less Twilio's 5 s buffer (participant.d.ts).
      Timeout: '10',
      Beep: 'false',
      StartConferenceOnEnter: 'true',
      EndConferenceOnExit: 'false',
      StatusCallback: 'https://pt.example.com/s',
      ConferenceStatusCallback: 'https://pt.example.com/c',
    });
    expect(form.getAll('StatusCallbackEvent')).toEqual(['ringing', 'answered', 'completed']);
    expect(form.getAll('ConferenceStatusCallbackEvent')).toEqual([
      'start',
      'end',
      'join',
      'leave',
      'hold',
      'announcement',
    ]);
  });

  it('updateParticipant finds the room once, then updates by label', async () => {
    script = (req) =>
      req.method === 'GET'
        ? {
            status: 200,
            body: {
              conferences: [
                { sid: `CF${'d'.repeat(32)}`, friendly_name: 'xfer-t1', status: 'completed' },
                { sid: CF, friendly_name: 'xfer-t1', status: 'init' },
              ],
              meta: { key: 'conferences', page: 0, page_size: 20, next_page_url: null },
            },
          }
        : { status: 200, body: { call_sid: CALLER, conference_sid: CF, hold: true } };
    const ctl = control();
    await ctl.updateParticipant({
      room: 'xfer-t1',
      participant: 'caller',
      hold: true,
      holdUrl: 'https://cdn.example.com/hold.xml',
    });
    await ctl.updateParticipant({ room: 'xfer-t1', participant: 'caller', hold: false });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${ACCOUNT}/Conferences.json?FriendlyName=xfer-t1&PageSize=20`,
      `POST ${ACCOUNT}/Conferences/${CF}/Participants/caller.json`,
      `POST ${ACCOUNT}/Conferences/${CF}/Participants/caller.json`,
    ]);
    expect(Object.fromEntries(requests[1]?.form ?? [])).toEqual({
      Hold: 'true',
      HoldUrl: 'https://cdn.example.com/hold.xml',
      HoldMethod: 'GET',
    });
    expect(requests[2]?.body).toBe('Hold=false');
  });

  it('updateParticipant with a known conference id, announcing to one participant', async () => {
    script = () => ({ status: 200, body: { call_sid: HUMAN, conference_sid: CF } });
    await control().updateParticipant({
      room: 'xfer-t1',
      carrierConferenceId: CF,
      participant: HUMAN,
      announceUrl: 'https://pt.example.com/whisper.xml',
      muted: false,
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.path).toBe(`${ACCOUNT}/Conferences/${CF}/Participants/${HUMAN}.json`);
    expect(Object.fromEntries(requests[0]?.form ?? [])).toEqual({
      AnnounceUrl: 'https://pt.example.com/whisper.xml',
      AnnounceMethod: 'POST',
      Muted: 'false',
    });
  });

  it('removeParticipant sends DELETE; endConference sends Status=completed', async () => {
    script = (req) =>
      req.method === 'DELETE' ? { status: 204 } : { status: 200, body: { sid: CF, status: 'completed' } };
    await control().removeParticipant({ room: 'xfer-t1', carrierConferenceId: CF, participant: 'human' });
    await control().endConference({ room: 'xfer-t1', carrierConferenceId: CF });
    expect(requests.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      `DELETE ${ACCOUNT}/Conferences/${CF}/Participants/human.json `,
      `POST ${ACCOUNT}/Conferences/${CF}.json Status=completed`,
    ]);
  });

  it('ending a room that no longer exists is done, without a request to end it', async () => {
    script = () => ({
      status: 200,
      body: { conferences: [], meta: { key: 'conferences', page: 0, page_size: 20 } },
    });
    await control().endConference({ room: 'xfer-gone' });
    expect(requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('an API key authenticates instead of the auth token, for the same account', async () => {
    script = () => ({ status: 200, body: callBody(CALLER) });
    const sk = `SK${'e'.repeat(32)}`;
    await control({ apiKey: { sid: sk, secret: 'key-secret' } }).hangupCall(CALLER);
    expect(requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${sk}:key-secret`).toString('base64')}`,
    );
    expect(requests[0]?.path).toBe(`${ACCOUNT}/Calls/${CALLER}.json`);
  });

  it("goes over the daemon's keep-alive pool, not axios: one connection, Content-Length, no Accept-Encoding", async () => {
    script = () => ({ status: 200, body: callBody(CALLER) });
    const ctl = control();
    for (let i = 0; i < 3; i++) await ctl.hangupCall(CALLER);
    expect(requests).toHaveLength(3);
    expect(connections).toBe(1);
    const headers = requests[2]?.headers ?? {};
    expect(headers['content-length']).toBe(String('Status=completed'.length));
    expect(headers.connection).toBe('keep-alive');
    expect(headers['user-agent']).toMatch(/^twilio-node\//);
    // axios asked for gzip; the pool takes Twilio's few hundred bytes as they are.
    expect(headers['accept-encoding']).toBeUndefined();
  });

  it('keeps a path prefix of apiBase', async () => {
    script = () => ({ status: 200, body: callBody(CALLER) });
    await control({ apiBase: `${base}/sim/twilio/` }).hangupCall(CALLER);
    expect(requests[0]?.path).toBe(`/sim/twilio${ACCOUNT}/Calls/${CALLER}.json`);
  });
});

describe('errors become CarrierError (STYLE.md 7)', () => {
  it('404 / 20404 on hangup is success: the call is already over', async () => {
    script = () => twilioError(404, 20404);
    await expect(control().hangupCall(CALLER)).resolves.toBeUndefined();
    expect(requests).toHaveLength(1);
  });

  it('404 / 20404 on remove is success', async () => {
    script = () => twilioError(404, 20404);
    await expect(
      control().removeParticipant({ room: 'r', carrierConferenceId: CF, participant: 'human' }),
    ).resolves.toBeUndefined();
  });

  it('404 on redirect is an error (the caller is gone)', async () => {
    script = () => twilioError(404, 20404);
    const err = await rejection(control().redirectCall(CALLER, twilioMarkup.hangup()));
    expect([err.carrier, err.status, err.carrierCode, err.retryable]).toEqual([
      'twilio',
      404,
      '20404',
      false,
    ]);
    expect(requests).toHaveLength(1);
  });

  it('400 / 21xxx is permanent: one request, code kept, no phone number in the message', async () => {
    script = () => twilioError(400, 21211);
    const err = await rejection(
      control().createCall({
        to: '+15550003333',
        from: '+15550002222',
        next: { url: 'https://x' },
        timeoutSec: 10,
      }),
    );
    expect([err.status, err.carrierCode, err.retryable, err.code]).toEqual([
      400,
      '21211',
      false,
      'carrier_error',
    ]);
    expect(err.message).not.toContain('5550003333');
    expect(err.cause).toBeUndefined();
    expect(requests).toHaveLength(1);
  });

  it('429 is retried up to maxRetries, then surfaces as retryable', async () => {
    script = () => twilioError(429, 20429);
    const err = await rejection(control().redirectCall(CALLER, twilioMarkup.hangup()));
    expect([err.status, err.carrierCode, err.retryable]).toEqual([429, '20429', true]);
    expect(requests).toHaveLength(POLICY.maxRetries + 1);
  });

  it('500 is retried and a later success wins', async () => {
    let n = 0;
    script = () => (++n < 3 ? twilioError(500, 20500) : { status: 200, body: callBody(CALLER) });
    await control().redirectCall(CALLER, twilioMarkup.hangup());
    expect(requests).toHaveLength(3);
  });

  it('500 exhausts the retries of an idempotent update', async () => {
    script = () => ({ status: 503, body: 'upstream down' });
    const err = await rejection(control().hangupCall(CALLER));
    expect([err.status, err.carrierCode, err.retryable]).toEqual([503, undefined, true]);
    expect(requests).toHaveLength(3);
  });

  it('500 on createCall is not retried: the human may already be ringing', async () => {
    script = () => twilioError(500, 20500);
    const err = await rejection(
      control().createCall({
        to: '+15550003333',
        from: '+15550002222',
        next: { url: 'https://x' },
        timeoutSec: 10,
      }),
    );
    expect(err.status).toBe(500);
    expect(requests).toHaveLength(1);
  });

  it('500 on a redirect sent `once` (a dial) is not retried: Twilio may have started it (seed 0xa6)', async () => {
    script = () => twilioError(500, 20500);
    const err = await rejection(control().redirectCall(CALLER, twilioMarkup.hangup(), { once: true }));
    expect([err.status, err.retryable]).toEqual([500, true]);
    expect(requests).toHaveLength(1);
  });

  it('429 on a redirect sent `once` is retried: Twilio did not act', async () => {
    let n = 0;
    script = () => (++n === 1 ? twilioError(429, 20429) : { status: 200, body: callBody(CALLER) });
    await control().redirectCall(CALLER, twilioMarkup.hangup(), { once: true });
    expect(requests).toHaveLength(2);
  });

  it('429 on addParticipant is retried: Twilio did not act', async () => {
    let n = 0;
    script = () =>
      ++n === 1 ? twilioError(429, 20429) : { status: 201, body: { call_sid: HUMAN, conference_sid: CF } };
    const result = await control().addParticipant({
      room: 'xfer-t1',
      to: '+15550003333',
      from: '+15550002222',
      label: 'human',
      timeoutSec: 15,
    });
    expect(result.carrierCallId).toBe(HUMAN);
    expect(requests).toHaveLength(2);
  });

  it('an answer that never comes fails the attempt at the timeout: status 0, retryable, an update retried', async () => {
    script = () => ({ status: 0 });
    const ctl = control({ retry: { maxRetries: 1, retryIntervalMs: 0, timeoutMs: 150 } });
    const err = await rejection(ctl.hangupCall(CALLER));
    expect([err.status, err.retryable]).toEqual([0, true]);
    expect(requests).toHaveLength(2);
  });

  it('no server at all: status 0, retryable, retried even for a create (the connection never opened)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const retries: number[] = [];
    const ctl = control({
      apiBase: `http://127.0.0.1:${port}`,
      retryDeps: { sleep: async () => {}, onRetry: (_e, n) => retries.push(n) },
    });
    const err = await rejection(
      ctl.createCall({
        to: '+15550003333',
        from: '+15550002222',
        next: { url: 'https://x' },
        timeoutSec: 10,
      }),
    );
    expect([err.status, err.retryable]).toEqual([0, true]);
    expect(retries).toEqual([0, 1]);
  });
});
