/**
 * The latest saved state of each live call this process created, read or saved, so the next
 * event of the call is stepped without a load (one round trip instead of two). Held as the
 * stored JSON, so a step sees exactly what a load would have returned (a fresh object each
 * time, `undefined` fields gone). Never trusted: the commit checks the version, the dedupe key
 * and a fired timer's generation as always, and a refused commit hands back the call's current
 * state (lua.ts COMMIT). Bounded: least recently used entries go first, and an entry unused for
 * `idleMs` is dropped, far inside a live call hash's lifetime (`activeTtlMs`), so an id is never
 * taken for a later call of the same id.
 */
export class RecordCache {
  readonly #entries = new Map<string, { version: number; json: string; usedAtMs: number }>();
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #idleMs: number;

  constructor(now: () => number, maxEntries = 10_000, idleMs = 10 * 60_000) {
    this.#now = now;
    this.#maxEntries = maxEntries;
    this.#idleMs = idleMs;
  }

  get(callId: string): { readonly version: number; readonly json: string } | undefined {
    const entry = this.#entries.get(callId);
    if (entry === undefined) return undefined;
    this.#entries.delete(callId);
    const now = this.#now();
    if (now - entry.usedAtMs >= this.#idleMs) return undefined;
    entry.usedAtMs = now;
    this.#entries.set(callId, entry);
    return entry;
  }

  /**
   * `onlyNewer`: for reads that run outside the call's queue (`calls.get`), whose reply may be
   * handled after a later commit's: an older version never replaces a newer one.
   */
  set(callId: string, version: number, json: string, onlyNewer = false): void {
    const existing = this.#entries.get(callId);
    if (onlyNewer && existing !== undefined && existing.version > version) return;
    this.#entries.delete(callId);
    this.#entries.set(callId, { version, json, usedAtMs: this.#now() });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(callId: string): void {
    this.#entries.delete(callId);
  }

  get size(): number {
    return this.#entries.size;
  }
}
