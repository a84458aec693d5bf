/**
 * Options of the Twilio front-end. Items marked UNCONFIRMED in protocols.md §6 are options here,
 * each defaulting to the stricter or the documented-by-practice behaviour.
 */

export interface TwilioSimulatorOptions {
  /** `AC` + 32 hex; default `AC` + 32 zeros. twilio-node refuses sids not starting with `AC`. */
  readonly accountSid?: string;
  /** Default `sim-auth-token`. Signs every webhook and checks REST Basic auth. */
  readonly authToken?: string;
  /** Webhook and action requests time out after this long; default 15000 (Twilio's default). */
  readonly webhookTimeoutMs?: number;
  /**
   * When a markup fetch fails (timeout, non-2xx, bad content type, unparsable TwiML): Twilio
   * says "An application error has occurred" and hangs up. `'hangup'` skips the speech.
   * Default `'say-and-hangup'`.
   */
  readonly onApplicationError?: 'say-and-hangup' | 'hangup';
  /** `CallStatus` on the `initiated` callback (UNCONFIRMED: `initiated` or `queued`). Default `initiated`. */
  readonly initiatedCallStatus?: 'initiated' | 'queued';
  /**
   * Added to the `Timeout` of Calls create and Participants create: Twilio "always adds a
   * 5-second timeout buffer to outgoing calls". Default 5000; tests of no-answer may set 0.
   */
  readonly ringTimeoutBufferMs?: number;
  /** `<Dial>` ring timeout when `timeout` is absent, seconds (UNCONFIRMED default 30). */
  readonly dialTimeoutSeconds?: number;
  /** `DialCallStatus` after a `<Dial><Conference>` ends (UNCONFIRMED: `answered` or `completed`). Default `answered`. */
  readonly conferenceDialCallStatus?: 'answered' | 'completed';
  /** CallStatus / DialCallStatus reported for a callee who declines (SIP 603). Default `busy`. */
  readonly declinedCallStatus?: 'busy' | 'no-answer' | 'failed';
  /**
   * `DialCallStatus` when the callee answered but hung up during the `<Number url>` whisper,
   * before being bridged (sent with `DialBridged=false`). Default `completed`.
   */
  readonly whisperHangupDialStatus?: 'completed' | 'no-answer';
  /**
   * A REST redirect during a `<Dial>` that has an `action`: Twilio requests the action URL
   * (`DialCallStatus=completed`, reply ignored) before fetching the redirect target. Default true.
   */
  readonly dialActionOnRedirect?: boolean;
  /** On `clear`, echo pending marks at once (UNCONFIRMED). Default true; false drops them. */
  readonly clearEchoesMarks?: boolean;
  /** Sign the media-stream WebSocket upgrade with `X-Twilio-Signature` (UNCONFIRMED). Default true. */
  readonly signStreamUpgrade?: boolean;
  /** Reject a `<Stream url>` carrying a query string (UNCONFIRMED rule). Default false. */
  readonly rejectStreamUrlQuery?: boolean;
  /** Accept `ws://` stream URLs (Twilio requires `wss://`; loopback has no TLS). Default true. */
  readonly allowInsecureStreams?: boolean;
  /**
   * When the media socket drops abruptly (no close from the server): `'next-verb'` continues
   * like a server close (Twilio's behaviour); `'hangup'` ends the call. Default `'next-verb'`.
   */
  readonly onMediaDrop?: 'next-verb' | 'hangup';
  /** Send `<Stream statusCallback>` requests (UNCONFIRMED param names, from Telnyx's clone). Default true. */
  readonly streamStatusCallbacks?: boolean;
  /**
   * Participants a conference needs, one of them with `startConferenceOnEnter`, before it
   * starts (a lone participant hears wait music). Default 2.
   */
  readonly conferenceStartMinParticipants?: number;
  /** Milliseconds of audio per character of `<Say>` text (minimum 400 ms per `<Say>`). Default 60. */
  readonly sayMsPerChar?: number;
  /** Length of the generated signal played for one `<Play>` loop. Default 1500. */
  readonly playDurationMs?: number;
  /**
   * Which `From` numbers Calls create and Participants create accept: `'owned'` (configured
   * numbers and {@link verifiedCallerIds}, like a real account; 21210 otherwise) or `'any'`.
   * Default `'owned'`.
   */
  readonly callerIdPolicy?: 'owned' | 'any';
  /** Numbers accepted as `From`/`callerId` besides the configured ones. */
  readonly verifiedCallerIds?: readonly string[];
  /**
   * Calls create (and Participants create) answers only once the new call's `initiated` and `ringing` status callbacks
   * (those asked for) were delivered — or it was answered or ended, or 5 s passed. Twilio does
   * not order its REST response before the call's status callbacks (protocols.md corrections:
   * they may arrive first). Default false (the response first).
   */
  readonly callbacksBeforeRestResponse?: boolean;
}

export type ResolvedTwilioOptions = Required<Omit<TwilioSimulatorOptions, 'verifiedCallerIds'>> & {
  readonly verifiedCallerIds: readonly string[];
};

export function resolveOptions(o: TwilioSimulatorOptions = {}): ResolvedTwilioOptions {
  return Object.freeze({
    accountSid: o.accountSid ?? `AC${'0'.repeat(32)}`,
    authToken: o.authToken ?? 'sim-auth-token',
    webhookTimeoutMs: o.webhookTimeoutMs ?? 15_000,
    onApplicationError: o.onApplicationError ?? 'say-and-hangup',
    initiatedCallStatus: o.initiatedCallStatus ?? 'initiated',
    ringTimeoutBufferMs: o.ringTimeoutBufferMs ?? 5000,
    dialTimeoutSeconds: o.dialTimeoutSeconds ?? 30,
    conferenceDialCallStatus: o.conferenceDialCallStatus ?? 'answered',
    declinedCallStatus: o.declinedCallStatus ?? 'busy',
    whisperHangupDialStatus: o.whisperHangupDialStatus ?? 'completed',
    dialActionOnRedirect: o.dialActionOnRedirect ?? true,
    clearEchoesMarks: o.clearEchoesMarks ?? true,
    signStreamUpgrade: o.signStreamUpgrade ?? true,
    rejectStreamUrlQuery: o.rejectStreamUrlQuery ?? false,
    allowInsecureStreams: o.allowInsecureStreams ?? true,
    onMediaDrop: o.onMediaDrop ?? 'next-verb',
    streamStatusCallbacks: o.streamStatusCallbacks ?? true,
    conferenceStartMinParticipants: o.conferenceStartMinParticipants ?? 2,
    sayMsPerChar: o.sayMsPerChar ?? 60,
    playDurationMs: o.playDurationMs ?? 1500,
    callerIdPolicy: o.callerIdPolicy ?? 'owned',
    verifiedCallerIds: [...(o.verifiedCallerIds ?? [])],
    callbacksBeforeRestResponse: o.callbacksBeforeRestResponse ?? false,
  });
}

/** Per-number configuration, like an Incoming Phone Number resource. */
export interface TwilioNumberConfig {
  readonly voiceUrl: string;
  /** Default POST. */
  readonly voiceMethod?: 'GET' | 'POST';
  /** "Primary handler fails": asked when the call's TwiML cannot be fetched or run. */
  readonly voiceFallbackUrl?: string;
  /** Default POST. */
  readonly voiceFallbackMethod?: 'GET' | 'POST';
  /** Gets the `completed` call-progress callback of inbound calls. */
  readonly statusCallback?: string;
  readonly statusCallbackMethod?: 'GET' | 'POST';
}
