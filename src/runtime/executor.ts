import type { CarrierAdapter, Markup } from '../../providers/types.js';
import { CarrierError, DaemonError } from '../domain/errors.js';
import type { Log } from '../log.js';
import type { TransferEffect } from '../transfer/machine-types.js';
import type { CallRecord } from './call-record.js';
import type { CallEffect, CallInput } from './call-reducer.js';
import type { EffectRunner, ReplyBody, RunContext } from './engine.js';
import type { SessionRegistry } from './sessions.js';

/** Feeds follow-up inputs (a leg's carrier id, `caller.held`, `handoff.played`…) back to the engine. */
export type Dispatch = (callId: string, input: CallInput, dedupeKey?: string) => Promise<void>;

export interface ExecutorOptions {
  readonly adapterFor: (record: CallRecord) => CarrierAdapter;
  readonly sessions: SessionRegistry;
  readonly log: Log;
  readonly media: MediaParameters;
  /** Waiters for a human leg's answer webhook that is still open (see {@link LegReplies}). */
  readonly legReplies: LegReplies;
}

/** Builds the stream parameters (call id, media token) of a call's `<Connect><Stream>`. */
export type MediaParameters = (callId: string) => Readonly<Record<string, string>>;

export function roomFor(transferId: string): string {
  return `xfer-${transferId}`;
}

let continuationSeq = 0;

/** Markup for a reply body, with every callback URL pointing back at this daemon. */
export function renderReply(
  adapter: CarrierAdapter,
  callId: string,
  transferId: string | undefined,
  body: ReplyBody,
  media: MediaParameters,
): Markup {
  continuationSeq += 1;
  const continuationUrl = adapter.callbackUrl('voice', { callId, seq: continuationSeq });
  switch (body.type) {
    case 'agent':
      return adapter.markup.answerWithStream({
        streamUrl: adapter.mediaUrl(),
        parameters: media(callId),
        continuationUrl,
      });
    case 'dial': {
      const ids = { callId, ...(transferId === undefined ? {} : { transferId }), legId: body.legId };
      return adapter.markup.dialCold({
        to: body.to,
        callerId: body.callerId,
        timeoutSec: Math.max(1, Math.ceil(body.timeoutMs / 1000)),
        actionUrl: adapter.callbackUrl('dial-action', ids),
        statusCallbackUrl: adapter.callbackUrl('status', ids),
        continuationUrl,
      });
    }
    case 'hold':
      if (transferId === undefined) throw new DaemonError('transfer_missing', 'hold needs a transfer');
      return adapter.markup.conferenceHold({
        room: roomFor(transferId),
        ...(body.holdAudioUrl === undefined ? {} : { holdAudioUrl: body.holdAudioUrl }),
        statusCallbackUrl: adapter.callbackUrl('conference', { callId, transferId }),
        continuationUrl,
        label: 'caller',
      });
    case 'whisper':
      if (transferId === undefined) throw new DaemonError('transfer_missing', 'whisper needs a transfer');
      return adapter.markup.whisperThenJoin({ text: body.text, room: roomFor(transferId), label: body.legId });
    case 'hangup':
      return adapter.markup.hangup();
  }
}

/**
 * A human leg's answer webhook waits (bounded) for its whisper text when the summary is not in
 * yet: the machine's `human.whisper` effect then answers it instead of a REST redirect.
 */
export class LegReplies {
  readonly #waiting = new Map<string, (body: ReplyBody) => void>();

  wait(legId: string, timeoutMs: number, fallback: ReplyBody): Promise<ReplyBody> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(legId);
        resolve(fallback);
      }, timeoutMs);
      this.#waiting.set(legId, (body) => {
        clearTimeout(timer);
        this.#waiting.delete(legId);
        resolve(body);
      });
    });
  }

  /** True when a waiting webhook took the body. */
  deliver(legId: string, body: ReplyBody): boolean {
    const waiter = this.#waiting.get(legId);
    if (waiter === undefined) return false;
    waiter(body);
    return true;
  }
}

/**
 * Runs call effects, one executor per effect type (STYLE.md 2). Markup for the caller's call goes
 * into the open webhook's reply when there is one (the carrier is waiting for it); otherwise it
 * is sent with a REST redirect. Carrier failures become `leg.error` events, never thrown.
 */
export class EffectExecutor implements EffectRunner {
  readonly #o: ExecutorOptions;
  #dispatch: Dispatch | undefined;

  constructor(options: ExecutorOptions) {
    this.#o = options;
  }

  /** Wires the engine in after both exist (the engine needs a runner, the runner a dispatcher). */
  bind(dispatch: Dispatch): void {
    this.#dispatch = dispatch;
  }

  async run(record: CallRecord, effects: readonly CallEffect[], context: RunContext): Promise<void> {
    for (const effect of effects) {
      try {
        await this.#runOne(record, effect, context);
      } catch (err) {
        this.#o.log.error({ callId: record.callId, effect: effect.type, err: errorSummary(err) }, 'effect.failed');
      }
    }
  }

  async #runOne(record: CallRecord, effect: CallEffect, context: RunContext): Promise<void> {
    const session = this.#o.sessions.get(record.callId);
    switch (effect.type) {
      case 'transfer':
        return this.#runTransferEffect(record, effect.transferId, effect.effect, context);
      case 'handoff.watch': {
        if (session === undefined) return; // the `handoff` timer bounds the wait instead
        const transferId = effect.transferId;
        void session.bridge.markAfterQueuedAudio(`handoff-${transferId}`).then(() =>
          this.#feed(record.callId, { type: 'transfer.event', transferId, event: { type: 'handoff.played' } }),
        );
        return;
      }
      case 'transfer.accepted':
        if (effect.requestId !== undefined) session?.agent.sendToolResult(effect.requestId, { ok: true, result: { transferId: effect.transferId } });
        return;
      case 'transfer.refused':
        if (effect.requestId !== undefined) {
          session?.agent.sendToolResult(effect.requestId, { ok: false, error: { code: effect.refusal, message: effect.detail } });
        }
        session?.agent.sendTransferStatus({ transferId: '', status: 'failed' });
        this.#o.log.info({ callId: record.callId, refusal: effect.refusal }, 'transfer.refused');
        return;
      case 'call.hangup':
        await this.#o.adapterFor(record).control.hangupCall(record.callId);
        return;
      case 'call.finished': {
        const ended = this.#o.sessions.delete(record.callId);
        if (ended !== undefined) {
          ended.bridge.close();
          ended.closeCarrier?.();
          await ended.agent.close('call ended');
        }
        this.#o.log.info({ callId: record.callId, endedReason: effect.endedReason }, 'call.ended');
        return;
      }
    }
  }

  async #runTransferEffect(
    record: CallRecord,
    transferId: string,
    fx: TransferEffect,
    context: RunContext,
  ): Promise<void> {
    const adapter = this.#o.adapterFor(record);
    const session = this.#o.sessions.get(record.callId);
    const callId = record.callId;
    switch (fx.type) {
      case 'flag.set':
      case 'flag.clear':
      case 'timer.start':
      case 'timer.cancel':
        return; // written in the same commit as the state (commit-changes.ts)
      case 'carrier.dial': {
        if (fx.mode === 'cold') {
          session?.bridge.pauseAgentAudio();
          const body: ReplyBody = { type: 'dial', legId: fx.legId, to: fx.to, callerId: fx.callerId, timeoutMs: fx.timeoutMs };
          if (context.reply?.offer('caller', body)) return;
          await this.#carrier(callId, transferId, fx.legId, () =>
            adapter.control.redirectCall(callId, renderReply(adapter, callId, transferId, body, this.#o.media)),
          );
          return;
        }
        const ids = { callId, transferId, legId: fx.legId };
        await this.#carrier(callId, transferId, fx.legId, async () => {
          const { carrierCallId } = await adapter.control.createCall({
            to: fx.to,
            from: fx.callerId,
            next: { url: adapter.callbackUrl('voice', ids) },
            statusCallbackUrl: adapter.callbackUrl('status', ids),
            statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
            timeoutSec: Math.max(1, Math.ceil(fx.timeoutMs / 1000)),
          });
          await this.#feed(callId, { type: 'leg.bound', legId: fx.legId, carrierLegId: carrierCallId });
        });
        return;
      }
      case 'carrier.cancel': {
        const legCallId = record.legCarrierIds[fx.legId];
        if (legCallId !== undefined) await adapter.control.hangupCall(legCallId);
        return;
      }
      case 'caller.hold': {
        session?.bridge.pauseAgentAudio();
        const body: ReplyBody = { type: 'hold', ...(fx.holdAudioUrl === undefined ? {} : { holdAudioUrl: fx.holdAudioUrl }) };
        if (!context.reply?.offer('caller', body)) {
          await adapter.control.redirectCall(callId, renderReply(adapter, callId, transferId, body, this.#o.media));
        }
        // The caller is in the room once the carrier took the document; participant-join for a
        // waiting participant is not something to rely on (providers/twilio notes).
        await this.#feed(callId, { type: 'transfer.event', transferId, event: { type: 'caller.held' } });
        return;
      }
      case 'caller.to_agent': {
        if (context.reply?.offer('caller', { type: 'agent' })) return;
        await adapter.control.redirectCall(callId, renderReply(adapter, callId, transferId, { type: 'agent' }, this.#o.media));
        return;
      }
      case 'human.whisper': {
        const body: ReplyBody = { type: 'whisper', legId: fx.legId, text: fx.text };
        if (context.reply?.offer('leg', body)) return;
        if (this.#o.legReplies.deliver(fx.legId, body)) return;
        const legCallId = record.legCarrierIds[fx.legId];
        if (legCallId === undefined) return;
        await this.#carrier(callId, transferId, fx.legId, () =>
          adapter.control.redirectCall(legCallId, renderReply(adapter, callId, transferId, body, this.#o.media)),
        );
        return;
      }
      case 'human.join':
        // The whisper document ends by joining the room where the caller waits: being there is the join.
        await this.#feed(callId, { type: 'transfer.event', transferId, event: { type: 'human.joined', legId: fx.legId } });
        return;
      case 'agent.summary_request':
        session?.agent.sendSummaryRequest(transferId, fx.timeoutMs);
        return;
      case 'agent.detach':
        if (session !== undefined) {
          this.#o.sessions.delete(callId);
          session.bridge.close();
          await session.agent.close('transferred');
        }
        return;
      case 'agent.status':
        session?.agent.sendTransferStatus({
          transferId,
          status: fx.status,
          ...(fx.destination === undefined ? {} : { destination: fx.destination }),
        });
        return;
      case 'agent.resume':
        session?.bridge.resumeAgentAudio();
        session?.agent.sendResume(transferId, fx.outcome, fx.carrierCode);
        return;
      case 'transfer.ended':
        this.#o.log.info({ callId, transferId, outcome: fx.outcome }, 'transfer.ended');
        return;
    }
  }

  /** A carrier command for a leg; a permanent failure becomes the leg's `leg.error`. */
  async #carrier(callId: string, transferId: string, legId: string, op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      const carrierCode = err instanceof CarrierError ? err.carrierCode : undefined;
      this.#o.log.warn({ callId, transferId, legId, err: errorSummary(err) }, 'carrier.command_failed');
      await this.#feed(callId, {
        type: 'transfer.event',
        transferId,
        event: { type: 'leg.error', legId, ...(carrierCode === undefined ? {} : { carrierCode }) },
      });
    }
  }

  async #feed(callId: string, input: CallInput): Promise<void> {
    if (this.#dispatch === undefined) throw new DaemonError('executor_unbound', 'executor has no dispatcher');
    await this.#dispatch(callId, input);
  }
}

export function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof DaemonError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}
