/**
 * The seeded adversary: `adversityFor(seed, { carrier, mode })` draws a plan — faults the
 * carrier permits (./table.ts, nothing else), what the human and the caller do and when they
 * hang up, how slowly the agent accepts and whether its socket drops, whether the carrier's
 * media socket drops. The plan is plain JSON (delays in ms, no clock), so one seed replays the
 * same hostile world under any clock. `applyAdversity` installs it on a running simulator.
 */
import type { HumanBehaviour } from '../endpoints/human.js';
import {
  CALLER_HANGUP_PHASES,
  type CallerHangupPhase,
  type FaultHandle,
  type FaultRule,
  type FaultScope,
  HANGUP_PHASES,
  type HangupPhase,
} from '../faults.js';
import type { SimulatorCore } from '../simulator.js';
import { Draw } from './prng.js';
import {
  type AdversaryCarrier,
  type AdversaryMode,
  type FaultTemplate,
  type OrderingRow,
  type Range,
  rowsFor,
} from './table.js';

export interface AdversityOptions {
  readonly carrier: AdversaryCarrier;
  readonly mode: AdversaryMode;
  /** Also draw from rows where a callback is lost; default false. */
  readonly lossy?: boolean;
  /** The agent's connect timeout: its accept latency is drawn in [0, this]; default 5000. */
  readonly agentConnectTimeoutMs?: number;
  /** At most this many carrier faults (drawn from the table); default 4. */
  readonly maxCarrierFaults?: number;
}

/** A fault rule as JSON: URL and path matches are substrings, `times` is a count. */
export type PlannedRule = FaultRule & { readonly times: number };

/** One fault of a plan and why it is allowed: a table row id, or `world.*` for people and sockets. */
export interface PlannedFault {
  readonly source: string;
  readonly rule: PlannedRule;
}

export interface AgentAdversity {
  /** Delay before the agent accepts the daemon's connection, ms (0 to the connect timeout). */
  readonly acceptDelayMs: number;
  /** The agent's socket is dropped (no close frame) this long after it accepted. */
  readonly dropAfterMs?: number;
}

export interface AdversityPlan {
  readonly seed: number;
  readonly carrier: AdversaryCarrier;
  readonly mode: AdversaryMode;
  readonly lossy: boolean;
  readonly faults: readonly PlannedFault[];
  /** How the transfer's destination behaves (before any `human.hangup` fault). */
  readonly human: HumanBehaviour;
  readonly agent: AgentAdversity;
}

/** World faults: people and sockets, not carrier orderings. */
export const WORLD_SOURCES = {
  humanHangup: 'world.human-hangup',
  callerHangup: 'world.caller-hangup',
  mediaDrop: 'world.media-drop',
} as const;

/**
 * An agent the adversary makes slow still accepts within the daemon's connect timeout: its
 * accept, then the WebSocket upgrade's answer, must come before the timeout fires. An agent that
 * accepts exactly at the timeout is an agent that timed out (property seed 0x13ca: accepted at
 * 5 000 ms twice, taken for down both times, audio judged lost that no agent could take).
 */
export const AGENT_ACCEPT_MARGIN_MS = 250;

/** Bounds of the world's draws, ms (or frames), shared with the check in {@link explainRule}. */
export const WORLD_BOUNDS = {
  answerAfterMs: [100, 4000] as Range,
  hangupAfterMs: [0, 3000] as Range,
  mediaDropAfterFrames: [0, 500] as Range,
  agentDropAfterMs: [0, 10_000] as Range,
} as const;

/** Seeds the stream the runs of REST errors are drawn from (any constant apart from the seeds' own). */
const IN_A_ROW_STREAM = 0x5eed_0a20;

const COLD_CALLER_PHASES: readonly CallerHangupPhase[] = ['ringing', 'joined'];

const HUMAN_KINDS = ['answer', 'busy', 'no-answer', 'fail', 'reject'] as const;

export function adversityFor(seed: number, options: AdversityOptions): AdversityPlan {
  const draw = new Draw(seed);
  const lossy = options.lossy ?? false;
  const connectTimeoutMs = options.agentConnectTimeoutMs ?? 5000;
  const all = rowsFor(options.carrier, options.mode).filter((r) => lossy || !r.lossy);
  const rows = all.filter((r) => r.apart !== true);
  const templates = rows.flatMap((row) => row.faults.map((template) => ({ row, template })));
  const faults: PlannedFault[] = [];
  const count = templates.length === 0 ? 0 : draw.int(0, options.maxCarrierFaults ?? 4);
  // How many errors in a row: drawn from a stream of their own, so the rest of a seed's plan is
  // what it was before rows had runs (the seeds kept as regressions replay as they did).
  const runs = new Draw((seed ^ IN_A_ROW_STREAM) >>> 0);
  for (let i = 0; i < count; i++) {
    const { row, template } = draw.pick(templates);
    const rule = instantiate(template, draw);
    faults.push({
      source: row.id,
      rule: template.type === 'rest.error' ? withRun(rule, template, runs) : rule,
    });
  }
  // Rows drawn apart, each from its own stream (table.ts `apart`).
  for (const row of all.filter((r) => r.apart === true)) {
    const own = new Draw((seed ^ streamOf(row.id)) >>> 0);
    if (!own.chance(0.3)) continue;
    const template = own.pick(row.faults);
    const rule = instantiate(template, own);
    faults.push({
      source: row.id,
      rule: template.type === 'rest.error' ? withRun(rule, template, own) : rule,
    });
  }
  const human = drawHuman(draw);
  if (human.type === 'answer' && draw.chance(0.3)) {
    const phase: HangupPhase = draw.pick(HANGUP_PHASES);
    faults.push({
      source: WORLD_SOURCES.humanHangup,
      rule: { type: 'human.hangup', phase, afterMs: draw.int(...WORLD_BOUNDS.hangupAfterMs), times: 1 },
    });
  }
  if (draw.chance(0.3)) {
    // Cold transfers have no hold and no conference whisper for the caller to hang up in.
    const phases = options.mode === 'warm' ? CALLER_HANGUP_PHASES : COLD_CALLER_PHASES;
    const phase: CallerHangupPhase = draw.pick(phases);
    faults.push({
      source: WORLD_SOURCES.callerHangup,
      rule: { type: 'caller.hangup', phase, afterMs: draw.int(...WORLD_BOUNDS.hangupAfterMs), times: 1 },
    });
  }
  if (draw.chance(0.15)) {
    faults.push({
      source: WORLD_SOURCES.mediaDrop,
      rule: { type: 'media.drop', afterFrames: draw.int(...WORLD_BOUNDS.mediaDropAfterFrames), times: 1 },
    });
  }
  const acceptDelayMs = draw.int(0, Math.max(0, connectTimeoutMs - AGENT_ACCEPT_MARGIN_MS));
  const agent: AgentAdversity = draw.chance(0.15)
    ? { acceptDelayMs, dropAfterMs: draw.int(...WORLD_BOUNDS.agentDropAfterMs) }
    : { acceptDelayMs };
  return { seed, carrier: options.carrier, mode: options.mode, lossy, faults, human, agent };
}

function drawHuman(draw: Draw): HumanBehaviour {
  const kind = draw.pick(HUMAN_KINDS);
  switch (kind) {
    case 'answer':
      return { type: 'answer', afterMs: draw.int(...WORLD_BOUNDS.answerAfterMs) };
    case 'busy':
      return { type: 'busy', afterMs: draw.int(100, 1000) };
    case 'no-answer':
      return { type: 'no-answer' };
    case 'fail':
      return { type: 'fail', afterMs: draw.int(100, 1000) };
    case 'reject':
      return { type: 'reject', afterMs: draw.int(200, 3000) };
  }
}

function instantiate(t: FaultTemplate, draw: Draw): PlannedRule {
  const between = (r: Range) => draw.int(r[0], r[1]);
  switch (t.type) {
    case 'callback.delay':
      return { type: t.type, match: t.match, delayMs: between(t.delayMs), times: 1 };
    case 'callback.reorder':
      return { type: t.type, match: t.match, holdMs: between(t.holdMs), times: 1 };
    case 'callback.duplicate':
      return { type: t.type, match: t.match, copies: between(t.copies), times: 1 };
    case 'callback.drop':
      return { type: t.type, match: t.match, times: 1 };
    case 'webhook.slow':
      return { type: t.type, match: t.match, delayMs: between(t.delayMs), times: 1 };
    case 'rest.slow':
      return { type: t.type, method: t.method, path: t.path, delayMs: between(t.delayMs), times: 1 };
    case 'rest.error':
      return {
        type: t.type,
        method: t.method,
        path: t.path,
        status: draw.pick(t.statuses),
        ...(t.applied === true ? { applied: true } : {}),
        ...(t.body === undefined ? {} : { body: t.body }),
        times: 1,
      };
  }
}

/** A row's own stream: its id hashed (FNV-1a), apart from the seeds' and the runs' streams. */
function streamOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A REST error rule with its run drawn: how many in a row, after how many that pass. */
function withRun(
  rule: PlannedRule,
  t: Extract<FaultTemplate, { type: 'rest.error' }>,
  runs: Draw,
): PlannedRule {
  if (rule.type !== 'rest.error') return rule;
  const times = t.inARow === undefined ? rule.times : runs.int(...t.inARow);
  const after = t.after === undefined ? 0 : runs.int(...t.after);
  return { ...rule, times, ...(after > 0 ? { after } : {}) };
}

const within = (v: number | undefined, r: Range) => v !== undefined && v >= r[0] && v <= r[1];
const sameMatch = (a: unknown, b: unknown) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

/** Whether a table template allows this exact rule. */
function templateAllows(t: FaultTemplate, rule: FaultRule): boolean {
  if (t.type !== rule.type) return false;
  switch (t.type) {
    case 'callback.delay':
      return rule.type === t.type && sameMatch(t.match, rule.match) && within(rule.delayMs, t.delayMs);
    case 'callback.reorder':
      return rule.type === t.type && sameMatch(t.match, rule.match) && within(rule.holdMs, t.holdMs);
    case 'callback.duplicate':
      return rule.type === t.type && sameMatch(t.match, rule.match) && within(rule.copies, t.copies);
    case 'callback.drop':
      return rule.type === t.type && sameMatch(t.match, rule.match);
    case 'webhook.slow':
      return rule.type === t.type && sameMatch(t.match, rule.match) && within(rule.delayMs, t.delayMs);
    case 'rest.slow':
      return (
        rule.type === t.type &&
        rule.method === t.method &&
        rule.path === t.path &&
        within(rule.delayMs, t.delayMs)
      );
    case 'rest.error':
      return (
        rule.type === t.type &&
        rule.method === t.method &&
        rule.path === t.path &&
        t.statuses.includes(rule.status) &&
        (rule.applied === true) === (t.applied === true) &&
        within(rule.times ?? 1, t.inARow ?? [1, 1]) &&
        within(rule.after ?? 0, t.after ?? [0, 0]) &&
        rule.body === t.body
      );
  }
}

/**
 * Which table row (or world draw) allows `rule` for this carrier and mode, or undefined if none
 * does: the check that a plan is no looser than the carrier.
 */
export function explainRule(
  rule: FaultRule,
  options: Pick<AdversityOptions, 'carrier' | 'mode' | 'lossy'>,
): string | undefined {
  if (rule.type === 'human.hangup')
    return within(rule.afterMs, WORLD_BOUNDS.hangupAfterMs) ? WORLD_SOURCES.humanHangup : undefined;
  if (rule.type === 'caller.hangup')
    return within(rule.afterMs, WORLD_BOUNDS.hangupAfterMs) ? WORLD_SOURCES.callerHangup : undefined;
  if (rule.type === 'media.drop')
    return within(rule.afterFrames, WORLD_BOUNDS.mediaDropAfterFrames) ? WORLD_SOURCES.mediaDrop : undefined;
  const rows: OrderingRow[] = rowsFor(options.carrier, options.mode).filter((r) => options.lossy || !r.lossy);
  return rows.find((row) => row.faults.some((t) => templateAllows(t, rule)))?.id;
}

/** What a scenario uses after {@link applyAdversity}: the faults installed, the agent's behaviour. */
export interface AppliedAdversity {
  readonly plan: AdversityPlan;
  readonly handles: readonly FaultHandle[];
  readonly human: HumanBehaviour;
  readonly agent: AgentAdversity;
  /** Removes every fault of the plan still installed. */
  remove(): void;
}

/**
 * Installs a plan on a running simulator: its faults into `sim.faults`, its human behaviour on
 * each address of `humans` (the transfer's destinations). The agent's behaviour is returned for
 * the scenario to give its agent (the simulator never talks to the agent).
 */
export function applyAdversity(
  sim: Pick<SimulatorCore, 'faults' | 'network'>,
  plan: AdversityPlan,
  options: {
    readonly humans?: readonly string[];
    /** Limits the plan's faults to some calls (a scenario among others sharing the simulator). */
    readonly scope?: FaultScope;
    /** Which of the plan's faults to install; default all. */
    readonly only?: (fault: PlannedFault) => boolean;
  } = {},
): AppliedAdversity {
  const chosen = options.only === undefined ? plan.faults : plan.faults.filter(options.only);
  const handles = chosen.map((f) => sim.faults.add(f.rule, options.scope));
  for (const address of options.humans ?? []) sim.network.addHuman(address, plan.human);
  return {
    plan,
    handles,
    human: plan.human,
    agent: plan.agent,
    remove() {
      for (const h of handles) h.remove();
    },
  };
}
