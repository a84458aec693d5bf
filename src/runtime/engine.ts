import type { Carrier } from '../domain/carrier.js';
import { DaemonError } from '../domain/errors.js';
import type { Log } from '../log.js';
import type { EventRef, Store } from '../store/types.js';
import type { AgentDirectory } from './agent-directory.js';
import { type CallRecord, type NewCallInput, newCallRecord } from './call-record.js';
import { type CallEffect, type CallInput, reduceCall } from './call-reducer.js';
import { commitFor } from './commit-changes.js';

/** Runs the effects of an applied event (carrier REST, agent messages, local sockets). */
export interface EffectRunner {
  run(record: CallRecord, effects: readonly CallEffect[], context: RunContext): Promise<void>;
}

/** Per-dispatch context for the effect runner: a webhook reply slot when the carrier awaits markup. */
export interface RunContext {
  readonly reply?: ReplySlot;
}

/** Collects the markup answering the webhook being handled (see executor.ts). */
export interface ReplySlot {
  /** Set once; later calls are ignored. */
  offer(kind: 'caller' | 'leg', body: ReplyBody): boolean;
}

export type ReplyBody =
  | {
      readonly type: 'dial';
      readonly legId: string;
      readonly to: string;
      readonly callerId: string;
      readonly timeoutMs: number;
      /** A warm transfer run as cold (the carrier has no conference): heard by the human only. */
      readonly whisper?: string;
      /** A warm transfer run as cold: the caller hears hold audio, not ringback. */
      readonly hold?: { readonly audioUrl?: string };
    }
  | { readonly type: 'agent' }
  | { readonly type: 'hold'; readonly holdAudioUrl?: string }
  | { readonly type: 'whisper'; readonly legId: string; readonly text: string }
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
  /** Whether a carrier has conferences (its adapter's capabilities); default true. */
  readonly canConference?: (carrier: Carrier) => boolean;
}

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

  /** Applies one call input at most once (per `ref`) and runs its effects. */
  async dispatch(
    callId: string,
    input: CallInput,
    ref: EventRef | undefined,
    context: RunContext = {},
  ): Promise<DispatchOutcome> {
    const o = this.#o;
    const loaded = await o.store.calls.get(callId);
    if (loaded === null) return { status: 'missing', effects: [] };
    const published = await o.agents.get(loaded.record.agentId, loaded.record.agentVersion);
    if (published === undefined) {
      throw new DaemonError(
        'agent_missing',
        `agent ${loaded.record.agentId} v${loaded.record.agentVersion} not found`,
      );
    }
    const result = await o.store.applyEvent<readonly CallEffect[]>(callId, ref, (record) => {
      const nowMs = o.now();
      const reduced = reduceCall(record, input, {
        nowMs,
        agent: published.agent,
        defaultRegion: o.defaultRegion,
        conference: o.canConference?.(record.carrier) ?? true,
      });
      if (reduced === null) return null;
      return commitFor(reduced.record, reduced.effects, {
        flagTtlMs: o.flagTtlMs,
        retentionMs: o.retentionMs,
        nowMs,
      });
    });
    const effects = result.value ?? [];
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
