/**
 * The carrier seam, proven with an adapter that is not in the registry: a minimal fake
 * (fake-carrier.ts) registered from this test. An app built with a carrier list that contains it
 * routes the fake's webhooks to it (signed over the raw body bytes), validates its environment
 * through its env schema, and asks its error classifier what a failed command means.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CARRIER_ADAPTERS } from '../../providers/index.js';
import type { CarrierAdapterFactory } from '../../providers/types.js';
import { type App, buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { ConfigError } from '../../src/config/config-error.js';
import { parseEnv } from '../../src/config/env.js';
import { silentLogger } from '../../src/log.js';
import {
  FAKE,
  FAKE_NOT_YOUR_NUMBER,
  type FakeCarrierOptions,
  fakeCarrier,
  fakeSignature,
} from './fake-carrier.js';

const PUBLIC_URL = 'http://127.0.0.1:18181';
const NUMBER = '+14155550100';
const CALLER = '+14155559999';
const TOKEN = 'fake-token-0123';
const API_KEY = 'seam-test-key-0123456789';
const FAKE_ENV = { FAKECARRIER_ACCOUNT: 'acct-1', FAKECARRIER_TOKEN: TOKEN };

function registry(factory: CarrierAdapterFactory): readonly CarrierAdapterFactory[] {
  return [...(CARRIER_ADAPTERS as readonly CarrierAdapterFactory[]), factory];
}

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(options: FakeCarrierOptions = {}) {
  const fake = fakeCarrier(options);
  const carriers = registry(fake.factory);
  const env = parseEnv(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_URL,
      PATCHTHROUGH_API_KEYS: JSON.stringify([{ key: API_KEY, scopes: ['calls:read', 'calls:write'] }]),
      ...FAKE_ENV,
    },
    carriers,
  );
  const agents = parseAgentsConfig(
    {
      agents: [
        {
          id: 'seam',
          numbers: [NUMBER],
          carrier: FAKE,
          agent: { url: 'ws://127.0.0.1:9/agent' },
          handoffConfig: { warm: true, callerId: 'caller', transferDestination: '+14155550133' },
        },
      ],
    },
    { defaultRegion: 'US', carriers: carriers.map((f) => f.carrier) },
  );
  app = buildApp({ env, agents, log: silentLogger(), carriers });
  return { app, fake };
}

/** A call to the fake's voice webhook, JSON signed over its bytes as sent. */
async function voice(a: App, body: Buffer, signature = fakeSignature(TOKEN, body)) {
  return a.http.inject({
    method: 'POST',
    url: `/${FAKE}/voice`,
    headers: { 'content-type': 'application/json', 'x-fake-signature': signature },
    payload: body,
  });
}

/** JSON whose bytes any re-serialization would change: spacing, key order, an escaped character. */
function incoming(callId: string): Buffer {
  return Buffer.from(
    `{ "to" : "${NUMBER}",\n  "call_id":"${callId}", "from": "${CALLER}", "note": "caf\\u00e9" }`,
  );
}

async function waitFor<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a carrier registered from outside the registry', () => {
  it('its env schema is what validates its variables, each problem named', () => {
    const { factory } = fakeCarrier();
    const carriers = registry(factory);
    expect(parseEnv(FAKE_ENV, carriers).carriers[FAKE]).toEqual({
      credentials: { accountId: 'acct-1', authToken: TOKEN },
      apiBase: 'https://api.fake.invalid',
    });
    let thrown: unknown;
    try {
      parseEnv({ FAKECARRIER_ACCOUNT: 'acct-1', FAKECARRIER_API_BASE: 'ftp://x' }, carriers);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues.map((i) => i.path).sort()).toEqual([
      'FAKECARRIER_API_BASE',
      'FAKECARRIER_TOKEN',
    ]);
    expect(() => parseEnv({ ...FAKE_ENV, FAKECARRIER_TOKEN: 'short' }, carriers)).toThrow(
      /FAKECARRIER_TOKEN/,
    );
    // Without it in the list, its variables mean nothing: no carrier, no issue.
    expect(parseEnv(FAKE_ENV).carriers[FAKE]).toBeUndefined();
  });

  it('its webhook reaches it, verified over the body bytes exactly as sent', async () => {
    const { app: a, fake } = start();
    const body = incoming('fake-call-1');
    const res = await voice(a, body);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json()).toMatchObject({ do: 'stream', url: `ws://127.0.0.1:18181/${FAKE}/media` });
    expect(fake.log.verifiedBodies.map((b) => b.toString('hex'))).toEqual([body.toString('hex')]);
    const record = await a.engine.get('fake-call-1');
    expect(record).toMatchObject({ carrier: FAKE, agentId: 'seam', phase: 'ai' });

    // The same bytes with one byte changed: refused before anything is read.
    const tampered = Buffer.from(body);
    tampered[tampered.length - 3] = 0x41;
    const refused = await voice(a, tampered, fakeSignature(TOKEN, body));
    expect(refused.statusCode).toBe(403);
    expect(await a.engine.get('fake-call-1-x')).toBeUndefined();
  });

  it('a carrier driven by REST alone gets the answer as a command to the call, the webhook a bare 200', async () => {
    const { app: a, fake } = start({ restControl: true });
    const res = await voice(a, incoming('fake-call-4'));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(fake.log.redirects).toHaveLength(1);
    const pushed = fake.log.redirects[0];
    expect(pushed?.callId).toBe('fake-call-4');
    const next = pushed?.next;
    expect(next !== undefined && 'body' in next ? JSON.parse(next.body) : undefined).toMatchObject({
      do: 'stream',
    });
  });

  it.each([
    { binaryFrames: true, expected: ['text:{"event":"hello"}', 'binary:00ff7f80'] },
    { binaryFrames: false, expected: ['text:{"event":"hello"}'] },
  ])(
    'its media socket hands its codec binary frames when it takes them ($binaryFrames)',
    async ({ binaryFrames, expected }) => {
      const { app: a, fake } = start({ binaryFrames });
      const port = await a.listen();
      const ws = new WebSocket(`ws://127.0.0.1:${port}/${FAKE}/media`);
      await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
      ws.send(Buffer.from([0x00, 0xff, 0x7f, 0x80]), { binary: true });
      ws.send('{"event":"hello"}');
      // A text frame sent after the binary one: once it is decoded, the binary one was handled or dropped.
      await waitFor(
        async () => (fake.log.frames.some((f) => typeof f === 'string') ? true : undefined),
        'the text frame',
      );
      ws.close();
      const seen = fake.log.frames.map((f) =>
        typeof f === 'string' ? `text:${f}` : `binary:${f.toString('hex')}`,
      );
      expect(seen.sort()).toEqual([...expected].sort());
    },
  );

  it("its error classifier decides: a refused caller ID is retried with the call's own number", async () => {
    const { app: a, fake } = start({ ownNumber: NUMBER });
    expect((await voice(a, incoming('fake-call-2'))).statusCode).toBe(200);
    const res = await a.http.inject({
      method: 'POST',
      url: '/v1/calls/fake-call-2/transfer',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      payload: { mode: 'warm' },
    });
    expect(res.statusCode).toBe(202);
    const calls = await waitFor(
      async () => (fake.log.createCalls.length >= 2 ? fake.log.createCalls : undefined),
      'a second createCall',
    );
    expect(calls.map((c) => c.from)).toEqual([CALLER, NUMBER]);
    expect(fake.log.classified).toHaveLength(1);
    const record = await waitFor(async () => {
      const r = await a.engine.get('fake-call-2');
      return r?.timeline.some((t) => t.event === 'caller_id.fallback') ? r : undefined;
    }, 'the caller_id.fallback note');
    expect(record.timeline.find((t) => t.event === 'caller_id.fallback')?.detail).toContain(
      FAKE_NOT_YOUR_NUMBER,
    );
  });

  it('without a classifier the same refusal is an ordinary carrier error: no second attempt', async () => {
    const { app: a, fake } = start({ ownNumber: NUMBER, withoutClassifier: true });
    expect((await voice(a, incoming('fake-call-3'))).statusCode).toBe(200);
    const res = await a.http.inject({
      method: 'POST',
      url: '/v1/calls/fake-call-3/transfer',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      payload: { mode: 'warm' },
    });
    expect(res.statusCode).toBe(202);
    const record = await waitFor(async () => {
      const r = await a.engine.get('fake-call-3');
      return r?.transfers?.[0]?.outcome ? r : undefined;
    }, 'the transfer outcome');
    expect(record.transfers?.[0]?.outcome).toBe('carrier_error');
    expect(fake.log.createCalls.map((c) => c.from)).toEqual([CALLER]);
  });
});
