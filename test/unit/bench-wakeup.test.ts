import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { measureWakeup, wakeupTable } from '../../bench/control/wakeup.js';

describe("the machine's wake-up probe (bench/control/wakeup.ts)", () => {
  it('times each round trip between two processes, at every gap, on two cores and on one', async () => {
    const rows = await measureWakeup({ gapsMs: [1, 5], count: 12 });
    const placements = cpus().length < 2 ? ['unpinned'] : ['two cores', 'one core'];
    expect(rows.map((r) => `${r.placement} ${r.gapMs}`)).toEqual(
      placements.flatMap((p) => [`${p} 1`, `${p} 5`]),
    );
    for (const r of rows) {
      expect(r.count).toBe(12);
      // A round trip crosses two processes: never free, and ordered as percentiles are.
      expect(r.p50).toBeGreaterThan(0);
      expect(r.p50).toBeLessThanOrEqual(r.p90);
      expect(r.p90).toBeLessThanOrEqual(r.p99);
      expect(r.p99).toBeLessThanOrEqual(r.max);
    }
    const table = wakeupTable(rows);
    expect(table.split('\n')).toHaveLength(2 + rows.length);
    expect(table).toContain(`| ${placements[0]} | 5 | 12 | ${rows[1]?.p50} /`);
  });
});
