/** Turns the daemon's dispatch records (lib/instrument.ts) into the control-path figures. */
import type { DispatchRecord, InstrumentCounters } from '../lib/instrument.js';
import { round2, type Summary, summarize } from '../lib/stats.js';

export interface EventToRest {
  readonly input: string;
  readonly restPath: string;
  readonly count: number;
  readonly engineMs: Summary;
  /** The part spent in the store: calls.get, then applyEvent (load, step, commit). */
  readonly storeMs: Summary;
  /** The part after the store: the step's effects until the REST request starts. */
  readonly afterStoreMs: Summary;
}

/** Event → its first carrier REST request, in the daemon's own clock, by kind of event. */
export function eventToRest(dispatches: readonly DispatchRecord[]): EventToRest[] {
  const groups = new Map<
    string,
    { input: string; restPath: string; values: number[]; store: number[]; after: number[] }
  >();
  for (const d of dispatches) {
    if (d.status !== 'applied' || d.restAfterMs === undefined) continue;
    const key = `${d.input} ${d.restPath ?? ''}`;
    const g = groups.get(key) ?? {
      input: d.input,
      restPath: d.restPath ?? '',
      values: [],
      store: [],
      after: [],
    };
    g.values.push(d.restAfterMs);
    if (d.storeDoneAfterMs !== undefined) {
      g.store.push(d.storeDoneAfterMs);
      g.after.push(d.restAfterMs - d.storeDoneAfterMs);
    }
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => ({
      input: g.input,
      restPath: g.restPath,
      count: g.values.length,
      engineMs: summarize(g.values),
      storeMs: summarize(g.store),
      afterStoreMs: summarize(g.after),
    }))
    .sort((a, b) => b.count - a.count);
}

export interface RedisFigures {
  readonly appliedTransitions: number;
  /** Commands sent by the dispatch of each applied transition (load, step, commit), mean. */
  readonly perAppliedDispatch: number;
  /** How many applied transitions took n commands. */
  readonly histogram: Readonly<Record<string, number>>;
  /** Every command of every dispatch (including those that applied nothing) per applied transition. */
  readonly allDispatchesPerTransition: number;
  /** Commands outside dispatches (webhook lookups, stream starts, timer polls, heartbeats) per transition. */
  readonly outsidePerTransition: number;
  readonly outsideByMethod: Readonly<Record<string, number>>;
  readonly byMethod: Readonly<Record<string, number>>;
  /** Dispatches that applied nothing, by input and status: how many, and their commands in all. */
  readonly notApplied: Readonly<Record<string, { readonly count: number; readonly commands: number }>>;
}

export function redisFigures(counters: InstrumentCounters): RedisFigures {
  const applied = counters.dispatches.filter((d) => d.status === 'applied');
  const n = Math.max(1, applied.length);
  const histogram: Record<string, number> = {};
  let own = 0;
  for (const d of applied) {
    own += d.commands;
    histogram[String(d.commands)] = (histogram[String(d.commands)] ?? 0) + 1;
  }
  const all = counters.dispatches.reduce((sum, d) => sum + d.commands, 0);
  const notApplied: Record<string, { count: number; commands: number }> = {};
  for (const d of counters.dispatches) {
    if (d.status === 'applied') continue;
    const key = `${d.input} → ${d.status}`;
    const entry = notApplied[key] ?? { count: 0, commands: 0 };
    entry.count += 1;
    entry.commands += d.commands;
    notApplied[key] = entry;
  }
  const outside = Object.values(counters.commandsOutsideDispatch).reduce((a, b) => a + b, 0);
  const perTransition = (m: Record<string, number>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round2(v / n)]));
  return {
    appliedTransitions: applied.length,
    perAppliedDispatch: round2(own / n),
    histogram,
    allDispatchesPerTransition: round2(all / n),
    outsidePerTransition: round2(outside / n),
    outsideByMethod: perTransition(counters.commandsOutsideDispatch),
    byMethod: perTransition(counters.commandsByMethod),
    notApplied,
  };
}

export interface TimerFigures {
  readonly fired: number;
  readonly lateMs: Summary;
  readonly byKind: Readonly<Record<string, Summary>>;
}

/** How late timers fired: the dispatch of a fired timer started this long after its deadline. */
export function timerFigures(dispatches: readonly DispatchRecord[]): TimerFigures {
  const fired = dispatches.filter((d) => d.timerLateMs !== undefined);
  const byKind = new Map<string, number[]>();
  for (const d of fired) {
    const list = byKind.get(d.timer ?? '') ?? [];
    list.push(d.timerLateMs ?? 0);
    byKind.set(d.timer ?? '', list);
  }
  return {
    fired: fired.length,
    lateMs: summarize(fired.map((d) => d.timerLateMs ?? 0)),
    byKind: Object.fromEntries([...byKind].map(([k, v]) => [k, summarize(v)])),
  };
}
