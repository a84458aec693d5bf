import { describe, expect, it } from 'vitest';
import { type ControlFigures, type MediaFigures, targetsTable, targetVerdicts } from '../../bench/targets.js';

/**
 * `npm run bench` judges DESIGN.md's targets from one run's results (bench/targets.ts): each
 * verdict must follow the figures, fail when one figure misses, and say so when its part did not
 * run.
 */

function step(calls: number, p99: number, extra: Partial<{ ok: boolean; lost: number }> = {}) {
  return {
    calls,
    ok: extra.ok ?? true,
    lost: extra.lost ?? 0,
    reordered: 0,
    latencyMs: { p99, count: 1000 },
  };
}

function media(over: Partial<MediaFigures> = {}): MediaFigures {
  return {
    relay: { steps: [step(100, 2), step(300, 4), step(600, 90, { ok: false })], saturation: { calls: 300 } },
    daemon: {
      steps: [step(100, 2), step(300, 5.9), step(600, 200, { ok: false, lost: 40 })],
      saturation: { calls: 300 },
    },
    perCoreRatio: [
      { calls: 100, ratio: 0.95 },
      { calls: 300, ratio: 0.91 },
      { calls: 600, ratio: 0.5 },
    ],
    validSteps: [100, 300],
    ...over,
  };
}

function phase(rate: number, p99: number, perCpuSecond: number, extra: { attributed?: boolean } = {}) {
  return {
    attributed: extra.attributed ?? false,
    profiled: false,
    triggerRate: rate,
    triggerToRestEngineMs: { p99, count: 150 },
    timers: { lateMs: { p99: 3, count: 150 } },
    transitions: { perCpuSecond },
  };
}

const met = (verdicts: ReturnType<typeof targetVerdicts>) => verdicts.map((v) => v.met);

describe('targetVerdicts', () => {
  it('meets every target when every figure does, judging media only up to the steps both passed', () => {
    const control: ControlFigures = {
      phases: [phase(10, 4.9, 1010), phase(150, 4.2, 1400), phase(150, 40, 500, { attributed: true })],
    };
    const verdicts = targetVerdicts(media(), control);
    expect(met(verdicts)).toEqual([true, true, true, true, true, true, true]);
    expect(verdicts[2]?.measured).toBe('daemon 5.9 ms, relay 4 ms (1.48×)');
    expect(targetsTable(verdicts)).toContain('7 of 7 judged targets met.');
  });

  it('fails the target a single figure misses, and only that one', () => {
    const slowTail = media({
      daemon: { steps: [step(100, 2), step(300, 6.1)], saturation: { calls: 300 } },
    });
    expect(met(targetVerdicts(slowTail, undefined)).slice(0, 3)).toEqual([true, true, false]);
    const lowRatio = media({
      perCoreRatio: [
        { calls: 100, ratio: 0.95 },
        { calls: 300, ratio: 0.89 },
      ],
    });
    expect(met(targetVerdicts(lowRatio, undefined)).slice(0, 3)).toEqual([false, true, true]);
    const lost = media({
      daemon: { steps: [step(100, 2, { lost: 1 }), step(300, 5)], saturation: { calls: 300 } },
    });
    expect(met(targetVerdicts(lost, undefined)).slice(0, 3)).toEqual([true, false, true]);
    const smaller = media({ daemon: { steps: [step(100, 2), step(300, 5)], saturation: { calls: 100 } } });
    expect(met(targetVerdicts(smaller, undefined))[1]).toBe(false);
  });

  it('holds the control p99 at every rate, and transitions per CPU s in the burst and at every rate apart', () => {
    const control: ControlFigures = {
      phases: [phase(10, 5.2, 450), phase(25, 4.1, 600), phase(150, 3.9, 1200)],
    };
    const verdicts = targetVerdicts(undefined, control).slice(3);
    expect(met(verdicts)).toEqual([true, false, true, false]);
    expect(verdicts[1]?.measured).toBe('5.2 ms at 10/s, 4.1 ms at 25/s, 3.9 ms at 150/s');
  });

  it('says a target was not measured when its part did not run, and counts only those judged', () => {
    const verdicts = targetVerdicts(undefined, undefined);
    expect(verdicts.every((v) => v.met === null)).toBe(true);
    const table = targetsTable(targetVerdicts(media(), undefined));
    expect(table).toContain('| control not run | not run |');
    expect(table).toContain('3 of 3 judged targets met (4 not run).');
  });
});
