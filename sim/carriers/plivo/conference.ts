/**
 * A Plivo conference (protocols.md §3.5): members joined by `<Conference>`, the start rule
 * (`startConferenceOnEnter`: waiting members hear `waitSound` until a member who starts it
 * enters), the end rule (`endConferenceOnExit`), mute, kick, enter/exit sounds and each member's
 * `callbackUrl` (`ConferenceAction` enter/exit, UNCONFIRMED names). Audio routing is the core's
 * {@link ConferenceRoom}. Once its last member has left, the name can start a new conference.
 */
import crypto from 'node:crypto';
import { SIGNALS } from '../../audio.js';
import { ConferenceRoom } from '../../conference-room.js';
import type { SimContext } from '../../front-end.js';
import { play } from '../../player.js';
import { plivoWireNumber } from './addresses.js';
import type { Notification, PlivoCall } from './call.js';
import type { PlivoHooks } from './hooks.js';
import type { ResolvedPlivoOptions } from './options.js';

/** Why a member left: its call ended, it was kicked, the conference ended, or its call was transferred. */
export type LeaveReason = 'hangup' | 'kicked' | 'conference-ended' | 'transferred';

export interface MemberOptions {
  readonly startConferenceOnEnter: boolean;
  readonly endConferenceOnExit: boolean;
  readonly muted: boolean;
  readonly callback?: Notification;
  /** `beep:1`, `beep:2` (a beep to the others), `''` none. */
  readonly enterSound: string;
  readonly exitSound: string;
}

let nextMemberId = 1;

export class PlivoMember {
  readonly id: string;
  readonly call: PlivoCall;
  readonly options: MemberOptions;
  readonly joinedAtMs: number;
  readonly left: Promise<LeaveReason>;
  muted: boolean;
  deaf = false;
  #resolveLeft!: (reason: LeaveReason) => void;

  constructor(call: PlivoCall, options: MemberOptions, nowMs: number) {
    this.id = String(nextMemberId++);
    this.call = call;
    this.options = options;
    this.muted = options.muted;
    this.joinedAtMs = nowMs;
    this.left = new Promise((resolve) => {
      this.#resolveLeft = resolve;
    });
  }

  markLeft(reason: LeaveReason): void {
    this.#resolveLeft(reason);
  }
}

export class PlivoConference {
  readonly uuid = crypto.randomUUID();
  readonly name: string;
  readonly room: ConferenceRoom;
  readonly createdAtMs: number;
  /** Members in the room, by member id. */
  readonly members = new Map<string, PlivoMember>();
  #ended = false;
  readonly #startedOrEnded = new AbortController();
  readonly #ctx: SimContext;
  readonly #hooks: PlivoHooks;
  readonly #options: ResolvedPlivoOptions;

  constructor(name: string, deps: { ctx: SimContext; hooks: PlivoHooks; options: ResolvedPlivoOptions }) {
    this.name = name;
    this.#ctx = deps.ctx;
    this.#hooks = deps.hooks;
    this.#options = deps.options;
    this.createdAtMs = deps.ctx.clock.nowMs();
    this.room = new ConferenceRoom(deps.ctx.ticker);
  }

  /** False once the last member has left or the conference was hung up. */
  get isActive(): boolean {
    return !this.#ended;
  }

  get started(): boolean {
    return this.room.started;
  }

  /** Aborted once the conference starts or ends: a waiting member's `waitSound` stops. */
  get startedSignal(): AbortSignal {
    return this.#startedOrEnded.signal;
  }

  memberOfCall(callUuid: string): PlivoMember | undefined {
    for (const m of this.members.values()) if (m.call.uuid === callUuid) return m;
    return undefined;
  }

  /** A call enters now (its leg is answered); `left` resolves when it leaves. */
  join(call: PlivoCall, options: MemberOptions): PlivoMember {
    const member = new PlivoMember(call, options, this.#ctx.clock.nowMs());
    if (this.#ended || call.leg.isEnded) {
      member.markLeft(this.#ended ? 'conference-ended' : 'hangup');
      return member;
    }
    this.members.set(member.id, member);
    // The member's `waitSound` is played by its `<Conference>` element until `startedSignal`.
    this.room.join(call.leg, { muted: member.muted });
    void call.leg.ended.then(() => this.leave(member.id, 'hangup'));
    this.#event(member, 'enter');
    if (options.enterSound.startsWith('beep:')) this.#beep(member);
    if (options.startConferenceOnEnter && !this.room.started) {
      this.room.start();
      this.#startedOrEnded.abort('started');
      this.#log('conference.start');
    }
    return member;
  }

  /** Removes a member (no-op if absent), then applies the end rules. */
  leave(memberId: string, reason: LeaveReason): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.members.delete(memberId);
    this.room.leave(member.call.leg);
    this.#event(member, 'exit');
    if (member.options.exitSound.startsWith('beep:')) this.#beep(member);
    member.markLeft(reason);
    if (this.#ended) return;
    if (member.options.endConferenceOnExit && reason !== 'conference-ended')
      this.end('end-conference-on-exit');
    else if (this.members.size === 0) this.end('last-member-left');
  }

  /** Ends the conference: every member leaves and runs the XML after its `<Conference>`. */
  end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#startedOrEnded.abort('ended');
    for (const id of [...this.members.keys()]) this.leave(id, 'conference-ended');
    this.room.close();
    this.#log('conference.end', reason);
  }

  setMuted(member: PlivoMember, muted: boolean): void {
    member.muted = muted;
    this.room.setMuted(member.call.leg, muted);
  }

  /** `GET /Conference/{name}/` (§3.4). */
  resource(): Record<string, unknown> {
    return {
      conference_name: this.name,
      conference_run_time: String(Math.round((this.#ctx.clock.nowMs() - this.createdAtMs) / 1000)),
      conference_member_count: String(this.members.size),
      members: [...this.members.values()].map((m) => ({
        member_id: m.id,
        muted: m.muted,
        deaf: m.deaf,
        from: plivoWireNumber(m.call.leg.from),
        to: plivoWireNumber(m.call.leg.to),
        caller_name: plivoWireNumber(m.call.leg.from),
        direction: m.call.direction,
        call_uuid: m.call.uuid,
        join_time: String(Math.round((this.#ctx.clock.nowMs() - m.joinedAtMs) / 1000)),
      })),
    };
  }

  #beep(except: PlivoMember): void {
    for (const other of this.members.values()) {
      if (other !== except) play(this.#ctx.ticker, other.call.leg, { source: 'beep' }, SIGNALS.beep());
    }
  }

  #log(event: string, detail?: string): void {
    this.#ctx.log.add(
      { carrier: 'plivo', conferenceSid: this.uuid },
      { type: 'conference.event', event, ...(detail === undefined ? {} : { detail }) },
    );
  }

  /** The member's own `callbackUrl`, and the log. */
  #event(member: PlivoMember, what: 'enter' | 'exit'): void {
    this.#ctx.log.add(
      { carrier: 'plivo', conferenceSid: this.uuid, callSid: member.call.uuid },
      { type: 'conference.event', event: `member.${what}`, detail: member.call.uuid },
    );
    const cb = member.options.callback;
    if (cb === undefined) return;
    const action =
      what === 'enter'
        ? this.#options.callbackActions.conferenceEnter
        : this.#options.callbackActions.conferenceExit;
    this.#hooks.notify({
      kind: 'conference',
      url: cb.url,
      method: cb.method,
      conferenceSid: this.uuid,
      callSid: member.call.uuid,
      event: action,
      params: {
        ...member.call.params(),
        ConferenceAction: action,
        ConferenceName: this.name,
        ConferenceUUID: this.uuid,
        ConferenceMemberID: member.id,
      },
    });
  }
}
