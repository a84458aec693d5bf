/**
 * One Exotel call (a 32-hex `CallSid`) over one network leg: its status as Exotel reports it
 * (protocols.md §4.4), the call details its applets send (§4.6, §4.7), its REST resource, and the
 * status callback at its end (§4.5).
 */
import type { SimContext } from '../../front-end.js';
import type { Leg, LegEnd } from '../../leg.js';
import type { ExotelHooks, HookParams } from './hooks.js';
import { exotelNumber } from './numbers.js';
import type { ResolvedExotelOptions } from './options.js';

export type ExotelCallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'failed'
  | 'busy'
  | 'no-answer'
  | 'canceled';

export type ExotelDirection = 'incoming' | 'outbound-api' | 'outbound-dial';

/** What the last Connect applet dialed, passed on to the applets after it (§4.6). */
export interface DialFacts {
  readonly status: string;
  readonly dialCallSid?: string;
  readonly dialWhomNumber?: string;
  readonly durationSec: number;
  readonly answered: boolean;
}

/** What the last Voicebot did, passed to the Passthru after it as `Stream[…]` (§4.6). */
export interface StreamFacts {
  readonly streamSid: string;
  readonly url: string;
  readonly durationSec: number;
  readonly disconnectedBy: 'bot' | 'user';
}

export interface StatusCallbackConfig {
  readonly url: string;
  readonly contentType: 'multipart' | 'json';
  /** `terminal` always; `answered`, `ringing` when asked for (Calls/connect). */
  readonly events: ReadonlySet<string>;
  readonly customField?: string;
}

/** `YYYY-MM-DD HH:mm:ss` in India time, as Exotel writes timestamps (UNCONFIRMED zone, §4.4). */
export function exotelTime(ms: number): string {
  return new Date(ms + 5.5 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
}

export class ExotelCall {
  readonly sid: string;
  readonly leg: Leg;
  readonly direction: ExotelDirection;
  readonly createdMs: number;
  readonly statusCallback: StatusCallbackConfig | undefined;
  /** The flow's app id when started through Calls/connect `Url`. */
  readonly flowId: string | undefined;
  lastDial: DialFacts | undefined;
  lastStream: StreamFacts | undefined;
  #status: ExotelCallStatus;
  #startMs: number | undefined;
  #endMs: number | undefined;
  readonly #ctx: SimContext;
  readonly #hooks: ExotelHooks;
  readonly #options: ResolvedExotelOptions;

  constructor(
    init: {
      sid: string;
      leg: Leg;
      direction: ExotelDirection;
      statusCallback?: StatusCallbackConfig;
      flowId?: string;
    },
    ctx: SimContext,
    hooks: ExotelHooks,
    options: ResolvedExotelOptions,
  ) {
    this.sid = init.sid;
    this.leg = init.leg;
    this.direction = init.direction;
    this.statusCallback = init.statusCallback;
    this.flowId = init.flowId;
    this.#ctx = ctx;
    this.#hooks = hooks;
    this.#options = options;
    this.createdMs = ctx.clock.nowMs();
    this.#status = init.leg.state === 'ringing' ? 'ringing' : 'queued';
    init.leg.label = init.sid;
    init.leg.on((e) => {
      if (e.type === 'leg.ringing') {
        this.#status = 'ringing';
        this.#notify('ringing');
      } else if (e.type === 'leg.answered') {
        this.#startMs = ctx.clock.nowMs();
        this.#status = 'in-progress';
        this.#notify('answered');
      } else if (e.type === 'leg.ended') {
        this.#endMs = e.end.atMs;
        this.#status = statusFor(e.end);
        this.#notify('terminal');
      }
    });
  }

  get accountSid(): string {
    return this.#options.accountSid;
  }

  get status(): ExotelCallStatus {
    return this.#status;
  }

  get isEnded(): boolean {
    return this.leg.isEnded;
  }

  /** Whole seconds between answer and end (0 if never answered). */
  get durationSec(): number {
    if (this.#startMs === undefined) return 0;
    return Math.max(0, Math.round(((this.#endMs ?? this.#ctx.clock.nowMs()) - this.#startMs) / 1000));
  }

  /** The details every applet request carries (§4.6, §4.7), plus what the last applets did. */
  params(): Record<string, string> {
    const now = this.#ctx.clock.nowMs();
    const p: Record<string, string> = {
      CallSid: this.sid,
      CallFrom: exotelNumber(this.leg.from),
      CallTo: exotelNumber(this.leg.to),
      From: exotelNumber(this.leg.from),
      To: exotelNumber(this.leg.to),
      Direction: this.direction,
      CallStatus: this.#status,
      Created: exotelTime(this.createdMs),
      StartTime: exotelTime(this.#startMs ?? this.createdMs),
      // Exotel sends a constant here (§4.6).
      EndTime: '1970-01-01 05:30:00',
      CurrentTime: exotelTime(now),
      DialCallDuration: String(this.lastDial?.durationSec ?? 0),
    };
    if (this.flowId !== undefined) p['flow_id'] = this.flowId;
    if (this.statusCallback?.customField !== undefined) p['CustomField'] = this.statusCallback.customField;
    const dial = this.lastDial;
    if (dial !== undefined) {
      p['DialCallStatus'] = dial.status;
      p['CallType'] = dial.answered ? 'completed' : 'call-attempt';
      if (dial.dialCallSid !== undefined) p['DialCallSid'] = dial.dialCallSid;
      if (dial.dialWhomNumber !== undefined) p['DialWhomNumber'] = dial.dialWhomNumber;
    }
    const stream = this.lastStream;
    if (stream !== undefined) {
      p['Stream[StreamSID]'] = stream.streamSid;
      p['Stream[Status]'] = 'completed';
      p['Stream[Duration]'] = String(stream.durationSec);
      p['Stream[StreamUrl]'] = stream.url;
      p['Stream[DisconnectedBy]'] = stream.disconnectedBy;
    }
    return p;
  }

  /** The Call resource (§4.3, §4.4), PascalCase as the REST API returns it. */
  resource(): Record<string, unknown> {
    return {
      Sid: this.sid,
      ParentCallSid: null,
      DateCreated: exotelTime(this.createdMs),
      DateUpdated: exotelTime(this.#endMs ?? this.#startMs ?? this.createdMs),
      AccountSid: this.accountSid,
      To: exotelNumber(this.leg.to),
      From: exotelNumber(this.leg.from),
      PhoneNumberSid: null,
      Status: this.#status,
      StartTime: exotelTime(this.#startMs ?? this.createdMs),
      EndTime: this.#endMs === undefined ? null : exotelTime(this.#endMs),
      Duration: this.leg.isEnded ? this.durationSec : null,
      Price: null,
      Direction: this.direction,
      AnsweredBy: null,
      ForwardedFrom: null,
      CallerName: null,
      Uri: `/v1/Accounts/${this.accountSid}/Calls/${this.sid}.json`,
      RecordingUrl: null,
    };
  }

  #notify(event: 'ringing' | 'answered' | 'terminal'): void {
    const cb = this.statusCallback;
    if (cb === undefined || !cb.events.has(event)) return;
    const now = this.#ctx.clock.nowMs();
    const params: HookParams = {
      CallSid: this.sid,
      EventType: event,
      Status: event === 'terminal' ? this.#status : event === 'answered' ? 'in-progress' : 'ringing',
      DateCreated: exotelTime(this.createdMs),
      DateUpdated: exotelTime(now),
      To: exotelNumber(this.leg.to),
      From: exotelNumber(this.leg.from),
      PhoneNumberSid: null,
      StartTime: exotelTime(this.#startMs ?? this.createdMs),
      EndTime: this.#endMs === undefined ? null : exotelTime(this.#endMs),
      ConversationDuration: this.durationSec,
      Direction: this.direction,
      CustomField: cb.customField ?? null,
      RecordingUrl: null,
    };
    this.#hooks.notify({
      kind: 'status',
      url: cb.url,
      params,
      callSid: this.sid,
      event,
      contentType: cb.contentType,
    });
  }
}

function statusFor(end: LegEnd): ExotelCallStatus {
  // Exotel has no "declined": a callee who rejects is busy to the caller.
  return end.status === 'declined' ? 'busy' : end.status;
}
