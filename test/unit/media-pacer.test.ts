import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/media/clock.js';
import { Pacer, type PacerSink } from '../../src/media/pacer.js';

type Item =
  | { readonly kind: 'audio'; readonly bytes: number; readonly id: number }
  | { readonly kind: 'mark'; readonly id: number };

/** Timers run only when the test says so. */
class ManualTimers implements Timers {
  readonly due: (() => void)[] = [];
  setTimeout(fn: () => void): unknown {
    this.due.push(fn);
    return fn;
  }
  clearTimeout(handle: unknown): void {
    const i = this.due.indexOf(handle as () => void);
    if (i >= 0) this.due.splice(i, 1);
  }
  runAll(): void {
    for (const fn of this.due.splice(0)) fn();
  }
}

/** A sink whose send buffer the test controls: `stalled` reports a full buffer. */
class FakeSink implements PacerSink<Item> {
  readonly sent: Item[] = [];
  stalled = false;
  send(item: Item): void {
    this.sent.push(item);
  }
  bufferedBytes(): number {
    return this.stalled ? 1_000_000 : 0;
  }
}

const sizeOf = (item: Item): number => (item.kind === 'audio' ? item.bytes : 0);

function setup(maxQueuedBytes = 1600, maxQueuedItems?: number) {
  const sink = new FakeSink();
  const timers = new ManualTimers();
  const dropped: Item[] = [];
  const pacer = new Pacer<Item>(sink, {
    sizeOf,
    maxQueuedBytes,
    ...(maxQueuedItems === undefined ? {} : { maxQueuedItems }),
    highWaterBytes: 1000,
    timers,
    onDrop: (item) => dropped.push(item),
  });
  return { sink, timers, dropped, pacer };
}

const audio = (id: number, bytes = 160): Item => ({ kind: 'audio', bytes, id });

describe('Pacer', () => {
  it('passes items straight through while the sink keeps up, with no queue and no timer', () => {
    const { sink, timers, pacer } = setup();
    for (let i = 0; i < 100; i++) pacer.push(audio(i));
    expect(sink.sent.map((item) => item.id)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(pacer.queuedItems).toBe(0);
    expect(timers.due).toHaveLength(0);
  });

  it('is open only while an item pushed now would go straight to the sink', () => {
    const { sink, timers, pacer } = setup();
    expect(pacer.open).toBe(true);
    sink.stalled = true;
    expect(pacer.open).toBe(false);
    pacer.push(audio(1));
    sink.stalled = false;
    // Something waits in the queue: a new item must go behind it, not around it.
    expect(pacer.queuedItems).toBe(1);
    expect(pacer.open).toBe(false);
    timers.runAll();
    expect(sink.sent.map((item) => item.id)).toEqual([1]);
    expect(pacer.open).toBe(true);
    pacer.close();
    expect(pacer.open).toBe(false);
  });

  it('queues while the sink is busy and sends in order once it drains', () => {
    const { sink, timers, pacer } = setup();
    sink.stalled = true;
    pacer.push(audio(1));
    pacer.push({ kind: 'mark', id: 2 });
    pacer.push(audio(3));
    expect(sink.sent).toHaveLength(0);
    expect(pacer.queuedBytes).toBe(320);
    expect(timers.due).toHaveLength(1);
    sink.stalled = false;
    timers.runAll();
    expect(sink.sent.map((item) => item.id)).toEqual([1, 2, 3]);
    expect(pacer.queuedItems).toBe(0);
    expect(timers.due).toHaveLength(0);
  });

  it('keeps order when new items arrive while older ones still wait', () => {
    const { sink, pacer } = setup();
    sink.stalled = true;
    pacer.push(audio(1));
    sink.stalled = false;
    pacer.push(audio(2));
    expect(sink.sent.map((item) => item.id)).toEqual([1, 2]);
  });

  it('under a stalled sink, holds at most the cap and drops the oldest audio, never marks', () => {
    const { sink, dropped, pacer } = setup(1600);
    sink.stalled = true;
    pacer.push({ kind: 'mark', id: 0 });
    for (let i = 1; i <= 10_000; i++) pacer.push(audio(i));
    expect(pacer.queuedBytes).toBeLessThanOrEqual(1600);
    expect(pacer.queuedBytes).toBe(1600);
    expect(dropped).toHaveLength(10_000 - 10);
    expect(dropped.every((item) => item.kind === 'audio')).toBe(true);
    expect(dropped.slice(0, 3).map((item) => item.id)).toEqual([1, 2, 3]);
    sink.stalled = false;
    pacer.pump();
    // The mark survives; the newest 10 frames (2 s here = 1 600 bytes) are what is left.
    expect(sink.sent.map((item) => item.id)).toEqual([0, ...Array.from({ length: 10 }, (_, i) => 9991 + i)]);
  });

  it('bounds a flood of items without audio by count, dropping the oldest', () => {
    const { sink, dropped, pacer } = setup(1600, 50);
    sink.stalled = true;
    for (let i = 0; i < 200; i++) pacer.push({ kind: 'mark', id: i });
    expect(pacer.queuedItems).toBe(50);
    expect(dropped.map((item) => item.id)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it('clear empties the queue and returns the items without audio, oldest first', () => {
    const { sink, timers, pacer } = setup();
    sink.stalled = true;
    pacer.push(audio(1));
    pacer.push({ kind: 'mark', id: 2 });
    pacer.push(audio(3));
    pacer.push({ kind: 'mark', id: 4 });
    expect(pacer.clear().map((item) => item.id)).toEqual([2, 4]);
    expect(pacer.queuedBytes).toBe(0);
    expect(timers.due).toHaveLength(0);
    sink.stalled = false;
    pacer.pump();
    expect(sink.sent).toHaveLength(0);
  });

  it('after close, pushes are ignored', () => {
    const { sink, pacer } = setup();
    pacer.close();
    pacer.push(audio(1));
    expect(sink.sent).toHaveLength(0);
  });
});
