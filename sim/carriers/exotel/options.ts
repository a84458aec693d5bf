/**
 * Options of the Exotel front-end, and the call flows numbers run. Items marked UNCONFIRMED in
 * protocols.md §4 and §6 are options here, each defaulting to the stricter or the
 * documented-by-practice behaviour.
 */

export interface ExotelSimulatorOptions {
  /** Account SID (the `{sid}` of REST paths); default `sim-exotel`. */
  readonly accountSid?: string;
  /** REST Basic-auth user; default `sim-api-key`. */
  readonly apiKey?: string;
  /** REST Basic-auth password; default `sim-api-token`. */
  readonly apiToken?: string;
  /**
   * The daemon's webhook secret that {@link daemonFlow} writes into a flow's URLs as Basic-auth
   * userinfo, as docs/exotel.md has users do (Exotel signs nothing); default `sim-exotel-webhook-secret`.
   */
  readonly daemonWebhookSecret?: string;
  /** The app id the daemon's flow is registered under for outbound calls (`EXOTEL_OUTBOUND_APP_ID`); default `sim-outbound-flow`. */
  readonly daemonOutboundAppId?: string;
  /** Applet requests (Voicebot dynamic URL, Passthru, "dial whom") time out after this; default 10000. */
  readonly webhookTimeoutMs?: number;
  /** How long one inbound `media` message lasts (§4.2: ≈100 ms); default 100. */
  readonly mediaFrameMs?: number;
  /**
   * Refuse bot audio that breaks Exotel's rules (multiples of 320 bytes, 3 200–100 000 bytes,
   * §4.2): logged as `rejected`, not played. Default true.
   */
  readonly enforceChunkRules?: boolean;
  /** On `clear`, echo pending marks (UNCONFIRMED, §6); default false: they are dropped. */
  readonly clearEchoesMarks?: boolean;
  /** The Voicebot's dynamic URL answers `{"url":"wss://…"}` or the URL as plain text (UNCONFIRMED); default `json`. */
  readonly dynamicUrlFormat?: 'json' | 'text';
  /**
   * Several numbers in a plain-text "dial whom" answer (UNCONFIRMED syntax): `first` dials only
   * the first line; `sequential` dials comma- or newline-separated numbers in order. Default `first`.
   */
  readonly dialWhomList?: 'first' | 'sequential';
  /** Ring timeout of a Connect applet that sets none, seconds; default 30 (UNCONFIRMED). */
  readonly connectRingTimeoutSec?: number;
  /** Milliseconds of audio per character of `start_call_playback` text (minimum 400 ms); default 60. */
  readonly sayMsPerChar?: number;
  /** Length of a played audio URL; default 1500. */
  readonly playDurationMs?: number;
  /** Applets one call may run before the simulator cuts a loop (a flow error); default 50. */
  readonly maxAppletsPerCall?: number;
  /** Accept `ws://` Voicebot URLs (Exotel wants `wss://`; loopback has no TLS); default true. */
  readonly allowInsecureStreams?: boolean;
}

export type ResolvedExotelOptions = Required<ExotelSimulatorOptions>;

export function resolveOptions(o: ExotelSimulatorOptions = {}): ResolvedExotelOptions {
  return Object.freeze({
    accountSid: o.accountSid ?? 'sim-exotel',
    apiKey: o.apiKey ?? 'sim-api-key',
    apiToken: o.apiToken ?? 'sim-api-token',
    daemonWebhookSecret: o.daemonWebhookSecret ?? 'sim-exotel-webhook-secret',
    daemonOutboundAppId: o.daemonOutboundAppId ?? 'sim-outbound-flow',
    webhookTimeoutMs: o.webhookTimeoutMs ?? 10_000,
    mediaFrameMs: o.mediaFrameMs ?? 100,
    enforceChunkRules: o.enforceChunkRules ?? true,
    clearEchoesMarks: o.clearEchoesMarks ?? false,
    dynamicUrlFormat: o.dynamicUrlFormat ?? 'json',
    dialWhomList: o.dialWhomList ?? 'first',
    connectRingTimeoutSec: o.connectRingTimeoutSec ?? 30,
    sayMsPerChar: o.sayMsPerChar ?? 60,
    playDurationMs: o.playDurationMs ?? 1500,
    maxAppletsPerCall: o.maxAppletsPerCall ?? 50,
    allowInsecureStreams: o.allowInsecureStreams ?? true,
  });
}

/**
 * One applet of a call flow (App Bazaar). `next` names the applet that follows (absent: the call
 * hangs up); ids are unique within a flow, and the first applet is where calls start.
 */
export type ExotelApplet =
  | {
      readonly type: 'voicebot';
      readonly id: string;
      /**
       * `ws(s)://…` (query: `sample-rate`, up to 3 custom parameters), or an `http(s)://` URL
       * that answers with this call's stream URL (dynamic, §4.1). Userinfo is sent as Basic auth.
       */
      readonly url: string;
      /** After the stream ends (the bot closed it, or it failed twice). */
      readonly next?: string;
    }
  | {
      readonly type: 'passthru';
      readonly id: string;
      /** GET with the call's details in the query (§4.6). Userinfo is sent as Basic auth. */
      readonly url: string;
      /** Wait for the answer and branch on it (default); `false`: fire and go on. */
      readonly sync?: boolean;
      /** On 200 (and in async mode). */
      readonly next?: string;
      /** On 302. */
      readonly onRedirect?: string;
    }
  | {
      readonly type: 'connect';
      readonly id: string;
      /** Numbers to dial, or a URL answering with them (plain text, or Programmable Connect JSON). */
      readonly dialWhom: { readonly numbers: readonly string[] } | { readonly url: string };
      /** Ask the URL as Programmable Connect (`Exotel-Version: 1.0`, JSON answer, §4.7). Default false. */
      readonly programmable?: boolean;
      /** Ring timeout, seconds; Programmable Connect's `max_ringing_duration` overrides it. */
      readonly ringTimeoutSec?: number;
      /**
       * Seconds the applet keeps ringing past the timeout it has (its own or `max_ringing_duration`):
       * a carrier's timer is not ours, and the daemon must not assume it fires on time. Default 0.
       */
      readonly ringOverrunSec?: number;
      /** Caller ID shown to the human; default the number the call came in on. */
      readonly callerId?: string;
      /** The applet's status events (`Dial`, `Ringing`, `Answered`, `Terminal`) are POSTed here (§4.7). */
      readonly eventsUrl?: string;
      /** Content type of those events; default multipart. */
      readonly eventsContentType?: 'multipart' | 'json';
      /** After an answered call's conversation is over. */
      readonly next?: string;
      /** When nobody answered (busy, no answer, failed, no number). */
      readonly onNoAnswer?: string;
    }
  | { readonly type: 'hangup'; readonly id: string };

export interface ExotelNumberConfig {
  /** The number's flow; calls start at the first applet. */
  readonly flow: readonly ExotelApplet[];
  /** Where the call's end is reported (§4.5 shape, `EventType=terminal`); UNCONFIRMED for inbound flows. */
  readonly statusCallback?: string;
  /** Default multipart. */
  readonly statusCallbackContentType?: 'multipart' | 'json';
}
