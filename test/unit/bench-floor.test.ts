import { describe, expect, it } from 'vitest';
import { floorRatios } from '../../bench/control/control-report.js';
import { measureFloor } from '../../bench/control/floor.js';
import type { PhaseResult } from '../../bench/control/phase.js';

describe('the control path floor (bench/control/floor.ts)', () => {
  it('does every message of each unit: a record saved per webhook, a REST request, an agent message', async () => {
    const result = await measureFloor([{ units: 6, spreadMs: 300 }], () => {}, { units: 4, spreadMs: 100 });
    expect(result.phases).toHaveLength(1);
    const [phase] = result.phases;
    expect(phase?.units).toBe(6);
    expect(phase?.rate).toBe(20);
    expect(phase?.handlerToRestMs.count).toBe(6);
    expect(phase?.roundTripMs.count).toBe(6);
    expect(phase?.perCpuSecond).toBeGreaterThan(0);
    // One record per call, warm-up included: each webhook reached Redis past its signature check.
    expect(result.saved).toBe(10);
  });

  it('sets each unattributed phase against the floor at its own rate', () => {
    const phase = (calls: number, rate: number, perCpuSecond: number, attributed = false) =>
      ({ calls, triggerRate: rate, attributed, transitions: { perCpuSecond } }) as unknown as PhaseResult;
    const floor = (units: number, perCpuSecond: number) => ({
      units,
      rate: 0,
      perCpuSecond,
      cpuUsPerUnit: 0,
      handlerToRestMs: { count: 0, p50: 0, p99: 0, p999: 0, max: 0, mean: 0 },
      roundTripMs: { count: 0, p50: 0, p99: 0, p999: 0, max: 0, mean: 0 },
    });
    const text = floorRatios({
      phases: [phase(50, 10, 200), phase(150, 150, 600), phase(150, 150, 500, true)],
      floor: { phases: [floor(50, 250), floor(150, 400)], saved: 0 },
    });
    expect(text).toBe('10/s 200 ÷ 250 = 0.8, 150/s 600 ÷ 400 = 1.5');
  });
});
