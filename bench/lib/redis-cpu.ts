/** CPU time of the private redis-server, from `INFO cpu` (so the CPU split covers every process). */
import type { Redis } from 'ioredis';

export interface CpuTimes {
  /** used_cpu_user + used_cpu_sys, seconds. */
  readonly seconds: number;
}

export async function redisCpuTimes(admin: Redis): Promise<CpuTimes> {
  const info = String(await admin.info('cpu'));
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return { seconds: field('used_cpu_user') + field('used_cpu_sys') };
}

/** Cores Redis used between two readings `wallMs` apart. */
export function redisCores(from: CpuTimes, to: CpuTimes, wallMs: number): number {
  return wallMs <= 0 ? 0 : Math.round(((to.seconds - from.seconds) / (wallMs / 1000)) * 1000) / 1000;
}

/**
 * Read events Redis processed so far (`INFO stats` `total_reads_processed`, Redis ≥ 6): one per
 * time a client's socket was readable, so commands that reached it in one write count once.
 */
export async function redisReadEvents(admin: Redis): Promise<number> {
  const info = String(await admin.info('stats'));
  return Number(/total_reads_processed:(\d+)/.exec(info)?.[1] ?? 0);
}
