/** A conference participant as the Participants API describes it (protocols.md §2.4). */
import type { TwilioCall } from './call.js';

export type ParticipantStatus = 'queued' | 'connecting' | 'ringing' | 'connected' | 'complete' | 'failed';
export type Beep = 'true' | 'false' | 'onEnter' | 'onExit';

/**
 * Why a participant left: its call ended, it was removed by the API, the conference ended, or
 * its call was redirected away by the API.
 */
export type LeaveReason = 'hangup' | 'kicked' | 'conference-ended' | 'redirected';

export interface ConferenceCallback {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** `start end join leave mute hold modify speaker announcement`. */
  readonly events: ReadonlySet<string>;
}

export interface ParticipantOptions {
  readonly label?: string;
  readonly startConferenceOnEnter: boolean;
  readonly endConferenceOnExit: boolean;
  readonly muted: boolean;
  readonly beep: Beep;
  /** `''` for silence. */
  readonly waitUrl: string;
  readonly callback?: ConferenceCallback;
  /** Coaching: heard only by the participant whose call sid this is. */
  readonly callSidToCoach?: string;
}

export class TwilioParticipant {
  readonly call: TwilioCall;
  readonly label: string | undefined;
  readonly dateCreatedMs: number;
  readonly left: Promise<LeaveReason>;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  muted: boolean;
  hold = false;
  /** The call this participant coaches (heard only by it), if coaching. */
  callSidToCoach: string | undefined;
  beep: Beep;
  waitUrl: string;
  status: ParticipantStatus = 'queued';
  dateUpdatedMs: number;
  #resolveLeft!: (reason: LeaveReason) => void;

  constructor(call: TwilioCall, options: ParticipantOptions, nowMs: number) {
    this.call = call;
    this.label = options.label;
    this.startConferenceOnEnter = options.startConferenceOnEnter;
    this.endConferenceOnExit = options.endConferenceOnExit;
    this.muted = options.muted;
    this.beep = options.beep;
    this.waitUrl = options.waitUrl;
    this.callSidToCoach = options.callSidToCoach;
    this.dateCreatedMs = nowMs;
    this.dateUpdatedMs = nowMs;
    this.left = new Promise((resolve) => {
      this.#resolveLeft = resolve;
    });
  }

  /** Settles {@link left} (once). */
  markLeft(reason: LeaveReason): void {
    this.#resolveLeft(reason);
  }
}
