import { expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import type { Step, Store, StoreOptions } from '../../src/store/types.js';

/** The record the contract uses: a non-commutative log, so order and duplicates show. */
export interface TestRecord {
  readonly events: readonly string[];
  readonly count: number;
}

export class FakeClock {
  #t: number;
  constructor(startMs = 1_700_000_000_000) {
    this.#t = startMs;
  }
  readonly now = (): number => this.#t;
  advance(ms: number): void {
    this.#t += ms;
  }
}

export interface Harness {
  readonly store: Store<TestRecord>;
  /** Another handle on the same shared state, as a second worker would have (memory: the same store). */
  readonly peer: Store<TestRecord>;
  readonly clock: FakeClock;
  /** Lets `ms` pass for the store's clock and its TTLs (Redis: also really waits). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

export type HarnessFactory = (options?: StoreOptions) => Promise<Harness>;

export const append =
  (id: string): Step<TestRecord, string> =>
  (record) => ({ record: { events: [...record.events, id], count: record.count + 1 }, value: id });

export const fresh = (): TestRecord => ({ events: [], count: 0 });

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DaemonError);
  expect((err as DaemonError).code).toBe(code);
}

/** `it`, with a fresh harness per test (built with `options`) that is always closed. */
export function harnessTest(make: HarnessFactory) {
  return (title: string, fn: (h: Harness) => Promise<void>, options?: StoreOptions) =>
    it(title, async () => {
      const h = await make(options);
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    });
}
