import { describe, expect, it } from 'vitest';
import {
  type JudgedStep,
  judgeStep,
  largestSteps,
  medianOfAdjacentPairs,
  type StepFigures,
} from '../../bench/media/ladder-rules.js';

/**
 * The media ladder's verdicts (bench/media/ladder-rules.ts): the ratio from alternating windows,
 * what counts as a server's failure and what only as a full load generator, and which steps the
 * "largest step" comparison may use.
 */

const r = (usPerFrame: number) => ({ server: 'relay' as const, usPerFrame });
const d = (usPerFrame: number) => ({ server: 'daemon' as const, usPerFrame });

describe('medianOfAdjacentPairs', () => {
  it('takes relay ÷ daemon over every adjacent pair, in both orders, and their median', () => {
    // r d r d r d: five pairs — r1/d1, r2/d1, r2/d2, r3/d2, r3/d3.
    const result = medianOfAdjacentPairs([r(20), d(25), r(30), d(40), r(24), d(30)]);
    expect(result.pairs).toEqual([0.8, 1.2, 0.75, 0.6, 0.8]);
    expect(result.ratio).toBe(0.8);
  });

  it('keeps a drift of the machine that slows both servers alike to its size over one window', () => {
    // The relay costs 0.8 of the daemon throughout, while the machine's cost per frame climbs by
    // 3 % a window (a third over a dozen windows). The relay's three windows measured before the
    // daemon's three would give 0.8 × (1.03^3)^-1 ≈ 0.73; adjacent pairs stay within a window's drift.
    const drift = (i: number) => 1.03 ** i;
    const windows = [0, 1, 2, 3, 4, 5].map((i) => (i % 2 === 0 ? r(20 * drift(i)) : d(25 * drift(i))));
    const { ratio, pairs } = medianOfAdjacentPairs(windows);
    expect(Math.min(...pairs)).toBeGreaterThanOrEqual(0.776);
    expect(Math.max(...pairs)).toBeLessThanOrEqual(0.825);
    expect(ratio).not.toBeNull();
    expect(Math.abs((ratio ?? 0) - 0.8)).toBeLessThanOrEqual(0.025);
  });

  it('drops the pair one burst spoiled', () => {
    const result = medianOfAdjacentPairs([r(20), d(25), r(20), d(75), r(20)]);
    expect(result.pairs).toEqual([0.8, 0.8, 0.267, 0.267]);
    expect(medianOfAdjacentPairs([r(20), d(25), r(20), d(75), r(20), d(25), r(20)]).ratio).toBe(0.8);
  });

  it('averages the middle two of an even number of pairs', () => {
    expect(medianOfAdjacentPairs([r(20), d(25), r(30), d(40), r(24)]).ratio).toBe(0.775);
  });

  it('pairs only windows of different servers, and has no ratio without such a pair', () => {
    expect(medianOfAdjacentPairs([r(20), r(21), d(25)])).toEqual({ ratio: 0.84, pairs: [0.84] });
    expect(medianOfAdjacentPairs([d(25), d(26)])).toEqual({ ratio: null, pairs: [] });
    expect(medianOfAdjacentPairs([])).toEqual({ ratio: null, pairs: [] });
  });

  it('skips a window that carried no frames', () => {
    expect(medianOfAdjacentPairs([r(0), d(25), r(20)])).toEqual({ ratio: 0.8, pairs: [0.8] });
  });
});

/** The ladder's limits (bench/media/ladder.ts), for both judgeStep groups. */
const limits = { maxP99Ms: 1_000, maxServerCores: 0.9, maxLoadCores: 0.9, busyOthersCores: 0.3 };

describe('judgeStep', () => {
  const fine: StepFigures = {
    lost: 0,
    reordered: 0,
    p99Ms: 12,
    serverCores: 0.5,
    loadCores: 0.6,
    othersCores: 0.05,
  };

  it('passes a step with nothing lost and neither process full', () => {
    expect(judgeStep(fine, limits)).toEqual({ status: 'ok' });
  });

  it.each([
    [{ lost: 3 }, '3 frames lost'],
    [{ reordered: 2 }, '2 frames reordered'],
    [{ p99Ms: 1_500 }, 'p99 1500 ms > 1000 ms'],
    [{ serverCores: 0.93 }, 'server core full (0.93)'],
  ])('fails the server for %o', (change, reason) => {
    expect(judgeStep({ ...fine, ...change }, limits)).toEqual({ status: 'failed', reason });
  });

  it('calls a step with the load generator full machine-limited, not a failure', () => {
    expect(judgeStep({ ...fine, loadCores: 0.94 }, limits)).toEqual({
      status: 'machine-limited',
      reason: 'load generator core full (0.94)',
    });
  });

  it('blames nothing on the server when the load generator was full, even a loss or a full core', () => {
    // A full load process reads the agent side late, so the server's queues toward it fill and
    // drop: nothing in that step is the server's own doing.
    expect(judgeStep({ ...fine, lost: 40, serverCores: 0.95, loadCores: 0.9 }, limits).status).toBe(
      'machine-limited',
    );
  });
});

describe('judgeStep on a busy machine', () => {
  const slow: StepFigures = {
    lost: 0,
    reordered: 0,
    p99Ms: 1_300,
    serverCores: 0.75,
    loadCores: 0.73,
    othersCores: 0.47,
  };

  it('does not blame a late p99 on the server while other work holds the machine', () => {
    expect(judgeStep(slow, limits)).toEqual({
      status: 'machine-limited',
      reason: 'p99 1300 ms > 1000 ms with 0.47 cores busy elsewhere',
    });
  });

  it('still fails the server for its own full core or a loss, however busy the machine', () => {
    expect(judgeStep({ ...slow, serverCores: 0.92 }, limits)).toEqual({
      status: 'failed',
      reason: 'server core full (0.92)',
    });
    expect(judgeStep({ ...slow, lost: 1 }, limits).status).toBe('failed');
  });

  it('fails a late p99 on a quiet machine, or when nothing says how busy it was', () => {
    expect(judgeStep({ ...slow, othersCores: 0.1 }, limits).status).toBe('failed');
    expect(judgeStep({ ...slow, othersCores: null }, limits).status).toBe('failed');
  });
});

describe('largestSteps', () => {
  const steps = (...list: [number, JudgedStep['status']][]): JudgedStep[] =>
    list.map(([calls, status]) => ({ calls, status }));

  it('compares the largest step each server passed when every step is valid', () => {
    const relay = steps([100, 'ok'], [200, 'ok'], [300, 'ok'], [400, 'failed']);
    const daemon = steps([100, 'ok'], [200, 'ok'], [300, 'failed']);
    expect(largestSteps(relay, daemon)).toEqual({
      relay: 300,
      daemon: 200,
      validSteps: [100, 200, 300, 400],
    });
  });

  it('leaves out a machine-limited step and every later one, for both servers', () => {
    // The relay's 300 stopped on the load generator, not on the relay: the daemon's pass at 300
    // cannot be compared with anything, and the comparison ends at 200.
    const relay = steps([100, 'ok'], [200, 'ok'], [300, 'machine-limited']);
    const daemon = steps([100, 'ok'], [200, 'ok'], [300, 'ok'], [400, 'failed']);
    expect(largestSteps(relay, daemon)).toEqual({ relay: 200, daemon: 200, validSteps: [100, 200] });
  });

  it("keeps the steps after one server's own failure: not passing them is its verdict", () => {
    const relay = steps([100, 'ok'], [200, 'ok'], [300, 'ok'], [400, 'machine-limited']);
    const daemon = steps([100, 'ok'], [200, 'failed']);
    expect(largestSteps(relay, daemon)).toEqual({ relay: 300, daemon: 100, validSteps: [100, 200, 300] });
  });

  it('has no largest step for a server that passed none', () => {
    const relay = steps([50, 'machine-limited']);
    const daemon = steps([50, 'ok']);
    expect(largestSteps(relay, daemon)).toEqual({ relay: null, daemon: null, validSteps: [] });
  });
});
