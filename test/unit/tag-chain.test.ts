import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/media/clock.js';
import { TagChain } from '../../src/runtime/tag-chain.js';

/** Timers run by hand: `advance(ms)` fires what is due, in order. */
function manualTimers() {
  let now = 0;
  let next = 0;
  const due = new Map<number, { atMs: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, delayMs) => {
      next += 1;
      due.set(next, { atMs: now + delayMs, fn });
      return next;
    },
    clearTimeout: (handle) => {
      due.delete(handle as number);
    },
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const first = [...due.entries()]
        .filter(([, t]) => t.atMs <= until)
        .sort((a, b) => a[1].atMs - b[1].atMs)[0];
      if (first === undefined) break;
      due.delete(first[0]);
      now = first[1].atMs;
      first[1].fn();
    }
    now = until;
  };
  return { timers, advance, pending: () => due.size };
}

describe('TagChain: the tags of one turn are one chain', () => {
  it('tags from separate deltas are handed over together, in order, when the turn ends (final)', () => {
    const t = manualTimers();
    const chains: (readonly string[])[] = [];
    const chain = new TagChain({ onChain: (c) => chains.push(c), timers: t.timers });
    chain.text(['+14155550111'], false);
    chain.text([], false);
    chain.text(['+14155550112'], false);
    expect(chains).toEqual([]);
    chain.text([], true);
    expect(chains).toEqual([['+14155550111', '+14155550112']]);
    expect(t.pending()).toBe(0);
  });

  it('without final: closed after the quiet window, which every delta restarts', () => {
    const t = manualTimers();
    const chains: (readonly string[])[] = [];
    const chain = new TagChain({
      onChain: (c) => chains.push(c),
      timers: t.timers,
      quietMs: 100,
      maxMs: 1000,
    });
    chain.text(['a'], false);
    t.advance(90);
    chain.text([], false);
    t.advance(90);
    chain.text(['b'], false);
    t.advance(99);
    expect(chains).toEqual([]);
    t.advance(1);
    expect(chains).toEqual([['a', 'b']]);
  });

  it('text that never pauses: closed at the latest maxMs after the first tag', () => {
    const t = manualTimers();
    const chains: (readonly string[])[] = [];
    const chain = new TagChain({
      onChain: (c) => chains.push(c),
      timers: t.timers,
      quietMs: 100,
      maxMs: 300,
    });
    chain.text(['a'], false);
    for (let i = 0; i < 5; i++) {
      t.advance(50);
      chain.text([], false);
    }
    t.advance(50);
    expect(chains).toEqual([['a']]);
  });

  it('a turn without tags hands over nothing; stop() drops what is pending', () => {
    const t = manualTimers();
    const chains: (readonly string[])[] = [];
    const chain = new TagChain({ onChain: (c) => chains.push(c), timers: t.timers });
    chain.text([], true);
    chain.text(['a'], false);
    chain.stop();
    t.advance(10_000);
    expect(chains).toEqual([]);
    expect(chain.pending).toBe(0);
  });
});
