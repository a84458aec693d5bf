/**
 * `--pin` (control bench): keeps the daemon under benchmark apart from its load — the daemon's
 * process (every thread) on the machine's last core, the load generator (this process: the
 * carrier simulator and the agents) and Redis on the others. Sharing both cores of this 2-core
 * machine, the daemon is preempted by the simulator's 20 ms media bursts for tens of
 * milliseconds at a time (its CPU profile shows stretches of 15–47 ms holding a tenth of the
 * samples a busy stretch holds: the process not running), which a worker whose carrier and agents
 * are other hosts never is. Not the default: pinned, the daemon spent 10–25 % more CPU per
 * transition (every message to Redis, the simulator and the agent crosses cores) and its
 * latencies were no better (docs/performance.md, 2026-12-02 17:15–17:20 UTC). `taskset` (util-linux)
 * sets the affinities; without it, or with one core, nothing is pinned.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Pinning {
  /** What was done, for the report: `daemon on core 1; load and Redis on 0`, or why not. */
  readonly note: string;
  /** Gives the load generator and Redis every core again. */
  restore(): void;
}

export function pinApart(daemonPid: number, loadPids: readonly number[]): Pinning {
  const cores = availableParallelism();
  if (cores < 2) return { note: 'not pinned (one core)', restore: () => undefined };
  const last = String(cores - 1);
  const rest = cores === 2 ? '0' : `0-${cores - 2}`;
  const all = `0-${cores - 1}`;
  try {
    pinProcess(last, daemonPid);
    for (const pid of loadPids) pinProcess(rest, pid);
  } catch (err) {
    return { note: `not pinned (${(err as Error).message.split('\n')[0]})`, restore: () => undefined };
  }
  return {
    note: `daemon on core ${last}; load and Redis on ${rest}`,
    restore: () => {
      for (const pid of loadPids) {
        try {
          pinProcess(all, pid);
        } catch {
          // The process is gone (Redis stopped): nothing to give back.
        }
      }
    },
  };
}

/** Every thread of `pid` on `cpus` (a `taskset -c` list). */
export function pinProcess(cpus: string, pid: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
