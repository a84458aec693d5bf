import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { AgentDirectory, PublishedAgent } from '../../src/runtime/agent-directory.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { CallEffect } from '../../src/runtime/call-reducer.js';
import { CallEngine } from '../../src/runtime/engine.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { AGENT, CALLER, NOW, OUR_NUMBER } from './shell-fakes.js';

/**
 * The engine steps a call on the store's last known copy of it and takes the call's published
 * agent configuration from a per-process cache. A worker new to an agent (just started, or a
 * version just published) meets many calls at once with that cache empty: whatever the order in
 * which their steps find the configuration missing and then present, every applied event runs
 * its effects, exactly once. On a real Redis, where the store's copy makes a step run twice.
 */

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Agent look-ups held until released, so a test orders them against the calls' own steps. */
class HeldAgents implements AgentDirectory {
  readonly #waiting: (() => void)[] = [];
  #released = false;
  looked = 0;

  async byNumber(): Promise<PublishedAgent | undefined> {
    return { agent: AGENT, version: 1 };
  }

  async get(): Promise<PublishedAgent | undefined> {
    this.looked += 1;
    if (!this.#released) await new Promise<void>((release) => this.#waiting.push(release));
    return { agent: AGENT, version: 1 };
  }

  release(): void {
    this.#released = true;
    for (const release of this.#waiting.splice(0)) release();
  }
}

describe('engine: a cold agent cache never costs an applied event its effects', () => {
  it('runs the effects of an event whose second step found the configuration another dispatch loaded', async () => {
    const store = new RedisStore<CallRecord>({ redisUrl: server.url, keyPrefix: 'agent-cache:' });
    const agents = new HeldAgents();
    const ran: { callId: string; effects: readonly CallEffect[] }[] = [];
    const engine = new CallEngine({
      store,
      agents,
      runner: { run: async (record, effects) => void ran.push({ callId: record.callId, effects }) },
      log: silentLogger(),
      now: () => NOW,
      defaultRegion: 'US',
      flagTtlMs: 300_000,
      retentionMs: 60_000,
    });
    try {
      const call = (callId: string) => ({
        callId,
        carrier: 'twilio' as const,
        agentId: AGENT.id,
        agentVersion: 1,
        direction: 'inbound' as const,
        from: CALLER,
        to: OUR_NUMBER,
      });
      await engine.createCall(call('CA-first'));
      await engine.createCall(call('CA-second'));
      // The first call's event finds no configuration and waits for its look-up.
      const first = engine.dispatch('CA-first', { type: 'call.ended' }, 'first:completed');
      await waitUntil(() => agents.looked === 1);
      // The second steps on its known copy (no configuration; the store confirms that copy, a
      // Redis round trip) while the look-up completes in between.
      const second = engine.dispatch('CA-second', { type: 'call.ended' }, 'second:completed');
      agents.release();
      const outcomes = await Promise.all([first, second]);
      expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
      // The second found the configuration the first loaded: no second look-up.
      expect(agents.looked).toBe(1);
      for (const callId of ['CA-first', 'CA-second']) {
        const runs = ran.filter((r) => r.callId === callId);
        expect(runs, callId).toHaveLength(1);
        expect(runs[0]?.effects.map((e) => e.type)).toContain('call.finished');
      }
    } finally {
      await store.close();
    }
  });
});

async function waitUntil(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(predicate()).toBe(true);
}
