/**
 * Options of the Plivo front-end. Items marked UNCONFIRMED in protocols.md §3 and §6 are options
 * here, each defaulting to the documented, or the stricter, or the documented-by-practice
 * behaviour.
 */

/** Names of the `DialAction` / `ConferenceAction` values in callbacks (UNCONFIRMED, §3.5). */
export interface CallbackActionNames {
  /** `<Dial callbackUrl>` when the B-leg answers. Default `answer`. */
  readonly dialAnswer: string;
  /** `<Dial callbackUrl>` when the B-leg hangs up. Default `hangup`. */
  readonly dialHangup: string;
  /** `<Conference callbackUrl>` when a member enters. Default `enter`. */
  readonly conferenceEnter: string;
  /** `<Conference callbackUrl>` when a member leaves. Default `exit`. */
  readonly conferenceExit: string;
}

export interface PlivoSimulatorOptions {
  /** Auth ID (`MA`/`SA` + 18); default `MA` + 18 zeros. REST paths carry it. */
  readonly authId?: string;
  /** Default `sim-auth-token`. Signs every callback (V3) and checks REST Basic auth. */
  readonly authToken?: string;
  /** Callback and XML requests time out after this long; default 15000. */
  readonly webhookTimeoutMs?: number;
  /**
   * Send a `stop` event before closing the audio-stream socket (UNCONFIRMED: Plivo documents only
   * the close). Default false.
   */
  readonly streamStopEvent?: boolean;
  /** Separator between `k=v` pairs in delivered `extra_headers` (UNCONFIRMED). Default `,`. */
  readonly extraHeadersSeparator?: ',' | ';';
  /** Refuse a `<Stream extraHeaders>` that is not `k=v` pairs of alphanumerics (the docs' rule). Default true. */
  readonly strictExtraHeaders?: boolean;
  /** Byte order of L16 audio both ways (UNCONFIRMED; practitioners send little-endian). Default `le`. */
  readonly l16ByteOrder?: 'le' | 'be';
  /** Send `dtmf` events on bidirectional streams (shape from a 3rd-party spec, UNCONFIRMED). Default true. */
  readonly dtmfEvents?: boolean;
  /** On `clearAudio`, acknowledge pending checkpoints with `playedStream` (UNCONFIRMED). Default false: dropped. */
  readonly clearAcksCheckpoints?: boolean;
  /** Send `<Stream statusCallbackUrl>` requests (`Event` = StartStream/StopStream/DroppedStream). Default true. */
  readonly streamStatusCallbacks?: boolean;
  /** HTTP status of a successful `calls.transfer` (UNCONFIRMED 202). */
  readonly transferStatus?: number;
  /** HTTP status of a successful call create (UNCONFIRMED 201). */
  readonly createStatus?: number;
  /** `CallStatus` / `DialStatus` when nobody answers before the ring timeout. Default `no-answer`. */
  readonly ringTimeoutStatus?: 'no-answer' | 'timeout';
  /**
   * Milliseconds a dialed leg keeps ringing past its ring timeout (`ring_timeout`, `<Dial
   * timeout>`): a carrier's timer is not the daemon's, and may fire late. Default 0.
   */
  readonly ringOverrunMs?: number;
  /** Status reported for a callee who rejects the call (cause `CALL_REJECTED`). Default `busy`. */
  readonly declinedStatus?: 'busy' | 'no-answer' | 'failed';
  /** `<Dial callbackUrl>` also reports B-legs that never answered (UNCONFIRMED). Default false. */
  readonly dialCallbackOnUnanswered?: boolean;
  /** `DialAction` / `ConferenceAction` names (UNCONFIRMED). */
  readonly callbackActions?: Partial<CallbackActionNames>;
  /** Add `Event`, `HangupCauseName`, `HangupCauseCode`, `HangupSource`, times to `hangup_url` (UNCONFIRMED). Default true. */
  readonly hangupExtras?: boolean;
  /**
   * A `calls.transfer` during a `<Dial>` with an `action`: request the action URL (reply ignored)
   * before fetching the transfer target. Default true.
   */
  readonly dialActionOnTransfer?: boolean;
  /** `<Dial>` ring timeout when `timeout` is absent, seconds. Default 30. */
  readonly dialTimeoutSeconds?: number;
  /** Accept `ws://` stream URLs (Plivo requires `wss://`; loopback has no TLS). Default true. */
  readonly allowInsecureStreams?: boolean;
  /** The stream socket dropping abruptly: run the next element (Plivo with keepCallAlive) or hang up. Default next. */
  readonly onMediaDrop?: 'next-element' | 'hangup';
  /** Which `from` numbers REST create accepts: any, or configured numbers and {@link verifiedCallerIds}. Default any. */
  readonly callerIdPolicy?: 'any' | 'owned';
  readonly verifiedCallerIds?: readonly string[];
  /** Milliseconds of audio per character of `<Speak>` text (minimum 400 ms). Default 60. */
  readonly sayMsPerChar?: number;
  /** Length of the generated signal for one `<Play>` loop. Default 1500. */
  readonly playDurationMs?: number;
}

export type ResolvedPlivoOptions = Required<
  Omit<PlivoSimulatorOptions, 'verifiedCallerIds' | 'callbackActions'>
> & {
  readonly verifiedCallerIds: readonly string[];
  readonly callbackActions: CallbackActionNames;
};

export function resolveOptions(o: PlivoSimulatorOptions = {}): ResolvedPlivoOptions {
  return Object.freeze({
    authId: o.authId ?? `MA${'0'.repeat(18)}`,
    authToken: o.authToken ?? 'sim-auth-token',
    webhookTimeoutMs: o.webhookTimeoutMs ?? 15_000,
    streamStopEvent: o.streamStopEvent ?? false,
    extraHeadersSeparator: o.extraHeadersSeparator ?? ',',
    strictExtraHeaders: o.strictExtraHeaders ?? true,
    l16ByteOrder: o.l16ByteOrder ?? 'le',
    dtmfEvents: o.dtmfEvents ?? true,
    clearAcksCheckpoints: o.clearAcksCheckpoints ?? false,
    streamStatusCallbacks: o.streamStatusCallbacks ?? true,
    transferStatus: o.transferStatus ?? 202,
    createStatus: o.createStatus ?? 201,
    ringTimeoutStatus: o.ringTimeoutStatus ?? 'no-answer',
    ringOverrunMs: o.ringOverrunMs ?? 0,
    declinedStatus: o.declinedStatus ?? 'busy',
    dialCallbackOnUnanswered: o.dialCallbackOnUnanswered ?? false,
    callbackActions: Object.freeze({
      dialAnswer: 'answer',
      dialHangup: 'hangup',
      conferenceEnter: 'enter',
      conferenceExit: 'exit',
      ...o.callbackActions,
    }),
    hangupExtras: o.hangupExtras ?? true,
    dialActionOnTransfer: o.dialActionOnTransfer ?? true,
    dialTimeoutSeconds: o.dialTimeoutSeconds ?? 30,
    allowInsecureStreams: o.allowInsecureStreams ?? true,
    onMediaDrop: o.onMediaDrop ?? 'next-element',
    callerIdPolicy: o.callerIdPolicy ?? 'any',
    verifiedCallerIds: [...(o.verifiedCallerIds ?? [])],
    sayMsPerChar: o.sayMsPerChar ?? 60,
    playDurationMs: o.playDurationMs ?? 1500,
  });
}

/** One of the account's numbers and its application's URLs. */
export interface PlivoNumberConfig {
  /** Requested when a call comes in; answers with Plivo XML. */
  readonly answerUrl: string;
  /** Default POST. */
  readonly answerMethod?: 'GET' | 'POST';
  /** Notified when the call ends. */
  readonly hangupUrl?: string;
  readonly hangupMethod?: 'GET' | 'POST';
  /** Requested when `answerUrl` fails (timeout, error status, bad XML). */
  readonly fallbackUrl?: string;
  readonly fallbackMethod?: 'GET' | 'POST';
}
