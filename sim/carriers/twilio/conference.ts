/**
 * A Twilio conference (`CF…`): participants joined by `<Dial><Conference>` or the Participants
 * API, hold, mute, announcements, start/end rules and the conference status callbacks
 * (protocols.md §2.4, §2.6). Audio routing is the core's {@link ConferenceRoom}.
 */
import { SIGNALS } from '../../audio.js';
import { ConferenceRoom } from '../../conference-room.js';
import type { SimContext } from '../../front-end.js';
import { play } from '../../player.js';
import type { TwilioCall } from './call.js';
import type { TwilioHooks } from './hooks.js';
import type { ResolvedTwilioOptions } from './options.js';
import {
  type Beep,
  type ConferenceCallback,
  type LeaveReason,
  type ParticipantOptions,
  TwilioParticipant,
} from './participant.js';
import { rfc1123 } from './time-format.js';

/** Twilio's default hold and wait music. */
export const DEFAULT_HOLD_URL = 'http://twimlets.com/holdmusic?Bucket=com.twilio.music.classical';

export type ConferenceStatus = 'init' | 'in-progress' | 'completed';
export type { Beep, ConferenceCallback, LeaveReason, ParticipantOptions };
export { TwilioParticipant };
/** Runs an announcement's TwiML on one participant's leg; resolves whether it played. */
export type Announcer = (
  participant: TwilioParticipant,
  url: string,
  method: 'GET' | 'POST',
) => Promise<boolean>;

const LEAVE_REASON: Record<LeaveReason, string> = {
  hangup: 'participant_hung_up',
  kicked: 'participant_kicked',
  'conference-ended': 'conference_ended',
  redirected: 'participant_updated_via_api',
};

export class TwilioConference {
  readonly sid: string;
  readonly friendlyName: string;
  readonly dateCreatedMs: number;
  readonly room: ConferenceRoom;
  /** Joined participants, by call sid. */
  readonly participants = new Map<string, TwilioParticipant>();
  /** Participants being dialed by the API, by call sid. */
  readonly pending = new Map<string, TwilioParticipant>();
  #status: ConferenceStatus = 'init';
  #dateUpdatedMs: number;
  #callback: ConferenceCallback | undefined;
  #sequence = 0;
  #reasonEnded: string | undefined;
  #callSidEnding: string | undefined;
  readonly #ctx: SimContext;
  readonly #hooks: TwilioHooks;
  readonly #options: ResolvedTwilioOptions;
  readonly #announce: Announcer;

  constructor(
    sid: string,
    friendlyName: string,
    deps: { ctx: SimContext; hooks: TwilioHooks; options: ResolvedTwilioOptions; announce: Announcer },
  ) {
    this.sid = sid;
    this.friendlyName = friendlyName;
    this.#ctx = deps.ctx;
    this.#hooks = deps.hooks;
    this.#options = deps.options;
    this.#announce = deps.announce;
    this.dateCreatedMs = deps.ctx.clock.nowMs();
    this.#dateUpdatedMs = this.dateCreatedMs;
    this.room = new ConferenceRoom(deps.ctx.ticker);
  }

  get status(): ConferenceStatus {
    return this.#status;
  }

  get accountSid(): string {
    return this.#options.accountSid;
  }

  /** Only the first participant's conference callback is used (protocols.md §2.4). */
  offerCallback(callback: ConferenceCallback | undefined): void {
    if (!this.#callback && callback && this.participants.size + this.pending.size === 0)
      this.#callback = callback;
  }

  /** A participant by call sid or label, joined or being dialed. */
  find(callSidOrLabel: string): TwilioParticipant | undefined {
    for (const map of [this.participants, this.pending]) {
      const bySid = map.get(callSidOrLabel);
      if (bySid) return bySid;
      for (const p of map.values()) if (p.label === callSidOrLabel) return p;
    }
    return undefined;
  }

  /** Registers an API-dialed participant; it joins when its call answers. */
  addPending(call: TwilioCall, options: ParticipantOptions): TwilioParticipant {
    this.offerCallback(options.callback);
    const p = new TwilioParticipant(call, options, this.#ctx.clock.nowMs());
    this.pending.set(call.sid, p);
    call.leg.on((e) => {
      if (e.type === 'leg.ringing') p.status = 'ringing';
      else if (e.type === 'leg.answered') {
        this.pending.delete(call.sid);
        if (this.#status === 'completed') call.leg.hangup('completed', 'network');
        else this.#admit(p);
      } else if (e.type === 'leg.ended' && this.pending.delete(call.sid)) {
        p.status = 'failed';
        p.markLeft('hangup');
      }
    });
    return p;
  }

  /** A call joins now (its leg is answered); resolves `left` when it leaves. */
  join(call: TwilioCall, options: ParticipantOptions): TwilioParticipant {
    this.offerCallback(options.callback);
    const p = new TwilioParticipant(call, options, this.#ctx.clock.nowMs());
    this.#admit(p);
    return p;
  }

  #admit(p: TwilioParticipant): void {
    const leg = p.call.leg;
    if (leg.isEnded) {
      p.status = 'failed';
      p.markLeft('hangup');
      return;
    }
    p.status = 'connected';
    this.participants.set(p.call.sid, p);
    this.room.join(leg, {
      muted: p.muted,
      waitLabel: p.waitUrl === '' ? undefined : { source: 'hold', url: p.waitUrl },
      ...(p.callSidToCoach === undefined ? {} : { coachOf: p.callSidToCoach }),
    });
    void leg.ended.then(() => this.leave(p.call.sid, 'hangup'));
    this.#touch();
    this.#emit('join', 'participant-join', this.#participantParams(p));
    if (p.beep === 'true' || p.beep === 'onEnter') this.#beep(p);
    this.#maybeStart();
  }

  #maybeStart(): void {
    if (this.#status !== 'init') return;
    const members = [...this.participants.values()];
    if (members.length < this.#options.conferenceStartMinParticipants) return;
    if (!members.some((m) => m.startConferenceOnEnter)) return;
    this.#status = 'in-progress';
    this.#touch();
    this.room.start();
    this.#emit('start', 'conference-start', {});
  }

  /** Removes a participant (no-op if absent), then applies the end rules. */
  leave(callSid: string, reason: LeaveReason): void {
    const p = this.participants.get(callSid);
    if (!p) {
      const pending = this.pending.get(callSid);
      if (pending && reason !== 'hangup') {
        this.pending.delete(callSid);
        pending.status = 'failed';
        pending.call.leg.hangup('canceled', 'network');
        pending.markLeft(reason);
      }
      return;
    }
    this.participants.delete(callSid);
    this.room.leave(p.call.leg);
    p.status = 'complete';
    p.dateUpdatedMs = this.#ctx.clock.nowMs();
    this.#touch();
    this.#emit('leave', 'participant-leave', {
      ...this.#participantParams(p),
      ParticipantCallStatus: p.call.status,
      ReasonParticipantLeft: LEAVE_REASON[reason],
    });
    if (p.beep === 'true' || p.beep === 'onExit') this.#beep(p);
    p.markLeft(reason);
    if (reason === 'conference-ended' || this.#status === 'completed') return;
    if (p.endConferenceOnExit) {
      this.end(
        reason === 'kicked'
          ? 'participant-with-end-conference-on-exit-kicked'
          : 'participant-with-end-conference-on-exit-left',
        p,
      );
    } else if (this.participants.size === 0) {
      this.end(reason === 'kicked' ? 'last-participant-kicked' : 'last-participant-left', p);
    }
  }

  /** Ends the conference: every participant leaves, calls being dialed are canceled. */
  end(reason: string, by?: TwilioParticipant): void {
    if (this.#status === 'completed') return;
    this.#status = 'completed';
    this.#reasonEnded = reason;
    this.#callSidEnding = by?.call.sid;
    for (const sid of [...this.participants.keys()]) this.leave(sid, 'conference-ended');
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.status = 'failed';
      p.call.leg.hangup('canceled', 'network');
      p.markLeft('conference-ended');
    }
    this.room.close();
    this.#touch();
    const params: Record<string, string> = {
      ReasonConferenceEnded: reason,
      Reason: reason.replaceAll('-', ' '),
    };
    if (by) {
      params['CallSidEndingConference'] = by.call.sid;
      if (by.label) params['ParticipantLabelEndingConference'] = by.label;
    }
    this.#emit('end', 'conference-end', params);
  }

  setHold(p: TwilioParticipant, hold: boolean, holdUrl: string): void {
    const changed = p.hold !== hold;
    p.hold = hold;
    this.room.setHold(p.call.leg, hold, { source: 'hold', url: holdUrl });
    if (!changed) return;
    p.dateUpdatedMs = this.#ctx.clock.nowMs();
    this.#emit('hold', hold ? 'participant-hold' : 'participant-unhold', this.#participantParams(p));
  }

  setMuted(p: TwilioParticipant, muted: boolean): void {
    const changed = p.muted !== muted;
    p.muted = muted;
    this.room.setMuted(p.call.leg, muted);
    if (!changed) return;
    p.dateUpdatedMs = this.#ctx.clock.nowMs();
    this.#emit('mute', muted ? 'participant-mute' : 'participant-unmute', this.#participantParams(p));
  }

  setCoaching(p: TwilioParticipant, callSidToCoach: string | undefined): void {
    p.callSidToCoach = callSidToCoach;
    this.room.setCoaching(p.call.leg, callSidToCoach);
  }

  /** `participant-modify` after an update of other participant properties. */
  modified(p: TwilioParticipant): void {
    p.dateUpdatedMs = this.#ctx.clock.nowMs();
    this.#emit('modify', 'participant-modify', this.#participantParams(p));
  }

  /** Plays `url`'s TwiML to one participant (or to all); `announcement-end` / `announcement-fail` follow. */
  announce(target: TwilioParticipant | 'all', url: string, method: 'GET' | 'POST'): void {
    const targets = target === 'all' ? [...this.participants.values()] : [target];
    void Promise.all(targets.map((p) => this.#announce(p, url, method))).then((results) => {
      const ok = results.every(Boolean);
      const params: Record<string, string> = { AnnounceUrl: url };
      if (target !== 'all') {
        params['CallSid'] = target.call.sid;
        if (target.label) params['ParticipantLabel'] = target.label;
      }
      if (!ok) params['ReasonAnnouncementFailed'] = 'announcement failed';
      this.#emit('announcement', ok ? 'announcement-end' : 'announcement-fail', params);
    });
  }

  /** The Conference resource (snake_case). */
  resource(): Record<string, unknown> {
    const uri = `/2010-04-01/Accounts/${this.accountSid}/Conferences/${this.sid}`;
    return {
      account_sid: this.accountSid,
      date_created: rfc1123(this.dateCreatedMs),
      date_updated: rfc1123(this.#dateUpdatedMs),
      api_version: '2010-04-01',
      friendly_name: this.friendlyName,
      region: 'us1',
      sid: this.sid,
      status: this.#status,
      uri: `${uri}.json`,
      subresource_uris: { participants: `${uri}/Participants.json`, recordings: `${uri}/Recordings.json` },
      reason_conference_ended: this.#reasonEnded ?? null,
      call_sid_ending_conference: this.#callSidEnding ?? null,
    };
  }

  /** The Participant resource (snake_case). */
  participantResource(p: TwilioParticipant): Record<string, unknown> {
    return {
      account_sid: this.accountSid,
      call_sid: p.call.sid,
      label: p.label ?? null,
      call_sid_to_coach: p.callSidToCoach ?? null,
      coaching: p.callSidToCoach !== undefined,
      conference_sid: this.sid,
      date_created: rfc1123(p.dateCreatedMs),
      date_updated: rfc1123(p.dateUpdatedMs),
      end_conference_on_exit: p.endConferenceOnExit,
      muted: p.muted,
      hold: p.hold,
      start_conference_on_enter: p.startConferenceOnEnter,
      status: p.status,
      queue_time: null,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Conferences/${this.sid}/Participants/${p.call.sid}.json`,
    };
  }

  #beep(except: TwilioParticipant): void {
    for (const other of this.participants.values()) {
      if (other !== except && !other.hold)
        play(this.#ctx.ticker, other.call.leg, { source: 'beep' }, SIGNALS.beep());
    }
  }

  #touch(): void {
    this.#dateUpdatedMs = this.#ctx.clock.nowMs();
  }

  #participantParams(p: TwilioParticipant): Record<string, string> {
    const params: Record<string, string> = {
      CallSid: p.call.sid,
      Muted: String(p.muted),
      Hold: String(p.hold),
      Coaching: String(p.callSidToCoach !== undefined),
      EndConferenceOnExit: String(p.endConferenceOnExit),
      StartConferenceOnEnter: String(p.startConferenceOnEnter),
    };
    if (p.label) params['ParticipantLabel'] = p.label;
    return params;
  }

  #emit(category: string, event: string, extra: Record<string, string>): void {
    this.#ctx.log.add(
      {
        carrier: 'twilio',
        conferenceSid: this.sid,
        ...(extra['CallSid'] ? { callSid: extra['CallSid'] } : {}),
      },
      { type: 'conference.event', event, ...(extra['CallSid'] ? { detail: extra['CallSid'] } : {}) },
    );
    const cb = this.#callback;
    if (!cb?.events.has(category)) return;
    this.#hooks.notify({
      kind: 'conference',
      url: cb.url,
      method: cb.method,
      conferenceSid: this.sid,
      ...(extra['CallSid'] ? { callSid: extra['CallSid'] } : {}),
      event,
      params: {
        AccountSid: this.accountSid,
        ConferenceSid: this.sid,
        FriendlyName: this.friendlyName,
        SequenceNumber: String(++this.#sequence),
        Timestamp: rfc1123(this.#ctx.clock.nowMs()),
        StatusCallbackEvent: event,
        ...extra,
      },
    });
  }
}
