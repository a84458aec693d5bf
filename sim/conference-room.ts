/**
 * Carrier-neutral conference audio routing. Members who are in a started room hear each
 * other's frames (labelled `party:<leg>`); a held member hears its hold signal and nobody hears
 * it; a muted member is heard by nobody; before the room starts every member hears its wait
 * signal (or silence); a coach is heard only by the member it coaches. Frames are forwarded, not mixed: the recording per source is what tests
 * assert on.
 */
import { type FrameSource, SIGNALS } from './audio.js';
import type { Ticker } from './clock.js';
import type { AudioLabel } from './heard.js';
import type { Leg } from './leg.js';

export interface MemberOptions {
  readonly muted?: boolean;
  readonly hold?: boolean;
  /** What the member hears while on hold; default `{ source: 'hold' }`. */
  readonly holdLabel?: AudioLabel;
  /** What the member hears before the room starts; `undefined` for silence. */
  readonly waitLabel?: AudioLabel;
  /** Coaching: only the member whose leg label this is hears this member. */
  readonly coachOf?: string;
}

interface Member {
  readonly leg: Leg;
  muted: boolean;
  hold: boolean;
  holdLabel: AudioLabel;
  waitLabel: AudioLabel | undefined;
  coachOf: string | undefined;
  signal: FrameSource | undefined;
  offAudio: () => void;
}

export class ConferenceRoom {
  readonly #ticker: Ticker;
  readonly #members = new Map<Leg, Member>();
  #started = false;
  #offTick: (() => void) | undefined;

  constructor(ticker: Ticker) {
    this.#ticker = ticker;
  }

  get started(): boolean {
    return this.#started;
  }

  get size(): number {
    return this.#members.size;
  }

  has(leg: Leg): boolean {
    return this.#members.has(leg);
  }

  /** Starts mixing: members stop hearing wait audio and hear each other. */
  start(): void {
    this.#started = true;
    for (const m of this.#members.values()) if (!m.hold) m.signal = undefined;
  }

  join(leg: Leg, options: MemberOptions = {}): void {
    if (this.#members.has(leg) || leg.isEnded) return;
    const member: Member = {
      leg,
      muted: options.muted ?? false,
      hold: options.hold ?? false,
      holdLabel: options.holdLabel ?? { source: 'hold' },
      waitLabel: options.waitLabel,
      coachOf: options.coachOf,
      signal: undefined,
      offAudio: leg.onAudio((frame) => this.#forward(member, frame)),
    };
    this.#members.set(leg, member);
    this.#offTick ??= this.#ticker.add('produce', () => this.#playSignals());
  }

  leave(leg: Leg): void {
    const m = this.#members.get(leg);
    if (!m) return;
    m.offAudio();
    this.#members.delete(leg);
    if (this.#members.size === 0) {
      this.#offTick?.();
      this.#offTick = undefined;
    }
  }

  setHold(leg: Leg, hold: boolean, holdLabel?: AudioLabel): void {
    const m = this.#members.get(leg);
    if (!m) return;
    if (holdLabel) m.holdLabel = holdLabel;
    if (m.hold !== hold) m.signal = undefined;
    m.hold = hold;
  }

  setMuted(leg: Leg, muted: boolean): void {
    const m = this.#members.get(leg);
    if (m) m.muted = muted;
  }

  /** Makes the member a coach heard only by the leg labelled `coachOf` (`undefined`: heard by all). */
  setCoaching(leg: Leg, coachOf: string | undefined): void {
    const m = this.#members.get(leg);
    if (m) m.coachOf = coachOf;
  }

  /** Removes every member and stops ticking. */
  close(): void {
    for (const leg of [...this.#members.keys()]) this.leave(leg);
  }

  #forward(from: Member, frame: Buffer): void {
    if (!this.#started || from.muted || from.hold) return;
    const label: AudioLabel = { source: `party:${from.leg.label}` };
    for (const to of this.#members.values()) {
      if (to === from || to.hold) continue;
      if (from.coachOf !== undefined && to.leg.label !== from.coachOf) continue;
      to.leg.hear(label, frame);
    }
  }

  #playSignals(): void {
    for (const m of this.#members.values()) {
      const label = m.hold ? m.holdLabel : this.#started ? undefined : m.waitLabel;
      if (!label) continue;
      m.signal ??= SIGNALS.hold();
      const frame = m.signal.next();
      if (frame) m.leg.hear(label, frame);
    }
  }
}

/** Connects two legs both ways (`party:<leg>` audio); returns a function that disconnects them. */
export function bridge(a: Leg, b: Leg): () => void {
  const offA = a.onAudio((frame) => b.hear({ source: `party:${a.label}` }, frame));
  const offB = b.onAudio((frame) => a.hear({ source: `party:${b.label}` }, frame));
  return () => {
    offA();
    offB();
  };
}
