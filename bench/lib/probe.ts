/**
 * What every benchmark process reports about itself: CPU time, memory and event-loop delay
 * (perf_hooks `monitorEventLoopDelay`), on a clock all processes share.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond resolution; comparable across processes on one host. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface ProcessSample {
  readonly atMs: number;
  /** CPU time since the process started, µs. */
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
  /** Event-loop delay since the previous sample that reset it. */
  readonly loop: LoopDelay;
}

export interface Probe {
  /** `gc`: run a full collection first (needs `--expose-gc`); `reset`: restart the delay histogram. */
  sample(options?: { readonly gc?: boolean; readonly reset?: boolean }): ProcessSample;
}

export function startProbe(): Probe {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    sample(options = {}) {
      if (options.gc === true) (globalThis as { gc?: () => void }).gc?.();
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const ns = (v: number) => round3(v / 1e6);
      const loop: LoopDelay =
        histogram.count === 0
          ? { p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 }
          : {
              p50Ms: ns(histogram.percentile(50)),
              p99Ms: ns(histogram.percentile(99)),
              maxMs: ns(histogram.max),
              meanMs: ns(histogram.mean),
            };
      if (options.reset === true) histogram.reset();
      return {
        atMs: epochMs(),
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        externalBytes: memory.external,
        loop,
      };
    },
  };
}

/** CPU used between two samples, in cores (1 = one core busy the whole time). */
export function coresUsed(from: ProcessSample, to: ProcessSample): number {
  const cpuUs = to.cpuUserUs + to.cpuSystemUs - (from.cpuUserUs + from.cpuSystemUs);
  const wallUs = (to.atMs - from.atMs) * 1000;
  return wallUs <= 0 ? 0 : round3(cpuUs / wallUs);
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
