/** One pending timer of a virtual clock. */
export interface TimerEntry {
  readonly dueMs: number;
  /** Order of setting: equal deadlines fire in it. */
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

const earlier = (a: TimerEntry, b: TimerEntry): boolean =>
  a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);

/** A binary min-heap of timers by deadline, then order of setting; cancelled ones are dropped lazily. */
export class TimerHeap {
  #heap: TimerEntry[] = [];

  /** Entries held, cancelled ones included. */
  get size(): number {
    return this.#heap.length;
  }

  /** The earliest live entry, without removing it. */
  peek(): TimerEntry | undefined {
    while (this.#heap.length > 0 && this.#heap[0]?.cancelled === true) this.pop();
    return this.#heap[0];
  }

  push(entry: TimerEntry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as TimerEntry;
      if (!earlier(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  /** Removes and returns the earliest entry, cancelled or not. */
  pop(): TimerEntry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && earlier(heap[r] as TimerEntry, heap[l] as TimerEntry) ? r : l;
      if (!earlier(heap[child] as TimerEntry, last)) break;
      heap[i] = heap[child] as TimerEntry;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Drops the cancelled entries. */
  compact(): void {
    const live = this.#heap.filter((e) => !e.cancelled);
    this.#heap = [];
    for (const e of live) this.push(e);
  }

  /** Cancels and drops every entry. */
  clear(): void {
    for (const e of this.#heap) e.cancelled = true;
    this.#heap = [];
  }
}
