/**
 * The media benchmark's ladder: the daemon and the bare relay, N concurrent two-way calls each,
 * N rising step by step until something gives — frames lost or reordered, a server's core full,
 * latency past a bound — or the load generator itself is full.
 *
 * Both servers are up with N calls each for the whole step, and they are measured in
 * alternating windows (relay, daemon, relay, daemon, …): in each window only the measured
 * server's calls send frames, so each window's figures are that server's alone, and the two
 * servers' windows are seconds apart instead of minutes. On this kind of machine (a shared VM)
 * the CPU one frame costs moves by a third between windows of unchanged code; the ratio at a
 * step is the median over adjacent windows' pairs (ladder-rules.ts), which that drift mostly
 * leaves alone. Per-server figures (latency, loss, cores, RSS) are over that server's windows.
 */
import type { ChildProc } from '../lib/ipc.js';
import { machineCores, machineTicks } from '../lib/machine-load.js';
import { coresUsed, type Probe, type ProcessSample } from '../lib/probe.js';
import { type CpuTimes, redisCores } from '../lib/redis-cpu.js';
import { round2, Samples, type Summary, sleep, summarize } from '../lib/stats.js';
import { type CarrierStream, FrameClock } from './carrier-streams.js';
import type { FrameLedger } from './frames.js';
import {
  judgeStep,
  medianOfAdjacentPairs,
  type PairRatio,
  type ServerName,
  type StepStatus,
  type WindowCost,
} from './ladder-rules.js';

export type ServerSample = ProcessSample & { readonly media: Readonly<Record<string, number>> };

export interface LadderStep {
  readonly calls: number;
  /**
   * Cores used over the server's windows (mean): the server, the load generator (carrier +
   * agents), Redis, and everything else on the machine (other users' processes: noise; the
   * other server, idle with its calls open, is not counted there).
   */
  readonly cores: {
    readonly server: number;
    readonly load: number;
    readonly redis: number;
    readonly others: number | null;
  };
  /** Calls per fully used server core at this load (calls ÷ server cores). */
  readonly callsPerCore: number;
  /** Server CPU per frame crossing (carrier → agent or agent → carrier), µs, median of the windows. */
  readonly cpuUsPerFrame: number;
  /** The load generator's CPU per frame crossing in the same windows, µs (median). */
  readonly loadUsPerFrame: number;
  /** Windows this server was measured in at this step. */
  readonly windows: number;
  /** One crossing of the server, carrier → agent and agent → carrier together, ms. */
  readonly latencyMs: Summary;
  readonly upMs: Summary;
  readonly downMs: Summary;
  readonly lost: number;
  readonly reordered: number;
  readonly framesPerSecond: number;
  /** Event-loop delay in the server's window with the worst p99. */
  readonly serverLoopDelayMs: ProcessSample['loop'];
  readonly loadLoopDelayMs: ProcessSample['loop'];
  /** How late the load generator served its 20 ms slots, ms (p99). */
  readonly loadLateP99Ms: number;
  /** Server RSS and heap + external growth over the idle baseline, per call, KB (after a full GC). */
  readonly rssKbPerCall: number;
  readonly heapKbPerCall: number;
  /** The same, from the previous step to this one (per added call): free of the baseline's noise. */
  readonly rssKbPerAddedCall: number;
  /** Server RSS after the step (after a full GC), MB. */
  readonly rssMb: number;
  /** ladder-rules.ts `judgeStep`: `machine-limited` counts neither for nor against the server. */
  readonly status: StepStatus;
  readonly ok: boolean;
  readonly stoppedBecause?: string;
}

/** The daemon ÷ relay capacity per core at one step both servers were measured at. */
export interface StepRatio extends PairRatio {
  readonly calls: number;
}

export interface LadderSide {
  readonly name: ServerName;
  readonly server: ChildProc<unknown>;
  readonly open: (index: number) => Promise<CarrierStream>;
}

export interface LadderContext {
  /** In the order their windows alternate. */
  readonly sides: readonly LadderSide[];
  readonly ledger: FrameLedger;
  readonly probe: Probe;
  readonly redisCpu: () => Promise<CpuTimes>;
  readonly nextIndex: () => number;
  /** Each window's server sends this long before the window starts (its calls warm again). */
  readonly settleMs: number;
  readonly windowMs: number;
  /** Windows per server per step. */
  readonly windows: number;
  /**
   * Called after each step's windows while that server's calls still send (its clock running);
   * `last` when its side stops here.
   */
  readonly atStep?: (side: ServerName, calls: number, last: boolean) => Promise<void>;
  readonly log: (line: string) => void;
}

export interface LadderResult {
  readonly relay: readonly LadderStep[];
  readonly daemon: readonly LadderStep[];
  readonly ratios: readonly StepRatio[];
}

/**
 * What ends a side of the ladder besides a lost or reordered frame: the server's core or the
 * load generator's this full, or a p99 this bad (a meltdown). Latency alone is not a reason to
 * stop below that: a burst of someone else's work on a shared machine can put 1 % of a window's
 * frames 100 ms late without either process being anywhere near full.
 */
const LIMITS = { maxP99Ms: 1_000, maxServerCores: 0.9, maxLoadCores: 0.9, busyOthersCores: 0.3 } as const;
/** Cores busy outside the benchmark's processes below which a second counts as quiet. */
const NOISY_CORES = 0.2;
/** Time the ladder may spend waiting for a quiet machine, and in all: the whole bench stays bounded. */
const QUIET_BUDGET_MS = 30_000;
const LADDER_BUDGET_MS = 240_000;

interface Side extends LadderSide {
  readonly streams: CarrierStream[];
  readonly clock: FrameClock;
  readonly steps: LadderStep[];
  base: ServerSample;
  previous: { calls: number; rssBytes: number };
  running: boolean;
}

/** What one window measured, for the server whose calls sent in it. */
interface Window {
  readonly cores: LadderStep['cores'];
  readonly usPerFrame: number;
  readonly loadUsPerFrame: number;
  readonly framesPerSecond: number;
  readonly serverLoop: ProcessSample['loop'];
  readonly loadLoop: ProcessSample['loop'];
  readonly lost: number;
  readonly reordered: number;
}

export async function runLadder(ctx: LadderContext, ladder: readonly number[]): Promise<LadderResult> {
  for (const s of ctx.sides) await warmUp(ctx, s);
  // Both servers' idle baselines after both warm-ups, a moment later: a baseline taken right
  // after a server's own warm-up still holds pages its next collections give back, and the
  // first step's RSS per call then came out negative.
  await sleep(1_000);
  const sides: Side[] = [];
  for (const s of ctx.sides) {
    const base = await sample(s, { gc: true });
    sides.push({
      ...s,
      streams: [],
      clock: new FrameClock(),
      steps: [],
      base,
      previous: { calls: 0, rssBytes: base.rssBytes },
      running: true,
    });
  }
  const ratios: StepRatio[] = [];
  const started = performance.now();
  let quietBudgetMs = QUIET_BUDGET_MS;
  try {
    for (const n of ladder) {
      const live = sides.filter((s) => s.running);
      if (live.length === 0) break;
      if (performance.now() - started > LADDER_BUDGET_MS) {
        ctx.log(`  ladder stopped before ${n} calls: its time budget is spent`);
        break;
      }
      for (const side of live) await grow(ctx, side, n);
      quietBudgetMs -= await waitForQuiet(ctx, live, Math.min(10_000, Math.max(0, quietBudgetMs)));

      const costs: WindowCost[] = [];
      const perSide = new Map<Side, { windows: Window[]; latency: Latency; late: Samples }>(
        live.map((s) => [s, { windows: [], latency: new Latency(), late: new Samples() }]),
      );
      for (let k = 0; k < ctx.windows; k++) {
        for (const side of live) {
          const acc = perSide.get(side);
          if (acc === undefined) continue;
          const w = await measureWindow(ctx, side, live, acc);
          acc.windows.push(w);
          costs.push({ server: side.name, usPerFrame: w.usPerFrame });
        }
      }

      for (const side of live) {
        const acc = perSide.get(side);
        if (acc === undefined) continue;
        const step = await closeStep(side, n, acc);
        const verdict = judgeStep(
          {
            lost: step.lost,
            reordered: step.reordered,
            p99Ms: step.latencyMs.p99,
            serverCores: step.cores.server,
            loadCores: step.cores.load,
            othersCores: step.cores.others,
          },
          LIMITS,
        );
        const done: LadderStep = {
          ...step,
          status: verdict.status,
          ok: verdict.status === 'ok',
          ...(verdict.reason === undefined ? {} : { stoppedBecause: verdict.reason }),
        };
        side.steps.push(done);
        const last = verdict.status !== 'ok' || n === ladder[ladder.length - 1];
        if (ctx.atStep !== undefined) {
          const lost0 = lostSoFar(ctx.ledger);
          side.clock.start(side.streams);
          await ctx.atStep(side.name, n, last);
          side.clock.stop();
          await drain(ctx.ledger, lost0);
        }
        ctx.log(
          `  ${side.name} ${n} calls: server ${done.cores.server} cores (${done.cpuUsPerFrame} µs/frame), ` +
            `load ${done.cores.load} (${done.loadUsPerFrame} µs/frame), others ${done.cores.others ?? '?'}, ` +
            `p50/p99/p99.9 ${done.latencyMs.p50}/${done.latencyMs.p99}/${done.latencyMs.p999} ms, ` +
            `lost ${done.lost}, RSS ${done.rssKbPerCall} KB/call` +
            (verdict.status === 'ok' ? '' : ` — ${verdict.status}: ${verdict.reason}`),
        );
        if (verdict.status !== 'ok') {
          // This side stops: its calls end, so they no longer weigh on the other's windows.
          side.running = false;
          await hangUpAll(side.streams);
        }
      }
      if (live.length === 2) {
        const ratio = medianOfAdjacentPairs(costs);
        ratios.push({ calls: n, ...ratio });
        ctx.log(
          `  ${n} calls: relay ÷ daemon CPU per frame ${ratio.ratio} (pairs ${ratio.pairs.join(', ')})`,
        );
      }
    }
  } finally {
    for (const side of sides) {
      side.clock.stop();
      await hangUpAll(side.streams);
    }
  }
  for (const side of sides) {
    await waitFor(async () => (await sample(side, {})).media['sessions'] === 0, 10_000).catch(
      () => undefined,
    );
  }
  const of = (name: ServerName) => sides.find((s) => s.name === name)?.steps ?? [];
  return { relay: of('relay'), daemon: of('daemon'), ratios };
}

/** Latency samples of one server's windows at one step (the ledger keeps only the current window's). */
class Latency {
  readonly up = new Samples();
  readonly down = new Samples();

  take(ledger: FrameLedger): void {
    for (const v of ledger.up.latency.values()) this.up.push(v);
    for (const v of ledger.down.latency.values()) this.down.push(v);
  }
}

const sample = (side: LadderSide, body: object): Promise<ServerSample> =>
  side.server.call<ServerSample>('sample', body);

/**
 * Code paths compiled and pools filled before the idle baseline is taken: 20 calls for 2 s, then
 * every caller hangs up and the server holds no session.
 */
async function warmUp(ctx: LadderContext, side: LadderSide): Promise<void> {
  const streams: CarrierStream[] = [];
  const clock = new FrameClock();
  const lost0 = lostSoFar(ctx.ledger);
  while (streams.length < 20) streams.push(await side.open(ctx.nextIndex()));
  clock.start(streams);
  await sleep(2_000);
  clock.stop();
  await drain(ctx.ledger, lost0);
  await hangUpAll(streams);
  await waitFor(async () => (await sample(side, {})).media['sessions'] === 0, 10_000).catch(
    async (err: unknown) => {
      // Say which calls are still held and what their records say: the ladder cannot start on them.
      const open = await side.server.call<unknown[]>('open-sessions').catch(() => 'unknown');
      throw new Error(`sessions still open 10 s after every caller hung up: ${JSON.stringify(open)}`, {
        cause: err,
      });
    },
  );
}

/**
 * One window of `side`: its calls send (the others' are silent) for the settle time, then for
 * the window, then stop and drain; what was lost or reordered is counted after the drain.
 */
async function measureWindow(
  ctx: LadderContext,
  side: Side,
  live: readonly Side[],
  acc: { latency: Latency; late: Samples },
): Promise<Window> {
  const ledger = ctx.ledger;
  const lost0 = lostSoFar(ledger);
  const reordered0 = ledger.up.reordered + ledger.down.reordered;
  side.clock.start(side.streams);
  await sleep(ctx.settleMs);
  const idle = live.filter((s) => s !== side);
  ledger.clearLatency();
  side.clock.lateness.clear();
  ledger.recording = true;
  const s0 = await sample(side, { reset: true });
  const i0 = await Promise.all(idle.map((s) => sample(s, {})));
  const l0 = ctx.probe.sample({ reset: true });
  const r0 = await ctx.redisCpu();
  const f0 = crossed(ledger);
  const m0 = machineTicks();
  await sleep(ctx.windowMs);
  ledger.recording = false;
  const s1 = await sample(side, { reset: true });
  const i1 = await Promise.all(idle.map((s) => sample(s, {})));
  const l1 = ctx.probe.sample({ reset: true });
  const r1 = await ctx.redisCpu();
  const f1 = crossed(ledger);
  const m1 = machineTicks();
  side.clock.stop();
  acc.latency.take(ledger);
  for (const v of side.clock.lateness.values()) acc.late.push(v);
  await drain(ledger, lost0);

  const seconds = (s1.atMs - s0.atMs) / 1000;
  const frames = Math.max(1, f1 - f0);
  const server = coresUsed(s0, s1);
  const load = coresUsed(l0, l1);
  const redis = redisCores(r0, r1, s1.atMs - s0.atMs);
  const idleCores = i0.reduce((sum, s, i) => sum + coresUsed(s, i1[i] ?? s), 0);
  const total = machineCores(m0, m1);
  return {
    cores: {
      server,
      load,
      redis,
      others: total === null ? null : Math.max(0, round2(total - server - load - redis - idleCores)),
    },
    usPerFrame: round2((server * seconds * 1e6) / frames),
    loadUsPerFrame: round2((load * seconds * 1e6) / frames),
    framesPerSecond: Math.round((f1 - f0) / seconds),
    serverLoop: s1.loop,
    loadLoop: l1.loop,
    lost: lostSoFar(ledger) - lost0,
    reordered: ledger.up.reordered + ledger.down.reordered - reordered0,
  };
}

/** One server's step from its windows, and its memory after a full GC (its calls still open). */
async function closeStep(
  side: Side,
  n: number,
  acc: { windows: readonly Window[]; latency: Latency; late: Samples },
): Promise<Omit<LadderStep, 'status' | 'ok' | 'stoppedBecause'>> {
  const ws = acc.windows;
  const mean = (f: (w: Window) => number): number => round2(ws.reduce((a, w) => a + f(w), 0) / ws.length);
  const med = (f: (w: Window) => number): number => {
    const sorted = ws.map(f).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return round2(
      sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2,
    );
  };
  const worst = ws.reduce((a, w) => (w.serverLoop.p99Ms > a.serverLoop.p99Ms ? w : a));
  const worstLoad = ws.reduce((a, w) => (w.loadLoop.p99Ms > a.loadLoop.p99Ms ? w : a));
  const others = ws.every((w) => w.cores.others === null) ? null : mean((w) => w.cores.others ?? 0);
  const cores = {
    server: mean((w) => w.cores.server),
    load: mean((w) => w.cores.load),
    redis: mean((w) => w.cores.redis),
    others,
  };
  const up = acc.latency.up.values();
  const down = acc.latency.down.values();
  const both = new Float64Array(up.length + down.length);
  both.set(up);
  both.set(down, up.length);
  const mem = await sample(side, { gc: true });
  const base = side.base;
  const step = {
    calls: n,
    cores,
    callsPerCore: cores.server > 0 ? Math.round(n / cores.server) : 0,
    cpuUsPerFrame: med((w) => w.usPerFrame),
    loadUsPerFrame: med((w) => w.loadUsPerFrame),
    windows: ws.length,
    latencyMs: summarize(both),
    upMs: summarize(up),
    downMs: summarize(down),
    lost: ws.reduce((a, w) => a + w.lost, 0),
    reordered: ws.reduce((a, w) => a + w.reordered, 0),
    framesPerSecond: Math.round(mean((w) => w.framesPerSecond)),
    serverLoopDelayMs: worst.serverLoop,
    loadLoopDelayMs: worstLoad.loadLoop,
    loadLateP99Ms: summarize(acc.late.values()).p99,
    rssKbPerCall: round2((mem.rssBytes - base.rssBytes) / 1024 / n),
    heapKbPerCall: round2(
      (mem.heapUsedBytes + mem.externalBytes - base.heapUsedBytes - base.externalBytes) / 1024 / n,
    ),
    rssKbPerAddedCall: round2(
      (mem.rssBytes - side.previous.rssBytes) / 1024 / Math.max(1, n - side.previous.calls),
    ),
    rssMb: round2(mem.rssBytes / 1024 / 1024),
  };
  side.previous = { calls: n, rssBytes: mem.rssBytes };
  return step;
}

/**
 * Waits (at most `maxMs`) for a second in which the rest of the machine used less than
 * {@link NOISY_CORES}; returns the time waited.
 */
async function waitForQuiet(ctx: LadderContext, live: readonly Side[], maxMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < maxMs) {
    const s0 = await Promise.all(live.map((s) => sample(s, {})));
    const l0 = ctx.probe.sample();
    const r0 = await ctx.redisCpu();
    const m0 = machineTicks();
    await sleep(1_000);
    const s1 = await Promise.all(live.map((s) => sample(s, {})));
    const l1 = ctx.probe.sample();
    const r1 = await ctx.redisCpu();
    const total = machineCores(m0, machineTicks());
    if (total === null) break;
    const servers = s0.reduce((sum, s, i) => sum + coresUsed(s, s1[i] ?? s), 0);
    const ours = servers + coresUsed(l0, l1) + redisCores(r0, r1, (s1[0]?.atMs ?? 0) - (s0[0]?.atMs ?? 0));
    if (total - ours < NOISY_CORES) break;
  }
  return performance.now() - started;
}

/** Opens streams until the side has `n`, 50 at a time. */
async function grow(ctx: LadderContext, side: Side, n: number): Promise<void> {
  while (side.streams.length < n) {
    const batch = Math.min(50, n - side.streams.length);
    const opened = await Promise.all(Array.from({ length: batch }, () => side.open(ctx.nextIndex())));
    side.streams.push(...opened);
  }
}

/** Every caller hangs up, 50 at a time. */
export async function hangUpAll(streams: CarrierStream[]): Promise<void> {
  const all = streams.splice(0);
  for (let i = 0; i < all.length; i += 50) await Promise.all(all.slice(i, i + 50).map((s) => s.hangup()));
}

/** Frames that crossed a server so far: received by the agent plus received by the caller. */
function crossed(ledger: FrameLedger): number {
  const t = ledger.totals();
  return t.upReceived + t.downReceived;
}

/** Frames sent but never received, both directions, so far. */
function lostSoFar(ledger: FrameLedger): number {
  const t = ledger.totals();
  return t.sent - t.upReceived + (t.echoed - t.downReceived);
}

/**
 * Waits until every frame sent has arrived, but for the `before` already missing when the window
 * started (or 3 s pass: what is missing then is lost).
 */
async function drain(ledger: FrameLedger, before = 0): Promise<void> {
  await waitFor(async () => lostSoFar(ledger) <= before, 3_000).catch(() => undefined);
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}
