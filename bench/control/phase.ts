/**
 * One phase of the control-path benchmark: M calls placed, then their transfers triggered at an
 * even rate over `triggerSpreadMs`. Half are warm (the agent's `[TRANSFER:…]` text; the agent
 * never answers the summary request, so each warm transfer also fires its bounded `summary`
 * timer), half cold (a `transfer` event). The phase ends when every transfer has settled and
 * every caller has hung up.
 *
 * Measured in the daemon (lib/instrument.ts): each event's time to its first carrier REST
 * request, transitions applied per second and per CPU second, Redis commands per transition,
 * timers' lateness. Measured across processes (clocks aligned over IPC): the agent's send of the
 * trigger → the daemon's REST request.
 */
import type { SimCall } from '../../sim/endpoints/caller.js';
import { CALLER, INBOUND } from '../lib/daemon-setup.js';
import {
  type DispatchRecord,
  type InstrumentCounters,
  newCounters,
  pausedWithin,
} from '../lib/instrument.js';
import { machineCores, machineTicks } from '../lib/machine-load.js';
import { coresUsed, epochMs, type Probe, type ProcessSample } from '../lib/probe.js';
import type { ProfileSummary } from '../lib/profile.js';
import { redisCores, redisCpuTimes, redisReadEvents } from '../lib/redis-cpu.js';
import { round2, type Summary, sleep, summarize } from '../lib/stats.js';
import {
  type EventToRest,
  eventToRest,
  type RedisFigures,
  redisFigures,
  type TimerFigures,
  timerFigures,
} from './analyze.js';
import type { AgentPlan } from './bench-agent.js';
import type { Rig } from './rig.js';

export interface PhaseOptions {
  readonly calls: number;
  readonly placeSpreadMs: number;
  readonly triggerSpreadMs: number;
  /**
   * How many times the phase runs (each with its own M calls, placed, triggered at the same
   * rate, hung up); its figures pool every round. A p99 needs a hundred samples or more, and
   * one round of a slow phase has a few dozen, whose p99 is their maximum. Default 1.
   */
  readonly rounds?: number;
  readonly probe: Probe;
  /** Profile the daemon over the phase's window into this file. */
  readonly profileFile?: string;
  /**
   * Attribute Redis commands and REST requests to dispatches (async hooks on; default true).
   * Without it only transitions and timers are counted: no latencies, no Redis figures.
   */
  readonly attribute?: boolean;
}

export interface PhaseResult {
  /** Calls of one round; {@link rounds} rounds were pooled. */
  readonly calls: number;
  readonly rounds: number;
  /** Run under the CPU profiler: its CPU figures include the profiler's cost. */
  readonly profiled: boolean;
  /** Run with attribution (async hooks): its CPU figures include their cost. */
  readonly attributed: boolean;
  readonly triggerSpreadMs: number;
  /** Transfers triggered per second. */
  readonly triggerRate: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** Warm: the trigger's own dispatch → its first REST request (Calls create), daemon clock. */
  readonly triggerToRestEngineMs: Summary;
  /**
   * Warm trigger → REST in three parts, for all triggers and for those over {@link SLOW_TRIGGER_MS}:
   * from the dispatch to the store's `applyEvent`, the apply (record, step, commit answered), and
   * from its answer to the REST request's start (effects, the SDK, Node's HTTP client).
   */
  readonly triggerParts: { readonly all: TriggerParts; readonly slow: TriggerParts };
  /**
   * The daemon's GC pauses against the warm triggers: how many took over {@link SLOW_TRIGGER_MS}
   * and how many of those had a pause inside; the latencies with the pauses inside taken out;
   * every pause in the windows.
   */
  readonly triggerGc: {
    readonly slow: number;
    readonly slowWithPause: number;
    readonly withoutPausesMs: Summary;
    readonly pausesMs: Summary;
  };
  /**
   * The warm triggers' thread times (lib/thread-times.ts): how long of each trigger → REST the
   * daemon's main thread ran, and how long it was runnable but not running — the kernel running
   * the machine's other processes (the load generator, Redis) or waking a halted core; the
   * latencies with that wait taken out; and of the triggers over {@link SLOW_TRIGGER_MS}, how
   * many are still over it without it. Absent where the kernel keeps no scheduler statistics.
   */
  readonly triggerThread?: {
    readonly onCoreMs: Summary;
    readonly waitMs: Summary;
    readonly withoutWaitMs: Summary;
    readonly slow: number;
    readonly slowWithoutWait: number;
  };
  /** Warm: the agent sent the trigger → the daemon sent the REST request (clocks aligned). */
  readonly triggerToRestEndToEndMs: Summary;
  /** Cold: the agent sent the trigger → the REST redirect (the handoff mark echoed by the carrier first). */
  readonly coldTriggerToRestMs: Summary;
  /**
   * With attribution: triggers whose first REST request, found by the dispatch's async context
   * and by its call (lib/instrument.ts `matchRestByCall`, how the other phases find it), differ.
   */
  readonly restMatchCheck?: InstrumentCounters['restMatchCheck'];
  readonly eventToRest: readonly EventToRest[];
  readonly transitions: {
    readonly applied: number;
    readonly windowS: number;
    readonly perSecond: number;
    readonly daemonCores: number;
    /** The daemon's cores just before the burst (every call on its AI stream: media only). */
    readonly idleDaemonCores: number;
    /** Applied transitions per daemon CPU second, media bridging included / excluded. */
    readonly perCpuSecond: number;
    readonly perControlCpuSecond: number;
    /** Share of the window's daemon CPU estimated to be the media of calls still with the AI. */
    readonly mediaCpuShare: number;
    readonly dispatchMs: Summary;
    /** Dispatches started in the window, by `input → status` (what the window's CPU paid for). */
    readonly inWindow: Readonly<Record<string, number>>;
  };
  readonly redis: RedisFigures;
  /**
   * Read events Redis processed over the whole phase (calls placed, transfers, hang-ups), per
   * call: the daemon's writes to it (the bench's own few `INFO` reads included).
   */
  readonly redisReadsPerCall: number;
  readonly timers: TimerFigures;
  readonly cores: {
    readonly daemon: number;
    readonly load: number;
    readonly redis: number;
    readonly others: number | null;
  };
  readonly daemonLoopDelayMs: ProcessSample['loop'];
  readonly profile?: ProfileSummary;
}

export const HUMAN = '+14155550111';

/** A warm trigger slower than this misses the control path's p99 target (DESIGN.md). */
export const SLOW_TRIGGER_MS = 5;

export async function runPhase(rig: Rig, options: PhaseOptions): Promise<PhaseResult> {
  await rig.daemon.call('attribution', { on: options.attribute ?? true });
  const rounds: Round[] = [];
  for (let i = 0; i < Math.max(1, options.rounds ?? 1); i++) rounds.push(await runRound(rig, options));
  return summarizeControl(rig, options, rounds);
}

/** One round of a phase: what it placed, what the daemon counted, its measured window. */
interface Round {
  readonly calls: readonly SimCall[];
  readonly warmIds: ReadonlySet<string>;
  readonly counters: InstrumentCounters;
  readonly redisReads: number;
  readonly window: Window;
}

async function runRound(rig: Rig, options: PhaseOptions): Promise<Round> {
  const redisReads0 = await redisReadEvents(rig.admin);
  {
    const calls: SimCall[] = [];
    const warmIds = new Set<string>();
    for (let i = 0; i < options.calls; i++) {
      const call = await rig.sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: INBOUND });
      if (i % 2 === 0) warmIds.add(call.sid);
      calls.push(call);
      await sleep(options.placeSpreadMs / options.calls);
    }
    // The schedule starts once every call is placed: on a busy machine placing can overrun any
    // fixed schedule, and the window would then miss the phase's first triggers. The agent
    // waits for its plan (it says nothing until then).
    const t0 = epochMs() + 1500;
    for (const [i, call] of calls.entries()) {
      const warm = warmIds.has(call.sid);
      const plan: AgentPlan = {
        sayMs: 300,
        trigger: warm ? 'tag' : 'event',
        destination: HUMAN,
        ...(warm ? {} : { mode: 'cold' as const }),
        triggerAtMs: t0 + (i / options.calls) * options.triggerSpreadMs,
        answerSummary: false,
        resumeSayMs: 200,
      };
      rig.agent.plan(call.sid, plan);
    }
    // The calls' media alone, before any trigger: the daemon's cost per call on an AI stream.
    await sleep(Math.max(0, t0 - 1200 - epochMs()));
    const streamingAtIdle = streamingCalls(rig, calls);
    const idle0 = await rig.daemon.call<ProcessSample>('sample', { reset: true });
    await sleep(1000);
    const idle1 = await rig.daemon.call<ProcessSample>('sample', { reset: true });
    const mediaCoresPerCall = coresUsed(idle0, idle1) / Math.max(1, streamingAtIdle);

    await sleep(Math.max(0, t0 - 300 - epochMs()));
    if (options.profileFile !== undefined) await rig.daemon.call('profile-start');
    await sleep(Math.max(0, t0 - epochMs()));
    const s0 = await rig.daemon.call<ProcessSample>('sample', { reset: true });
    const l0 = options.probe.sample({ reset: true });
    const r0 = await redisCpuTimes(rig.admin);
    const m0 = machineTicks();
    const done = () => calls.every((c) => isSettled(rig.agent.calls.get(c.sid)?.statuses));
    const deadline = epochMs() + options.triggerSpreadMs + 20_000;
    // Call-seconds spent on an AI stream during the burst (sampled every 50 ms): their media is
    // not control-path work and is subtracted from the daemon's CPU time.
    let streamingCallMs = 0;
    let lastAt = epochMs();
    while (!done() && epochMs() < deadline) {
      await sleep(50);
      const now = epochMs();
      streamingCallMs += streamingCalls(rig, calls) * (now - lastAt);
      lastAt = now;
    }
    const s1 = await rig.daemon.call<ProcessSample>('sample', { reset: true });
    const l1 = options.probe.sample({ reset: true });
    const r1 = await redisCpuTimes(rig.admin);
    const m1 = machineTicks();
    const profile =
      options.profileFile === undefined
        ? undefined
        : await rig.daemon.call<ProfileSummary>('profile-stop', { file: options.profileFile });

    for (const call of calls) call.hangup();
    await Promise.race([Promise.all(calls.map((c) => c.ended)), sleep(10_000)]);
    await sleep(500);
    const counters = await rig.daemon.call<InstrumentCounters>('counters');
    const redisReads = (await redisReadEvents(rig.admin)) - redisReads0;
    return {
      calls,
      warmIds,
      counters,
      redisReads,
      window: {
        windowStart: s0.atMs,
        windowEnd: s1.atMs,
        daemonCores: coresUsed(s0, s1),
        idleDaemonCores: coresUsed(idle0, idle1),
        mediaCpuMs: mediaCoresPerCall * streamingCallMs,
        cores: {
          daemon: coresUsed(s0, s1),
          load: coresUsed(l0, l1),
          redis: redisCores(r0, r1, s1.atMs - s0.atMs),
          others: othersCores(machineCores(m0, m1), [
            coresUsed(s0, s1),
            coresUsed(l0, l1),
            redisCores(r0, r1, s1.atMs - s0.atMs),
          ]),
        },
        loop: s1.loop,
        profile,
      },
    };
  }
}

interface Window {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly daemonCores: number;
  readonly idleDaemonCores: number;
  /** Estimated daemon CPU spent on the media of calls still on an AI stream during the window, ms. */
  readonly mediaCpuMs: number;
  readonly cores: PhaseResult['cores'];
  readonly loop: ProcessSample['loop'];
  readonly profile: ProfileSummary | undefined;
}

function summarizeControl(rig: Rig, options: PhaseOptions, rounds: readonly Round[]): PhaseResult {
  const toLocal = (daemonMs: number) => daemonMs - rig.offsetMs;
  const engine: number[] = [];
  const endToEnd: number[] = [];
  const cold: number[] = [];
  const outcomes: Record<string, number> = {};
  const inWindow: DispatchRecord[] = [];
  const pausedInTrigger: number[] = [];
  const threads: { latency: number; wait: number; onCore: number }[] = [];
  const parts: TriggerPart[] = [];
  const slowParts: TriggerPart[] = [];
  let slow = 0;
  let slowPaused = 0;
  const byInput: Record<string, number> = {};
  for (const { calls, warmIds, counters, window: w } of rounds) {
    const d = counters.dispatches;
    const firstRest = (callId: string, input: string) =>
      d.find((x) => x.callId === callId && x.input === input && x.restAfterMs !== undefined);
    for (const call of calls) {
      const log = rig.agent.calls.get(call.sid);
      const last = log?.statuses[log.statuses.length - 1] ?? 'none';
      outcomes[last] = (outcomes[last] ?? 0) + 1;
      const sent = log?.triggerSentAtMs;
      if (sent === undefined) continue;
      if (warmIds.has(call.sid)) {
        const rec = firstRest(call.sid, 'transfer.request');
        if (rec?.restAfterMs === undefined) continue;
        engine.push(rec.restAfterMs);
        const apply = counters.applies.find((a) => a.callId === call.sid && a.startedAtMs >= rec.startedAtMs);
        if (apply !== undefined) {
          const part = {
            before: apply.startedAtMs - rec.startedAtMs,
            store: apply.doneAtMs - apply.startedAtMs,
            after: rec.startedAtMs + rec.restAfterMs - apply.doneAtMs,
          };
          parts.push(part);
          if (rec.restAfterMs > SLOW_TRIGGER_MS) slowParts.push(part);
        }
        if (rec.restThread !== undefined)
          threads.push({
            latency: rec.restAfterMs,
            wait: rec.restThread.waitMs,
            onCore: rec.restThread.onCoreMs,
          });
        const paused = pausedWithin(counters.gcPauses, rec.startedAtMs, rec.startedAtMs + rec.restAfterMs);
        pausedInTrigger.push(paused);
        if (rec.restAfterMs > SLOW_TRIGGER_MS) {
          slow += 1;
          if (paused > 0) slowPaused += 1;
        }
        endToEnd.push(toLocal(rec.startedAtMs + rec.restAfterMs) - sent);
      } else {
        const rec = firstRest(call.sid, 'transfer.event:handoff.played');
        if (rec?.restAfterMs !== undefined) cold.push(toLocal(rec.startedAtMs + rec.restAfterMs) - sent);
      }
    }
    for (const x of d) {
      if (x.startedAtMs < w.windowStart || x.startedAtMs > w.windowEnd) continue;
      if (x.status === 'applied') inWindow.push(x);
      const key = `${x.input} → ${x.status}`;
      byInput[key] = (byInput[key] ?? 0) + 1;
    }
  }
  const counters = mergeCounters(rounds.map((r) => r.counters));
  const d = counters.dispatches;
  const windows = rounds.map((r) => r.window);
  const windowS = sum(windows.map((w) => (w.windowEnd - w.windowStart) / 1000));
  // CPU seconds of each kind over all the windows, then cores as their share of the windows' time.
  const cpuS = (cores: (w: Window) => number) =>
    sum(windows.map((w) => cores(w) * ((w.windowEnd - w.windowStart) / 1000)));
  const coresOver = (cores: (w: Window) => number) => round2(cpuS(cores) / Math.max(0.001, windowS));
  const daemonCpuS = cpuS((w) => w.daemonCores);
  const mediaCpuS = sum(windows.map((w) => w.mediaCpuMs)) / 1000;
  const applied = d.filter((x) => x.status === 'applied');
  const calls = sum(rounds.map((r) => r.calls.length));
  const profile = windows.find((w) => w.profile !== undefined)?.profile;
  return {
    calls: options.calls,
    rounds: rounds.length,
    profiled: options.profileFile !== undefined,
    attributed: options.attribute ?? true,
    triggerSpreadMs: options.triggerSpreadMs,
    triggerRate: Math.round(options.calls / (options.triggerSpreadMs / 1000)),
    outcomes,
    triggerToRestEngineMs: summarize(engine),
    ...(threads.length === 0 ? {} : { triggerThread: threadFigures(threads) }),
    triggerToRestEndToEndMs: summarize(endToEnd),
    triggerParts: { all: partSummaries(parts), slow: partSummaries(slowParts) },
    triggerGc: {
      slow,
      slowWithPause: slowPaused,
      withoutPausesMs: summarize(engine.map((ms, i) => ms - (pausedInTrigger[i] ?? 0))),
      pausesMs: summarize(
        counters.gcPauses
          .filter((p) => windows.some((w) => p.atMs >= w.windowStart && p.atMs <= w.windowEnd))
          .map((p) => p.durationMs),
      ),
    },
    coldTriggerToRestMs: summarize(cold),
    ...(counters.restMatchCheck === undefined ? {} : { restMatchCheck: counters.restMatchCheck }),
    eventToRest: eventToRest(d),
    transitions: {
      applied: inWindow.length,
      windowS: round2(windowS),
      perSecond: Math.round(inWindow.length / windowS),
      daemonCores: coresOver((w) => w.daemonCores),
      idleDaemonCores: round2(sum(windows.map((w) => w.idleDaemonCores)) / windows.length),
      perCpuSecond: Math.round(inWindow.length / daemonCpuS),
      perControlCpuSecond: Math.round(inWindow.length / Math.max(0.001, daemonCpuS - mediaCpuS)),
      mediaCpuShare: round2(mediaCpuS / Math.max(0.001, daemonCpuS)),
      dispatchMs: summarize(applied.map((x) => x.durationMs)),
      inWindow: byInput,
    },
    redis: redisFigures(counters),
    redisReadsPerCall: round2(sum(rounds.map((r) => r.redisReads)) / Math.max(1, calls)),
    timers: timerFigures(d),
    cores: {
      daemon: coresOver((w) => w.cores.daemon),
      load: coresOver((w) => w.cores.load),
      redis: coresOver((w) => w.cores.redis),
      others: windows.some((w) => w.cores.others === null) ? null : coresOver((w) => w.cores.others ?? 0),
    },
    // The worst round's: a pooled histogram is not kept.
    daemonLoopDelayMs: windows.reduce(
      (worst, w) => (w.loop.p99Ms > worst.p99Ms ? w.loop : worst),
      windows[0]?.loop ?? NO_LOOP,
    ),
    ...(profile === undefined ? {} : { profile }),
  };
}

function threadFigures(
  triggers: readonly { latency: number; wait: number; onCore: number }[],
): NonNullable<PhaseResult['triggerThread']> {
  const slow = triggers.filter((t) => t.latency > SLOW_TRIGGER_MS);
  return {
    onCoreMs: summarize(triggers.map((t) => t.onCore)),
    waitMs: summarize(triggers.map((t) => t.wait)),
    withoutWaitMs: summarize(triggers.map((t) => t.latency - t.wait)),
    slow: slow.length,
    slowWithoutWait: slow.filter((t) => t.latency - t.wait > SLOW_TRIGGER_MS).length,
  };
}

interface TriggerPart {
  readonly before: number;
  readonly store: number;
  readonly after: number;
}

export interface TriggerParts {
  readonly beforeStoreMs: Summary;
  readonly storeMs: Summary;
  readonly afterStoreMs: Summary;
}

function partSummaries(parts: readonly TriggerPart[]): TriggerParts {
  return {
    beforeStoreMs: summarize(parts.map((p) => p.before)),
    storeMs: summarize(parts.map((p) => p.store)),
    afterStoreMs: summarize(parts.map((p) => p.after)),
  };
}

const NO_LOOP: ProcessSample['loop'] = { p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** The rounds' counters as one phase's: every dispatch and request, the command counts added up. */
export function mergeCounters(all: readonly InstrumentCounters[]): InstrumentCounters {
  if (all.length === 1 && all[0] !== undefined) return all[0];
  const merged = newCounters();
  const add = (into: Record<string, number>, from: Readonly<Record<string, number>>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  const checks = all.flatMap((c) => (c.restMatchCheck === undefined ? [] : [c.restMatchCheck]));
  for (const c of all) {
    merged.dispatches.push(...c.dispatches);
    merged.rests.push(...c.rests);
    add(merged.commandsByMethod, c.commandsByMethod);
    add(merged.commandsOutsideDispatch, c.commandsOutsideDispatch);
    merged.commandsTotal += c.commandsTotal;
    merged.gcPauses.push(...c.gcPauses);
    merged.applies.push(...c.applies);
  }
  return checks.length === 0
    ? merged
    : {
        ...merged,
        restMatchCheck: {
          checked: sum(checks.map((c) => c.checked)),
          mismatches: checks.flatMap((c) => c.mismatches),
        },
      };
}

function streamingCalls(rig: Rig, calls: readonly SimCall[]): number {
  let n = 0;
  for (const c of calls) if (rig.sim.twilio.streamsOf(c.sid).some((s) => !s.isEnded)) n += 1;
  return n;
}

function isSettled(statuses: readonly string[] | undefined): boolean {
  return statuses !== undefined && (statuses.includes('connected') || statuses.includes('failed'));
}

/** Cores busy elsewhere on the machine (other users' processes). */
export function othersCores(total: number | null, ours: readonly number[]): number | null {
  return total === null ? null : Math.max(0, round2(total - ours.reduce((a, b) => a + b, 0)));
}

/** Four transfers end to end before anything is counted: connections, scripts, JIT. */
export async function warmUp(rig: Rig): Promise<void> {
  const calls: SimCall[] = [];
  for (let i = 0; i < 4; i++) {
    const call = await rig.sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: INBOUND });
    rig.agent.plan(call.sid, {
      sayMs: 100,
      trigger: i % 2 === 0 ? 'tag' : 'event',
      destination: HUMAN,
      ...(i % 2 === 0 ? {} : { mode: 'cold' as const }),
      answerSummary: true,
      resumeSayMs: 100,
    });
    calls.push(call);
  }
  const deadline = epochMs() + 15_000;
  while (!calls.every((c) => isSettled(rig.agent.calls.get(c.sid)?.statuses)) && epochMs() < deadline)
    await sleep(50);
  for (const call of calls) call.hangup();
  await Promise.race([Promise.all(calls.map((c) => c.ended)), sleep(5_000)]);
}
