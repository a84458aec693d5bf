import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { AudioSpec } from '../../sim/audio.js';
import type { SimCall } from '../../sim/endpoints/caller.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { type EchoBot, type EchoBotOptions, startEchoBot } from '../support/echo-bot.js';
import { CALLER, flushRedis, type Harness, type HarnessOptions, INBOUND, startHarness } from './harness.js';

/**
 * The lifecycle every end-to-end file shares (STYLE.md 12d): a private real Redis for the file,
 * one harness per test on one carrier, stopped after the test with any echo bot it started, and
 * Redis emptied so nothing leaks into the next test. Each file stays runnable alone.
 *
 * With `{ virtualTime: true }` each test's harness runs instead on its own `VirtualTime`
 * (src/lib/virtual-time.ts) and the memory store (Redis expires keys on its own clock): rings,
 * holds, whispers and timeouts cost no wall time. Waits must then go through `until` and
 * `waitForRecord` (harness.ts) or the simulator's `waitFor`, which follow the harness's time.
 */

export type E2eCarrier = NonNullable<HarnessOptions['carrier']>;

export interface E2eOptions {
  /** Each test on its own virtual time and the memory store, instead of real time and Redis. */
  readonly virtualTime?: boolean;
}

export interface E2e {
  readonly carrier: E2eCarrier;
  /** The file's private Redis (set once `beforeAll` has run). */
  readonly redisUrl: string;
  /** This test's harness, once {@link E2e.run} has started it. */
  readonly harness: Harness | undefined;
  /**
   * Starts this test's harness on the carrier and the private Redis (or, on virtual time, the
   * memory store, with time moving once the harness is up); stopped after the test.
   */
  run(options: HarnessOptions): Promise<Harness>;
  /**
   * The caller dials the inbound number on the carrier. `audio` is what the caller says: by
   * default a 440 Hz tone; `{}` places a call in which the caller says nothing.
   */
  placeCall(
    harness: Harness,
    options?: { readonly audio?: AudioSpec; readonly hangupAfterMs?: number },
  ): Promise<SimCall>;
  /**
   * An echo bot (speaking only Twilio Media Streams) for this test, on the test's time (its
   * accept delay included); closed after it.
   */
  echoBot(options?: EchoBotOptions): Promise<EchoBot>;
}

const TONE_440: AudioSpec = { type: 'tone', hz: 440 };

/** Registers the hooks of an end-to-end file (or `describe` block) on `carrier`. */
export function useE2e(carrier: E2eCarrier, options: E2eOptions = {}): E2e {
  const virtualTime = options.virtualTime === true;
  let redis: RedisServer | undefined;
  let harness: Harness | undefined;
  let time: VirtualTime | undefined;
  const bots: EchoBot[] = [];

  beforeAll(async () => {
    if (!virtualTime) redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    time?.stop();
    time = undefined;
    for (const bot of bots.splice(0)) await bot.close();
    if (redis !== undefined) await flushRedis(redis.url);
  });

  /** This test's virtual time, made by the first of `run` and `echoBot` that needs it. */
  const testTime = (): VirtualTime => {
    time ??= new VirtualTime();
    return time;
  };

  const redisUrl = (): string => {
    if (redis === undefined) throw new Error('useE2e: Redis is not started yet (use it inside a test)');
    return redis.url;
  };

  return {
    carrier,
    get redisUrl() {
      return redisUrl();
    },
    get harness() {
      return harness;
    },
    async run(options) {
      if (!virtualTime) {
        harness = await startHarness({ ...options, carrier, redisUrl: redisUrl() });
        return harness;
      }
      const own = testTime();
      harness = await startHarness({ ...options, carrier, time: own, memoryStore: true });
      // Every run of a test begins at the same virtual instant: time moves once all is up.
      own.start();
      return harness;
    },
    placeCall(h, options = { audio: TONE_440 }) {
      return h.sim.network.placeCall({ carrier, from: CALLER, to: INBOUND, ...options });
    },
    async echoBot(options) {
      const bot = await startEchoBot(virtualTime ? { ...options, time: testTime() } : options);
      bots.push(bot);
      return bot;
    },
  };
}

/** A human who answers after 300 ms and speaks a 660 Hz tone for 300 ms. */
export const ANSWERS = {
  type: 'answer',
  afterMs: 300,
  speak: { type: 'tone', hz: 660, durationMs: 300 },
} as const;

/** Changes the demo agent's `handoffConfig` (e.g. `{ ringTimeoutSec: 5 }`). */
export const handoff =
  (changes: Record<string, unknown>) =>
  (agent: Record<string, unknown>): Record<string, unknown> => ({
    ...agent,
    handoffConfig: { ...(agent['handoffConfig'] as object), ...changes },
  });

/** A warm transfer with `whisper` (`null`: the agent's summary), plus any other handoff changes. */
export const warm = (whisper: string | null, changes: Record<string, unknown> = {}) =>
  handoff({ warm: true, whisper, ...changes });

/** The events of the current transfer's timeline, in order. */
export function transferEvents(record: {
  transfer: { timeline: readonly { event: string }[] } | null;
}): string[] {
  return record.transfer?.timeline.map((t) => t.event) ?? [];
}

/** What the caller heard from the stream is, byte for byte, a stretch of what it sent (an echo). */
export function expectEchoedExactly(call: SimCall, sent: Uint8Array): void {
  const heard = call.heard.audio('stream:');
  const at = Buffer.from(sent).indexOf(heard.subarray(0, 320));
  expect(at).toBeGreaterThanOrEqual(0);
  expect(Buffer.compare(heard, Buffer.from(sent.subarray(at, at + heard.length)))).toBe(0);
}

/** Deterministic noise: no two 160-byte windows alike, so an echo can be located exactly. */
export function noise(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = 0x2545f491;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
