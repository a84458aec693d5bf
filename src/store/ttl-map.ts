/**
 * A Map whose entries expire, for the memory store. Reads check expiry lazily; `sweep` drops
 * what nobody reads any more, so nothing grows without bound.
 */
export class TtlMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAtMs: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** `ttlMs` = Infinity keeps the entry until deleted. */
  set(key: string, value: V, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAtMs: this.#now() + ttlMs });
  }

  /** Sets only when absent (or expired); true when set. */
  setIfAbsent(key: string, value: V, ttlMs: number): boolean {
    if (this.has(key)) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  /** New lifetime for a live entry; false when there is none. */
  expire(key: string, ttlMs: number): boolean {
    const value = this.get(key);
    if (value === undefined) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  /** Remaining lifetime in ms, or undefined when absent. */
  ttlMs(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const entry = this.#entries.get(key);
    return entry === undefined ? undefined : entry.expiresAtMs - this.#now();
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  *entries(): IterableIterator<[string, V]> {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs > now) yield [key, entry.value];
    }
  }

  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs <= now) {
        this.#entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  get size(): number {
    return this.#entries.size;
  }
}
