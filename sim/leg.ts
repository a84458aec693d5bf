/**
 * One call leg between the carrier network and an endpoint (a caller or a human). The carrier
 * side (a front-end's markup interpreter) decides what the endpoint hears with {@link Leg.hear};
 * the endpoint side speaks with {@link Leg.sendAudio} and presses digits. Carrier-neutral.
 */
import type { Clock, Ticker } from './clock.js';
import type { AudioLabel, Heard } from './heard.js';

/** `inbound`: an endpoint called the carrier. `outbound`: the carrier dialed an endpoint. */
export type LegDirection = 'inbound' | 'outbound';
export type LegState = 'dialing' | 'ringing' | 'answered' | 'ended';

/**
 * How a leg ended, carrier-neutral. `declined` is a callee rejecting the call (SIP 603); each
 * front-end maps it to its carrier's status.
 */
export type LegEndStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled' | 'declined';

export interface LegEnd {
  readonly status: LegEndStatus;
  /** Which side ended it: the endpoint (hung up, busy, rejected) or the network (carrier). */
  readonly by: 'endpoint' | 'network';
  readonly atMs: number;
  /** SIP final response that best describes the end (200, 486, 487, 408, 404, 603…). */
  readonly sipCode: number;
}

export type LegEvent =
  | { readonly type: 'leg.ringing' }
  | { readonly type: 'leg.answered' }
  | { readonly type: 'leg.ended'; readonly end: LegEnd }
  | { readonly type: 'leg.dtmf'; readonly digit: string };

const DEFAULT_SIP: Record<LegEndStatus, number> = {
  completed: 200,
  busy: 486,
  'no-answer': 487,
  failed: 404,
  canceled: 487,
  declined: 603,
};

export interface LegInit {
  readonly id: string;
  readonly direction: LegDirection;
  readonly from: string;
  readonly to: string;
  readonly carrier: string;
  readonly clock: Clock;
  readonly ticker: Ticker;
  /** The endpoint's recording, where everything this leg hears goes. */
  readonly heard: Heard;
}

export class Leg {
  readonly id: string;
  readonly direction: LegDirection;
  readonly from: string;
  readonly to: string;
  readonly carrier: string;
  readonly createdAtMs: number;
  /** Resolves once, when the leg ends. */
  readonly ended: Promise<LegEnd>;
  /** The carrier's id for this leg (a Twilio `CA…` sid), set by the front-end; defaults to `id`. */
  label: string;

  readonly #clock: Clock;
  readonly #ticker: Ticker;
  readonly #heard: Heard;
  readonly #listeners = new Set<(e: LegEvent) => void>();
  readonly #audioListeners = new Set<(frame: Buffer, tick: number) => void>();
  readonly #hearListeners = new Set<(label: AudioLabel, frame: Buffer) => void>();
  #resolveEnded!: (end: LegEnd) => void;
  #state: LegState = 'dialing';
  #end: LegEnd | undefined;
  #answeredAtMs: number | undefined;
  #lastFrame: Buffer | undefined;
  #lastFrameTick = -1;

  constructor(init: LegInit) {
    this.id = init.id;
    this.label = init.id;
    this.direction = init.direction;
    this.from = init.from;
    this.to = init.to;
    this.carrier = init.carrier;
    this.#clock = init.clock;
    this.#ticker = init.ticker;
    this.#heard = init.heard;
    this.createdAtMs = init.clock.nowMs();
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  get state(): LegState {
    return this.#state;
  }

  get end(): LegEnd | undefined {
    return this.#end;
  }

  get answeredAtMs(): number | undefined {
    return this.#answeredAtMs;
  }

  get isEnded(): boolean {
    return this.#state === 'ended';
  }

  /** Subscribes to state changes and digits; returns an unsubscribe function. */
  on(fn: (e: LegEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => {
      this.#listeners.delete(fn);
    };
  }

  /** Subscribes to frames the endpoint sends; returns an unsubscribe function. */
  onAudio(fn: (frame: Buffer, tick: number) => void): () => void {
    this.#audioListeners.add(fn);
    return () => {
      this.#audioListeners.delete(fn);
    };
  }

  /** Subscribes to what the endpoint hears (e.g. for a stream's outbound track); returns an unsubscribe function. */
  onHear(fn: (label: AudioLabel, frame: Buffer) => void): () => void {
    this.#hearListeners.add(fn);
    return () => {
      this.#hearListeners.delete(fn);
    };
  }

  /** The leg starts ringing (the callee's phone rings, or the carrier received the call). */
  ring(): void {
    if (this.#state !== 'dialing') return;
    this.#state = 'ringing';
    this.#emit({ type: 'leg.ringing' });
  }

  /** The call is answered (by the callee, or by the carrier for an inbound call). */
  answer(): void {
    if (this.#state !== 'dialing' && this.#state !== 'ringing') return;
    this.#state = 'answered';
    this.#answeredAtMs = this.#clock.nowMs();
    this.#emit({ type: 'leg.answered' });
  }

  /** Ends the leg once; later calls are ignored. */
  hangup(status: LegEndStatus, by: LegEnd['by'], sipCode?: number): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#end = { status, by, atMs: this.#clock.nowMs(), sipCode: sipCode ?? DEFAULT_SIP[status] };
    this.#emit({ type: 'leg.ended', end: this.#end });
    this.#listeners.clear();
    this.#audioListeners.clear();
    this.#hearListeners.clear();
    this.#resolveEnded(this.#end);
  }

  /** Endpoint side: one frame of what the endpoint says this tick. */
  sendAudio(frame: Buffer): void {
    if (this.#state !== 'answered') return;
    const tick = this.#ticker.tick;
    this.#lastFrame = frame;
    this.#lastFrameTick = tick;
    for (const fn of this.#audioListeners) fn(frame, tick);
  }

  /** The frame the endpoint sent during `tick`, if any (read in the `route` phase). */
  frameAt(tick: number): Buffer | undefined {
    return this.#lastFrameTick === tick ? this.#lastFrame : undefined;
  }

  /** Endpoint side: a DTMF digit. */
  pressDigit(digit: string): void {
    if (this.#state !== 'answered') return;
    this.#emit({ type: 'leg.dtmf', digit });
  }

  /** Network side: the endpoint hears `frame` from `label` now (early media allowed while ringing). */
  hear(label: AudioLabel, frame: Buffer): void {
    if (this.#state === 'ended' || this.#state === 'dialing') return;
    this.#heard.record(this.label, label, frame, this.#ticker.tick, this.#clock.nowMs());
    for (const fn of this.#hearListeners) fn(label, frame);
  }

  #emit(e: LegEvent): void {
    for (const fn of [...this.#listeners]) fn(e);
  }
}
