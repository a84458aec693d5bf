import type { CarrierAdapter, Markup } from '../../providers/types.js';
import { DaemonError } from '../domain/errors.js';
import { backgroundTime, type Timers } from '../lib/time.js';
import type { ReplyBody } from './engine.js';

/**
 * What the daemon answers a carrier that waits for markup: the body of a reply rendered with
 * the carrier's markup, and the human leg's answer webhook waiting (bounded) for its whisper.
 */

/** Builds the stream parameters (call id, media token) of a call's `<Connect><Stream>`. */
export type MediaParameters = (callId: string) => Readonly<Record<string, string>>;

export function roomFor(transferId: string): string {
  return `xfer-${transferId}`;
}

/** The stream parameter (and agent `start` parameter) naming a briefing stream. */
export const BRIEFING_ROLE = 'briefing';

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
        ...(body.whisper === undefined ? {} : { whisper: body.whisper }),
        ...(body.hold === undefined ? {} : { hold: body.hold }),
        ...(body.announce === undefined ? {} : { announce: body.announce }),
        ...(body.sendDigits === undefined ? {} : { sendDigits: body.sendDigits }),
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
        ...(body.announce === undefined ? {} : { announce: body.announce }),
      });
    case 'whisper':
      if (transferId === undefined) throw new DaemonError('transfer_missing', 'whisper needs a transfer');
      return adapter.markup.whisperThenJoin({
        text: body.text,
        room: roomFor(transferId),
        label: body.legId,
        statusCallbackUrl: adapter.callbackUrl('conference', { callId, transferId }),
      });
    case 'brief': {
      if (transferId === undefined) throw new DaemonError('transfer_missing', 'a briefing needs a transfer');
      const ids = { callId, transferId, legId: body.legId };
      return adapter.markup.answerWithStream({
        streamUrl: adapter.mediaUrl(),
        parameters: { ...media(callId), role: BRIEFING_ROLE, transferId, legId: body.legId },
        // The leg's own answer URL: once the stream is released it asks what next (the join, the
        // fallback whisper), answered from saved state like any continuation (invariant 1).
        continuationUrl: adapter.callbackUrl('voice', ids),
      });
    }
    case 'hangup':
      return adapter.markup.hangup();
  }
}

/**
 * Silence, then the carrier asks the call's continuation again; undefined where the carrier has
 * no such document (its own flow asks).
 */
export function renderPauseThenAsk(
  adapter: CarrierAdapter,
  callId: string,
  seconds: number,
): Markup | undefined {
  continuationSeq += 1;
  return adapter.markup.pauseThenAsk?.({
    seconds,
    continuationUrl: adapter.callbackUrl('voice', { callId, seq: continuationSeq }),
  });
}

/**
 * A human leg's answer webhook waits (bounded) for its whisper text when the summary is not in
 * yet: the machine's `human.whisper` effect then answers it instead of a REST redirect.
 */
export class LegReplies {
  readonly #timers: Timers;
  readonly #waiting = new Map<string, (body: ReplyBody) => void>();
  /** Whispers decided before the leg's answer webhook came in (e.g. its status callback won the race). */
  readonly #early = new Map<string, { body: ReplyBody; timer: unknown }>();

  /** `timers`: default the system's (a pending one never keeps the process alive). */
  constructor(timers: Timers = backgroundTime) {
    this.#timers = timers;
  }

  /**
   * Registers interest in the whisper of `legId` before the answer is dispatched, so a whisper
   * decided at any moment after (the summary arriving) is not missed. Resolves with `fallback`
   * after `timeoutMs`; `cancel()` drops the registration.
   */
  expect(
    legId: string,
    timeoutMs: number,
    fallback: ReplyBody,
  ): { reply: Promise<ReplyBody>; cancel: () => void } {
    const early = this.#early.get(legId);
    if (early !== undefined) {
      this.#timers.clearTimeout(early.timer);
      this.#early.delete(legId);
      return { reply: Promise.resolve(early.body), cancel: () => {} };
    }
    let cancel = (): void => {};
    const reply = new Promise<ReplyBody>((resolve) => {
      const timer = this.#timers.setTimeout(() => finish(fallback), timeoutMs);
      const finish = (body: ReplyBody): void => {
        this.#timers.clearTimeout(timer);
        if (this.#waiting.get(legId) === finish) this.#waiting.delete(legId);
        resolve(body);
      };
      cancel = () => finish(fallback);
      this.#waiting.set(legId, finish);
    });
    return { reply, cancel };
  }

  /** The leg is being hung up: its answer webhook, if still waiting, answers with a hang-up (nothing kept). */
  release(legId: string): void {
    this.#waiting.get(legId)?.({ type: 'hangup' });
  }

  /** Hands the whisper to the leg's answer webhook, now or when it arrives (kept 30 s). */
  deliver(legId: string, body: ReplyBody): void {
    const waiter = this.#waiting.get(legId);
    if (waiter !== undefined) {
      waiter(body);
      return;
    }
    const prior = this.#early.get(legId);
    if (prior !== undefined) this.#timers.clearTimeout(prior.timer);
    const timer = this.#timers.setTimeout(() => this.#early.delete(legId), 30_000);
    this.#early.set(legId, { body, timer });
  }
}
