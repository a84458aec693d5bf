/**
 * The machine's wake-up: how long a one-byte round trip takes between two Node processes that sat
 * idle in between (wakeup-child.ts), on two cores and on one. Every step of a trigger's path that
 * leaves the daemon (its Redis commit, the carrier's webhook, the REST request) is such a message
 * on this machine, where the daemon, Redis and the load share two cores; at the control phases'
 * rates the processes idle between them. On a virtual machine whose idle cores halt, waking a
 * halted core can take milliseconds: then no code can make a path of several such messages fast
 * at its tail, and the control bench reports this beside its latencies, as it reports the floor
 * beside its CPU figures.
 */
import { cpus } from 'node:os';
import { pinProcess } from '../lib/cores.js';
import { type ChildProc, forkChild } from '../lib/ipc.js';
import { round3 } from '../lib/probe.js';
import { percentile, round2 } from '../lib/stats.js';
import type { PingRequest, WakeupReady } from './wakeup-child.js';

export interface WakeupRow {
  /** `two cores` (the ends on cores 0 and 1) or `one core` (both on the last), or `unpinned`. */
  readonly placement: string;
  /** Mean idle gap before each round trip, ms. */
  readonly gapMs: number;
  readonly count: number;
  /** Round trip, ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface WakeupOptions {
  /** Mean gaps to measure at, ms. Default 1 and 10. */
  readonly gapsMs?: readonly number[];
  /** Round trips per gap and placement. Default 400. */
  readonly count?: number;
}

type Placement = { readonly name: string; readonly echo?: string; readonly ping?: string };

/** The machine's cores, not this process's: with `--pin` the bench itself is held to one. */
function placements(): Placement[] {
  const cores = cpus().length;
  if (cores < 2) return [{ name: 'unpinned' }];
  const last = String(cores - 1);
  return [
    { name: 'two cores', echo: '0', ping: last },
    { name: 'one core', echo: last, ping: last },
  ];
}

/** Round trips between two idle processes at each gap, for each placement. */
export async function measureWakeup(options: WakeupOptions = {}): Promise<WakeupRow[]> {
  const gaps = options.gapsMs ?? [1, 10];
  const count = options.count ?? 400;
  const rows: WakeupRow[] = [];
  for (const placement of placements()) {
    const path = `/tmp/patchthrough-wakeup-${process.pid}-${Date.now()}.sock`;
    const child = new URL('./wakeup-child.ts', import.meta.url);
    let echo: ChildProc<WakeupReady> | undefined;
    let ping: ChildProc<WakeupReady> | undefined;
    try {
      echo = await forkChild<WakeupReady>(child, { args: ['echo', path] });
      ping = await forkChild<WakeupReady>(child, { args: ['ping', path] });
      if (placement.echo !== undefined) pinProcess(placement.echo, echo.pid);
      if (placement.ping !== undefined) pinProcess(placement.ping, ping.pid);
      // A few round trips first: the path compiled, the pinning taken.
      await ping.call<number[]>('run', { count: 20, gapMs: 1 } satisfies PingRequest);
      for (const gapMs of gaps) {
        const trips = await ping.call<number[]>('run', { count, gapMs } satisfies PingRequest);
        const sorted = Float64Array.from(trips).sort();
        const at = (p: number) => round3(percentile(sorted, p));
        rows.push({
          placement: placement.name,
          gapMs,
          count: trips.length,
          p50: at(50),
          p90: at(90),
          p99: at(99),
          max: round3(sorted[sorted.length - 1] ?? 0),
        });
      }
    } finally {
      await ping?.stop();
      await echo?.stop();
    }
  }
  return rows;
}

export function wakeupTable(rows: readonly WakeupRow[]): string {
  return [
    '| placement | idle gap ms (mean) | round trips | round trip ms p50 / p90 / p99 / max |',
    '|---|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.placement} | ${round2(r.gapMs)} | ${r.count} | ${r.p50} / ${r.p90} / ${r.p99} / ${r.max} |`,
    ),
  ].join('\n');
}
