import type { CarrierAdapter } from '../../providers/types.js';
import { CarrierError, DaemonError } from '../domain/errors.js';
import { TRANSFER_OUTCOMES, type TransferOutcome } from '../domain/outcome.js';
import { backgroundTime, sleep, type Time } from '../lib/time.js';
import type { Log } from '../log.js';
import { firstDialAnnouncement } from '../transfer/cold.js';
import type { BriefingEndReason, TransferEffect } from '../transfer/machine-types.js';
import type { ModeRegistry } from '../transfer/mode.js';
import { TRANSFER_MODES } from '../transfer/modes.js';
import { carrierAnnouncement } from '../transfer/plan-text.js';
import type { CallRecord } from './call-record.js';
import type { CallEffect, CallInput } from './call-reducer.js';
import { effectName, stillWanted } from './effect-failures.js';
import { guardOf, isTerminalStatus, owedStatuses } from './effect-guards.js';
import type { DispatchOutcome, EffectRunner, ReplyBody, RunContext } from './engine.js';
import { type LegReplies, type MediaParameters, renderReply } from './replies.js';
import {
  detachSession,
  endSession,
  firstTelling,
  type LocalSession,
  type SessionRegistry,
  STREAM_LOST_GRACE_MS,
  tellResume,
} from './sessions.js';
import { needsSocketOwner } from './socket-effects.js';
import { callerNow } from './webhooks.js';

/** How long a `say` waits for the agent's `said` before the waiter is dropped, ms (the machine's timer decides). */
const SAID_WAIT_MS = 30_000;

/**
 * Transfer effects a REST dial may overtake ({@link EffectExecutor} `#dialFirst`): a status sent
 * on the agent socket, or what the commit already wrote.
 */
const TELLS_ONLY: ReadonlySet<TransferEffect['type']> = new Set([
  'agent.status',
  'flag.set',
  'flag.clear',
  'timer.start',
  'timer.cancel',
]);

/** Sends `say` and resolves on the agent's `said` for this transfer (or, silently, never). */
function agentSays(session: LocalSession, transferId: string, text: string): Promise<void> {
  return new Promise((resolve) => {
    const waiting = session.said ?? new Map<string, () => void>();
    session.said = waiting;
    const timer = setTimeout(() => waiting.delete(transferId), SAID_WAIT_MS);
    timer.unref();
    waiting.set(transferId, () => {
      clearTimeout(timer);
      waiting.delete(transferId);
      resolve();
    });
    session.agent.sendSay(transferId, text);
  });
}

/** Feeds follow-up inputs (a leg's carrier id, `handoff.played`…) back to the engine. */
/** Applies an input to a call; resolves with the engine's status (`applied`, `unchanged`…) where it knows it. */
export type Dispatch = (
  callId: string,
  input: CallInput,
  dedupeKey?: string,
) => Promise<DispatchOutcome['status'] | undefined>;

export interface ExecutorOptions {
  readonly adapterFor: (record: CallRecord) => CarrierAdapter;
  readonly sessions: SessionRegistry;
  readonly log: Log;
  readonly media: MediaParameters;
  /** Waiters for a human leg's answer webhook that is still open (see {@link LegReplies}). */
  readonly legReplies: LegReplies;
  /** Counted when a leg is placed again with the call's own number as caller ID (metrics). */
  readonly onCallerIdFallback?: (carrier: CallRecord['carrier']) => void;
  /** The transfer modes; default the daemon's (src/transfer/modes.ts). */
  readonly modes?: ModeRegistry;
  /** The briefing streams held by this worker (agentic transfers). */
  readonly briefings?: { end(legId: string, reason: BriefingEndReason, release: boolean): Promise<void> };
  /**
   * Sends a socket effect to the worker holding the call's sockets; false when no other worker
   * does (socket-commands.ts). Without it, socket effects run here or nowhere.
   */
  readonly relay?: (callId: string, effect: CallEffect) => Promise<boolean>;
  /** Timers (the wait for a resumed caller's stream); default the process's own. */
  readonly time?: Time;
  /**
   * Whether this worker holds the call's sockets (or none does): a session left here after its
   * stream was taken over elsewhere cannot see that stream. Without it, the session here counts.
   */
  readonly holdsSockets?: (callId: string) => Promise<boolean>;
}

/**
 * How long a dial sent to the caller's call and answered with a server error waits for the
 * caller's stream to end (the sign the carrier started the dial anyway) before it counts as
 * failed, ms. A carrier ends the stream as it moves the call on, within moments of acting.
 */
const DIAL_TOOK_WAIT_MS = 1_500;
const STREAM_LOOK_MS = 50;
/** How many times a dial to the caller's call the carrier certainly did not act on is sent again. */
const DIAL_RESENDS = 2;
/**
 * How long a human's leg whose create was answered with a server error waits for the carrier's
 * first callback of it (which binds it to the record) before it counts as not placed, ms:
 * Twilio's `initiated` follows a create at once, Plivo's first is its `ring_url` (the phone
 * ringing), and the adversary may hold either up to 3 s. A leg that rings later is hung up.
 */
const LEG_NEWS_WAIT_MS = 6_000;
const LEG_LOOK_MS = 200;

/** How many ended legs' carrier ids an executor remembers (a hang-up decided just after the report). */
const ENDED_LEGS_KEPT = 4096;

/** A guard's key among every call's on this worker. */
function guardKey(callId: string, guardId: string): string {
  return `${callId}\n${guardId}`;
}

/**
 * Runs call effects, one executor per effect type (STYLE.md 2). Markup for the caller's call goes
 * into the open webhook's reply when there is one (the carrier is waiting for it); otherwise it
 * is sent with a REST redirect. Carrier failures become `leg.error` events, never thrown.
 */
export class EffectExecutor implements EffectRunner {
  readonly #o: ExecutorOptions;
  #dispatch: Dispatch | undefined;
  #current: ((callId: string) => Promise<CallRecord | undefined>) | undefined;
  /** Per call, the last command to the caller's own call still running (see {@link #inOrder}). */
  readonly #callerCommands = new Map<string, Promise<void>>();
  /** Per call with commands queued, what stops their quick retries once the call ended. */
  readonly #callerEnded = new Map<string, AbortController>();
  /**
   * Hang-ups of humans' legs on their way, by the leg's carrier id: aborted when the carrier
   * reports that call ended ({@link legEnded}), so the client's quick retries stop (a retry would
   * be a command to a call that is over: lossy seed 0xb63, a cancel answered late and retried
   * after the carrier had reported the leg `canceled`).
   */
  readonly #legHangups = new Map<string, AbortController>();
  /** Legs whose end the carrier reported here lately, by carrier id (the last {@link ENDED_LEGS_KEPT}). */
  readonly #endedLegs = new Set<string>();
  /**
   * Guarded effects running on this worker, by call and guard id (effect-guards.ts): a guard id
   * is a count within its call, so another call's guard 2 is not this call's retry 2 (lossy
   * seeds 0x4867, 0x48a1: a retry skipped as if its effect were still running).
   */
  readonly #guarding = new Set<string>();

  constructor(options: ExecutorOptions) {
    this.#o = options;
  }

  /**
   * Wires the engine in after both exist (the engine needs a runner, the runner a dispatcher);
   * `current` reads a call's saved state (to check a command against it once it took effect).
   */
  bind(dispatch: Dispatch, current?: (callId: string) => Promise<CallRecord | undefined>): void {
    this.#dispatch = dispatch;
    this.#current = current;
  }

  /**
   * A hold that took effect once the transfer it was for had ended: another worker sent the
   * caller back to the AI while this hold was being retried (a 503, a slow answer), and the hold
   * landed after it. The saved state decides where the caller belongs now; they go there.
   */
  async #afterHold(record: CallRecord, transferId: string): Promise<void> {
    // A later command to the caller is already on its way from here: it decides.
    if (this.#callerCommands.has(record.callId)) return;
    const latest = await this.#current?.(record.callId);
    if (latest === undefined || latest.phase === 'ended') return;
    const stillHeld = latest.transfer?.transferId === transferId && latest.transfer.outcome === null;
    if (stillHeld) return;
    const place = callerNow(latest, this.#o.modes ?? TRANSFER_MODES);
    if (place.type !== 'agent') return;
    const adapter = this.#o.adapterFor(latest);
    this.#o.log.warn({ callId: record.callId, transferId }, 'caller.hold_superseded');
    await this.#inOrder(record.callId, (until) =>
      adapter.control.redirectCall(
        record.callId,
        renderReply(adapter, record.callId, transferId, { type: 'agent' }, this.#o.media),
        { until },
      ),
    );
  }

  async run(record: CallRecord, effects: readonly CallEffect[], context: RunContext): Promise<void> {
    if (record.phase === 'ended') this.#stopCallerCommands(record.callId);
    const early = this.#dialFirst(record, effects);
    const dialing = early === undefined ? undefined : this.#runEffect(record, early, context);
    for (const effect of effects) {
      if (effect === early) await dialing;
      else await this.#runEffect(record, effect, context);
    }
  }

  /**
   * A REST dial of a human's leg whose only forerunners tell this worker's agent socket
   * (`transfer.accepted`, `handoff.watch`, unguarded `agent.status`) or were written in the
   * commit (flag, timers): it is started before them, so the carrier hears of the leg without
   * waiting for socket writes. The agent is still told everything in the effects' order, and
   * before anything the dial leads to can be told: those forerunners run without I/O (socket
   * sends to the session held here), so they are done before the dial's answer, or any webhook
   * about its leg (`ringing` before `dialing`: machine-draft.ts `dialLeg`), can be handled. The
   * transfer flag is in the commit that decided the dial (invariant 2), as before. Effects after
   * the dial still wait for it. With the socket on another worker the relays are Redis round
   * trips: nothing is reordered then.
   */
  #dialFirst(record: CallRecord, effects: readonly CallEffect[]): CallEffect | undefined {
    if (this.#o.sessions.get(record.callId) === undefined) return undefined;
    const modes = this.#o.modes ?? TRANSFER_MODES;
    for (const [index, effect] of effects.entries()) {
      if (
        effect.type !== 'transfer' &&
        effect.type !== 'transfer.accepted' &&
        effect.type !== 'handoff.watch'
      )
        return undefined;
      if (effect.type !== 'transfer') continue;
      const fx = effect.effect;
      if (fx.type === 'carrier.dial')
        return index > 0 && effect.guardId === undefined && modes.get(fx.mode).dialsFrom === 'leg'
          ? effect
          : undefined;
      if (!TELLS_ONLY.has(fx.type) || effect.guardId !== undefined) return undefined;
    }
    return undefined;
  }

  async #runEffect(record: CallRecord, effect: CallEffect, context: RunContext): Promise<void> {
    // A guard's retry whose effect is still running here (a slow carrier) waits for that run.
    if (effect.type === 'retry' && this.#guarding.has(guardKey(record.callId, effect.retryId))) return;
    // A retry runs its effect again; a failure of it is reported with the retries made so far.
    const [inner, attempt] = effect.type === 'retry' ? [effect.effect, effect.attempt] : [effect, 0];
    const guardId = guardOf(inner);
    if (guardId !== undefined) this.#guarding.add(guardKey(record.callId, guardId));
    try {
      // A relayed effect's guard is cleared by the worker that runs it.
      const relayed = this.#relayed(record, inner, context);
      if (relayed !== false && (await relayed)) return;
      if (effect.type === 'retry' && isHold(inner)) await this.#retryHold(record, inner);
      else await this.#runOne(record, inner, context);
      // A socket effect run here with no session reached nobody: the worker holding the
      // socket did not hear the relay (its subscription down across a Redis restart, its
      // heartbeat not yet back: soak seed 33544). Its guard stays, and the retry relays again.
      if (guardId !== undefined && !this.#socketElsewhere(record, inner, context))
        await this.#guardDone(record.callId, guardId);
    } catch (err) {
      const gone = this.#o.adapterFor(record).classifyError?.(err) === 'call_gone';
      await this.#failed(record.callId, inner, attempt, err, gone);
    } finally {
      if (guardId !== undefined) this.#guarding.delete(guardKey(record.callId, guardId));
    }
  }

  /** Where an agent socket's close that failed in the background is said (`agent.close_failed`). */
  #closeFailed(callId: string): (err: unknown) => void {
    return (err) => this.#o.log.warn({ callId, err: errorSummary(err) }, 'agent.close_failed');
  }

  /** A guarded effect ran (here, or on the worker it was relayed to): its guard goes (effect-guards.ts). */
  async #guardDone(callId: string, guardId: string): Promise<void> {
    try {
      await this.#feed(callId, { type: 'effect.done', retryId: guardId });
    } catch (err) {
      // The guard then runs the effect again: the same command, harmless.
      this.#o.log.warn({ callId, guardId, err: errorSummary(err) }, 'effect.guard_not_cleared');
    }
  }

  /**
   * Every failed effect becomes the call's `effect.failed` input: the reducer retries it durably
   * or lets the machine decide (effect-failures.ts). Only a store that cannot take even that
   * leaves it at a log line; the machine's timers then bound the wait.
   */
  async #failed(
    callId: string,
    effect: CallEffect,
    attempt: number,
    err: unknown,
    gone: boolean,
  ): Promise<void> {
    const summary = errorSummary(err);
    this.#o.log.warn({ callId, effect: effectName(effect), attempt, err: summary }, 'effect.failed');
    const carrierCode = err instanceof CarrierError ? err.carrierCode : undefined;
    try {
      await this.#feed(callId, {
        type: 'effect.failed',
        effect,
        attempt,
        retryable: err instanceof DaemonError && err.retryable,
        ...(summary.code === undefined ? {} : { code: summary.code }),
        ...(carrierCode === undefined ? {} : { carrierCode }),
        ...(gone ? { callGone: true } : {}),
      });
    } catch (feedErr) {
      this.#o.log.error(
        { callId, effect: effectName(effect), err: errorSummary(feedErr) },
        'effect.failure_unrecorded',
      );
    }
  }

  /**
   * Commands to the caller's own call (a redirect, a hang-up) reach the carrier in the order they
   * were decided: each starts once the previous one, with its client's own quick retries, is done.
   * Two effects of two events run concurrently otherwise, and a hold retried after a 503 could
   * land after the return to the AI that followed it, leaving the caller alone on hold. Only the
   * carrier request waits here, never what its failure leads to (which may command the caller).
   */
  #inOrder(callId: string, command: (until: AbortSignal) => Promise<void>): Promise<void> {
    const before = this.#callerCommands.get(callId) ?? Promise.resolve();
    let ended = this.#callerEnded.get(callId);
    if (ended === undefined) {
      ended = new AbortController();
      this.#callerEnded.set(callId, ended);
    }
    const { signal } = ended;
    const send = () => command(signal);
    const run = before.then(send, send);
    const tail: Promise<void> = run.then(
      () => this.#settled(callId, tail),
      () => this.#settled(callId, tail),
    );
    this.#callerCommands.set(callId, tail);
    return run;
  }

  /** The last command queued for the call is done: nothing is on its way to the caller from here. */
  #settled(callId: string, tail: Promise<void>): void {
    if (this.#callerCommands.get(callId) !== tail) return;
    this.#callerCommands.delete(callId);
    this.#callerEnded.delete(callId);
  }

  /**
   * The call's end is known here: commands still on their way to it retry no more (a retry
   * would be a command to a call that is over: property seed 0x68, a hold's 503 retried 820 ms
   * after the caller's end was reported).
   */
  #stopCallerCommands(callId: string): void {
    this.#callerEnded.get(callId)?.abort();
  }

  /**
   * The carrier reported a human's leg ended (its status callback): a hang-up of it still being
   * tried here stops retrying, and counts as done.
   */
  legEnded(carrierCallId: string): void {
    this.#legHangups.get(carrierCallId)?.abort();
    this.#endedLegs.add(carrierCallId);
    if (this.#endedLegs.size > ENDED_LEGS_KEPT) {
      const oldest = this.#endedLegs.values().next().value;
      if (oldest !== undefined) this.#endedLegs.delete(oldest);
    }
  }

  /** Hangs up a human's leg; once the carrier reports the leg ended, that is all the hang-up was for. */
  async #hangUpLeg(adapter: CarrierAdapter, legCallId: string): Promise<void> {
    // Reported over before the hang-up was decided (the two arrive together when the caller hangs up).
    if (this.#endedLegs.has(legCallId)) return;
    const ended = new AbortController();
    this.#legHangups.set(legCallId, ended);
    try {
      await adapter.control.hangupCall(legCallId, { until: ended.signal });
    } catch (err) {
      if (!ended.signal.aborted) throw err;
    } finally {
      if (this.#legHangups.get(legCallId) === ended) this.#legHangups.delete(legCallId);
    }
  }

  /** A socket effect for a call whose session is not on this worker, not sent here by a relay. */
  #socketElsewhere(record: CallRecord, effect: CallEffect, context: RunContext): boolean {
    if (context.relayed === true || this.#o.sessions.get(record.callId) !== undefined) return false;
    const viaStream = () => this.#o.adapterFor(record).capabilities.streamCloseMovesCaller === true;
    return needsSocketOwner(effect, context.reply !== undefined, viaStream);
  }

  /**
   * A socket effect whose socket is not here, sent to the worker holding it: true if heard. No
   * promise when nothing is relayed, so an effect run here starts in the same microtask.
   */
  #relayed(record: CallRecord, effect: CallEffect, context: RunContext): Promise<boolean> | false {
    const relay = this.#o.relay;
    if (relay === undefined || !this.#socketElsewhere(record, effect, context)) return false;
    return relay(record.callId, effect);
  }

  /**
   * Before the agent's socket closes (`call.finished`, `agent.detach`): every transfer outcome the
   * record still owes it (effect-guards.ts `owedStatuses`). An outcome decided by an earlier event
   * whose effects are still on their way (its leg's cancel first, a carrier request), or relayed
   * while this worker's subscription was down (a catch-up runs only the detach or the end:
   * catch-up.ts), would reach no session after the close. The session tells each terminal status
   * once, so one already told, or told when that run gets here, is not told twice.
   */
  async #tellOwed(record: CallRecord, context: RunContext): Promise<void> {
    for (const owed of owedStatuses(record)) await this.#runOne(record, owed, context);
  }

  async #runOne(record: CallRecord, effect: CallEffect, context: RunContext): Promise<void> {
    const session = this.#o.sessions.get(record.callId);
    switch (effect.type) {
      case 'retry':
        return this.#runOne(record, effect.effect, context);
      case 'retry.schedule':
      case 'retry.cancel':
        return; // written in the same commit as the record (commit-changes.ts)
      case 'effect.abandoned':
        this.#o.log.error(
          { callId: record.callId, effect: effect.effect, code: effect.code },
          'effect.abandoned',
        );
        return;
      case 'transfer':
        return this.#runTransferEffect(record, effect.transferId, effect.effect, context);
      case 'handoff.watch': {
        if (session === undefined) return; // the `handoff` timer bounds the wait instead
        const transferId = effect.transferId;
        const message = record.transfer?.plan.callerMessage;
        if (
          message?.voice === 'carrier' &&
          this.#o.adapterFor(record).capabilities.speaksToCaller === false
        ) {
          // Said on the call's timeline, never dropped silently (docs/migrating.md: agent.speaksMessages).
          this.#feed(record.callId, {
            type: 'call.note',
            event: 'caller_message.unspoken',
            detail: 'the carrier cannot speak to the caller; set agent.speaksMessages for the bot to say it',
          }).catch((err: unknown) =>
            this.#o.log.warn({ callId: record.callId, err: errorSummary(err) }, 'call.note_failed'),
          );
        }
        // A caller message the agent speaks comes after its handoff sentence: wait for its `said`,
        // then for what it queued to play (the `handoff` timer bounds both).
        const spoken =
          message?.voice === 'agent' ? agentSays(session, transferId, message.text) : Promise.resolve();
        spoken
          .then(() => session.bridge.markAfterQueuedAudio(`handoff-${transferId}`))
          .then(() =>
            this.#feed(record.callId, {
              type: 'transfer.event',
              transferId,
              event: { type: 'handoff.played' },
            }),
          )
          // The `handoff` timer dials anyway once its bounded wait is over.
          .catch((err: unknown) =>
            this.#o.log.warn(
              { callId: record.callId, transferId, err: errorSummary(err) },
              'handoff.feed_failed',
            ),
          );
        return;
      }
      case 'transfer.accepted':
        if (effect.requestId !== undefined)
          session?.agent.sendToolResult(effect.requestId, {
            ok: true,
            result: { transferId: effect.transferId },
          });
        return;
      case 'transfer.refused':
        if (effect.requestId !== undefined) {
          session?.agent.sendToolResult(effect.requestId, {
            ok: false,
            error: { code: effect.refusal, message: effect.detail },
          });
        }
        // A refused request never became a transfer: it has no transfer id of its own.
        session?.agent.sendTransferStatus({
          transferId: `${record.callId}.refused`,
          status: 'failed',
          ordered: false,
          ...(isOutcome(effect.refusal) ? { outcome: effect.refusal } : {}),
        });
        this.#o.log.info({ callId: record.callId, refusal: effect.refusal }, 'transfer.refused');
        return;
      case 'call.hangup': {
        const adapter = this.#o.adapterFor(record);
        // No REST hang-up on such a carrier: its flow ends the call once the stream is closed.
        if (adapter.capabilities.streamCloseMovesCaller) session?.closeCarrier?.();
        else await this.#inOrder(record.callId, () => adapter.control.hangupCall(record.callId));
        return;
      }
      case 'call.check': {
        // The caller's stream still open here says the call is live (the carrier ends it with the call).
        if (session?.closeCarrier !== undefined) return;
        const control = this.#o.adapterFor(record).control;
        if (control.callLive === undefined) return; // the liveness sweep's bounds apply
        if (await control.callLive(record.callId)) {
          if (effect.restore === true && session !== undefined) await this.#restoreCaller(record, session);
          return;
        }
        await this.#feed(record.callId, { type: 'call.ended', via: 'status_check' });
        return;
      }
      case 'call.finished': {
        // Relayed here from the worker that learned the end: this one's commands stop too.
        this.#stopCallerCommands(record.callId);
        if (session !== undefined) await this.#tellOwed(record, context);
        endSession(this.#o.sessions, record.callId, this.#closeFailed(record.callId));
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
        const mode = (this.#o.modes ?? TRANSFER_MODES).get(fx.mode);
        if (mode.dialsFrom === 'caller') {
          session?.bridge.pauseAgentAudio();
          const index = record.transfer?.legs.find((l) => l.legId === fx.legId)?.index ?? 0;
          const body: ReplyBody = {
            type: 'dial',
            legId: fx.legId,
            to: fx.to,
            callerId: fx.callerId,
            timeoutMs: fx.timeoutMs,
            ...(record.transfer === null ? {} : mode.dialExtras?.(record.transfer.plan)),
            ...(record.transfer === null ? {} : firstDialAnnouncement(record.transfer.plan, index)),
            ...(fx.sendDigits === undefined ? {} : { sendDigits: fx.sendDigits }),
          };
          if (context.reply?.offer('caller', body)) {
            if (index === 0) await this.#claimCallerDial(callId, fx.legId, 'webhook');
            return;
          }
          // After the first leg the caller's call sits in a <Dial> whose action webhook asks what
          // next: the answer is derived from this state then (callerNow), never pushed twice.
          if (index > 0) return;
          // The caller's stream may have ended meanwhile (dropped, or its worker gone), and the
          // carrier's continuation webhook already answered with this dial (from the saved state).
          if (!(await this.#claimCallerDial(callId, fx.legId, 'rest'))) {
            this.#o.log.info({ callId, transferId, legId: fx.legId }, 'transfer.dial_already_sent');
            return;
          }
          if (adapter.capabilities.streamCloseMovesCaller) {
            // The carrier's flow moves on once the AI stream closes and asks what to dial
            // (Exotel: the AI disconnects first, seed 003); the answer comes from this state.
            // A stream no longer here was closed already (a draining worker handed it back, its
            // worker died): the flow has moved on by itself and asks the same (soak seed 30538).
            const close = session?.closeCarrier;
            if (close === undefined) {
              this.#o.log.info({ callId, transferId, legId: fx.legId }, 'transfer.stream_already_closed');
              return;
            }
            await this.#carrier(callId, transferId, fx.legId, async () => close());
            return;
          }
          const markup = renderReply(adapter, callId, transferId, body, this.#o.media);
          await this.#carrier(callId, transferId, fx.legId, () =>
            this.#sendCallerDial({ callId, transferId, legId: fx.legId }, session, (until) =>
              adapter.control.redirectCall(callId, markup, { until, once: true }),
            ),
          );
          return;
        }
        const ids = { callId, transferId, legId: fx.legId };
        const answerUrl = adapter.callbackUrl('voice', ids);
        const detect = fx.machineDetection === true && adapter.capabilities.machineDetection === true;
        const place = (from: string) =>
          adapter.control.createCall({
            to: fx.to,
            from,
            next: { url: answerUrl },
            // The same (idempotent, deduped) answer webhook: another worker answers if this one fails.
            fallbackUrl: answerUrl,
            statusCallbackUrl: adapter.callbackUrl('status', ids),
            // With machine detection the answer is news only once detection decided: the answer
            // URL, fetched then, carries the verdict; an `answered` callback would come before it.
            // (An asynchronous detection's verdict comes in its own callback, after the answer.)
            statusCallbackEvents:
              detect && adapter.capabilities.asyncMachineDetection === undefined
                ? ['initiated', 'ringing', 'completed']
                : ['initiated', 'ringing', 'answered', 'completed'],
            timeoutSec: Math.max(1, Math.ceil(fx.timeoutMs / 1000)),
            ...(detect
              ? { machineDetection: true, machineDetectionUrl: adapter.callbackUrl('status', ids) }
              : {}),
            ...(fx.sendDigits === undefined ? {} : { sendDigits: fx.sendDigits }),
          });
        await this.#carrier(callId, transferId, fx.legId, async () => {
          let placed: { readonly carrierCallId: string };
          try {
            placed = await place(fx.callerId);
          } catch (err) {
            // A carrier may refuse a caller ID the account does not own (its adapter says so,
            // `classifyError`): present our own number rather than fail the transfer.
            const own = ownNumber(record);
            if (adapter.classifyError?.(err) !== 'caller_id_refused' || own === fx.callerId) {
              if (this.#legPlacedAnyway(callId, transferId, fx.legId, err)) return;
              throw err;
            }
            // The plan already avoids the caller's number where the carrier refuses it; a refusal
            // here is a configured number the account does not own: said, counted, on the timeline.
            const carrierCode = err instanceof CarrierError ? err.carrierCode : undefined;
            this.#o.log.warn({ callId, legId: fx.legId, carrierCode }, 'transfer.caller_id_fallback');
            this.#o.onCallerIdFallback?.(record.carrier);
            await this.#feed(callId, {
              type: 'call.note',
              event: 'caller_id.fallback',
              detail: `carrier refused the caller ID (${carrierCode ?? 'unknown'}); own number used`,
            });
            placed = await place(own);
          }
          await this.#feed(callId, {
            type: 'leg.bound',
            legId: fx.legId,
            carrierLegId: placed.carrierCallId,
          });
        });
        return;
      }
      case 'carrier.cancel': {
        // An answer webhook of this leg still waiting (detection was deciding) is told to hang up.
        this.#o.legReplies.release(fx.legId);
        const legCallId = record.legCarrierIds[fx.legId];
        if (legCallId !== undefined) await this.#hangUpLeg(adapter, legCallId);
        return;
      }
      case 'caller.hold': {
        session?.bridge.pauseAgentAudio();
        const body = holdBody(record, fx);
        if (!context.reply?.offer('caller', body)) {
          await this.#inOrder(callId, (until) =>
            adapter.control.redirectCall(
              callId,
              renderReply(adapter, callId, transferId, body, this.#o.media),
              { until },
            ),
          );
          await this.#afterHold(record, transferId);
        }
        // `caller.held` comes from the carrier's own report of the caller in the room (the
        // conference callback, webhooks.ts), bounded by the machine's `hold` timer.
        return;
      }
      case 'caller.check': {
        // Read-only: asked of the carrier alongside any command queued for the call.
        const live = (await adapter.control.callLive?.(callId)) ?? false;
        await this.#feed(callId, {
          type: 'transfer.event',
          transferId,
          event: { type: live ? 'caller.present' : 'caller.hangup' },
        });
        // The carrier's answer is news of the call's end too, which its status callback may never
        // bring (a lost callback). Only a carrier that said so ends it.
        if (!live && adapter.control.callLive !== undefined)
          await this.#feed(callId, { type: 'call.ended', via: 'status_check' });
        return;
      }
      case 'caller.to_agent': {
        if (context.reply?.offer('caller', { type: 'agent' })) return;
        // A mode that dials from the caller's call (cold): the caller is in a <Dial> whose action
        // webhook will bring them back (callerNow), unless the dial must stop now (a cancel).
        // Never a command to a call that may be over.
        const mode =
          record.transfer === null ? undefined : (this.#o.modes ?? TRANSFER_MODES).get(record.transfer.mode);
        if (mode?.dialsFrom === 'caller' && fx.interrupt !== true) return;
        // Nothing can stop such a carrier's dial from outside: its flow brings the caller back when it ends.
        if (adapter.capabilities.streamCloseMovesCaller) return;
        await this.#inOrder(callId, (until) =>
          adapter.control.redirectCall(
            callId,
            renderReply(adapter, callId, transferId, { type: 'agent' }, this.#o.media),
            { until },
          ),
        );
        return;
      }
      case 'human.whisper': {
        const body: ReplyBody = { type: 'whisper', legId: fx.legId, text: fx.text };
        if (context.reply?.offer('leg', body)) return;
        // The human's own call is waiting on its answer webhook (a Twilio answer URL): the
        // whisper is that webhook's reply, whenever it is decided.
        this.#o.legReplies.deliver(fx.legId, body);
        return;
      }
      case 'human.brief': {
        const body: ReplyBody = { type: 'brief', legId: fx.legId };
        if (context.reply?.offer('leg', body)) return;
        this.#o.legReplies.deliver(fx.legId, body);
        return;
      }
      case 'briefing.end':
        await this.#o.briefings?.end(fx.legId, fx.reason, fx.release);
        return;
      case 'agent.summary_request':
        session?.agent.sendSummaryRequest(transferId, fx.timeoutMs);
        return;
      case 'agent.detach':
        if (session !== undefined) {
          await this.#tellOwed(record, context);
          detachSession(this.#o.sessions, session, 'transferred', this.#closeFailed(callId));
        }
        return;
      case 'agent.status':
        // A guard's retry (effect-guards.ts) of a status this session already told: once only.
        if (
          session !== undefined &&
          isTerminalStatus(fx.status) &&
          !firstTelling(session, transferId, fx.status)
        )
          return;
        session?.agent.sendTransferStatus({
          transferId,
          status: fx.status,
          ...(fx.legId === undefined ? {} : { legId: fx.legId }),
          ...(fx.destination === undefined ? {} : { destination: fx.destination }),
        });
        return;
      case 'agent.resume': {
        if (session === undefined) return;
        const told = {
          transferId,
          outcome: fx.outcome,
          ...(fx.carrierCode === undefined ? {} : { carrierCode: fx.carrierCode }),
        };
        const resume = (): void =>
          tellResume(session, told, (input) => this.#feed(callId, input), this.#o.log);
        // A caller never moved off the AI stream is still there; otherwise wait for the new stream.
        if (session.bridge.carrierAttached) resume();
        else {
          session.onCallerBack = resume;
          session.pendingResume = told;
          this.#awaitCallerBack(callId, session);
        }
        return;
      }
      case 'transfer.ended':
        this.#o.log.info(
          {
            callId,
            transferId,
            outcome: fx.outcome,
            ...(fx.bridge === undefined ? {} : { bridge: fx.bridge }),
          },
          'transfer.ended',
        );
        return;
    }
  }

  /**
   * A durable retry of the caller's move to hold. Read again as it goes out (in the caller's
   * command queue), it is sent only if its transfer still waits for it, and without quick retries
   * of its own (the durable timer is its retry): a move landing after the caller was joined with a
   * human would take them out of that room — which ends with them — and drop the human.
   */
  async #retryHold(record: CallRecord, effect: HoldEffect): Promise<void> {
    const { callId } = record;
    const adapter = this.#o.adapterFor(record);
    let sent = false;
    await this.#inOrder(callId, async (until) => {
      const latest = await this.#current?.(callId);
      if (latest === undefined || !stillWanted(latest, effect)) return;
      // Still paused from the first attempt, unless the AI was resumed meanwhile (then not wanted).
      this.#o.sessions.get(callId)?.bridge.pauseAgentAudio();
      sent = true;
      await adapter.control.redirectCall(
        callId,
        renderReply(adapter, callId, effect.transferId, holdBody(latest, effect.effect), this.#o.media),
        { until, once: true },
      );
    });
    if (sent) await this.#afterHold(record, effect.transferId);
  }

  /**
   * The AI was resumed for a caller whose stream is not here. A caller moved off it comes back
   * with the move that brings them (`caller.to_agent`) or the carrier's continuation; one the
   * machine believed never moved — a move to hold answered with an error though the carrier had
   * done it, its room's report lost — has nothing bringing them. If no stream joined within
   * {@link STREAM_LOST_GRACE_MS}, the record hears `stream.lost`: the carrier is asked about the
   * call, and a live caller is moved back to the AI ({@link #restoreCaller}).
   */
  #awaitCallerBack(callId: string, session: LocalSession): void {
    const time = this.#o.time ?? backgroundTime;
    time.setTimeout(() => {
      if (this.#o.sessions.get(callId) !== session || session.bridge.carrierAttached) return;
      this.#feed(callId, { type: 'stream.lost' }).catch((err: unknown) =>
        this.#o.log.error({ callId, err: errorSummary(err) }, 'call.dispatch_failed'),
      );
    }, STREAM_LOST_GRACE_MS);
  }

  /**
   * A live caller who belongs with the AI and whose stream is gone from the session held here:
   * moved back to the AI, unless a command to their call is on its way from here, a retry of
   * their return is pending, their stream came back meanwhile, or their carrier's flow brings
   * them back by itself.
   */
  async #restoreCaller(record: CallRecord, session: LocalSession): Promise<void> {
    const { callId } = record;
    if (this.#callerCommands.has(callId)) return;
    const adapter = this.#o.adapterFor(record);
    if (adapter.capabilities.streamCloseMovesCaller) return;
    // Looked at again in the caller's command queue, just before the move: a stream that came
    // back, or a command decided meanwhile (a new transfer's hold or dial), stands.
    await this.#inOrder(callId, async (until) => {
      const latest = await this.#current?.(callId);
      if (latest === undefined || latest.phase !== 'ai') return;
      if ((latest.retries ?? []).some((r) => effectName(r.effect) === 'caller.to_agent')) return;
      if (this.#o.sessions.get(callId) !== session || session.bridge.carrierAttached) return;
      // A stale session here, the caller's stream on the worker that took it over: not ours to judge.
      if (this.#o.holdsSockets !== undefined && !(await this.#o.holdsSockets(callId))) return;
      this.#o.log.warn({ callId }, 'caller.restored');
      await adapter.control.redirectCall(
        callId,
        renderReply(adapter, callId, latest.transfer?.transferId, { type: 'agent' }, this.#o.media),
        { until },
      );
      await this.#feed(callId, {
        type: 'call.note',
        event: 'caller.restored',
        detail: 'live, off the AI stream: moved back',
      });
    });
  }

  /**
   * Sends a dial to the caller's call, once: a second `<Dial>` would ring the human anew, so the
   * carrier client does not repeat it on an error that says nothing of what was done (a server
   * error, or no answer). Whether the carrier started it shows in the caller's stream, which a
   * carrier ends as it moves the call on: gone within {@link DIAL_TOOK_WAIT_MS}, the dial goes on
   * — its leg's callbacks and the dial's end drive the transfer, its ring timer bounds it — and
   * the record says so. Still here, the dial is sent again (at most {@link DIAL_RESENDS} times),
   * in the caller's command queue and only if, read again there, its leg is still the one being
   * dialed and no callback of it came (a carrier that acted late would have sent one). Not held
   * here, or a refusal: the dial failed. Property seed 0xa6: a dial Twilio started and answered
   * 500 was retried, rang the human twice, and the human who answered the first was hung up as a
   * stray.
   */
  async #sendCallerDial(
    ids: { readonly callId: string; readonly transferId: string; readonly legId: string },
    session: LocalSession | undefined,
    send: (until: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const { callId } = ids;
    for (let resent = 0; ; resent++) {
      // The caller's stream as the dial went out (`closeCarrier` is one per stream).
      let sentOn: LocalSession['closeCarrier'];
      try {
        await this.#inOrder(callId, async (until) => {
          if (resent > 0 && !(await this.#stillDialing(ids))) return;
          sentOn = session?.closeCarrier;
          await send(until);
        });
        return;
      } catch (err) {
        if (!mayHaveActed(err) || session === undefined) throw err;
        if (sentOn === undefined) {
          // No stream was there as it went out (it had dropped, and the carrier was between
          // documents): no stream can show the dial taking. A carrier that acted names the leg
          // in a callback meanwhile, and then the dial is not sent again (property seed 0x3a3e:
          // taken as gone on, the dial never went and the caller waited out the ring time).
          await sleep(this.#o.time ?? backgroundTime, DIAL_TOOK_WAIT_MS);
        } else if (await this.#streamLeaves(session, sentOn, DIAL_TOOK_WAIT_MS)) {
          // A caller who hung up leaves the stream too: then the dial failed with the call.
          const latest = await this.#current?.(callId);
          if (latest === undefined || latest.phase === 'ended') throw err;
          await this.#errorAfterWork(callId, err, 'dial', 'the caller moved to it: the dial goes on');
          return;
        }
        if (resent >= DIAL_RESENDS) throw err;
      }
    }
  }

  /** The transfer still waits on this leg's dial, and nothing has been heard of the leg. */
  async #stillDialing(ids: { readonly callId: string; readonly transferId: string; readonly legId: string }) {
    const latest = await this.#current?.(ids.callId);
    const t = latest?.transfer;
    if (latest === undefined || t === null || t === undefined) return false;
    const leg = t.legs.find((l) => l.legId === ids.legId);
    return (
      t.transferId === ids.transferId &&
      t.outcome === null &&
      leg?.status === 'dialing' &&
      latest.legCarrierIds[ids.legId] === undefined
    );
  }

  /**
   * A human's leg whose create was answered with an error that says nothing of what was done: the
   * carrier may have placed it, and then its callbacks (which name the leg) bind it to the record.
   * True: the leg is left to them — the wait runs on its own, so the effects after the dial go on
   * — and, if none bound it within {@link LEG_NEWS_WAIT_MS}, the create counts as failed then (the
   * leg's `leg.error`; a leg that rings after that is hung up as a stray). Taken for failed at
   * once, such a leg rang the human, and the human who answered was hung up as a stray.
   */
  #legPlacedAnyway(callId: string, transferId: string, legId: string, err: unknown): boolean {
    if (!mayHaveActed(err)) return false;
    const current = this.#current;
    if (current === undefined) return false;
    const bound = async (): Promise<boolean> => {
      const latest = await current(callId);
      return latest === undefined || latest.legCarrierIds[legId] !== undefined;
    };
    const decide = async (): Promise<void> => {
      if (await this.#within(bound, LEG_NEWS_WAIT_MS, LEG_LOOK_MS))
        await this.#errorAfterWork(callId, err, 'leg', 'the carrier placed it: the leg goes on', legId);
      else await this.#legFailed(callId, transferId, legId, err);
    };
    decide().catch((failure: unknown) =>
      this.#o.log.error({ callId, legId, err: errorSummary(failure) }, 'call.dispatch_failed'),
    );
    return true;
  }

  /** Whether the session's carrier stream `stream` (its `closeCarrier`) is gone within `waitMs`. */
  #streamLeaves(
    session: LocalSession,
    stream: LocalSession['closeCarrier'],
    waitMs: number,
  ): Promise<boolean> {
    return this.#within(() => session.closeCarrier !== stream, waitMs, STREAM_LOOK_MS);
  }

  /** Whether `holds` comes true within `waitMs`, looked at every `stepMs`. */
  async #within(holds: () => boolean | Promise<boolean>, waitMs: number, stepMs: number): Promise<boolean> {
    const time = this.#o.time ?? backgroundTime;
    for (let waited = 0; ; waited += stepMs) {
      if (await holds()) return true;
      if (waited >= waitMs) return false;
      await new Promise<void>((resolve) => time.setTimeout(resolve, stepMs));
    }
  }

  /** A carrier command for a leg; a permanent failure becomes the leg's `leg.error`. */
  async #carrier(callId: string, transferId: string, legId: string, op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      await this.#legFailed(callId, transferId, legId, err);
    }
  }

  /** A leg's command failed: logged, and the leg's `leg.error` with the carrier's code. */
  async #legFailed(callId: string, transferId: string, legId: string, err: unknown): Promise<void> {
    const carrierCode = err instanceof CarrierError ? err.carrierCode : undefined;
    this.#o.log.warn({ callId, transferId, legId, err: errorSummary(err) }, 'carrier.command_failed');
    await this.#feed(callId, {
      type: 'transfer.event',
      transferId,
      event: { type: 'leg.error', legId, ...(carrierCode === undefined ? {} : { carrierCode }) },
    });
  }

  /** A command the carrier answered with an error, yet carried out: logged, and said on the call's timeline. */
  async #errorAfterWork(
    callId: string,
    err: CarrierError,
    what: 'dial' | 'leg',
    outcome: string,
    legId?: string,
  ): Promise<void> {
    this.#o.log.warn(
      { callId, ...(legId === undefined ? {} : { legId }), status: err.status, carrierCode: err.carrierCode },
      'transfer.dial_error_after_work',
    );
    await this.#feed(callId, {
      type: 'call.note',
      event: 'carrier.error_after_work',
      detail: `${what} answered ${err.carrierCode ?? err.status}, yet ${outcome}`,
    });
  }

  async #feed(callId: string, input: CallInput): Promise<DispatchOutcome['status'] | undefined> {
    if (this.#dispatch === undefined) throw new DaemonError('executor_unbound', 'executor has no dispatcher');
    return this.#dispatch(callId, input);
  }

  /** Claims sending the first dial to the caller's call (`callerDial`); false: it was sent already. */
  async #claimCallerDial(callId: string, legId: string, via: 'webhook' | 'rest'): Promise<boolean> {
    const status = await this.#feed(callId, { type: 'caller.dial_sent', legId, via });
    return status !== 'unchanged' && status !== 'duplicate';
  }
}

function isOutcome(code: string): code is TransferOutcome {
  return (TRANSFER_OUTCOMES as readonly string[]).includes(code);
}

/** The number this call reached us on (inbound) or came from (outbound): always one we own. */
function ownNumber(record: CallRecord): string {
  return record.direction === 'inbound' ? record.pii.to : record.pii.from;
}

export function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof DaemonError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}

type HoldEffect = Extract<CallEffect, { type: 'transfer' }> & {
  readonly effect: { readonly type: 'caller.hold' };
};

function isHold(effect: CallEffect): effect is HoldEffect {
  return effect.type === 'transfer' && effect.effect.type === 'caller.hold';
}

/** The caller's hold markup: the plan's hold audio and its announcement, if any. */
function holdBody(record: CallRecord, fx: Extract<TransferEffect, { type: 'caller.hold' }>): ReplyBody {
  const announce = record.transfer === null ? undefined : carrierAnnouncement(record.transfer.plan);
  return {
    type: 'hold',
    ...(fx.holdAudioUrl === undefined ? {} : { holdAudioUrl: fx.holdAudioUrl }),
    ...(announce === undefined ? {} : { announce }),
  };
}

/** An error that says nothing of what the carrier did: a server error, or no answer at all. */
function mayHaveActed(err: unknown): err is CarrierError {
  return err instanceof CarrierError && (err.status === 0 || err.status >= 500);
}
