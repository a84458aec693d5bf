import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/http/body-bounds.js';
import { useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';
import {
  ALL_CARRIERS_ENV,
  deepArray,
  deepObject,
  exotelSigned,
  formSigned,
  type RawAnswer,
  rawRequest,
  redisSnapshot,
  signedJson,
  snapshotDiff,
  WEBHOOK_ROUTES,
} from './input-support.js';

/**
 * Bodies that must be refused are refused, over real sockets to the daemon with a private Redis:
 * every webhook route checks its signature on the bytes as received before parsing anything;
 * bodies are bounded in size (413 `body_too_large`) and JSON depth (400 `body_too_deep`) on every
 * webhook and API route; a `null` or non-object API body is a 400 naming `body`; random bodies,
 * unsigned or validly signed, never get a 5xx, and unsigned ones never change the store.
 */

const WRITER_KEY = 'e2e-writer-key-0123456789';
const API_ENV = {
  ...ALL_CARRIERS_ENV,
  PATCHTHROUGH_API_KEYS: `${WRITER_KEY}:agents:read+agents:write+skills:read+skills:write+calls:read+calls:write`,
};
const bearer = { authorization: `Bearer ${WRITER_KEY}` };

describe('webhook and API bodies are bounded, and nothing is parsed before the signature', () => {
  const e2e = useE2e('twilio');

  it('a body nested 6,000 deep: 403 on every webhook route unsigned, 400 body_too_deep signed, 400 on the API', async () => {
    const hh = await e2e.run({ env: API_ENV, script: [{ say: 200 }] });
    const before = await redisSnapshot(e2e.redisUrl);
    for (const body of [deepObject(6000), deepArray(6000)]) {
      for (const route of WEBHOOK_ROUTES) {
        const unsigned = await rawRequest(`${hh.publicUrl}${route.path}`, {
          method: route.method,
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(unsigned.status, `${route.method} ${route.path}`).toBe(403);
        if (route.method === 'GET') continue;
        const signed = signedJson(route.path, hh.publicUrl, body);
        const answer = await rawRequest(signed.url, { method: 'POST', headers: signed.headers, body });
        expect(answer.status, `signed ${route.path}`).toBe(400);
        expect(answer.json().error).toMatchObject({ code: 'body_too_deep', field: 'body' });
      }
    }
    // Every /v1 route that takes a body, from the API's own document.
    const doc = (await (await fetch(`${hh.publicUrl}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const withBody = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.requestBody !== undefined)
        .map(([method, _]) => ({ method: method.toUpperCase(), path: path.replace(/\{\w+\}/g, 'demo') })),
    );
    expect(withBody.map((r) => `${r.method} ${r.path}`)).toContain('PATCH /v1/agents/demo');
    for (const r of withBody) {
      const answer = await rawRequest(`${hh.publicUrl}${r.path}`, {
        method: r.method,
        headers: { ...bearer, 'content-type': 'application/json' },
        body: deepObject(6000),
      });
      expect(answer.status, `${r.method} ${r.path}`).toBe(400);
      expect(answer.json().error).toMatchObject({ code: 'body_too_deep', field: 'body' });
    }
    expect(snapshotDiff(before, await redisSnapshot(e2e.redisUrl))).toEqual([]);
  });

  it('a body over the size limit: 413 body_too_large, with a length or streamed without one', async () => {
    const hh = await e2e.run({ env: API_ENV, script: [] });
    const big = `a=${'x'.repeat(MAX_BODY_BYTES + 10)}`;
    for (const route of WEBHOOK_ROUTES.filter((r) => r.method === 'POST')) {
      for (const chunked of [false, true]) {
        const answer = await rawRequest(`${hh.publicUrl}${route.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: big,
          ...(chunked ? { chunked } : { headersOnly: true }),
        });
        expect(answer.status, `${route.path} chunked=${chunked}`).toBe(413);
        expect(answer.json().error).toMatchObject({ code: 'body_too_large' });
      }
    }
    const api = await rawRequest(`${hh.publicUrl}/v1/agents/demo`, {
      method: 'PATCH',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) }),
      chunked: true,
    });
    expect(api.status).toBe(413);
    expect(api.json().error).toMatchObject({ code: 'body_too_large' });
  });

  it('POST /v1/calls/{id}/transfer with null, an array or a scalar: 400 naming body, and no transfer starts', async () => {
    const hh = await e2e.run({ env: API_ENV, script: [{ say: 200 }, { waitMs: 60_000 }] });
    const call = await e2e.placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    for (const body of ['null', '[]', '"cold"', '7', 'true']) {
      const answer = await rawRequest(`${hh.publicUrl}/v1/calls/${call.sid}/transfer`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body,
      });
      expect(answer.status, body).toBe(400);
      expect(answer.json().error).toMatchObject({ code: 'body_not_object', field: 'body' });
    }
    for (const body of ['null', '[1]']) {
      const patch = await rawRequest(`${hh.publicUrl}/v1/agents/demo`, {
        method: 'PATCH',
        headers: { ...bearer, 'content-type': 'application/json' },
        body,
      });
      expect(patch.status, body).toBe(400);
      expect(patch.json().error).toMatchObject({ code: 'body_not_object', field: 'body' });
    }
    const record = await hh.app.engine.get(call.sid);
    expect(record?.phase).toBe('ai');
    expect(record?.transfers).toEqual([]);
    call.hangup();
  });

  it('property: random unsigned bodies to every webhook route never give 5xx and never change the store', async () => {
    const hh = await e2e.run({ env: API_ENV, script: [{ say: 200 }, { waitMs: 60_000 }] });
    const call = await e2e.placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    await hh.sim.waitFor(() => hh.sim.twilio.streamsOf(call.sid)[0]?.stats.mediaSent);
    const before = await redisSnapshot(e2e.redisUrl);
    const sids = fc.constantFrom(call.sid, `CA${'5'.repeat(32)}`, 'not-a-sid', '');
    const formBody = fc
      .record({
        CallSid: sids,
        AccountSid: fc.constantFrom(`AC${'1'.repeat(32)}`, 'x'),
        CallStatus: fc.constantFrom('completed', 'in-progress', 'ringing', 'busy', 'nonsense'),
        DialCallStatus: fc.constantFrom('completed', 'busy', 'no-answer'),
        CallUUID: fc.uuid(),
        Status: fc.constantFrom('completed', 'terminal', ''),
        extra: fc.string(),
      })
      .map((p) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams(p).toString() }));
    const body = fc.oneof(
      formBody,
      fc.string().map((s) => ({ type: 'application/x-www-form-urlencoded', body: s })),
      fc.json().map((s) => ({ type: 'application/json', body: s })),
      fc.integer({ min: 1, max: 9000 }).map((n) => ({ type: 'application/json', body: deepObject(n) })),
      fc.integer({ min: 1, max: 9000 }).map((n) => ({ type: 'application/json', body: deepArray(n) })),
      fc
        .tuple(
          fc.constantFrom(
            'multipart/form-data; boundary=x',
            'multipart/form-data',
            'text/plain',
            'application/xml',
            'application/json',
            '',
          ),
          fc.uint8Array({ maxLength: 2048 }),
        )
        .map(([type, bytes]) => ({ type, body: Buffer.from(bytes) })),
    );
    // Headers a forger might try: no signature, a made-up one, the wrong Basic secret.
    const forged = fc.constantFrom<Record<string, string>>(
      {},
      { 'x-twilio-signature': 'bm90IGEgc2lnbmF0dXJl' },
      { 'x-plivo-signature-v3': 'bm90', 'x-plivo-signature-v3-nonce': '12345678901234567890' },
      { authorization: `Basic ${Buffer.from('exotel:wrong').toString('base64')}` },
    );
    const query = fc.constantFrom(
      '',
      `?callId=${call.sid}`,
      `?callId=${call.sid}&transferId=${call.sid}.t1&legId=${call.sid}.t1:0`,
      `?callId=${call.sid}&seq=9&bodySHA256=00`,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...WEBHOOK_ROUTES),
        body,
        forged,
        query,
        async (route, b, headers, q) => {
          const answer = await rawRequest(`${hh.publicUrl}${route.path}${q}`, {
            method: route.method,
            headers: { ...headers, ...(b.type === '' ? {} : { 'content-type': b.type }) },
            body: b.body,
          });
          expect(answer.status, `${route.method} ${route.path}${q}`).toBeGreaterThanOrEqual(400);
          expect(answer.status, `${route.method} ${route.path}${q}`).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    expect(snapshotDiff(before, await redisSnapshot(e2e.redisUrl))).toEqual([]);
    expect((await hh.app.engine.get(call.sid))?.phase).toBe('ai');
    call.hangup();
  });
});

describe('validly signed webhooks with random bodies', () => {
  const e2e = useE2e('twilio');

  it('property: random signed bodies to every webhook route never give 5xx', async () => {
    const hh = await e2e.run({ env: API_ENV, script: [{ say: 200 }, { waitMs: 60_000 }] });
    const call = await e2e.placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    const live = call.sid;
    const hex = (prefix: string) => fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => prefix + h);
    // Well-formed fields of both carriers (so requests get past validation into the runtime),
    // mixed with arbitrary ones.
    const plausible = fc.record(
      {
        CallSid: fc.oneof(fc.constant(live), hex('CA')),
        AccountSid: fc.constant(`AC${'1'.repeat(32)}`),
        CallStatus: fc.constantFrom(
          'ringing',
          'in-progress',
          'completed',
          'busy',
          'no-answer',
          'canceled',
          'failed',
        ),
        DialCallStatus: fc.constantFrom('completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled'),
        DialCallSid: hex('CA'),
        CallUUID: fc.uuid(),
        From: fc.constantFrom('+14155559999', '09901320691', 'sip:x@y'),
        To: fc.constantFrom('+14155550100', '+14155550111'),
        Direction: fc.constantFrom('inbound', 'outbound', 'outbound-api', 'incoming'),
        DialStatus: fc.constantFrom('completed', 'busy', 'timeout', 'no-answer', 'cancel'),
        DialBLegUUID: fc.uuid(),
        DialAction: fc.constantFrom('answer', 'hangup'),
        DialALegUUID: fc.uuid(),
        ConferenceAction: fc.constantFrom('enter', 'exit', 'start', 'end'),
        ConferenceName: fc.constant(`xfer-${live}.t1`),
        ConferenceUUID: fc.uuid(),
        ConferenceSid: hex('CF'),
        FriendlyName: fc.constant(`xfer-${live}.t1`),
        SequenceNumber: fc.integer({ min: 0, max: 99 }).map(String),
        StatusCallbackEvent: fc.constantFrom('participant-join', 'participant-leave', 'conference-end'),
        ParticipantLabel: fc.constantFrom('caller', `${live}.t1:0`),
        Status: fc.constantFrom('completed', 'busy', 'no-answer', 'in-progress'),
        EventType: fc.constantFrom('terminal', 'Dial', 'Answered'),
      },
      { requiredKeys: [] },
    );
    const params = fc.oneof(
      plausible,
      fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 8 }),
    );
    const ids = fc.constantFrom(
      '',
      `callId=${live}`,
      `callId=${live}&transferId=${live}.t1&legId=${live}.t1:0`,
      `callId=${live}&transferId=${live}.t1&seq=2`,
    );
    const json = fc.oneof(fc.json(), fc.integer({ min: 1, max: 9000 }).map(deepObject));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...WEBHOOK_ROUTES),
        params,
        ids,
        fc.boolean(),
        json,
        async (route, p, q, asJson, j) => {
          const path = `${route.path}${q === '' ? '' : `?${q}`}`;
          let answer: RawAnswer;
          if (route.method === 'GET' || route.path.startsWith('/exotel/')) {
            answer = await exotelSigned(hh, route.method, path, p, asJson ? j : undefined);
          } else if (asJson) {
            const signed = signedJson(path, hh.publicUrl, j);
            answer = await rawRequest(signed.url, { method: 'POST', headers: signed.headers, body: j });
          } else {
            answer = await formSigned(hh, path, p);
          }
          expect(answer.status, `${route.method} ${path} ${answer.text}`).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});
