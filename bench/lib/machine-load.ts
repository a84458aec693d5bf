/**
 * CPU busy on the whole machine (Linux `/proc/stat`), so a run can say how much of it was
 * someone else's: other processes share the cores with the benchmark unless the machine is idle.
 */
import { readFileSync } from 'node:fs';

export interface MachineTicks {
  readonly busy: number;
  readonly atMs: number;
}

/** Clock ticks per second of /proc/stat (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

export function machineTicks(): MachineTicks | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return { busy: user + nice + system + irq + softirq + steal, atMs: performance.now() };
  } catch {
    return undefined;
  }
}

/** Cores busy on the machine between two readings (every process, ours included). */
export function machineCores(from: MachineTicks | undefined, to: MachineTicks | undefined): number | null {
  if (from === undefined || to === undefined || to.atMs <= from.atMs) return null;
  return Math.round(((to.busy - from.busy) / USER_HZ / ((to.atMs - from.atMs) / 1000)) * 100) / 100;
}
