import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import {
  MEDIA_TOKEN_PARAMETER,
  mediaToken,
  mediaTokenNonce,
  verifyMediaToken,
} from '../../providers/index.js';
import { createTwilioAdapter } from '../../providers/twilio/adapter.js';
import type { WebhookParams, WebhookRequest } from '../../providers/types.js';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;

function adapter(authToken: string, signedMediaUpgrade = false) {
  return createTwilioAdapter({
    publicUrl: 'https://pt.example.com',
    accountSid: ACCOUNT_SID,
    authToken,
    signedMediaUpgrade,
  });
}

function post(url: string, params: WebhookParams, signature: string | undefined): WebhookRequest {
  return {
    method: 'POST',
    url,
    headers: signature === undefined ? {} : { 'x-twilio-signature': signature },
    rawBody: new URLSearchParams(params as Record<string, string>).toString(),
    params,
  };
}

/** protocols.md §2.8, written out independently of twilio-node. */
function referenceSignature(authToken: string, url: string, params: Record<string, string | string[]> = {}) {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => {
      const value = params[key] ?? '';
      return (
        acc +
        (Array.isArray(value)
          ? [...new Set(value)]
              .sort()
              .map((v) => key + v)
              .join('')
          : key + value)
      );
    }, url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

// Twilio's classic example (protocols.md §2.8).
const VECTOR = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+12349013030',
    Digits: '1234',
    From: '+12349013030',
    To: '+18005551212',
  },
  signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
};

const JSON_VECTOR = {
  body: '{"property": "value", "boolean": true}',
  bodyHash: '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620',
  signature: 'y77kIzt2vzLz71DgmJGsen2scGs=',
};

describe('X-Twilio-Signature vectors (protocols.md §2.8)', () => {
  it('the reference computation and twilio-node agree on the form vector', () => {
    expect(referenceSignature(VECTOR.token, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
    expect(twilio.getExpectedTwilioSignature(VECTOR.token, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
  });

  it('accepts the form vector', () => {
    expect(adapter(VECTOR.token).verifyWebhook(post(VECTOR.url, VECTOR.params, VECTOR.signature))).toBe(true);
  });

  it('accepts the JSON body vector and refuses a tampered body', () => {
    expect(createHash('sha256').update(JSON_VECTOR.body).digest('hex')).toBe(JSON_VECTOR.bodyHash);
    const url = `https://mycompany.com/myapp.php?bodySHA256=${JSON_VECTOR.bodyHash}`;
    const req = { method: 'POST', url, headers: { 'x-twilio-signature': JSON_VECTOR.signature }, params: {} };
    expect(adapter(VECTOR.token).verifyWebhook({ ...req, rawBody: JSON_VECTOR.body })).toBe(true);
    expect(
      adapter(VECTOR.token).verifyWebhook({ ...req, rawBody: '{"property": "other", "boolean": true}' }),
    ).toBe(false);
  });

  it('accepts a URL signed with the default port when called without it, and the reverse', () => {
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    const signedWithPort = referenceSignature(VECTOR.token, withPort, VECTOR.params);
    expect(adapter(VECTOR.token).verifyWebhook(post(VECTOR.url, VECTOR.params, signedWithPort))).toBe(true);
    expect(adapter(VECTOR.token).verifyWebhook(post(withPort, VECTOR.params, VECTOR.signature))).toBe(true);
  });

  it('follows twilio-node on a non-default port: either form verifies, another path does not', () => {
    const other = 'https://mycompany.com:8443/myapp.php?foo=1&bar=2';
    expect(adapter(VECTOR.token).verifyWebhook(post(other, VECTOR.params, VECTOR.signature))).toBe(
      twilio.validateRequest(VECTOR.token, VECTOR.signature, other, VECTOR.params),
    );
    const otherPath = 'https://mycompany.com:8443/other.php?foo=1&bar=2';
    expect(adapter(VECTOR.token).verifyWebhook(post(otherPath, VECTOR.params, VECTOR.signature))).toBe(false);
  });

  it('accepts exactly what twilio-node accepts, over URLs with and without ports and any signature', () => {
    const urls = fc.constantFrom(
      'https://pt.example.com/twilio/status?callId=c1&legId=l1',
      'https://pt.example.com:443/twilio/status?callId=c1',
      'http://127.0.0.1:8080/twilio/status?callId=c%201',
      'https://pt.example.com/twilio/voice',
    );
    const params = fc.dictionary(
      fc.constantFrom('CallSid', 'CallStatus', 'From', 'To', 'SequenceNumber'),
      fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 })),
    );
    fc.assert(
      fc.property(urls, urls, params, fc.boolean(), (url, signedUrl, p, forged) => {
        const signature = forged ? 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' : referenceSignature('tok', signedUrl, p);
        const expected = twilio.validateRequest('tok', signature, url, p);
        expect(adapter('tok').verifyWebhook(post(url, p, signature))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('signs repeated keys as sorted, de-duplicated values', () => {
    const params = { StatusCallbackEvent: ['ringing', 'answered', 'ringing'], CallSid: 'CA1' };
    const signature = referenceSignature('tok', 'https://pt.example.com/twilio/status', params);
    expect(twilio.getExpectedTwilioSignature('tok', 'https://pt.example.com/twilio/status', params)).toBe(
      signature,
    );
    expect(
      adapter('tok').verifyWebhook(post('https://pt.example.com/twilio/status', params, signature)),
    ).toBe(true);
  });
});

describe('forged and missing signatures are refused', () => {
  const ok = post(VECTOR.url, VECTOR.params, VECTOR.signature);
  const cases: [string, WebhookRequest][] = [
    ['missing header', { ...ok, headers: {} }],
    ['empty header', { ...ok, headers: { 'x-twilio-signature': '' } }],
    ['two headers', { ...ok, headers: { 'x-twilio-signature': [VECTOR.signature, VECTOR.signature] } }],
    ['wrong signature', { ...ok, headers: { 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } }],
    ['a changed param', { ...ok, params: { ...VECTOR.params, To: '+19005550000' } }],
    ['an added param', { ...ok, params: { ...VECTOR.params, Extra: '1' } }],
    ['a changed query id', { ...ok, url: 'https://mycompany.com/myapp.php?foo=1&bar=3' }],
    ['another host', { ...ok, url: 'https://evil.example.com/myapp.php?foo=1&bar=2' }],
    ['a malformed URL', { ...ok, url: 'not a url' }],
  ];
  it.each(cases)('%s', (_name, req) => {
    expect(adapter(VECTOR.token).verifyWebhook(req)).toBe(false);
  });

  it('refuses the right signature under another auth token', () => {
    expect(adapter('54321').verifyWebhook(ok)).toBe(false);
  });

  it('GET webhooks sign the URL alone', () => {
    const url = 'https://pt.example.com/twilio/voice?CallSid=CA1&callId=c1';
    const signature = referenceSignature('tok', url);
    const req: WebhookRequest = {
      method: 'GET',
      url,
      headers: { 'x-twilio-signature': signature },
      rawBody: '',
      params: { CallSid: 'CA1' },
    };
    expect(adapter('tok').verifyWebhook(req)).toBe(true);
  });
});

describe('cross-check against twilio.validateRequest', () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,11}$/);
  const value = fc.string({ maxLength: 20 });
  const query = fc.stringMatching(/^[a-z0-9=&]{0,20}$/);

  it('accepts exactly what twilio-node accepts, for random params and URLs', () => {
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 8 }), query, fc.boolean(), (params, q, tamper) => {
        const url = `https://pt.example.com/twilio/status${q ? `?${q}` : ''}`;
        const good = referenceSignature('secret-token', url, params);
        const signature = tamper ? `${good.slice(0, -2)}x=` : good;
        const ours = adapter('secret-token').verifyWebhook(post(url, params, signature));
        expect(ours).toBe(twilio.validateRequest('secret-token', signature, url, params));
        expect(ours).toBe(!tamper);
      }),
      { numRuns: 200 },
    );
  });
});

describe('media socket upgrade and token', () => {
  const wss = 'wss://pt.example.com/twilio/media';

  it('needs no upgrade signature unless configured (UNCONFIRMED that Twilio sends one)', () => {
    expect(adapter('tok').verifyMediaUpgrade({ url: wss, headers: {} })).toBe(true);
  });

  it('checks the upgrade signature over the wss URL when configured', () => {
    const strict = adapter('tok', true);
    const signature = referenceSignature('tok', wss);
    expect(strict.verifyMediaUpgrade({ url: wss, headers: { 'x-twilio-signature': signature } })).toBe(true);
    expect(strict.verifyMediaUpgrade({ url: wss, headers: {} })).toBe(false);
    expect(strict.verifyMediaUpgrade({ url: `${wss}x`, headers: { 'x-twilio-signature': signature } })).toBe(
      false,
    );
  });

  it('issues a per-call token that only that call verifies, with a fresh nonce per document', () => {
    const token = mediaToken('CA-call-1', 'daemon-secret');
    expect(token).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(verifyMediaToken('CA-call-1', token, 'daemon-secret')).toBe(true);
    expect(verifyMediaToken('CA-call-2', token, 'daemon-secret')).toBe(false);
    expect(verifyMediaToken('CA-call-1', token, 'other-secret')).toBe(false);
    expect(verifyMediaToken('CA-call-1', `${token.slice(0, -1)}A`, 'daemon-secret')).toBe(
      token.endsWith('A'),
    );
    // The nonce is bound by the mac: another nonce with the same mac is refused.
    const other = mediaToken('CA-call-1', 'daemon-secret');
    expect(other).not.toBe(token);
    expect(mediaTokenNonce(other)).not.toBe(mediaTokenNonce(token));
    expect(
      verifyMediaToken('CA-call-1', `${mediaTokenNonce(other)}${token.slice(16)}`, 'daemon-secret'),
    ).toBe(false);
    expect(verifyMediaToken('CA-call-1', undefined, 'daemon-secret')).toBe(false);
    expect(verifyMediaToken('CA-call-1', '', 'daemon-secret')).toBe(false);
    expect(MEDIA_TOKEN_PARAMETER).toBe('mediaToken');
  });
});
