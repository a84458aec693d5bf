/**
 * One Plivo call (a CallUUID) over one network leg: its status as Plivo reports it, its
 * `ring_url`/`hangup_url` notifications and the standard request params (protocols.md §3.1).
 */
import crypto from 'node:crypto';
import type { SimContext } from '../../front-end.js';
import type { Leg, LegEnd } from '../../leg.js';
import { plivoWireNumber } from './addresses.js';
import type { PlivoHooks } from './hooks.js';
import type { ResolvedPlivoOptions } from './options.js';

export type PlivoCallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'timeout'
  | 'cancel';

/** `inbound`: a caller dialed a number. `outbound`: REST create or a `<Dial>` B-leg. */
export type PlivoDirection = 'inbound' | 'outbound';

export interface Notification {
  readonly url: string;
  readonly method: 'GET' | 'POST';
}

export interface PlivoCallInit {
  /** Default: a fresh UUID. */
  readonly uuid?: string;
  readonly direction: PlivoDirection;
  readonly leg: Leg;
  /** REST-created calls: the `request_uuid` the create answered with (also `ALegRequestUUID`). */
  readonly requestUuid?: string;
  /** `<Dial>` B-legs: the A-leg's CallUUID. */
  readonly aLegUuid?: string;
  readonly ringUrl?: Notification;
  readonly hangupUrl?: Notification;
}

/** A hang-up cause as Plivo names it (FreeSWITCH), its numeric code and readable name (§3.1 extras). */
interface Cause {
  readonly cause: string;
  readonly code: string;
  readonly name: string;
}

const CAUSES = {
  normal: { cause: 'NORMAL_CLEARING', code: '4000', name: 'Normal Hangup' },
  busy: { cause: 'USER_BUSY', code: '3010', name: 'Busy Line' },
  noAnswer: { cause: 'NO_ANSWER', code: '3000', name: 'No Answer' },
  cancel: { cause: 'ORIGINATOR_CANCEL', code: '1010', name: 'Cancelled' },
  rejected: { cause: 'CALL_REJECTED', code: '3020', name: 'Rejected' },
  unallocated: { cause: 'UNALLOCATED_NUMBER', code: '2000', name: 'Invalid Destination Address' },
  failure: { cause: 'NORMAL_TEMPORARY_FAILURE', code: '2010', name: 'Network Error' },
} as const satisfies Record<string, Cause>;

export function causeOf(end: LegEnd): Cause {
  switch (end.status) {
    case 'completed':
      return CAUSES.normal;
    case 'busy':
      return CAUSES.busy;
    case 'no-answer':
      return CAUSES.noAnswer;
    case 'canceled':
      return CAUSES.cancel;
    case 'declined':
      return CAUSES.rejected;
    case 'failed':
      return end.sipCode === 404 ? CAUSES.unallocated : CAUSES.failure;
  }
}

/** The status Plivo reports for a call (or a dial) that ended like `end`. */
export function statusOf(end: LegEnd, options: ResolvedPlivoOptions): PlivoCallStatus {
  switch (end.status) {
    case 'completed':
      return 'completed';
    case 'busy':
      return 'busy';
    case 'no-answer':
      return options.ringTimeoutStatus;
    case 'canceled':
      return 'cancel';
    case 'declined':
      return options.declinedStatus;
    case 'failed':
      return 'failed';
  }
}

export class PlivoCall {
  readonly uuid: string;
  readonly direction: PlivoDirection;
  readonly leg: Leg;
  readonly requestUuid: string | undefined;
  readonly aLegUuid: string | undefined;
  readonly createdAtMs: number;
  ringUrl: Notification | undefined;
  hangupUrl: Notification | undefined;
  #status: PlivoCallStatus;
  #answeredAtMs: number | undefined;
  #endedAtMs: number | undefined;
  /** Who ended it, for `HangupSource`: set by the front-end before a network-side hang-up. */
  hangupSource: 'Caller' | 'Callee' | 'API' | 'Plivo' | undefined;
  readonly #ctx: SimContext;
  readonly #hooks: PlivoHooks;
  readonly #options: ResolvedPlivoOptions;

  constructor(init: PlivoCallInit, ctx: SimContext, hooks: PlivoHooks, options: ResolvedPlivoOptions) {
    this.uuid = init.uuid ?? crypto.randomUUID();
    this.direction = init.direction;
    this.leg = init.leg;
    this.requestUuid = init.requestUuid;
    this.aLegUuid = init.aLegUuid;
    this.ringUrl = init.ringUrl;
    this.hangupUrl = init.hangupUrl;
    this.hangupSource = undefined;
    this.#ctx = ctx;
    this.#hooks = hooks;
    this.#options = options;
    this.createdAtMs = ctx.clock.nowMs();
    this.#status = init.leg.state === 'ringing' ? 'ringing' : 'queued';
    init.leg.label = this.uuid;
    init.leg.on((e) => {
      if (e.type === 'leg.ringing') {
        this.#status = 'ringing';
        if (this.ringUrl) this.#notify('ringing', this.ringUrl, {});
      } else if (e.type === 'leg.answered') {
        this.#status = 'in-progress';
        this.#answeredAtMs = ctx.clock.nowMs();
      } else if (e.type === 'leg.ended') {
        this.#endedAtMs = e.end.atMs;
        // An answered call that ends is `completed`, whatever the side (§3.1).
        this.#status = this.#answeredAtMs === undefined ? statusOf(e.end, options) : 'completed';
        if (this.hangupUrl) this.#notify(this.#status, this.hangupUrl, this.#hangupParams(e.end));
      }
    });
  }

  get authId(): string {
    return this.#options.authId;
  }

  get status(): PlivoCallStatus {
    return this.#status;
  }

  get isEnded(): boolean {
    return this.leg.isEnded;
  }

  /** Whole seconds between answer and end (0 if never answered). */
  get durationSeconds(): number {
    if (this.#answeredAtMs === undefined) return 0;
    const end = this.#endedAtMs ?? this.#ctx.clock.nowMs();
    return Math.max(0, Math.round((end - this.#answeredAtMs) / 1000));
  }

  /** The standard request params (§3.1), numbers in Plivo's format (no `+`). */
  params(): Record<string, string> {
    const p: Record<string, string> = {
      CallUUID: this.uuid,
      From: plivoWireNumber(this.leg.from),
      To: plivoWireNumber(this.leg.to),
      Direction: this.direction,
      CallStatus: this.#status,
    };
    if (this.requestUuid !== undefined) {
      p['RequestUUID'] = this.requestUuid;
      p['ALegRequestUUID'] = this.requestUuid;
    }
    if (this.aLegUuid !== undefined) p['ALegUUID'] = this.aLegUuid;
    else if (this.direction === 'outbound') p['ALegUUID'] = this.uuid;
    return p;
  }

  /** The call as `GET /Call/{uuid}/` shows it (snake_case). */
  resource(): Record<string, unknown> {
    return {
      call_uuid: this.uuid,
      request_uuid: this.requestUuid ?? null,
      call_direction: this.direction,
      from_number: plivoWireNumber(this.leg.from),
      to_number: plivoWireNumber(this.leg.to),
      call_status: this.#status,
      call_state: this.leg.isEnded ? 'ENDED' : this.leg.state === 'answered' ? 'ANSWER' : 'RINGING',
      call_duration: this.durationSeconds,
      bill_duration: this.durationSeconds,
      hangup_cause_name: this.leg.end ? causeOf(this.leg.end).name : null,
      parent_call_uuid: this.aLegUuid ?? null,
    };
  }

  #hangupParams(end: LegEnd): Record<string, string> {
    const cause = causeOf(end);
    const p: Record<string, string> = {
      HangupCause: cause.cause,
      Duration: String(this.durationSeconds),
      BillDuration: String(this.durationSeconds),
    };
    if (this.#options.hangupExtras) {
      p['Event'] = 'Hangup';
      p['HangupCauseName'] = cause.name;
      p['HangupCauseCode'] = cause.code;
      p['HangupSource'] =
        this.hangupSource ??
        (end.by === 'endpoint' ? (this.direction === 'inbound' ? 'Caller' : 'Callee') : 'Plivo');
      p['StartTime'] = isoTime(this.createdAtMs);
      if (this.#answeredAtMs !== undefined) p['AnswerTime'] = isoTime(this.#answeredAtMs);
      p['EndTime'] = isoTime(end.atMs);
    }
    return p;
  }

  #notify(event: PlivoCallStatus, target: Notification, extra: Record<string, string>): void {
    this.#hooks.notify({
      kind: 'status',
      url: target.url,
      method: target.method,
      params: { ...this.params(), ...extra },
      callSid: this.uuid,
      event,
    });
  }
}

/** `2026-01-01 12:00:00` (UTC), the format of Plivo's time params. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
