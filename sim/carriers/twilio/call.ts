/**
 * One Twilio call (a `CA…` sid) over one network leg: its status as Twilio reports it, its
 * call-progress callbacks (protocols.md §2.6), the standard webhook params (§2.1) and its REST
 * resource shape (§2.4).
 */
import type { SimContext } from '../../front-end.js';
import type { Leg, LegEnd } from '../../leg.js';
import type { TwilioHooks } from './hooks.js';
import type { ResolvedTwilioOptions } from './options.js';
import { rfc1123 } from './time-format.js';

export type TwilioCallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

export type TwilioDirection = 'inbound' | 'outbound-api' | 'outbound-dial';

export type ProgressEvent = 'initiated' | 'ringing' | 'answered' | 'completed';
export const PROGRESS_EVENTS: readonly ProgressEvent[] = ['initiated', 'ringing', 'answered', 'completed'];

export interface StatusCallbackConfig {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly events: ReadonlySet<ProgressEvent>;
}

export interface TwilioCallInit {
  readonly sid: string;
  readonly direction: TwilioDirection;
  readonly leg: Leg;
  readonly parentCallSid?: string;
  readonly statusCallback?: StatusCallbackConfig;
  /** Asked when the call's TwiML cannot be fetched or run (number `VoiceFallbackUrl`, Calls `FallbackUrl`). */
  readonly fallback?: FallbackConfig;
}

/** A fallback URL (Twilio docs, availability-reliability): asked with `ErrorCode` and `ErrorUrl`. */
export interface FallbackConfig {
  readonly url: string;
  readonly method: 'GET' | 'POST';
}

const ENDED: ReadonlySet<TwilioCallStatus> = new Set([
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);

export class TwilioCall {
  readonly sid: string;
  readonly direction: TwilioDirection;
  readonly leg: Leg;
  readonly parentCallSid: string | undefined;
  readonly dateCreatedMs: number;
  statusCallback: StatusCallbackConfig | undefined;
  /** Answering-machine detection's `AnsweredBy`, once it decided (only when asked for). */
  answeredBy: string | undefined;
  /** Replaced by a REST update that sets `FallbackUrl`. */
  fallback: FallbackConfig | undefined;
  #status: TwilioCallStatus;
  #dateUpdatedMs: number;
  #startTimeMs: number | undefined;
  #endTimeMs: number | undefined;
  #sequence = 0;
  readonly #ctx: SimContext;
  readonly #hooks: TwilioHooks;
  readonly #options: ResolvedTwilioOptions;

  constructor(init: TwilioCallInit, ctx: SimContext, hooks: TwilioHooks, options: ResolvedTwilioOptions) {
    this.sid = init.sid;
    this.direction = init.direction;
    this.leg = init.leg;
    this.parentCallSid = init.parentCallSid;
    this.statusCallback = init.statusCallback;
    this.fallback = init.fallback;
    this.#ctx = ctx;
    this.#hooks = hooks;
    this.#options = options;
    this.dateCreatedMs = ctx.clock.nowMs();
    this.#dateUpdatedMs = this.dateCreatedMs;
    this.#status = init.leg.state === 'ringing' ? 'ringing' : 'queued';
    init.leg.label = init.sid;
    init.leg.on((e) => {
      if (e.type === 'leg.ringing') {
        this.#setStatus('ringing');
        this.#progress('ringing');
      } else if (e.type === 'leg.answered') {
        this.#startTimeMs = ctx.clock.nowMs();
        this.#setStatus('in-progress');
        this.#progress('answered');
      } else if (e.type === 'leg.ended') {
        this.#endTimeMs = e.end.atMs;
        this.#setStatus(this.#statusFor(e.end));
        this.#progress('completed');
      }
    });
  }

  get accountSid(): string {
    return this.#options.accountSid;
  }

  get status(): TwilioCallStatus {
    return this.#status;
  }

  get isEnded(): boolean {
    return ENDED.has(this.#status);
  }

  get from(): string {
    return this.leg.from;
  }

  get to(): string {
    return this.leg.to;
  }

  /** Whole seconds between answer and end (0 if never answered). */
  get durationSeconds(): number {
    if (this.#startTimeMs === undefined) return 0;
    const end = this.#endTimeMs ?? this.#ctx.clock.nowMs();
    return Math.max(0, Math.round((end - this.#startTimeMs) / 1000));
  }

  /** Sends the `initiated` callback: the outbound dial has started. */
  initiated(): void {
    this.#progress('initiated');
  }

  /** The standard webhook params (protocols.md §2.1). */
  params(): Record<string, string> {
    const p: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: this.sid,
      CallStatus: this.#status,
      Called: this.to,
      Caller: this.from,
      Direction: this.direction,
      From: this.from,
      To: this.to,
    };
    if (this.parentCallSid) p['ParentCallSid'] = this.parentCallSid;
    if (this.answeredBy !== undefined) p['AnsweredBy'] = this.answeredBy;
    return p;
  }

  /** The Call resource, snake_case as the REST API returns it. */
  resource(): Record<string, unknown> {
    const base = `/2010-04-01/Accounts/${this.accountSid}/Calls/${this.sid}`;
    return {
      sid: this.sid,
      date_created: rfc1123(this.dateCreatedMs),
      date_updated: rfc1123(this.#dateUpdatedMs),
      parent_call_sid: this.parentCallSid ?? null,
      account_sid: this.accountSid,
      to: this.to,
      to_formatted: this.to,
      from: this.from,
      from_formatted: this.from,
      phone_number_sid: null,
      status: this.#status,
      start_time: this.#startTimeMs === undefined ? null : rfc1123(this.#startTimeMs),
      end_time: this.#endTimeMs === undefined ? null : rfc1123(this.#endTimeMs),
      duration: this.isEnded ? String(this.durationSeconds) : null,
      price: null,
      price_unit: 'USD',
      direction: this.direction,
      answered_by: this.answeredBy ?? null,
      api_version: '2010-04-01',
      forwarded_from: null,
      group_sid: null,
      caller_name: null,
      queue_time: '0',
      trunk_sid: null,
      uri: `${base}.json`,
      subresource_uris: {
        notifications: `${base}/Notifications.json`,
        recordings: `${base}/Recordings.json`,
        streams: `${base}/Streams.json`,
        events: `${base}/Events.json`,
      },
    };
  }

  #setStatus(status: TwilioCallStatus): void {
    this.#status = status;
    this.#dateUpdatedMs = this.#ctx.clock.nowMs();
  }

  #statusFor(end: LegEnd): TwilioCallStatus {
    if (end.status === 'declined') return this.#options.declinedCallStatus;
    return end.status;
  }

  #progress(event: ProgressEvent): void {
    const cb = this.statusCallback;
    if (!cb?.events.has(event)) return;
    const params: Record<string, string> = {
      ...this.params(),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(this.#sequence++),
      Timestamp: rfc1123(this.#ctx.clock.nowMs()),
    };
    if (event === 'initiated') params['CallStatus'] = this.#options.initiatedCallStatus;
    if (event === 'completed') {
      params['CallDuration'] = String(this.durationSeconds);
      params['Duration'] = String(Math.ceil(this.durationSeconds / 60));
      params['SipResponseCode'] = String(this.leg.end?.sipCode ?? 200);
    }
    this.#hooks.notify({
      kind: 'status',
      url: cb.url,
      method: cb.method,
      params,
      callSid: this.sid,
      event,
    });
  }
}
