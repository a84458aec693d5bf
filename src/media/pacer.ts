import type { Timers } from './clock.js';

/** Where a {@link Pacer} delivers: a socket, seen through its send buffer. */
export interface PacerSink<T> {
  send(item: T): void;
  /** Bytes accepted but not yet written out (`ws.bufferedAmount`). */
  bufferedBytes(): number;
}

export interface PacerOptions<T> {
  /** Audio bytes in an item; 0 for items that carry no audio (marks, DTMF). */
  readonly sizeOf: (item: T) => number;
  /**
   * Cap on audio queued here, in bytes (e.g. 2 s of the sink's format). Past it the oldest
   * audio is dropped. Items without audio are never dropped for this cap.
   */
  readonly maxQueuedBytes: number;
  /** Cap on items queued here (bounds a flood of marks). Past it the oldest item is dropped. Default 4 096. */
  readonly maxQueuedItems?: number;
  /** While the sink holds more than this many bytes unsent, items wait here. Default 64 KiB. */
  readonly highWaterBytes?: number;
  /** How soon to look at a busy sink again, in ms. Default 10. */
  readonly retryMs?: number;
  readonly timers: Timers;
  /** Called for every item dropped by a cap (metrics; answering dropped marks). */
  readonly onDrop?: (item: T) => void;
}

const DEFAULT_HIGH_WATER_BYTES = 64 * 1024;
const DEFAULT_MAX_ITEMS = 4096;
const DEFAULT_RETRY_MS = 10;

/**
 * A bounded send queue in front of a socket. While the socket keeps up, items go straight
 * through (no queueing, no allocation); while it is slow, items wait here up to a cap, and past
 * the cap the oldest audio is dropped, so a stalled peer costs bounded memory: the sink's
 * high-water mark plus `maxQueuedBytes`.
 */
export class Pacer<T> {
  readonly #sink: PacerSink<T>;
  readonly #sizeOf: (item: T) => number;
  readonly #maxBytes: number;
  readonly #maxItems: number;
  readonly #highWater: number;
  readonly #retryMs: number;
  readonly #timers: Timers;
  readonly #onDrop: ((item: T) => void) | undefined;
  /** Queue with a moving head; sent and dropped slots become `undefined` until compacted. */
  #queue: (T | undefined)[] = [];
  #head = 0;
  #items = 0;
  #bytes = 0;
  #timer: unknown;
  #closed = false;

  constructor(sink: PacerSink<T>, options: PacerOptions<T>) {
    this.#sink = sink;
    this.#sizeOf = options.sizeOf;
    this.#maxBytes = options.maxQueuedBytes;
    this.#maxItems = options.maxQueuedItems ?? DEFAULT_MAX_ITEMS;
    this.#highWater = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.#retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
    this.#timers = options.timers;
    this.#onDrop = options.onDrop;
  }

  /** Audio bytes waiting here (not counting the sink's own buffer). */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Items waiting here. */
  get queuedItems(): number {
    return this.#items;
  }

  /**
   * True when an item pushed now would go straight to the sink (nothing waits here, the sink is
   * below its high-water mark): the caller may then hand the item to the sink itself, without
   * making the item — what {@link push} would do with it.
   */
  get open(): boolean {
    return !this.#closed && this.#items === 0 && this.#sink.bufferedBytes() < this.#highWater;
  }

  /**
   * True when nothing waits here: an item may go to the sink directly if the sink itself is
   * below {@link highWaterBytes} — which the sink can tell cheaper than a call back here (the
   * straight path of the media bridge: a socket's own buffer read where it is written).
   */
  get idle(): boolean {
    return !this.#closed && this.#items === 0;
  }

  /** Above this many bytes unsent in the sink, items wait here. */
  get highWaterBytes(): number {
    return this.#highWater;
  }

  push(item: T): void {
    if (this.#closed) return;
    if (this.#items === 0 && this.#sink.bufferedBytes() < this.#highWater) {
      this.#sink.send(item);
      return;
    }
    this.#queue.push(item);
    this.#items += 1;
    this.#bytes += this.#sizeOf(item);
    this.#enforceCaps();
    this.pump();
  }

  /** Sends what the sink can take now; looks again later if items remain. */
  pump(): void {
    while (this.#items > 0 && this.#sink.bufferedBytes() < this.#highWater) {
      const item = this.#take();
      if (item !== undefined) this.#sink.send(item);
    }
    if (this.#items > 0) this.#arm();
    else this.#disarm();
  }

  /** Empties the queue without sending; returns the items that carried no audio, oldest first. */
  clear(): T[] {
    const kept: T[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const item = this.#queue[i];
      if (item !== undefined && this.#sizeOf(item) === 0) kept.push(item);
    }
    this.#queue = [];
    this.#head = 0;
    this.#items = 0;
    this.#bytes = 0;
    this.#disarm();
    return kept;
  }

  /** Stops for good: queued items are returned as by {@link clear}, later pushes are ignored. */
  close(): T[] {
    this.#closed = true;
    return this.clear();
  }

  #enforceCaps(): void {
    let scan = this.#head;
    while (this.#bytes > this.#maxBytes && scan < this.#queue.length) {
      const item = this.#queue[scan];
      if (item !== undefined && this.#sizeOf(item) > 0) this.#dropAt(scan, item);
      scan += 1;
    }
    while (this.#items > this.#maxItems) {
      const item = this.#take();
      if (item !== undefined) this.#onDrop?.(item);
    }
    this.#compact();
  }

  #dropAt(index: number, item: T): void {
    this.#queue[index] = undefined;
    this.#items -= 1;
    this.#bytes -= this.#sizeOf(item);
    this.#onDrop?.(item);
  }

  /** Removes and returns the oldest live item. */
  #take(): T | undefined {
    while (this.#head < this.#queue.length) {
      const item = this.#queue[this.#head];
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      if (item !== undefined) {
        this.#items -= 1;
        this.#bytes -= this.#sizeOf(item);
        this.#compact();
        return item;
      }
    }
    this.#compact();
    return undefined;
  }

  #compact(): void {
    if (this.#items === 0) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 || this.#queue.length - this.#head > 2 * this.#items + 64) {
      // Sent and dropped slots are holes; rebuilding keeps the array proportional to live items.
      this.#queue = this.#queue.slice(this.#head).filter((item) => item !== undefined);
      this.#head = 0;
    }
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.pump();
    }, this.#retryMs);
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
