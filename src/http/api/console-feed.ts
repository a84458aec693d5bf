import type { Timers } from '../../lib/time.js';
import type { CallRecord } from '../../runtime/call-record.js';
import type { StoredCall } from '../../store/types.js';
import { consoleRow } from './console-view.js';

/** What the feed reads: the store's calls (every worker's, when the store is Redis). */
export interface FeedSource {
  listActive(options: { readonly limit: number }): Promise<readonly StoredCall<CallRecord>[]>;
  get(callId: string): Promise<StoredCall<CallRecord> | null>;
}

/** What a console stream receives: every live call at once, then each call that changed. */
export type FeedEvent =
  | { readonly type: 'snapshot'; readonly calls: readonly Record<string, unknown>[] }
  | { readonly type: 'call'; readonly call: Record<string, unknown> };

export type FeedListener = (event: FeedEvent) => void;

export interface LiveFeedOptions {
  readonly source: FeedSource;
  readonly timers: Timers;
  /** Pause between two reads of the store while someone listens, ms. Default 500. */
  readonly intervalMs?: number;
  /** Live calls read per poll, at most. Default 500. */
  readonly limit?: number;
  readonly onError?: (err: unknown) => void;
}

/**
 * The console's live view of calls on every worker. It reads the store only while at least one
 * console stream is open: one read per interval shared by every listener, whatever their number,
 * and nothing at all (no timer, no read, no hook in the call path) when nobody listens. A change
 * is a new record version; a call that leaves the live list is read once more for its end.
 */
export class LiveFeed {
  readonly #o: Required<Omit<LiveFeedOptions, 'onError'>> & Pick<LiveFeedOptions, 'onError'>;
  readonly #listeners = new Set<FeedListener>();
  /** Last version sent, by call id, of the calls live at the last poll. */
  #versions = new Map<string, number>();
  #rows = new Map<string, Record<string, unknown>>();
  #timer: unknown = null;
  #polling = false;
  #primed = false;

  constructor(options: LiveFeedOptions) {
    this.#o = { intervalMs: 500, limit: 500, ...options };
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Adds a listener (it gets a snapshot first); returns its removal. */
  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    if (this.#primed) listener({ type: 'snapshot', calls: [...this.#rows.values()] });
    if (this.#listeners.size === 1) this.#schedule(0);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  #stop(): void {
    if (this.#timer !== null) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = null;
    // Nobody watches: forget, so the next first listener starts from a fresh snapshot.
    this.#versions = new Map();
    this.#rows = new Map();
    this.#primed = false;
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== null || this.#listeners.size === 0) return;
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = null;
      this.#poll().then(
        () => this.#schedule(this.#o.intervalMs),
        (err: unknown) => {
          this.#o.onError?.(err);
          this.#schedule(this.#o.intervalMs);
        },
      );
    }, delayMs);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#listeners.size === 0) return;
    this.#polling = true;
    try {
      const live = await this.#o.source.listActive({ limit: this.#o.limit });
      if (this.#listeners.size === 0) return;
      const seen = new Set<string>();
      const changed: Record<string, unknown>[] = [];
      for (const s of live) {
        seen.add(s.callId);
        if (this.#versions.get(s.callId) === s.version) continue;
        const row = consoleRow(s.record, s.version);
        this.#versions.set(s.callId, s.version);
        this.#rows.set(s.callId, row);
        changed.push(row);
      }
      for (const callId of [...this.#versions.keys()]) {
        if (seen.has(callId)) continue;
        this.#versions.delete(callId);
        this.#rows.delete(callId);
        const last = await this.#o.source.get(callId);
        if (last !== null) changed.push(consoleRow(last.record, last.version));
      }
      if (!this.#primed) {
        this.#primed = true;
        this.#emit({ type: 'snapshot', calls: [...this.#rows.values()] });
        return;
      }
      for (const call of changed) this.#emit({ type: 'call', call });
    } finally {
      this.#polling = false;
    }
  }

  #emit(event: FeedEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#o.onError?.(err);
      }
    }
  }
}
