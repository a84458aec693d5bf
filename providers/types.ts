import type { Carrier } from '../src/domain/carrier.js';
import { DaemonError } from '../src/domain/errors.js';
import type { AudioFormat, InboundMediaEvent, OutboundMediaEvent } from '../src/domain/media.js';
import type { LegEndStatus } from '../src/domain/outcome.js';
import type { Base64Payload, Base64Span } from '../src/lib/base64-payload.js';
import type { RetryPolicy } from '../src/lib/retry.js';
import type { Timers } from '../src/lib/time.js';
import type { RechunkRule } from '../src/media/rechunk.js';

/**
 * The one interface every carrier speaks through (STYLE.md 4): webhooks and their signature,
 * markup, REST control, the media-stream codec. The daemon never names a carrier outside
 * `providers/`; it asks the adapter listed in `providers/index.ts`.
 *
 * Split by purity (STYLE.md 5): everything here is pure except `control`, which does REST.
 */
export interface CarrierAdapter {
  readonly carrier: Carrier;
  /** What this carrier can do, so the daemon refuses an impossible mode at config load. */
  readonly capabilities: CarrierCapabilities;
  /** Paths the HTTP layer mounts for this carrier, relative to the public URL. */
  readonly routes: CarrierRoutes;

  /**
   * Absolute URL (on the daemon's public URL) of one of this carrier's webhooks, with the
   * correlation ids in the query string. The carrier signs the full URL, so the ids are covered
   * by the webhook signature.
   */
  callbackUrl(kind: WebhookKind, ids: CallbackIds): string;
  /** Absolute `wss://` URL of this carrier's media WebSocket. */
  mediaUrl(): string;

  /**
   * Is this request really from the carrier? Constant-time; `false` on any doubt (missing
   * header, malformed URL). Call before {@link CarrierAdapter.parseWebhook}.
   */
  verifyWebhook(req: WebhookRequest): boolean;
  /**
   * Normalize a verified webhook. Never throws on bad input: a payload that does not match the
   * carrier's format comes back as a {@link WebhookError} naming the offending field.
   */
  parseWebhook(kind: WebhookKind, params: WebhookParams, query: WebhookParams): CarrierEvent | WebhookError;

  /**
   * Check the media WebSocket upgrade request. Whatever this returns, the per-call media token
   * (`mediaToken` in providers/index.ts) must still be checked on the stream's `start`.
   */
  verifyMediaUpgrade(req: MediaUpgradeRequest): boolean;
  /** A fresh codec for one media socket (it remembers the stream id after `start`). */
  createCodec(): MediaCodec;

  readonly markup: CarrierMarkup;
  readonly control: CarrierControl;

  /**
   * What a failed REST command means for the daemon, in carrier-neutral terms; undefined: nothing
   * the daemon acts on (the failure then takes the ordinary path, a `carrier_error` outcome).
   * Twilio's 21210/21212 ("that caller ID is not yours") is `caller_id_refused`.
   */
  classifyError?(err: unknown): CarrierErrorKind | undefined;

  /**
   * ISO 3166-1 alpha-2 region the carrier's national-format numbers are read in (Exotel sends
   * `CallFrom=09901320691`: India). Each carrier has its home region as default, overridable per
   * carrier (`EXOTEL_NUMBER_REGION`…, docs/configuration.md).
   */
  readonly numberRegion: string;

  /**
   * Where a call the daemon places (`POST /v1/calls`) goes once the lead answers: the voice
   * webhook on most carriers; on Exotel the flow (app) that runs the Voicebot, since Calls/connect
   * takes a flow URL, not a webhook. A string: why outbound calls cannot be placed.
   */
  outboundNext(): OutboundUrls | string;

  /**
   * Fits an answer to the place in the carrier's call flow that asked for it. A carrier with a
   * fixed call flow asks "what next?" from several places, each of which can act on one kind of
   * answer (Exotel: the Voicebot applet takes a stream URL, the Connect applet a number, a
   * Passthru applet a 200 or a 302). `markup` says where the daemon wants the caller; this says
   * it in terms `route` understands. Absent: the markup is sent as rendered.
   */
  fitAnswer?(route: WebhookRoute, req: WebhookRequest, markup: Markup): Markup;

  /**
   * A verified request to a fallback URL: the carrier could not get or run the markup of the
   * request it names (Twilio: `ErrorUrl` and `ErrorCode`, availability-reliability docs). The
   * runtime answers it as that request again (webhooks are deduped, so a request the daemon
   * already applied changes nothing twice). Undefined: an ordinary request.
   */
  fallbackOf?(req: WebhookRequest): { readonly failedUrl: string; readonly errorCode?: string } | undefined;

  /**
   * Fixed answers the carrier fetches from the daemon, outside any call's flow: Plivo's default
   * `waitSound` and the hold music it plays (docs/plivo.md). Mounted by the HTTP layer next to the
   * webhooks; absent: none.
   */
  readonly assets?: readonly AssetRoute[];
}

/**
 * A fixed answer served on the daemon's public URL: no call state behind it, only the carrier's
 * signature checked (on the bytes as received, like a webhook's) where the carrier signs the request.
 */
export interface AssetRoute {
  readonly method: 'GET' | 'POST';
  /** e.g. `/plivo/hold` */
  readonly path: string;
  /** Whether the carrier signs its request for it: a request that fails the check is refused (403). */
  readonly signed: boolean;
  readonly contentType: string;
  readonly body: string | Buffer;
}

/** URLs of a call the daemon places: what runs once it is answered, and its status callback. */
export interface OutboundUrls {
  readonly url: string;
  readonly statusCallbackUrl: string;
}

/**
 * What a failed carrier command means, when the daemon can do better than fail:
 * `caller_id_refused` — the carrier will not present that caller ID on a leg (not a number of
 * the account); the daemon retries with the number the call came in on.
 */
export type CarrierErrorKind =
  | 'caller_id_refused'
  /**
   * The call the command was for is over (Twilio 21220 "call is not in progress", 404/20404): the
   * party hung up and the carrier's news of it has not reached the daemon yet. Carriers do not
   * order their answer to a REST command before the call's status callbacks.
   */
  | 'call_gone';

/**
 * Builds one configured adapter; the registry in providers/index.ts is an array of these. `C` is
 * the carrier's own credentials, as its {@link CarrierEnvSchema} parses them.
 */
export interface CarrierAdapterFactory<C extends CarrierCredentialSet = CarrierCredentialSet> {
  /** The carrier's name (lowercase), unique in the registry; its routes live under `/${carrier}/`. */
  readonly carrier: Carrier;
  /**
   * The environment variables this carrier is configured by. src/config/env.ts (the only reader
   * of `process.env`) hands the environment to every registered adapter's schema.
   */
  readonly env: CarrierEnvSchema<C>;
  /** Throws `DaemonError('config_invalid')` naming every missing or malformed setting. */
  create(settings: CarrierSettings<C>): CarrierAdapter;
}

/** The environment as src/config/env.ts hands it over: values trimmed, empty ones removed. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** One problem with one environment variable. */
export interface EnvIssue {
  readonly variable: string;
  readonly message: string;
}

/** A carrier's settings read from the environment. */
export interface CarrierEnvSettings<C extends CarrierCredentialSet = CarrierCredentialSet> {
  readonly credentials: C;
  /** REST base URL without a trailing slash (the carrier's own, a regional one, or a simulator). */
  readonly apiBase: string;
  /** Region of the carrier's national-format numbers, when set. */
  readonly numberRegion?: string;
}

/**
 * How a carrier reads its environment variables (`TWILIO_ACCOUNT_SID`…, docs/configuration.md).
 * A carrier is configured when its required variables are all set; some but not all is an issue.
 */
export interface CarrierEnvSchema<C extends CarrierCredentialSet = CarrierCredentialSet> {
  /** Every variable it reads. */
  readonly variables: readonly string[];
  /** Every problem, named by variable; `settings` undefined: the carrier is not configured. */
  parse(env: EnvVars): { readonly settings?: CarrierEnvSettings<C>; readonly issues: readonly EnvIssue[] };
}

/** Settings every adapter is built from (parsed once by src/config, then frozen). */
export interface CarrierSettings<C extends CarrierCredentialSet = CarrierCredentialSet> {
  /** The daemon's public base URL as the carrier reaches it, e.g. `https://pt.example.com`. */
  readonly publicUrl: string;
  /** The carrier's credentials, in its own shape (its env schema's output). */
  readonly credentials: C;
  /** REST base URL, for a simulator or a regional endpoint; default the carrier's own. */
  readonly apiBase?: string;
  /**
   * Bounded retry of retryable carrier errors (src/lib/retry.ts); default
   * `{ maxRetries: 2, retryIntervalMs: 250, timeoutMs: 10000 }`.
   */
  readonly retry?: RetryPolicy;
  /** Times REST retries and their deadlines (src/lib/time.ts); default the system's. */
  readonly timers?: Timers;
  /**
   * Require the carrier's signature on the media WebSocket upgrade. Default false: Twilio
   * signing the upgrade is UNCONFIRMED (protocols.md §6), and the media token guards either way.
   */
  readonly signedMediaUpgrade?: boolean;
  /** Region of the carrier's national-format numbers; default the carrier's home region. */
  readonly numberRegion?: string;
}

/**
 * What every carrier's credentials have: the account they act for and the secret they sign or
 * authenticate with. Each adapter extends it with its own fields (providers/<carrier>/env.ts).
 */
export interface CarrierCredentialSet {
  /** The carrier's account id. */
  readonly accountId: string;
  /** The secret the carrier's REST API and signatures use. */
  readonly authToken: string;
}

/** Answering-machine detection's verdict on a leg, carrier-neutral. */
export type AnsweredBy = 'human' | 'machine' | 'unknown';

export interface CarrierCapabilities {
  /** Warm transfer through a conference the caller waits in. */
  readonly conference: boolean;
  /** Play a message to the human only, before the caller hears them. */
  readonly whisper: boolean;
  /** The caller hears hold audio (not silence) while the human is dialed. */
  readonly holdAudio: boolean;
  /** `sip:` destinations can be dialed. */
  readonly sipDestinations: boolean;
  /**
   * The human's leg (a call the daemon placed) can stream its audio to the daemon and back, so
   * the agent can brief the human itself (the `agentic` mode). Default false.
   */
  readonly calleeStream?: boolean;
  /**
   * A leg placed by REST can run the carrier's answering-machine detection: before its answer
   * URL is fetched, which then says who answered (Twilio `MachineDetection`), or, with
   * {@link asyncMachineDetection}, alongside it. Default false.
   */
  readonly machineDetection?: boolean;
  /**
   * The verdict of {@link machineDetection} comes after the answer URL, in its own callback
   * (Plivo `machine_detection_url`, `Machine=true|false`), at the latest `verdictWithinMs` after
   * the answer: the daemon holds the human's answer until it came (or that time passed). Default
   * none: the verdict, if any, comes with the answer.
   */
  readonly asyncMachineDetection?: { readonly verdictWithinMs: number };
  /**
   * The carrier can key digits to a human's leg once it answered (`handoffConfig.sendDigits`): on a
   * leg placed by REST and on the caller's own dial. Default false: an agent configured with
   * `sendDigits` is refused at start.
   */
  readonly sendDigits?: boolean;
  /**
   * The caller's call moves on through the carrier's own call flow when the daemon closes the
   * media stream, and no REST request can redirect or hang up a live call (Exotel: the bot
   * closing the Voicebot socket runs the next applet, protocols.md §4.8). The daemon then closes
   * the stream where it would otherwise redirect. Default false.
   */
  readonly streamCloseMovesCaller?: boolean;
  /**
   * `redirectCall` does not carry the document: it makes the carrier ask the daemon's voice URL
   * (Plivo's transfer `aleg_url`), answered from saved state like any continuation. Such an ask
   * is the redirect itself arriving, never a continuation racing it. Default false (the
   * document travels in the REST request: Twilio `Twiml`).
   */
  readonly redirectAsksContinuation?: boolean;
  /**
   * The carrier's call flow reaches its entry request again (Exotel's Voicebot URL) only after a
   * dial of the caller's call has ended, so such a request while a dial is live means the dial
   * is over even if its own reports were lost. Default false (a repeated entry request is a
   * retry, not news).
   */
  readonly entryFollowsDial?: boolean;
  /**
   * The carrier can speak text to the caller in the caller's own document before a dial or a
   * room (Twilio `<Say>`, Plivo `<Speak>`): a transfer's caller message when the bot does not
   * speak it itself. Default true; Exotel has none (its playback reaches the callee).
   */
  readonly speaksToCaller?: boolean;
  /**
   * Whether the carrier accepts the caller's own number as the caller ID of a leg the daemon
   * dials toward a human: `dial` for a dial inside the caller's call (Twilio and Plivo
   * `<Dial callerId>`: yes), `rest` for a leg created by REST (Twilio `Calls.create` wants a
   * number of the account or a verified caller ID, error 21210). Where it does not, the
   * daemon presents the number the call came in on (or, outbound, came from). Default both true.
   */
  readonly callerNumberAsCallerId?: { readonly dial: boolean; readonly rest: boolean };
  /**
   * How the daemon drives a call on this carrier. `markup` (default): webhooks are answered with
   * instruction documents and REST redirects a call to a URL. `rest`: the carrier asks nothing of
   * its webhooks' answers (any 2xx) and every step is a REST command (Telnyx Call Control); its
   * `markup` documents are then what `redirectCall` sends, which the adapter turns into commands.
   */
  readonly callControl?: 'markup' | 'rest';
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/**
 * The webhooks the daemon receives, carrier-neutral:
 * - `voice`: the call (or a continuation) asks what to do — answered with markup.
 * - `status`: call-progress callbacks of the caller's call and of dialed legs.
 * - `dial-action`: a dial inside the caller's call finished — answered with markup.
 * - `conference`: conference and participant events.
 */
export type WebhookKind = 'voice' | 'status' | 'dial-action' | 'conference';

export interface WebhookRoute {
  readonly kind: WebhookKind;
  readonly method: 'GET' | 'POST';
  /** e.g. `/twilio/voice` */
  readonly path: string;
  /** Whether the carrier expects markup in the answer (else any 2xx will do). */
  readonly answersWithMarkup: boolean;
}

export interface CarrierRoutes {
  readonly webhooks: readonly WebhookRoute[];
  /** e.g. `/twilio/media` */
  readonly mediaPath: string;
}

/** Form or query parameters as a body parser gives them (repeated keys as arrays). */
export type WebhookParams = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface WebhookRequest {
  readonly method: string;
  /**
   * The full public URL the carrier called, query string included — `${publicUrl}${req.url}`,
   * never rebuilt from a proxied Host header.
   */
  readonly url: string;
  /** Header names in lower case, as Node gives them. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as received, read as UTF-8 (form-signing carriers, logs). */
  readonly rawBody: string;
  /**
   * The body's bytes exactly as received, for carriers that sign them (Telnyx: Ed25519 over
   * timestamp and body; Vonage: a JWT carrying the body's SHA-256). Never re-serialized.
   */
  readonly rawBytes?: Buffer;
  /**
   * The form fields of an `application/x-www-form-urlencoded` body, as form-signing carriers sign
   * them (empty for GET and for any other body: JSON and multipart are read only after the
   * signature holds, src/http/webhook-body.ts).
   */
  readonly params: WebhookParams;
}

export interface MediaUpgradeRequest {
  /** The full public `wss://` URL the carrier opened, query string included. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The daemon's own ids, carried in callback URLs' query strings. */
export interface CallbackIds {
  /** The caller's call (the carrier's id for it, see CallRecord). */
  readonly callId: string;
  readonly transferId?: string;
  /**
   * Set on a leg's callbacks only. A `voice` URL with a leg id is that leg's answer URL (the
   * human picked up); without one it is the caller's continuation.
   */
  readonly legId?: string;
  /**
   * Which instruction document a continuation came from (a counter the daemon bumps per
   * document): two legitimate continuations of one call then get distinct dedupe keys.
   */
  readonly seq?: number;
}

/** Call status normalized over carriers. */
export type CallStatus =
  | 'initiated'
  | 'ringing'
  | 'in_progress'
  | 'completed'
  | 'busy'
  | 'no_answer'
  | 'failed'
  | 'canceled';

/**
 * Every webhook normalized. `dedupeKey` is derived from the carrier's own ids and sequence
 * numbers (never from arrival time), so a retried or duplicated webhook yields the same key and
 * the runtime applies it at most once (DESIGN.md invariant 3). `from` / `to` are PII: never log
 * them outside `pii.*`.
 */
export type CarrierEvent =
  /** A new call reached the daemon's number. */
  | {
      readonly type: 'call.incoming';
      readonly dedupeKey: string;
      readonly carrierCallId: string;
      readonly from: string;
      readonly to: string;
      readonly direction: 'inbound' | 'outbound';
      /**
       * For a call the daemon placed, the id the carrier's create answered with when it differs
       * from the call's own id (Plivo: `RequestUUID`; the `CallUUID` comes with the answer).
       */
      readonly placementId?: string;
      /** The carrier asks a fallback URL: its primary request failed (Twilio `ErrorCode`). */
      readonly carrierErrorCode?: string;
    }
  /** Progress of the caller's call (no leg id in the callback URL). */
  | {
      readonly type: 'call.status';
      readonly dedupeKey: string;
      readonly carrierCallId: string;
      readonly callId?: string;
      readonly status: CallStatus;
      /** Seconds, on `completed`. */
      readonly durationSec?: number;
      readonly sipCode?: number;
      /** See `call.incoming`: the create's id of a call the daemon placed (Plivo `RequestUUID`). */
      readonly placementId?: string;
    }
  /** The carrier ran off the end of a document (stream closed, dial or conference over): what next? */
  | {
      readonly type: 'stream.continuation';
      readonly dedupeKey: string;
      readonly carrierCallId: string;
      readonly callId: string;
      readonly transferId?: string;
      /** The carrier asks a fallback URL: its primary request failed (Twilio `ErrorCode`). */
      readonly carrierErrorCode?: string;
    }
  | LegEvent
  | ConferenceEvent
  /** A well-formed webhook that changes nothing (e.g. `initiated`, a mute, a speech event). */
  | { readonly type: 'event.ignored'; readonly dedupeKey: string; readonly detail: string };

interface LegBase {
  /**
   * When `legId` is absent the runtime qualifies this key with the leg it resolved the event to,
   * so one carrier fact applies once per leg.
   */
  readonly dedupeKey: string;
  readonly callId: string;
  /**
   * `transferId` and `legId` are absent when the carrier cannot name the leg: a fixed call flow
   * dialed it, not the daemon (Exotel's Connect applet). The event is then about the call's
   * current dial, and the runtime resolves the leg: the one bound to `carrierCallId` if any,
   * else the transfer's current leg.
   */
  readonly transferId?: string;
  readonly legId?: string;
}

/** A leg dialed toward a human, from call-progress, dial-action or answer webhooks. */
export type LegEvent =
  /**
   * The carrier started dialing the leg and named its call (Exotel's Connect `Dial` event): no
   * progress yet, only the id, which binds the leg so a later report of its end finds it.
   */
  | (LegBase & { readonly type: 'leg.dialed'; readonly carrierCallId: string })
  | (LegBase & { readonly type: 'leg.ringing'; readonly carrierCallId: string })
  | (LegBase & {
      readonly type: 'leg.answered';
      readonly carrierCallId: string;
      /**
       * Answering-machine detection's verdict, when it ran (the adapter maps the carrier's
       * values: Twilio `machine_start`, `fax`… are `machine`).
       */
      readonly answeredBy?: AnsweredBy;
    })
  /**
   * Answering-machine detection's verdict on an answered leg, in its own callback after the
   * answer (Plivo `machine_detection_url`; capability `asyncMachineDetection`).
   */
  | (LegBase & {
      readonly type: 'leg.verdict';
      readonly carrierCallId: string;
      readonly answeredBy: AnsweredBy;
    })
  | (LegBase & {
      readonly type: 'leg.ended';
      /** Absent when the carrier never created the leg's call. */
      readonly carrierCallId?: string;
      /** Before answer: busy / no_answer / failed / canceled; after answer: completed. */
      readonly status: LegEndStatus;
      /** The carrier's detail code (e.g. the SIP response code of a failed leg). */
      readonly carrierCode?: string;
      /** From a dial-action: where the caller's own call stands (`completed` = caller gone). */
      readonly callerStatus?: CallStatus;
    });

interface ConferenceBase {
  readonly dedupeKey: string;
  readonly callId: string;
  readonly transferId: string;
  /** The room name the daemon chose. */
  readonly room: string;
  /** The carrier's id for the conference (Twilio `CF…`). */
  readonly carrierConferenceId: string;
}

interface ParticipantBase extends ConferenceBase {
  /** The participant's call. */
  readonly carrierCallId: string;
  readonly label?: string;
}

export type ConferenceEvent =
  | (ConferenceBase & { readonly type: 'conference.started' })
  | (ConferenceBase & { readonly type: 'conference.ended'; readonly reason?: string })
  | (ParticipantBase & { readonly type: 'conference.joined' })
  | (ParticipantBase & { readonly type: 'conference.left'; readonly reason?: string })
  | (ParticipantBase & { readonly type: 'conference.held' })
  | (ParticipantBase & { readonly type: 'conference.unheld' })
  /** An announcement (e.g. a whisper played through the REST API) finished or failed. */
  | (ConferenceBase & {
      readonly type: 'conference.announced';
      readonly carrierCallId?: string;
      readonly failed: boolean;
    });

export type CarrierEventType = CarrierEvent['type'];

/**
 * A webhook that does not match the carrier's format. Returned, never thrown: the HTTP layer
 * answers 400 and logs `field`, and no state changes.
 */
export class WebhookError extends DaemonError {
  readonly type = 'webhook.error' as const;
  /** The offending parameter, e.g. `CallSid` or `query.legId`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('webhook_invalid', message);
    this.name = 'WebhookError';
    this.field = field;
  }
}

// ---------------------------------------------------------------------------------------------
// Media

/** One media socket's translator. Pure: no I/O, no REST (STYLE.md 5). */
export interface MediaCodec {
  /** The carrier's audio on this socket (both ways). */
  readonly format: AudioFormat;
  /** The carrier's stream id, known after `start`. */
  readonly streamId: string | undefined;
  /**
   * The carrier's frame rules for audio sent to it (Exotel: multiples of 320 B within
   * 3.2–100 KB, protocols.md §4.2); absent: any size.
   */
  readonly rechunk?: RechunkRule;
  /**
   * The carrier also sends binary WebSocket frames (Vonage: raw L16 audio, its JSON events as
   * text). Default false: a binary frame is ignored.
   */
  readonly binaryFrames?: boolean;
  /**
   * One frame in: text as a string, binary (when {@link binaryFrames}) as a Buffer. `null` for
   * frames that carry nothing for the daemon (Twilio `connected`, the outbound track); a
   * {@link CodecError} for a frame that is not the carrier's format.
   */
  decode(frame: MediaFrame): InboundMediaEvent | CodecError | null;
  /**
   * One event out: a string goes as a text frame, a Buffer as a binary one. Throws
   * `DaemonError('codec_not_started')` before `start`.
   */
  encode(event: OutboundMediaEvent): MediaFrame;
  /**
   * The fast path for base64 audio (optional): where the base64 `payload` of a plain media frame
   * of this stream lies in the frame's bytes, read in place without `JSON.parse` or decoding, or
   * `undefined` for any other frame — which then goes to {@link decode}, so `undefined` is always
   * safe. Only frames that `decode` would turn into `audio` with exactly these bytes may be
   * answered. The span is the codec's own, reused for the next frame: read it at once.
   */
  scanAudio?(frame: Uint8Array): Base64Span | undefined;
  /**
   * Audio out from base64 in {@link format}, as `encode` would write those bytes (optional): the
   * text frame's bytes (ASCII JSON), built in one buffer, to be sent as a text frame. With
   * `headroom`, the buffer starts with `headroom(the frame's length)` bytes left free for the
   * WebSocket header (src/lib/ws-text-frame.ts).
   */
  encodeAudioBase64?(payload: Base64Payload, headroom?: (length: number) => number): Buffer;
}

/** A WebSocket frame: text or binary. */
export type MediaFrame = string | Buffer;

/**
 * The `reason` of a decoded `stop` that says the call itself ended, not only the stream (Exotel's
 * `stop.reason: "callended"`, protocols.md §4.2). The runtime ends the call on it.
 */
export const STOP_CALL_ENDED = 'call_ended';

/** A media frame that is not the carrier's format. Returned, never thrown. */
export class CodecError extends DaemonError {
  readonly type = 'codec.error' as const;
  /** The offending JSON path, e.g. `media.payload`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('codec_invalid_frame', message);
    this.name = 'CodecError';
    this.field = field;
  }
}

// ---------------------------------------------------------------------------------------------
// Markup

/** An instruction document to answer a webhook with, or to push through REST. */
export interface Markup {
  /** e.g. `text/xml` */
  readonly contentType: string;
  readonly body: string;
  /** HTTP status of the answer; default 200 (Exotel's Passthru applet branches on 200 vs 302). */
  readonly status?: number;
}

/**
 * Instruction documents. Every document that hosts a media stream ends with a continuation
 * back to the daemon (DESIGN.md invariant 1) — never a trailing pause.
 */
export interface CarrierMarkup {
  /** Connect the call to the daemon's media socket; when the stream ends, ask `continuationUrl`. */
  answerWithStream(options: StreamMarkupOptions): Markup;
  /** Cold transfer: the carrier dials `to` from inside the caller's call. */
  dialCold(options: DialColdOptions): Markup;
  /** Warm transfer: the caller waits in `room` hearing hold audio until the human joins. */
  conferenceHold(options: ConferenceHoldOptions): Markup;
  /** For the human's leg: hear `text` (the caller does not), then join `room`. */
  whisperThenJoin(options: WhisperOptions): Markup;
  hangup(): Markup;
  /**
   * Silence for `seconds`, then ask `continuationUrl` again: the answer to a continuation asked
   * while a REST command moving the caller is on its way (that command replaces this document).
   * Absent where the carrier's own flow asks (Exotel).
   */
  pauseThenAsk?(options: PauseThenAskOptions): Markup;
}

export interface PauseThenAskOptions {
  /** Silence before the new ask, in whole seconds. */
  readonly seconds: number;
  /** Where the carrier asks again. */
  readonly continuationUrl: string;
}

export interface StreamMarkupOptions {
  /** `wss://` URL of the media socket, without a query string (carriers may drop it). */
  readonly streamUrl: string;
  /** Sent back in the stream's `start` (Twilio `customParameters`): call id, media token… */
  readonly parameters: Readonly<Record<string, string>>;
  /** Where the carrier asks what next once the stream has ended. */
  readonly continuationUrl: string;
}

export interface DialColdOptions {
  /** E.164 number or `sip:` URI (PII). */
  readonly to: string;
  /** Caller id shown to the human (E.164). */
  readonly callerId: string;
  /** Ring timeout in seconds (the transfer default is 10 s). */
  readonly timeoutSec: number;
  /** Receives the dial's result and answers with what comes next. */
  readonly actionUrl: string;
  /** Receives the dialed leg's progress (answered, completed). */
  readonly statusCallbackUrl: string;
  /** Belt and braces after the dial, should the carrier ever fall through. */
  readonly continuationUrl: string;
  /** Spoken to the caller (text-to-speech) before the dial starts: the transfer's caller message. */
  readonly announce?: string;
  /**
   * A warm transfer run as cold on a carrier without conferences (see
   * `CarrierCapabilities.conference`): spoken to the human only, before the caller is bridged.
   */
  readonly whisper?: string;
  /**
   * A warm transfer run as cold: the caller hears hold audio (this URL, or the carrier's default
   * when `audioUrl` is absent) instead of ringback while the human is dialed.
   */
  readonly hold?: { readonly audioUrl?: string };
  /** Keys to dial once the human answered, before the bridge (Twilio and Plivo `<Number sendDigits>`). */
  readonly sendDigits?: string;
}

export interface ConferenceHoldOptions {
  /** Room name; never PII (carriers log it). */
  readonly room: string;
  /**
   * What the caller hears until the human joins. Twilio: a TwiML URL (e.g. `<Play loop="0">`), a
   * bare audio file plays once; omitted = the carrier's default music.
   */
  readonly holdAudioUrl?: string;
  /** Receives the conference's events (start, end, join, leave, hold, announcement). */
  readonly statusCallbackUrl: string;
  /** Where the carrier asks what next once the caller leaves the conference. */
  readonly continuationUrl: string;
  /** Participant label of the caller; default `caller`. */
  readonly label?: string;
  /** Spoken to the caller (text-to-speech) before entering the room: the transfer's caller message. */
  readonly announce?: string;
}

export interface WhisperOptions {
  /** Spoken to the human only (text-to-speech). */
  readonly text: string;
  readonly room: string;
  /** Participant label of the human; default none. */
  readonly label?: string;
  /**
   * Conference events of this participant (join/leave): the first participant's callback is the
   * conference's, and the human may well enter the room before the caller does.
   */
  readonly statusCallbackUrl?: string;
}

// ---------------------------------------------------------------------------------------------
// Control (REST)

/** How a command to a call may be cut short. */
export interface CommandOptions {
  /**
   * Once aborted, the command's own quick retries stop (the call's end was reported: another try
   * would be a command to a call that is over); the last error is thrown.
   */
  readonly until?: AbortSignal;
  /**
   * The instructions start something a second delivery would start again — a `<Dial>` rings the
   * human anew — so the request is retried only when the carrier certainly did not act (429,
   * connection refused), as a create is: a server error says nothing of what was done (property
   * seed 0xa6: a cold dial answered 500 after Twilio had placed it, retried, rang the human twice).
   */
  readonly once?: boolean;
}

/**
 * The carrier REST commands the daemon calls. Every failure is a `CarrierError { carrier,
 * status, carrierCode }` (status 0 = no answer arrived). Retryable errors (408, 429, 5xx,
 * network) are retried within the adapter's bounded policy where repeating the request is safe;
 * creating calls is retried only when the carrier certainly did not act (429, connection
 * refused), so a human is never dialed twice.
 */
export interface CarrierControl {
  /** Replace what the call is doing (ends its media stream). */
  redirectCall(carrierCallId: string, next: CallInstructions, options?: CommandOptions): Promise<void>;
  /** Hang up (or cancel, if still ringing). An already-ended call is success. */
  hangupCall(carrierCallId: string, options?: CommandOptions): Promise<void>;
  createCall(options: CreateCallOptions): Promise<{ readonly carrierCallId: string }>;
  /**
   * Whether the call is still live at the carrier (ringing or in progress), asked when the
   * carrier's callbacks leave it in doubt. Absent where the carrier cannot say; the machines
   * then decide on their bounds.
   */
  callLive?(carrierCallId: string): Promise<boolean>;
}

/**
 * Conference REST commands a carrier's control may also offer (Twilio's and Plivo's do). The
 * daemon runs warm transfers through markup and does not call these; they are part of each
 * such carrier's own control type, for operators' tooling and tests.
 */
export interface ConferenceControl {
  /** Dial `to` straight into a conference (created on first use). */
  addParticipant(options: AddParticipantOptions): Promise<{ readonly carrierCallId: string }>;
  updateParticipant(options: UpdateParticipantOptions): Promise<void>;
  /** An already-gone participant is success. */
  removeParticipant(options: ParticipantRef): Promise<void>;
  /** End the conference for everyone. An already-ended conference is success. */
  endConference(conference: ConferenceRef): Promise<void>;
}

/** A document to run, or a URL the carrier fetches it from. */
export type CallInstructions = Markup | { readonly url: string };

/** Call-progress events a status callback can ask for. */
export type CallProgressEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

export interface CreateCallOptions {
  /** E.164 number or `sip:` URI (PII). */
  readonly to: string;
  readonly from: string;
  readonly next: CallInstructions;
  readonly statusCallbackUrl?: string;
  /** Default `['ringing', 'answered', 'completed']` when a status callback is given. */
  readonly statusCallbackEvents?: readonly CallProgressEvent[];
  /** Ring timeout in seconds. */
  readonly timeoutSec: number;
  /**
   * Asked instead of `next` when fetching it fails (5xx, timeout, refused): Twilio
   * `FallbackUrl`, Plivo `fallback_url`. The daemon gives the same URL, so another worker answers it.
   */
  readonly fallbackUrl?: string;
  /**
   * Run answering-machine detection once answered, before the answer URL is fetched (which then
   * carries the verdict). Only where the carrier declares `machineDetection`.
   */
  readonly machineDetection?: boolean;
  /**
   * Where a carrier with `asyncMachineDetection` posts the verdict (Plivo `machine_detection_url`);
   * the adapter parses it into `leg.verdict`.
   */
  readonly machineDetectionUrl?: string;
  /** Keys to dial once answered, `w` a half-second pause (Twilio `SendDigits`, Plivo `send_digits`). */
  readonly sendDigits?: string;
}

/** A conference by the daemon's room name, plus the carrier's id when already known (saves a lookup). */
export interface ConferenceRef {
  readonly room: string;
  readonly carrierConferenceId?: string;
}

export interface ParticipantRef extends ConferenceRef {
  /** The participant's label or carrier call id. */
  readonly participant: string;
}

export interface AddParticipantOptions extends ConferenceRef {
  readonly to: string;
  readonly from: string;
  readonly label: string;
  /** Ring timeout in seconds. */
  readonly timeoutSec: number;
  /** The new leg's call progress. */
  readonly statusCallbackUrl?: string;
  /** Default `['ringing', 'answered', 'completed']`. */
  readonly statusCallbackEvents?: readonly CallProgressEvent[];
  /** Conference events (Twilio uses only the first participant's value). */
  readonly conferenceStatusCallbackUrl?: string;
  /** Default true. */
  readonly startConferenceOnEnter?: boolean;
  /** Default false. */
  readonly endConferenceOnExit?: boolean;
  /** Default false. */
  readonly muted?: boolean;
}

export interface UpdateParticipantOptions extends ParticipantRef {
  readonly hold?: boolean;
  /** Audio or document played while held (fetched with GET). */
  readonly holdUrl?: string;
  /** Document played to this participant only (a whisper). */
  readonly announceUrl?: string;
  readonly muted?: boolean;
}
