/**
 * The media ladder's verdicts, as pure functions: how a step's windows give the daemon ÷ relay
 * ratio, whether a step counts against a server or only says the load generator was full, and
 * which steps the "largest step" comparison may use.
 */

export type ServerName = 'relay' | 'daemon';

/** One measured window: which server carried the frames, and its CPU per frame crossing. */
export interface WindowCost {
  readonly server: ServerName;
  /** Server CPU per frame crossing (carrier → agent or agent → carrier), µs. */
  readonly usPerFrame: number;
}

export interface PairRatio {
  /** Median over the pairs; null when no pair of adjacent windows had both servers. */
  readonly ratio: number | null;
  /** Relay ÷ daemon CPU per frame, for each pair of adjacent windows (in window order). */
  readonly pairs: readonly number[];
}

/**
 * Relay ÷ daemon CPU per frame — the daemon's capacity per core as a share of the relay's — as
 * the median over each pair of adjacent windows of different servers (r₁d₁, d₁r₂, r₂d₂, …).
 * Adjacent windows are seconds apart, so what the machine does to one (the host's scheduler,
 * a neighbour's burst) it mostly does to the other; overlapping pairs in both orders cancel a
 * steady drift, and the median drops the pair a burst spoiled.
 */
export function medianOfAdjacentPairs(windows: readonly WindowCost[]): PairRatio {
  const pairs: number[] = [];
  for (let i = 1; i < windows.length; i++) {
    const a = windows[i - 1];
    const b = windows[i];
    if (a === undefined || b === undefined || a.server === b.server) continue;
    const relay = a.server === 'relay' ? a : b;
    const daemon = a.server === 'relay' ? b : a;
    if (relay.usPerFrame <= 0 || daemon.usPerFrame <= 0) continue;
    pairs.push(round3(relay.usPerFrame / daemon.usPerFrame));
  }
  return { ratio: pairs.length === 0 ? null : round3(median(pairs)), pairs };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** What one server's windows at one step showed. */
export interface StepFigures {
  readonly lost: number;
  readonly reordered: number;
  readonly p99Ms: number;
  /** Mean over the server's windows, cores. */
  readonly serverCores: number;
  /** The load generator's cores in the same windows. */
  readonly loadCores: number;
  /** What other work on the machine used in the same windows (mean), cores; null: unknown. */
  readonly othersCores: number | null;
}

export interface StepLimits {
  readonly maxP99Ms: number;
  readonly maxServerCores: number;
  readonly maxLoadCores: number;
  /**
   * Other work on the machine at or above which a step's latency says nothing about the server:
   * its p99 past the bound is then the machine's, not the server's.
   */
  readonly busyOthersCores: number;
}

/**
 * `ok`: the server passed. `failed`: the server did not (frames lost or reordered, its core full,
 * a meltdown's p99). `machine-limited`: the load generator's core was full, so nothing in the
 * step can be blamed on the server — a full load process sends late, reads late, lets the
 * server's queues toward it fill — or the only fault was latency while other work held a good
 * part of the machine (a shared VM); the step counts neither way.
 */
export type StepStatus = 'ok' | 'failed' | 'machine-limited';

export interface StepVerdict {
  readonly status: StepStatus;
  readonly reason?: string;
}

export function judgeStep(f: StepFigures, limits: StepLimits): StepVerdict {
  if (f.loadCores >= limits.maxLoadCores)
    return { status: 'machine-limited', reason: `load generator core full (${f.loadCores})` };
  if (f.lost > 0) return { status: 'failed', reason: `${f.lost} frames lost` };
  if (f.reordered > 0) return { status: 'failed', reason: `${f.reordered} frames reordered` };
  if (f.serverCores >= limits.maxServerCores)
    return { status: 'failed', reason: `server core full (${f.serverCores})` };
  if (f.p99Ms > limits.maxP99Ms)
    return (f.othersCores ?? 0) >= limits.busyOthersCores
      ? {
          status: 'machine-limited',
          reason: `p99 ${f.p99Ms} ms > ${limits.maxP99Ms} ms with ${f.othersCores} cores busy elsewhere`,
        }
      : { status: 'failed', reason: `p99 ${f.p99Ms} ms > ${limits.maxP99Ms} ms` };
  return { status: 'ok' };
}

export interface JudgedStep {
  readonly calls: number;
  readonly status: StepStatus;
}

export interface LargestSteps {
  /** The largest step each server passed among the steps valid for both; null: none. */
  readonly relay: number | null;
  readonly daemon: number | null;
  /** The steps valid for both, ascending. */
  readonly validSteps: readonly number[];
}

/**
 * The largest step each server passed, over the steps valid for both: a step is valid unless a
 * server was machine-limited there or at an earlier step (that server has no figure of its own
 * from there on). A server that failed at an earlier step has not passed the later ones: that
 * is its own verdict, not the machine's, so those steps stay valid.
 */
export function largestSteps(relay: readonly JudgedStep[], daemon: readonly JudgedStep[]): LargestSteps {
  const limitedFrom = (steps: readonly JudgedStep[]): number =>
    steps.find((s) => s.status === 'machine-limited')?.calls ?? Number.POSITIVE_INFINITY;
  const cutoff = Math.min(limitedFrom(relay), limitedFrom(daemon));
  const validSteps = [...new Set([...relay, ...daemon].map((s) => s.calls))]
    .filter((calls) => calls < cutoff)
    .sort((a, b) => a - b);
  const best = (steps: readonly JudgedStep[]): number | null => {
    const passed = steps.filter((s) => s.status === 'ok' && s.calls < cutoff).map((s) => s.calls);
    return passed.length === 0 ? null : Math.max(...passed);
  };
  return { relay: best(relay), daemon: best(daemon), validSteps };
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
