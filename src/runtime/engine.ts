import type { AgentConfig } from '../config/agent-types.js';
import type { Carrier } from '../domain/carrier.js';
import { DaemonError } from '../domain/errors.js';
import type { Log } from '../log.js';
import type { AppliedTimers, EventRef, Store } from '../store/types.js';
import type { CallerPlace, CarrierCapability, ModeRegistry } from '../transfer/mode.js';
import type { AgentDirectory } from './agent-directory.js';
import { type CallRecord, type NewCallInput, newCallRecord } from './call-record.js';
import type { CallerNumberRule } from './call-reducer.js';
import { type CallEffect, type CallInput, reduceCall } from './call-reducer.js';
import { commitFor } from './commit-changes.js';

/** Runs the effects of an applied event (carrier REST, agent messages, local sockets). */
export interface EffectRunner {
  run(record: CallRecord, effects: readonly CallEffect[], context: RunContext): Promise<void>;
}

/** Per-dispatch context for the effect runner: a webhook reply slot when the carrier awaits markup. */
export interface RunContext {
  readonly reply?: ReplySlot;
  /** Sent here by the worker that applied the event (socket-commands.ts): never relay it again. */
  readonly relayed?: boolean;
}

/** Collects the markup answering the webhook being handled (see executor.ts). */
export interface ReplySlot {
  /** Set once; later calls are ignored. */
  offer(kind: 'caller' | 'leg', body: ReplyBody): boolean;
}

/** Where the caller's call goes (a dial, the AI, the room), or a human leg's whisper, or a hang-up. */
export type ReplyBody =
  | CallerPlace
  | { readonly type: 'whisper'; readonly legId: string; readonly text: string }
  /** Agentic: the human's leg streams to the daemon for the agent's briefing, then asks again. */
  | { readonly type: 'brief'; readonly legId: string }
  | { readonly type: 'hangup' };

export interface EngineOptions {
  readonly store: Store<CallRecord>;
  readonly agents: AgentDirectory;
  readonly runner: EffectRunner;
  readonly log: Log;
  readonly now: () => number;
  readonly defaultRegion: string;
  readonly flagTtlMs: number;
  readonly retentionMs: number;
  /** Whether a carrier declares a capability (its adapter's `capabilities`); default true. */
  readonly carrierCan?: (carrier: Carrier, capability: CarrierCapability) => boolean;
  /** The transfer modes; default the daemon's (src/transfer/modes.ts). */
  readonly modes?: ModeRegistry;
  /** Whether the daemon can end a leg the carrier dialed (not where `streamCloseMovesCaller`); default true. */
  readonly canCancelLegs?: (carrier: Carrier) => boolean;
  /** Told what each applied event did to its call's timers (local-timers.ts fires them on time). */
  readonly timers?: { applied(callId: string, change: AppliedTimers): void };
  /** Whether a carrier accepts the caller's own number as caller ID (its adapter's capabilities); default yes. */
  readonly callerNumberAsCallerId?: (carrier: Carrier) => CallerNumberRule | undefined;
}

function callerIdRule(rule: CallerNumberRule | undefined): { callerNumberAsCallerId?: CallerNumberRule } {
  return rule === undefined ? {} : { callerNumberAsCallerId: rule };
}

/**
 * What the webhook side uses of the engine (webhooks.ts, placed-calls.ts, webhook-fallback.ts):
 * a test passes a fake of this in, not a whole engine.
 */
export type CallDispatcher = Pick<CallEngine, 'get' | 'dispatch' | 'createCall' | 'store'>;

export interface DispatchOutcome {
  readonly status: 'applied' | 'duplicate' | 'stale' | 'unchanged' | 'missing';
  readonly record?: CallRecord;
  readonly effects: readonly CallEffect[];
}

/**
 * The shell around the pure reducer (STYLE.md 3): load → step → compare-and-set (with the
 * event's dedupe key, flag and timer changes in the same atomic write) → run the effects.
 * The store applies one event at a time per call and retries on a version conflict, so two
 * workers can never both apply an event.
 */
export class CallEngine {
  readonly #o: EngineOptions;

  constructor(options: EngineOptions) {
    this.#o = options;
  }

  get store(): Store<CallRecord> {
    return this.#o.store;
  }

  /** Creates the record of a new call; false when it already existed (a retried webhook). */
  async createCall(input: Omit<NewCallInput, 'nowMs'>): Promise<{ created: boolean; record: CallRecord }> {
    const record = newCallRecord({ ...input, nowMs: this.#o.now() });
    const { created } = await this.#o.store.calls.create(input.callId, record);
    if (created) return { created, record };
    const existing = await this.#o.store.calls.get(input.callId);
    if (existing === null) throw new DaemonError('call_missing', 'call record vanished after create');
    return { created, record: existing.record };
  }

  async get(callId: string): Promise<CallRecord | undefined> {
    return (await this.#o.store.calls.get(callId))?.record;
  }

  /**
   * Applies one call input at most once (per `ref`) and runs its effects. One Redis round trip
   * on the hot path (the commit; the store steps the call's last known state, store.md), two
   * for a call new to this worker: the call's published agent configuration comes from a
   * per-process cache — a published version never changes, so the cache is never stale — and
   * only a miss costs a look-up and one more try.
   */
  async dispatch(
    callId: string,
    input: CallInput,
    ref: EventRef | undefined,
    context: RunContext = {},
  ): Promise<DispatchOutcome> {
    const o = this.#o;
    for (let attempt = 0; ; attempt += 1) {
      let missing: { agentId: string; version: number } | undefined;
      const result = await o.store.applyEvent<readonly CallEffect[]>(callId, ref, (record) => {
        // The store may step more than once (its known copy, then a newer stored one): only the
        // last step says whether the configuration was missing. Another dispatch may have
        // loaded it in between, and then this step's commit is applied, effects and all.
        missing = undefined;
        const agent = this.#agents.get(agentKey(record.agentId, record.agentVersion));
        if (agent === undefined) {
          // Nothing written, the dedupe key not claimed: the event is tried again below.
          missing = { agentId: record.agentId, version: record.agentVersion };
          return null;
        }
        const nowMs = o.now();
        const reduced = reduceCall(record, input, {
          nowMs,
          agent,
          defaultRegion: o.defaultRegion,
          carrierCan: (capability) => o.carrierCan?.(record.carrier, capability) ?? true,
          ...(o.modes === undefined ? {} : { modes: o.modes }),
          cancelsLegs: o.canCancelLegs?.(record.carrier) ?? true,
          ...callerIdRule(o.callerNumberAsCallerId?.(record.carrier)),
        });
        if (reduced === null) return null;
        return commitFor(reduced.record, reduced.effects, {
          flagTtlMs: o.flagTtlMs,
          retentionMs: o.retentionMs,
          nowMs,
        });
      });
      if (missing !== undefined && result.status !== 'applied') {
        if (attempt > 0) throw agentMissing(missing);
        // Loaded meanwhile by another dispatch (the store confirmed the copy without a second step).
        const { agentId, version } = missing;
        if (!this.#agents.has(agentKey(agentId, version))) await this.#loadAgent(agentId, version);
        continue;
      }
      const effects = result.value ?? [];
      if (result.timers !== undefined) o.timers?.applied(callId, result.timers);
      if (result.status === 'applied' && result.record !== undefined) {
        o.log.debug({ callId, input: input.type, effects: effects.length }, 'call.event_applied');
        await o.runner.run(result.record, effects, context);
      }
      return {
        status: result.status,
        ...(result.record === undefined ? {} : { record: result.record }),
        effects,
      };
    }
  }

  /** Published agent configurations by `id@version`, least recently loaded dropped first. */
  readonly #agents = new Map<string, AgentConfig>();

  async #loadAgent(agentId: string, version: number): Promise<void> {
    const published = await this.#o.agents.get(agentId, version);
    if (published === undefined || published.version !== version) throw agentMissing({ agentId, version });
    this.#agents.set(agentKey(agentId, version), published.agent);
    if (this.#agents.size > AGENT_CACHE_SIZE) {
      const oldest = this.#agents.keys().next().value;
      if (oldest !== undefined) this.#agents.delete(oldest);
    }
  }
}

/** How many published agent versions one worker keeps in memory. */
const AGENT_CACHE_SIZE = 1000;

function agentKey(agentId: string, version: number): string {
  return `${agentId}@${version}`;
}

function agentMissing(ref: { agentId: string; version: number }): DaemonError {
  return new DaemonError('agent_missing', `agent ${ref.agentId} v${ref.version} not found`);
}
