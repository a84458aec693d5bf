import { DaemonError } from '../../src/domain/errors.js';
import type { RetryDeps, RetryPolicy } from '../../src/lib/retry.js';
import {
  DEFAULT_CARRIER_RETRY,
  optionalSettings,
  regionProblems,
  restOptions,
  urlProblems,
} from '../shared/settings.js';
import type {
  CarrierAdapter,
  CarrierAdapterFactory,
  CarrierCapabilities,
  CarrierSettings,
  MediaUpgradeRequest,
  WebhookRequest,
} from '../types.js';
import { verifyExotelMediaUpgrade, verifyExotelWebhook } from './auth.js';
import { createExotelCodec } from './codec.js';
import { createExotelControl } from './control.js';
import { type ExotelCredentials, exotelEnv } from './env.js';
import { exotelMarkup, fitExotelAnswer } from './markup.js';
import { buildCallbackUrl, buildMediaUrl, buildStatusUrl, EXOTEL_ROUTES } from './routes.js';
import { parseExotelWebhook } from './webhooks.js';

export interface ExotelAdapterOptions {
  /** The daemon's public base URL as Exotel reaches it, e.g. `https://pt.example.com`. */
  readonly publicUrl: string;
  /** Account SID (the `{sid}` in REST paths). */
  readonly accountSid: string;
  /** REST Basic-auth user. */
  readonly apiKey: string;
  /** REST Basic-auth password. */
  readonly apiToken: string;
  /**
   * The shared secret Exotel's requests must carry (Basic-auth password or `secret` query
   * parameter; Exotel signs nothing, protocols.md §4.9). Also the password of the stream URL.
   */
  readonly webhookSecret: string;
  /** REST base; default https://api.exotel.com. */
  readonly apiBase?: string;
  /** Default {@link DEFAULT_EXOTEL_RETRY}. */
  readonly retry?: RetryPolicy;
  readonly retryDeps?: RetryDeps;
  /**
   * The app (flow) outbound calls run once the lead answers: a flow whose first applet is the
   * Voicebot on the daemon, as for inbound calls (docs/exotel.md). Absent: no outbound calls.
   */
  readonly outboundAppId?: string;
  /** Region of Exotel's national-format numbers; default `IN`. */
  readonly numberRegion?: string;
}

/** Two quick retries inside a 10 s request timeout, as for every carrier. */
export const DEFAULT_EXOTEL_RETRY: RetryPolicy = DEFAULT_CARRIER_RETRY;

/**
 * What Exotel can do for a transfer (protocols.md §4.8). No conference: a warm transfer runs as
 * cold, the caller hearing Programmable Connect's `music_on_hold` while the human is dialed and
 * the human hearing the whisper as `start_call_playback` before the bridge — said at
 * configuration load and on each such call's timeline. No REST redirect: the caller moves on
 * when the daemon closes the Voicebot stream.
 */
export const EXOTEL_CAPABILITIES: CarrierCapabilities = Object.freeze({
  conference: false,
  whisper: true,
  holdAudio: true,
  sipDestinations: false,
  streamCloseMovesCaller: true,
  // The flow comes back to the Voicebot through the Connect applet's end (docs/exotel.md).
  entryFollowsDial: true,
  // Connect's `start_call_playback` plays after the callee answers; nothing speaks to the caller first.
  speaksToCaller: false,
  // `outgoing_phone_number` (Programmable Connect) and `CallerId` (Calls/connect) must be one of
  // the account's ExoPhones (developer.exotel.com, api-console/voice).
  callerNumberAsCallerId: Object.freeze({ dial: false, rest: false }),
});

/** Exotel sends national numbers (`CallFrom=09901320691`): read in India's numbering plan by default. */
export const EXOTEL_HOME_REGION = 'IN';

/** Exotel's Calls/connect runs a flow given by its URL (protocols.md, corrections). */
export function exotelFlowUrl(accountSid: string, appId: string): string {
  return `http://my.exotel.com/${encodeURIComponent(accountSid)}/exoml/start_voice/${encodeURIComponent(appId)}`;
}

export function createExotelAdapter(options: ExotelAdapterOptions): CarrierAdapter {
  const { publicUrl, webhookSecret: secret } = options;
  const mediaUrl = buildMediaUrl(publicUrl, secret);
  return Object.freeze({
    carrier: 'exotel',
    capabilities: EXOTEL_CAPABILITIES,
    routes: EXOTEL_ROUTES,
    callbackUrl: (kind, ids) => buildCallbackUrl(publicUrl, secret, kind, ids),
    mediaUrl: () => mediaUrl,
    verifyWebhook: (req: WebhookRequest) => verifyExotelWebhook(secret, req),
    parseWebhook: parseExotelWebhook,
    verifyMediaUpgrade: (req: MediaUpgradeRequest) => verifyExotelMediaUpgrade(secret, req),
    createCodec: createExotelCodec,
    markup: exotelMarkup,
    fitAnswer: fitExotelAnswer,
    numberRegion: options.numberRegion ?? EXOTEL_HOME_REGION,
    outboundNext: () =>
      options.outboundAppId === undefined
        ? 'EXOTEL_OUTBOUND_APP_ID is not set: Exotel places calls into a flow (docs/exotel.md, outbound calls)'
        : {
            url: exotelFlowUrl(options.accountSid, options.outboundAppId),
            statusCallbackUrl: buildStatusUrl(publicUrl, secret),
          },
    control: createExotelControl({
      accountSid: options.accountSid,
      apiKey: options.apiKey,
      apiToken: options.apiToken,
      ...restOptions(options, DEFAULT_EXOTEL_RETRY),
    }),
  } satisfies CarrierAdapter);
}

/** Shortest shared secret accepted: it is all that authenticates Exotel's requests. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/**
 * Builds the adapter from neutral settings, listing every problem at once (STYLE.md 9).
 * Credentials: `accountId` (Account SID), `apiKey`, `authToken` (the API token), `webhookSecret`.
 */
export const exotelAdapterFactory: CarrierAdapterFactory<ExotelCredentials> = Object.freeze({
  carrier: 'exotel',
  env: exotelEnv,
  create(settings: CarrierSettings<ExotelCredentials>): CarrierAdapter {
    const { accountId, authToken, apiKey, webhookSecret, outboundAppId } = settings.credentials;
    const problems: string[] = [];
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(accountId)) problems.push('exotel accountId must be the account SID');
    if (apiKey === undefined || apiKey === '') problems.push('exotel apiKey is required');
    if (authToken === '') problems.push('exotel authToken (the API token) is required');
    if (webhookSecret === undefined || webhookSecret.length < MIN_WEBHOOK_SECRET_LENGTH) {
      problems.push(
        `exotel webhookSecret (EXOTEL_WEBHOOK_SECRET) of at least ${MIN_WEBHOOK_SECRET_LENGTH} characters is required: Exotel signs nothing, the secret in its URLs is all that authenticates it`,
      );
    } else if (!/^[A-Za-z0-9._~-]+$/.test(webhookSecret)) {
      problems.push('exotel webhookSecret may use only A-Z a-z 0-9 . _ ~ - (it goes into URLs)');
    }
    if (outboundAppId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(outboundAppId)) {
      problems.push(
        'exotel outboundAppId (EXOTEL_OUTBOUND_APP_ID) must be the app id of a flow (letters, digits, _ -)',
      );
    }
    problems.push(...urlProblems('exotel', settings), ...regionProblems('exotel', settings));
    if (problems.length > 0 || apiKey === undefined || webhookSecret === undefined) {
      throw new DaemonError('config_invalid', problems.join('; '));
    }
    return createExotelAdapter({
      publicUrl: settings.publicUrl,
      accountSid: accountId,
      apiKey,
      apiToken: authToken,
      webhookSecret,
      ...(outboundAppId === undefined ? {} : { outboundAppId }),
      ...optionalSettings(settings),
    });
  },
});
