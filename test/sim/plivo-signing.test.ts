import fc from 'fast-check';
import plivo from 'plivo';
import { describe, expect, it } from 'vitest';
import { createPlivoAdapter } from '../../providers/plivo/adapter.js';
import { matchesSignatureV3 } from '../../providers/plivo/signature-v3.js';
import {
  plivoNonce,
  plivoSign,
  plivoSignedString,
  plivoUpgradeHeaders,
} from '../../sim/carriers/plivo/signing.js';

/**
 * The simulator signs as Plivo does, checked against Plivo's own validator (plivo-node
 * `validateV3Signature`, which plivo-stream-sdk-node calls on the stream's upgrade) — not against
 * the adapter's check, which is then tested against the simulator's upgrades.
 */

const TOKEN = 'MY_PLIVO_AUTH_TOKEN';
const NONCE = '05429567804466091622';

describe('simulator signature V3', () => {
  it("matches the protocol reference's vectors", () => {
    const params = { CallUUID: 'abc-123', From: '14155550100', To: '14155550199', Direction: 'inbound' };
    expect(plivoSignedString('POST', 'https://example.com/answer/?b=2&a=1', params)).toBe(
      'https://example.com/answer/?a=1&b=2.CallUUIDabc-123DirectioninboundFrom14155550100To14155550199',
    );
    expect(plivoSign(TOKEN, 'POST', 'https://example.com/answer/', params, NONCE)).toBe(
      'tenuC+lvTJIu6zlvNJPS/UiT/NQZ///Ct/lQJuAuZ+k=',
    );
    expect(plivoSign(TOKEN, 'GET', 'https://example.com/answer/?b=2&a=1', {}, NONCE)).toBe(
      '+R1uGbii+JzCqOgER5HETCTJEkpjM8/Fs9vizuljXJ0=',
    );
  });

  it('plivo-node validates what the simulator signs (GET and POST, generated URLs and params)', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST') as fc.Arbitrary<'GET' | 'POST'>,
        fc.constantFrom('https://pt.example.com', 'http://127.0.0.1:8080'),
        fc.array(word, { maxLength: 3 }),
        fc.dictionary(word, word, { maxKeys: 3 }),
        fc.dictionary(word, word, { maxKeys: 4 }),
        (method, origin, path, query, params) => {
          const qs = new URLSearchParams(query).toString();
          const url = `${origin}/${path.join('/')}${qs === '' ? '' : `?${qs}`}`;
          const nonce = plivoNonce();
          const body = method === 'GET' ? {} : params;
          const signature = plivoSign(TOKEN, method, url, body, nonce);
          // plivo-node merges parameters into plain objects (`params[key] = …`), where a key
          // named `__proto__` sets the prototype and the parameter is lost: it cannot judge such
          // a request, so the daemon's own check (maps throughout) does.
          const validate = [...Object.keys(query), ...Object.keys(body)].includes('__proto__')
            ? (token: string) => matchesSignatureV3(token, method, url, body, nonce, signature)
            : (token: string) => plivo.validateV3Signature(method, url, nonce, token, signature, body);
          expect(validate(TOKEN)).toBe(true);
          expect(validate('other')).toBe(false);
        },
      ),
    );
  });

  it('signs the stream upgrade as plivo-stream-sdk-node checks it, and the adapter admits it', () => {
    const stream = 'wss://pt.example.com/plivo/media';
    const headers = plivoUpgradeHeaders(TOKEN, stream);
    const signature = headers['x-plivo-signature-v3'] ?? '';
    const nonce = headers['x-plivo-signature-v3-nonce'] ?? '';
    // The SDK rebuilds `https://host + path` from the upgrade request and checks a GET.
    expect(
      plivo.validateV3Signature('GET', 'https://pt.example.com/plivo/media', nonce, TOKEN, signature),
    ).toBe(true);
    const adapter = createPlivoAdapter({
      publicUrl: 'https://pt.example.com',
      authId: `MA${'1'.repeat(18)}`,
      authToken: TOKEN,
    });
    expect(adapter.verifyMediaUpgrade({ url: stream, headers })).toBe(true);
    expect(adapter.verifyMediaUpgrade({ url: stream, headers: {} })).toBe(false);
    expect(adapter.verifyMediaUpgrade({ url: `${stream}2`, headers })).toBe(false);
    expect(adapter.verifyMediaUpgrade({ url: stream, headers: plivoUpgradeHeaders('other', stream) })).toBe(
      false,
    );
  });
});
