import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRequest, TwilioHooks } from '../../sim/carriers/twilio/hooks.js';
import { resolveOptions } from '../../sim/carriers/twilio/options.js';
import { twilioSignature } from '../../sim/carriers/twilio/signature.js';
import { Timers } from '../../sim/clock.js';
import { Faults } from '../../sim/faults.js';
import type { SimContext } from '../../sim/front-end.js';
import { HttpClient } from '../../sim/http-client.js';
import { SimLog } from '../../sim/log.js';
import { eventually } from '../support/eventually.js';
import { AUTH_TOKEN, TestApp } from './helpers.js';

describe('X-Twilio-Signature', () => {
  it('reproduces the classic vector of protocols.md §2.8', () => {
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+12349013030',
      Digits: '1234',
      From: '+12349013030',
      To: '+18005551212',
    };
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    expect(twilioSignature('12345', url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(twilioSignature('12345', url, params)).toBe(
      twilio.getExpectedTwilioSignature('12345', url, params),
    );
  });

  it('signs repeated keys as sorted, de-duplicated values', () => {
    const sig = twilioSignature('t', 'https://x.test/a', { B: ['2', '1', '2'], A: 'z' });
    expect(sig).toBe(twilioSignature('t', 'https://x.test/aAzB1B2', {}));
  });

  describe('callbacks checked by twilio.validateRequest on a local receiver', () => {
    let app: TestApp;
    const timers = new Timers();
    const http = new HttpClient();

    afterEach(async () => {
      timers.stop();
      http.destroy();
      await app.stop();
    });

    it('accepts POST and GET callbacks, including URLs with a query string', async () => {
      app = await TestApp.start(AUTH_TOKEN);
      const log = new SimLog({ nowMs: () => 0 });
      const ctx = {
        timers,
        http,
        log,
        faults: new Faults(log),
        clock: { nowMs: () => 0 },
      } as unknown as SimContext;
      const hooks = new TwilioHooks(
        ctx,
        resolveOptions({ authToken: AUTH_TOKEN, accountSid: `AC${'3'.repeat(32)}` }),
      );
      const params = {
        CallSid: `CA${'4'.repeat(32)}`,
        CallStatus: 'completed',
        Caller: '+15550001111',
        Emoji: 'ça va ✓',
      };
      hooks.notify({
        kind: 'status',
        url: `${app.url}/cb?x=1&y=a%20b`,
        method: 'POST',
        params,
        callSid: 'a',
      });
      hooks.notify({ kind: 'status', url: `${app.url}/cb?x=2`, method: 'GET', params, callSid: 'b' });
      await eventually(() => app.requests.length === 2, 'both status callbacks at the app');
      expect(app.requests.map((r) => r.method).sort()).toEqual(['GET', 'POST']);
      expect(app.requests.every((r) => r.signatureValid)).toBe(true);
      expect(app.requests.find((r) => r.method === 'POST')?.params).toEqual(params);
      // A tampered parameter no longer validates.
      const post = app.requests.find((r) => r.method === 'POST');
      const sig = post?.headers['x-twilio-signature'] as string;
      expect(
        twilio.validateRequest(AUTH_TOKEN, sig, post?.url as string, { ...params, CallStatus: 'busy' }),
      ).toBe(false);
      expect(
        buildRequest(AUTH_TOKEN, { kind: 'k', url: 'https://a.test/p', method: 'GET', params: { A: '1' } }, 1)
          .url,
      ).toBe('https://a.test/p?A=1');
    });
  });
});
