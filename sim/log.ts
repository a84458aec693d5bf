/**
 * The per-call record tests assert on: legs, markup executed, REST requests received, webhooks
 * and callbacks sent with the replies they got, media-stream events, faults applied. Audio
 * heard is kept by each endpoint's {@link Heard} and joined in {@link SimLog.forCall}.
 */
import type { Clock } from './clock.js';
import type { HeardSegment } from './heard.js';

/** Form or query parameters; repeated keys keep every value. */
export type Params = Readonly<Record<string, string | readonly string[]>>;

type Body =
  | {
      readonly type: 'leg.created';
      readonly legId: string;
      readonly direction: 'inbound' | 'outbound';
      readonly from: string;
      readonly to: string;
    }
  | { readonly type: 'leg.ringing' }
  | { readonly type: 'leg.answered' }
  | { readonly type: 'leg.ended'; readonly status: string; readonly by: string; readonly sipCode: number }
  /** One markup instruction started (a TwiML verb, a Plivo element…). */
  | {
      readonly type: 'markup.verb';
      readonly verb: string;
      readonly attributes: Readonly<Record<string, string>>;
      readonly text?: string;
    }
  /** Markup skipped (unsupported) or rejected, with the carrier's error code. */
  | { readonly type: 'markup.error'; readonly code: number; readonly message: string }
  /**
   * A REST request, logged when it is answered (`atMs`); `receivedAtMs` is when it arrived, which
   * is when the simulator acted on it (a `rest.slow` fault delays only the answer).
   */
  | {
      readonly type: 'rest.request';
      readonly method: string;
      readonly path: string;
      readonly params: Params;
      readonly status: number;
      readonly errorCode?: number;
      readonly receivedAtMs: number;
    }
  /**
   * A request the simulator made: `kind` is `voice`, `redirect`, `action`, `announce`, `whisper`
   * (markup fetches) or `status`, `conference`, `stream-status` (notifications).
   */
  | {
      readonly type: 'webhook.sent';
      readonly kind: string;
      readonly method: string;
      readonly url: string;
      readonly params: Params;
      readonly status?: number;
      readonly body?: string;
      readonly error?: string;
      /** 0 for the original, 1… for injected duplicates. */
      readonly copy: number;
    }
  | {
      readonly type: 'media.event';
      readonly streamId: string;
      readonly direction: 'sent' | 'received';
      readonly event: string;
      readonly detail?: string;
    }
  | { readonly type: 'conference.event'; readonly event: string; readonly detail?: string }
  | { readonly type: 'fault.applied'; readonly fault: string; readonly detail?: string }
  | { readonly type: 'sim.error'; readonly code: string; readonly message: string };

/** One log entry; `type` is a dotted lowercase tag. */
export type SimLogEntry = Body & {
  readonly seq: number;
  readonly atMs: number;
  readonly carrier?: string;
  readonly callSid?: string;
  readonly conferenceSid?: string;
};

/** Everything about one call: its log entries and what its party heard on that leg. */
export interface CallLog {
  readonly callSid: string;
  readonly entries: readonly SimLogEntry[];
  readonly heard: readonly HeardSegment[];
}

type Context = { carrier?: string; callSid?: string; conferenceSid?: string };

export class SimLog {
  readonly #clock: Clock;
  readonly #entries: SimLogEntry[] = [];
  readonly #listeners = new Set<(e: SimLogEntry) => void>();
  #heardOf: (callSid: string) => readonly HeardSegment[] = () => [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Appends an entry stamped with the clock; returns it. */
  add(context: Context, body: Body): SimLogEntry {
    const entry = {
      ...body,
      ...context,
      seq: this.#entries.length + 1,
      atMs: this.#clock.nowMs(),
    } as SimLogEntry;
    this.#entries.push(entry);
    for (const fn of this.#listeners) fn(entry);
    return entry;
  }

  get entries(): readonly SimLogEntry[] {
    return this.#entries;
  }

  /** Entries of one `type`, narrowed. */
  ofType<T extends SimLogEntry['type']>(type: T): Extract<SimLogEntry, { type: T }>[] {
    return this.#entries.filter((e): e is Extract<SimLogEntry, { type: T }> => e.type === type);
  }

  /** The log of one call (by its carrier id) with the audio its party heard on it. */
  forCall(callSid: string): CallLog {
    return {
      callSid,
      entries: this.#entries.filter((e) => e.callSid === callSid),
      heard: this.#heardOf(callSid),
    };
  }

  /** The log of one conference. */
  forConference(conferenceSid: string): readonly SimLogEntry[] {
    return this.#entries.filter((e) => e.conferenceSid === conferenceSid);
  }

  /** Subscribes to new entries; returns an unsubscribe function. */
  subscribe(fn: (e: SimLogEntry) => void): () => void {
    this.#listeners.add(fn);
    return () => {
      this.#listeners.delete(fn);
    };
  }

  /** Wired by the network: where {@link forCall} finds audio heard on a leg. */
  setHeardLookup(fn: (callSid: string) => readonly HeardSegment[]): void {
    this.#heardOf = fn;
  }
}
