/**
 * Daemon-side measurements for the control-path benchmark, taken without touching runtime code:
 *
 * - Every Redis command is counted on the client (ioredis' `sendCommand`, wrapped on the class so
 *   that every client of the process counts: the store's and the agent repository's), and
 *   attributed with AsyncLocalStorage to the store method that sent it and to the engine
 *   dispatch (one call event: load → step → compare-and-set → effects) it belongs to.
 * - `engine.dispatch` is wrapped on the app's engine instance (the webhooks, media sessions,
 *   executor and timer poller all call it through that object): each dispatch records its input,
 *   status, duration, Redis commands, and the first carrier REST request it caused.
 * - REST requests are seen on Node's `http.client.request.start` diagnostics channel, which runs
 *   synchronously in the caller's async context, so the request is tied to its dispatch.
 * - A dispatch that fires a timer records how late it is: now − the timer's deadline.
 *
 * The attribution (AsyncLocalStorage) turns on async hooks for the whole process: a hook call
 * for every promise, about 4 % of the daemon's busy time in the control burst (2026-12-02).
 * {@link setAttribution}(false) turns it off — the hooks disabled — as a production worker runs:
 * dispatches are still recorded with their status, start, duration and timer lateness, without
 * Redis commands; a trigger's first REST request is then found by its call
 * ({@link matchRestByCall}), which the run with attribution checks ({@link restMatchCheck}).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { ClientRequest } from 'node:http';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { CallInput } from '../../src/runtime/call-reducer.js';
import { parseTimerKey } from '../../src/runtime/commit-changes.js';
import type { CallEngine } from '../../src/runtime/engine.js';
import type { EventRef, Store } from '../../src/store/types.js';
import { epochMs } from './probe.js';
import { type ThreadTimes, threadTimes } from './thread-times.js';

interface DispatchContext {
  readonly callId: string;
  readonly input: string;
  readonly startedAtMs: number;
  commands: number;
  firstRestAtMs: number | undefined;
  restPath: string | undefined;
  /** When the store's `applyEvent` (load → step → commit) resolved. */
  appliedAtMs: number | undefined;
  readonly timesAtStart: ThreadTimes | undefined;
  firstRestTimes: ThreadTimes | undefined;
}

/** One finished dispatch, as the parent receives it. */
export interface DispatchRecord {
  readonly callId: string;
  /** `transfer.request`, `transfer.event:leg.answered`, … */
  readonly input: string;
  readonly status: string;
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** Redis commands sent by this dispatch itself (not by dispatches its effects fed). */
  readonly commands: number;
  /** ms from the dispatch's start to its first carrier REST request, if it made one. */
  readonly restAfterMs?: number;
  /** ms from the dispatch's start to the end of `applyEvent` (record loaded, stepped, committed). */
  readonly storeDoneAfterMs?: number;
  readonly restPath?: string;
  /** The REST request was found by its call, not by the dispatch's async context ({@link matchRestByCall}). */
  readonly restMatched?: boolean;
  /**
   * Between the dispatch's start and its first REST request, the daemon's main thread
   * (lib/thread-times.ts): ms on a core, and ms runnable but waiting for one — time the kernel
   * gave the machine's other processes or took to wake a core, not the daemon's work.
   */
  readonly restThread?: ThreadTimes;
  /** The main thread's times so far when the dispatch started (lib/thread-times.ts). */
  readonly timesAtStart?: ThreadTimes;
  /** For timer events: how late the timer fired (now − deadline), ms, and its kind. */
  readonly timerLateMs?: number;
  readonly timer?: string;
}

/** A carrier REST request as it started, with the call it names (path or form body), if any. */
export interface RestRecord {
  readonly atMs: number;
  /** The main thread's times so far as it started (lib/thread-times.ts). */
  readonly times?: ThreadTimes;
  readonly path: string;
  readonly callId: string | undefined;
}

export interface InstrumentCounters {
  readonly dispatches: DispatchRecord[];
  /** Every carrier REST request, attributed or not. */
  readonly rests: RestRecord[];
  /**
   * With attribution: {@link restMatchCheck} of the phase (filled when the counters are handed
   * over).
   */
  readonly restMatchCheck?: { readonly checked: number; readonly mismatches: readonly string[] };
  /** Redis commands by the store method that sent them (`applyEvent`, `calls.get`, …). */
  readonly commandsByMethod: Record<string, number>;
  /** Commands sent outside any dispatch (webhook lookups, stream starts, timer polls, heartbeats). */
  readonly commandsOutsideDispatch: Record<string, number>;
  commandsTotal: number;
  /** Every `applyEvent` (load, step, commit) by its call: a trigger's store step, found by its call. */
  readonly applies: StoreApply[];
  /** The daemon's GC pauses (a `gc` PerformanceObserver), to see which latencies one fell into. */
  readonly gcPauses: GcPause[];
}

/** One `applyEvent` of the store: its call, when it began and when its commit was answered (epoch ms). */
export interface StoreApply {
  readonly callId: string;
  readonly startedAtMs: number;
  readonly doneAtMs: number;
}

/** One GC pause of the daemon's main thread: when it began (epoch ms), how long, what kind. */
export interface GcPause {
  readonly atMs: number;
  readonly durationMs: number;
  /** `minor` (scavenge), `major` (mark-compact), `incremental`, `weakcb`. */
  readonly kind: string;
}

const GC_KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Records every GC pause of this process into `counters().gcPauses`; returns the stop. */
export function watchGcPauses(counters: () => InstrumentCounters): () => void {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? -1;
      counters().gcPauses.push({
        atMs: performance.timeOrigin + entry.startTime,
        durationMs: entry.duration,
        kind: GC_KINDS[kind] ?? String(kind),
      });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

/** Milliseconds of GC pause inside `[fromMs, toMs]`. */
export function pausedWithin(pauses: readonly GcPause[], fromMs: number, toMs: number): number {
  let ms = 0;
  for (const p of pauses) {
    const overlap = Math.min(toMs, p.atMs + p.durationMs) - Math.max(fromMs, p.atMs);
    if (overlap > 0) ms += overlap;
  }
  return ms;
}

const dispatchScope = new AsyncLocalStorage<DispatchContext>();
const methodScope = new AsyncLocalStorage<string>();
let attributing = true;

/** Whether attribution is on (see {@link setAttribution}). */
export function attributionOn(): boolean {
  return attributing;
}

/** Attribution on (default) or off; off disables both storages, and with them the async hooks. */
export function setAttribution(on: boolean): void {
  attributing = on;
  if (on) return;
  dispatchScope.disable();
  methodScope.disable();
}

export function newCounters(): InstrumentCounters {
  return {
    dispatches: [],
    rests: [],
    commandsByMethod: {},
    commandsOutsideDispatch: {},
    commandsTotal: 0,
    applies: [],
    gcPauses: [],
  };
}

/** Counts every command any ioredis client sends, attributed to its store method and dispatch. */
export function countCommands(redisClass: typeof Redis, counters: () => InstrumentCounters): void {
  const proto = redisClass.prototype;
  const send = proto.sendCommand;
  proto.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const c = counters();
    c.commandsTotal += 1;
    if (!attributing) return send.apply(this, args);
    const method = methodScope.getStore() ?? `other:${args[0].name}`;
    c.commandsByMethod[method] = (c.commandsByMethod[method] ?? 0) + 1;
    const dispatch = dispatchScope.getStore();
    if (dispatch === undefined)
      c.commandsOutsideDispatch[method] = (c.commandsOutsideDispatch[method] ?? 0) + 1;
    else dispatch.commands += 1;
    return send.apply(this, args);
  };
}

const STORE_PARTS = ['calls', 'flags', 'timers', 'dedupe', 'workers', 'sockets', 'pubsub'] as const;

/** The same store, with each method call labelled (for {@link countCommands}). */
export function labelStore<R extends object>(store: Store<R>, counters?: () => InstrumentCounters): Store<R> {
  const label = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(obj, key) {
        const value: unknown = Reflect.get(obj, key);
        if (typeof value !== 'function' || typeof key !== 'string') return value;
        const name = prefix === '' ? key : `${prefix}.${key}`;
        return (...args: unknown[]) =>
          attributing
            ? methodScope.run(name, () => (value as (...a: unknown[]) => unknown).apply(obj, args))
            : (value as (...a: unknown[]) => unknown).apply(obj, args);
      },
    });
  const parts = new Map<string, unknown>(
    STORE_PARTS.map((part) => [part, label((store as unknown as Record<string, object>)[part] ?? {}, part)]),
  );
  return new Proxy(store, {
    get(obj, key) {
      if (typeof key === 'string' && parts.has(key)) return parts.get(key);
      const value: unknown = Reflect.get(obj, key);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      const call = (...args: unknown[]) =>
        attributing
          ? methodScope.run(key, () => (value as (...a: unknown[]) => unknown).apply(obj, args))
          : (value as (...a: unknown[]) => unknown).apply(obj, args);
      if (key !== 'applyEvent') return call;
      return async (...args: unknown[]) => {
        const startedAtMs = epochMs();
        const result = await call(...args);
        counters?.().applies.push({ callId: String(args[0]), startedAtMs, doneAtMs: epochMs() });
        if (!attributing) return result;
        const dispatch = dispatchScope.getStore();
        if (dispatch !== undefined && dispatch.appliedAtMs === undefined) dispatch.appliedAtMs = epochMs();
        return result;
      };
    },
  });
}

/**
 * Records every outgoing HTTP request of the process in `counters().rests`, with the call it
 * names, and — with attribution — as its dispatch's first REST request. Returns the unsubscribe.
 */
export function watchRestRequests(counters: () => InstrumentCounters): () => void {
  keepBodies();
  const onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const atMs = epochMs();
    const times = threadTimes();
    const path = `${request.method} ${request.path.replace(/\/(CA|CF)[0-9a-f]{32}/g, '/$1…').replace(/AC[0-9a-f]{32}/, 'AC…')}`;
    counters().rests.push(restRecord(request, atMs, times, path));
    if (!attributing) return;
    const dispatch = dispatchScope.getStore();
    if (dispatch === undefined || dispatch.firstRestAtMs !== undefined) return;
    dispatch.firstRestAtMs = atMs;
    dispatch.firstRestTimes = times;
    dispatch.restPath = path;
  };
  diagnostics.subscribe('http.client.request.start', onStart);
  return () => diagnostics.unsubscribe('http.client.request.start', onStart);
}

/** Wraps `engine.dispatch` on this instance and watches outgoing HTTP requests. */
export function instrumentEngine(engine: CallEngine, counters: () => InstrumentCounters): void {
  watchRestRequests(counters);
  const original = engine.dispatch.bind(engine);
  engine.dispatch = (callId, input, ref, context) => {
    const ctx: DispatchContext = {
      callId,
      input: inputName(input),
      startedAtMs: epochMs(),
      commands: 0,
      firstRestAtMs: undefined,
      restPath: undefined,
      appliedAtMs: undefined,
      timesAtStart: threadTimes(),
      firstRestTimes: undefined,
    };
    const timer = timerOf(ref);
    const run = async () => {
      let status = 'error';
      try {
        const outcome = await original(callId, input, ref, context);
        status = outcome.status;
        return outcome;
      } finally {
        counters().dispatches.push({
          callId,
          input: ctx.input,
          status,
          startedAtMs: ctx.startedAtMs,
          durationMs: epochMs() - ctx.startedAtMs,
          commands: ctx.commands,
          ...(ctx.firstRestAtMs === undefined
            ? {}
            : { restAfterMs: ctx.firstRestAtMs - ctx.startedAtMs, restPath: ctx.restPath ?? '' }),
          ...(ctx.appliedAtMs === undefined ? {} : { storeDoneAfterMs: ctx.appliedAtMs - ctx.startedAtMs }),
          ...(ctx.timesAtStart === undefined ? {} : { timesAtStart: ctx.timesAtStart }),
          ...threadBetween(ctx.timesAtStart, ctx.firstRestTimes),
          ...(timer === undefined ? {} : { timerLateMs: ctx.startedAtMs - timer.atMs, timer: timer.kind }),
        });
      }
    };
    return attributing ? dispatchScope.run(ctx, run) : run();
  };
}

/** Form bodies of the requests in flight, kept by `end` ({@link keepBodies}) for {@link restRecord}. */
const bodies = new WeakMap<ClientRequest, string>();
let bodiesKept = false;

/**
 * Keeps each request's body as `end` receives it: `http.client.request.start` is published from
 * inside `end` (the request's `_finish`), after the body is written, with only the request.
 */
function keepBodies(): void {
  const proto = ClientRequest.prototype;
  if (bodiesKept) return;
  bodiesKept = true;
  const end = proto.end;
  proto.end = function (this: ClientRequest, ...args: unknown[]) {
    const body = args[0];
    if (typeof body === 'string' || Buffer.isBuffer(body)) bodies.set(this, body.toString());
    return (end as (...a: unknown[]) => ClientRequest).apply(this, args);
  } as ClientRequest['end'];
}

/**
 * The call a REST request is about: the Twilio call SID in its path (`/Calls/CA….json`: a
 * caller's call id is its SID), else the `callId` of the callback URLs in its form body (a
 * created leg's `Url`/`StatusCallback`).
 */
function restRecord(
  request: ClientRequest,
  atMs: number,
  times: ThreadTimes | undefined,
  path: string,
): RestRecord {
  const inPath = /\/Calls\/(CA[0-9a-f]{32})\.json/.exec(request.path)?.[1];
  const callId = inPath ?? /callId%3D(CA[0-9a-f]{32})/.exec(bodies.get(request) ?? '')?.[1];
  return { atMs, path, callId, ...(times === undefined ? {} : { times }) };
}

/** `restThread` of a dispatch from the two readings, when both were taken. */
function threadBetween(
  atStart: ThreadTimes | undefined,
  atRest: ThreadTimes | undefined,
): { restThread?: ThreadTimes } {
  return atStart === undefined || atRest === undefined
    ? {}
    : {
        restThread: {
          onCoreMs: atRest.onCoreMs - atStart.onCoreMs,
          waitMs: atRest.waitMs - atStart.waitMs,
        },
      };
}

/**
 * The inputs whose first REST request the bench reports (phase.ts), each with the request it
 * leads to: a warm trigger dials the human (`POST …/Calls.json`), a played handoff moves the
 * caller (`POST …/Calls/CA….json`, the caller's call updated).
 */
export const TRIGGER_REST: ReadonlyMap<string, (path: string) => boolean> = new Map([
  ['transfer.request', (path: string) => path.startsWith('POST ') && path.endsWith('/Calls.json')],
  [
    'transfer.event:handoff.played',
    (path: string) => path.startsWith('POST ') && path.endsWith('/Calls/CA….json'),
  ],
]);

/**
 * Without attribution, a trigger's first REST request is the first request about its call, of
 * the kind that trigger leads to ({@link TRIGGER_REST}), that started at or after the trigger's
 * dispatch did: each bench call has one transfer. (Not simply the call's next request: a warm
 * transfer's leg webhooks are dispatched on the caller's call while its handoff is played, and
 * a cold trigger leads to no request of its own — its redirect is its handoff's.) `restMatched`
 * says so; the run with attribution checks the two agree ({@link restMatchCheck}).
 */
export function matchRestByCall(counters: InstrumentCounters): InstrumentCounters {
  const byCall = new Map<string, RestRecord[]>();
  for (const r of counters.rests) {
    if (r.callId === undefined) continue;
    const list = byCall.get(r.callId) ?? [];
    list.push(r);
    byCall.set(r.callId, list);
  }
  const dispatches = counters.dispatches.map((d): DispatchRecord => {
    const fits = TRIGGER_REST.get(d.input);
    if (fits === undefined || d.restAfterMs !== undefined || d.status !== 'applied') return d;
    const rest = byCall.get(d.callId)?.find((r) => r.atMs >= d.startedAtMs && fits(r.path));
    if (rest === undefined) return d;
    return {
      ...d,
      restAfterMs: rest.atMs - d.startedAtMs,
      restPath: rest.path,
      restMatched: true,
      ...threadBetween(d.timesAtStart, rest.times),
    };
  });
  return { ...counters, dispatches };
}

/**
 * For a phase run with attribution: how many applied triggers there were, and those whose first
 * REST request found by the dispatch's async context and by {@link matchRestByCall} differ (none
 * expected; the bench reports them).
 */
export function restMatchCheck(counters: InstrumentCounters): { checked: number; mismatches: string[] } {
  let checked = 0;
  const byContext = counters.dispatches;
  const unattributed = byContext.map((d) => {
    const { restAfterMs: _a, restPath: _p, ...rest } = d;
    return rest as DispatchRecord;
  });
  const matched = matchRestByCall({ ...counters, dispatches: unattributed }).dispatches;
  const out: string[] = [];
  byContext.forEach((d, i) => {
    if (d.status !== 'applied' || !TRIGGER_REST.has(d.input)) return;
    checked += 1;
    const m = matched[i];
    if (m?.restAfterMs !== d.restAfterMs || m?.restPath !== d.restPath)
      out.push(
        `${d.input} ${d.callId}: context ${d.restAfterMs} ${d.restPath}, matched ${m?.restAfterMs} ${m?.restPath}`,
      );
  });
  return { checked, mismatches: out };
}

function inputName(input: CallInput): string {
  return input.type === 'transfer.event' ? `transfer.event:${input.event.type}` : input.type;
}

function timerOf(ref: EventRef | undefined): { atMs: number; kind: string } | undefined {
  if (ref === undefined || typeof ref === 'string' || !('timer' in ref)) return undefined;
  const claim = ref.timer as { timerId: string; atMs?: number };
  if (claim.atMs === undefined) return undefined;
  const parsed = parseTimerKey(claim.timerId);
  const kind =
    parsed === null ? 'unknown' : parsed.kind === 'call' ? parsed.name : (parsed.timerId.split(':')[0] ?? '');
  return { atMs: claim.atMs, kind };
}
