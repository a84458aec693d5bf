import type { Time } from '../../src/lib/time.js';
import { type TimerEntry, TimerHeap } from '../../src/lib/timer-heap.js';

/** A {@link Time} moved by hand: `advance(ms)` fires what falls due, in order, moving the clock to each. */
export interface ManualTime extends Time {
  advance(ms: number): void;
  /** Timers still pending. */
  pending(): number;
}

export function manualTime(startMs = 1_000): ManualTime {
  let now = startMs;
  let seq = 0;
  const heap = new TimerHeap();
  const live = (): TimerEntry | undefined => heap.peek();
  return {
    nowMs: () => now,
    epochMs: () => now,
    setTimeout: (fn, delayMs) => {
      const entry: TimerEntry = { dueMs: now + Math.max(0, delayMs), seq: seq++, fn, cancelled: false };
      heap.push(entry);
      return entry;
    },
    clearTimeout: (handle) => {
      if (handle !== undefined) (handle as TimerEntry).cancelled = true;
    },
    advance: (ms) => {
      const until = now + ms;
      for (let next = live(); next !== undefined && next.dueMs <= until; next = live()) {
        heap.pop();
        now = next.dueMs;
        next.fn();
      }
      now = until;
    },
    pending: () => {
      let n = 0;
      const held: TimerEntry[] = [];
      for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
        held.push(e);
        if (!e.cancelled) n++;
      }
      for (const e of held) heap.push(e);
      return n;
    },
  };
}
