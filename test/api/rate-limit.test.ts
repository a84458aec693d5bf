import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentRepository } from '../../src/agent-repository/index.js';
import type { AgentRepository } from '../../src/agent-repository/types.js';
import type { CallsPort } from '../../src/http/api/calls-port.js';
import { registerApi } from '../../src/http/api/plugin.js';
import { RateLimiter } from '../../src/http/api/rate-limit.js';
import { agentsConfig } from './fixtures.js';

describe('RateLimiter (token bucket)', () => {
  it('allows a burst, then one request per refill interval', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ capacity: 3, refillPerSec: 1 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].every((d) => d.ok)).toBe(true);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(limiter.take('b').ok).toBe(true);
    now += 500;
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 500 });
    now += 500;
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    now += 60_000; // refills up to the burst size, no further
    expect([1, 2, 3, 4].map(() => limiter.take('a').ok)).toEqual([true, true, true, false]);
  });
});

/** A CallsPort that knows no call and places no outbound call. */
const noCalls: CallsPort = {
  get: async () => undefined,
  listEnded: async () => [],
  listActive: async () => [],
  requestTransfer: async () => ({ status: 'not_found' }),
  cancelTransfer: async () => ({ status: 'not_found' }),
  startOutbound: async () => ({ status: 'not_implemented', detail: 'outbound calls are not available here' }),
};

describe('per-key rate limit on the API', () => {
  let app: FastifyInstance;
  let agents: AgentRepository;
  let now = 5_000_000;
  const A = 'rate-limit-key-a-0123456789';
  const B = 'rate-limit-key-b-0123456789';

  beforeEach(async () => {
    agents = createAgentRepository({ defaultRegion: 'US' });
    await agents.seed(agentsConfig());
    app = Fastify();
    registerApi(app, {
      agents,
      calls: noCalls,
      keys: [
        { key: A, scopes: ['agents:read', 'calls:write'] },
        { key: B, scopes: ['agents:read'] },
      ],
      defaultRegion: 'US',
      rateLimit: { capacity: 2, refillPerSec: 0.5 },
      now: () => now,
    });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await agents.close();
  });

  const get = (key?: string) =>
    app.inject({
      method: 'GET',
      url: '/v1/agents/front-desk',
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    });

  it('answers 429 with retry-after once a key used its bucket, per key', async () => {
    expect((await get(A)).statusCode).toBe(200);
    expect((await get(A)).statusCode).toBe(200);
    const limited = await get(A);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    expect(limited.json().error.code).toBe('rate_limited');
    // Another key has its own bucket; requests without a key are refused before counting.
    expect((await get(B)).statusCode).toBe(200);
    expect((await get()).statusCode).toBe(401);
    now += 2_000;
    expect((await get(A)).statusCode).toBe(200);
    expect((await get(A)).statusCode).toBe(429);
  });

  it('answers 501 not_implemented when the runtime places no outbound calls', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { authorization: `Bearer ${A}` },
      payload: { agentId: 'front-desk', to: '+14155550111' },
    });
    expect(res.statusCode).toBe(501);
    expect(res.json().error.code).toBe('not_implemented');
  });
});
