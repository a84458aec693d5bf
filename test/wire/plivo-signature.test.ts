import fc from 'fast-check';
import plivo from 'plivo';
import { describe, expect, it } from 'vitest';
import { verifyPlivoWebhook } from '../../providers/plivo/signature.js';
import { plivoSignatureV3, signedStringV3 } from '../../providers/plivo/signature-v3.js';
import type { WebhookRequest } from '../../providers/types.js';

/**
 * Signature V3 (protocols.md §3.7): the constant-time re-implementation against §3.7's vectors
 * and against plivo-node's own `validateV3Signature` on generated URLs and parameters, and the
 * adapter's webhook check.
 */

const TOKEN = 'MY_PLIVO_AUTH_TOKEN';
const NONCE = '05429567804466091622';
const PARAMS = { CallUUID: 'abc-123', From: '14155550100', To: '14155550199', Direction: 'inbound' };

describe('Plivo signature V3: §3.7 vectors', () => {
  const cases = [
    {
      method: 'POST' as const,
      url: 'https://example.com/answer/?b=2&a=1',
      params: PARAMS,
      signed:
        'https://example.com/answer/?a=1&b=2.CallUUIDabc-123DirectioninboundFrom14155550100To14155550199',
      signature: 'yJKaEg9tb6IKsDH0pnFE7+H4X0oUe22E51qLr9y0ZGs=',
    },
    {
      method: 'POST' as const,
      url: 'https://example.com/answer/',
      params: PARAMS,
      signed: 'https://example.com/answer/?CallUUIDabc-123DirectioninboundFrom14155550100To14155550199',
      signature: 'tenuC+lvTJIu6zlvNJPS/UiT/NQZ///Ct/lQJuAuZ+k=',
    },
    {
      method: 'GET' as const,
      url: 'https://example.com/answer/?b=2&a=1',
      params: {},
      signed: 'https://example.com/answer/?a=1&b=2',
      signature: '+R1uGbii+JzCqOgER5HETCTJEkpjM8/Fs9vizuljXJ0=',
    },
    {
      method: 'POST' as const,
      url: 'https://example.com/answer/',
      params: {},
      signed: 'https://example.com/answer/',
      signature: '1Pt1Z3xx5m69c3kzsNnS/iaQgaqg4XH0C/Gdw2a03Qc=',
    },
  ];
  for (const c of cases) {
    it(`${c.method} ${c.url} with ${Object.keys(c.params).length} params`, () => {
      expect(signedStringV3(c.method, c.url, c.params)).toBe(c.signed);
      expect(plivoSignatureV3(TOKEN, c.method, c.url, c.params, NONCE)).toBe(c.signature);
      expect(plivo.validateV3Signature(c.method, c.url, NONCE, TOKEN, c.signature, c.params)).toBe(true);
    });
  }
});

const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/);
const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,10}$/);
const value = fc.string({ maxLength: 12 });
const requests = fc.record({
  method: fc.constantFrom('GET' as const, 'POST' as const),
  scheme: fc.constantFrom('http', 'https'),
  host: fc.constantFrom('example.com', 'pt.example.com', '127.0.0.1:8443', 'localhost:3000'),
  path: fc.array(segment, { maxLength: 4 }),
  trailingSlash: fc.boolean(),
  query: fc.dictionary(key, value, { maxKeys: 4 }),
  params: fc.dictionary(key, fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 })), {
    maxKeys: 6,
  }),
});

type GeneratedRequest = typeof requests extends fc.Arbitrary<infer T> ? T : never;

function urlOf(r: GeneratedRequest): string {
  const path = `/${r.path.join('/')}${r.trailingSlash && r.path.length > 0 ? '/' : ''}`;
  const qs = new URLSearchParams(r.query).toString();
  return `${r.scheme}://${r.host}${path}${qs === '' ? '' : `?${qs}`}`;
}

describe('Plivo signature V3: the re-implementation agrees with plivo-node', () => {
  it('plivo-node validates every signature the re-implementation computes', () => {
    fc.assert(
      fc.property(requests, fc.stringMatching(/^\d{20}$/), (r, nonce) => {
        const url = urlOf(r);
        const params = r.method === 'GET' ? {} : r.params;
        const signature = plivoSignatureV3(TOKEN, r.method, url, params, nonce);
        expect(plivo.validateV3Signature(r.method, url, nonce, TOKEN, signature, params)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('the adapter accepts exactly what plivo-node accepts, tampered or not', () => {
    fc.assert(
      fc.property(requests, fc.boolean(), value, (r, tamper, forged) => {
        const url = urlOf(r);
        const params: Record<string, string | string[]> = r.method === 'GET' ? {} : { ...r.params };
        const signature = plivoSignatureV3(TOKEN, r.method, url, params, NONCE);
        // A GET carries its parameters in the URL: tamper with that instead.
        const sent =
          tamper && r.method === 'GET'
            ? `${url}${url.includes('?') ? '&' : '?'}Forged=${encodeURIComponent(forged)}`
            : url;
        if (tamper && r.method === 'POST') params['Forged'] = forged;
        const req: WebhookRequest = {
          method: r.method,
          url: sent,
          headers: { 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': NONCE },
          rawBody: '',
          params,
        };
        expect(verifyPlivoWebhook(TOKEN, req)).toBe(
          plivo.validateV3Signature(r.method, sent, NONCE, TOKEN, signature, params) === true,
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('Plivo webhook verification', () => {
  const url = 'https://pt.example.com/plivo/status?callId=c1&transferId=c1.t1&legId=c1.t1%3A0';
  const params = {
    CallUUID: '0d7f0c52-5a8e-4a3f-9f7e-3b1b1b0c0002',
    CallStatus: 'busy',
    HangupCause: 'USER_BUSY',
  };
  const signed = (over: Partial<WebhookRequest> = {}, headers?: Record<string, string>): WebhookRequest => ({
    method: 'POST',
    url,
    rawBody: new URLSearchParams(params).toString(),
    params,
    headers: headers ?? {
      'x-plivo-signature-v3': plivoSignatureV3(TOKEN, 'POST', url, params, NONCE),
      'x-plivo-signature-v3-nonce': NONCE,
    },
    ...over,
  });

  it('accepts a signed request, and one signature among several', () => {
    expect(verifyPlivoWebhook(TOKEN, signed())).toBe(true);
    const good = plivoSignatureV3(TOKEN, 'POST', url, params, NONCE);
    expect(
      verifyPlivoWebhook(
        TOKEN,
        signed({}, { 'x-plivo-signature-v3': `bm90IGl0,${good}`, 'x-plivo-signature-v3-nonce': NONCE }),
      ),
    ).toBe(true);
    expect(
      verifyPlivoWebhook(
        TOKEN,
        signed({}, { 'x-plivo-signature-ma-v3': good, 'x-plivo-signature-v3-nonce': NONCE }),
      ),
    ).toBe(true);
  });

  it('refuses a wrong token, a missing nonce or signature, a changed URL or parameter, an odd method', () => {
    expect(verifyPlivoWebhook('another-token', signed())).toBe(false);
    expect(
      verifyPlivoWebhook(
        TOKEN,
        signed({}, { 'x-plivo-signature-v3': plivoSignatureV3(TOKEN, 'POST', url, params, NONCE) }),
      ),
    ).toBe(false);
    expect(verifyPlivoWebhook(TOKEN, signed({}, { 'x-plivo-signature-v3-nonce': NONCE }))).toBe(false);
    expect(verifyPlivoWebhook(TOKEN, signed({ url: url.replace('c1.t1%3A0', 'c1.t1%3A1') }))).toBe(false);
    expect(verifyPlivoWebhook(TOKEN, signed({ params: { ...params, CallStatus: 'completed' } }))).toBe(false);
    expect(verifyPlivoWebhook(TOKEN, signed({ method: 'PUT' }))).toBe(false);
    const headers = {
      'x-plivo-signature-v3': [plivoSignatureV3(TOKEN, 'POST', url, params, NONCE)],
      'x-plivo-signature-v3-nonce': NONCE,
    };
    expect(verifyPlivoWebhook(TOKEN, { ...signed(), headers })).toBe(false);
  });

  it('a GET webhook is signed over its URL, query included', () => {
    const getUrl = `${url}&CallUUID=x`;
    const headers = {
      'x-plivo-signature-v3': plivoSignatureV3(TOKEN, 'GET', getUrl, {}, NONCE),
      'x-plivo-signature-v3-nonce': NONCE,
    };
    expect(verifyPlivoWebhook(TOKEN, { method: 'GET', url: getUrl, headers, rawBody: '', params: {} })).toBe(
      true,
    );
    expect(
      verifyPlivoWebhook(TOKEN, {
        method: 'GET',
        url: `${url}&CallUUID=y`,
        headers,
        rawBody: '',
        params: {},
      }),
    ).toBe(false);
  });
});
