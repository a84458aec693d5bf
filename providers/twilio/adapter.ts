import { CarrierError } from '../../src/domain/errors.js';
import type { RetryDeps, RetryPolicy } from '../../src/lib/retry.js';
import {
  DEFAULT_CARRIER_RETRY,
  optionalSettings,
  regionProblems,
  restOptions,
  throwIfProblems,
  urlProblems,
  voiceOutbound,
} from '../shared/settings.js';
import type {
  CarrierAdapter,
  CarrierAdapterFactory,
  CarrierCapabilities,
  CarrierErrorKind,
  CarrierSettings,
  MediaUpgradeRequest,
  WebhookRequest,
} from '../types.js';
import { createTwilioCodec } from './codec.js';
import { createTwilioControl } from './control.js';
import { type TwilioCredentials, twilioEnv } from './env.js';
import { twilioMarkup } from './markup.js';
import { buildCallbackUrl, buildMediaUrl, TWILIO_ROUTES } from './routes.js';
import { verifyTwilioMediaUpgrade, verifyTwilioWebhook } from './signature.js';
import { parseTwilioWebhook } from './webhooks.js';

export interface TwilioAdapterOptions {
  /** The daemon's public base URL as Twilio reaches it, e.g. `https://pt.example.com`. */
  readonly publicUrl: string;
  /** `AC` + 32 hex. */
  readonly accountSid: string;
  /** Signs every webhook (and authenticates REST unless `apiKey` is set). */
  readonly authToken: string;
  /** REST with an API key (`SK…`) instead of the auth token. */
  readonly apiKey?: { readonly sid: string; readonly secret: string };
  /** REST base; default https://api.twilio.com. */
  readonly apiBase?: string;
  /** Default {@link DEFAULT_TWILIO_RETRY}. */
  readonly retry?: RetryPolicy;
  readonly retryDeps?: RetryDeps;
  /** Region of Twilio's national-format numbers; default `US`. */
  readonly numberRegion?: string;
  /** Require `X-Twilio-Signature` on the media upgrade (UNCONFIRMED that Twilio sends it); default false. */
  readonly signedMediaUpgrade?: boolean;
}

/** Two quick retries inside a 10 s request timeout: a transfer cannot wait much longer. */
export const DEFAULT_TWILIO_RETRY: RetryPolicy = DEFAULT_CARRIER_RETRY;

export const TWILIO_CAPABILITIES: CarrierCapabilities = Object.freeze({
  conference: true,
  whisper: true,
  holdAudio: true,
  sipDestinations: true,
  // The human's leg is placed by REST; its answer document may hold a bidirectional stream.
  calleeStream: true,
  // Calls.create `MachineDetection=Enable`: `AnsweredBy` on the answer URL and status callbacks.
  machineDetection: true,
  // `SendDigits` on Calls.create, `<Number sendDigits>` in a `<Dial>`.
  sendDigits: true,
  // `<Dial callerId>` may show the caller's own number on their call (Twilio error 13214);
  // `Calls.create` and `Participants.create` take only the account's or verified numbers (21210).
  callerNumberAsCallerId: Object.freeze({ dial: true, rest: false }),
});

/** Twilio numbers arrive in E.164; national ones, if ever, are read as US numbers by default. */
export const TWILIO_HOME_REGION = 'US';

export function createTwilioAdapter(options: TwilioAdapterOptions): CarrierAdapter {
  const { publicUrl, authToken } = options;
  const signedMediaUpgrade = options.signedMediaUpgrade ?? false;
  const mediaUrl = buildMediaUrl(publicUrl);
  return Object.freeze({
    carrier: 'twilio',
    capabilities: TWILIO_CAPABILITIES,
    routes: TWILIO_ROUTES,
    callbackUrl: (kind, ids) => buildCallbackUrl(publicUrl, kind, ids),
    mediaUrl: () => mediaUrl,
    verifyWebhook: (req: WebhookRequest) => verifyTwilioWebhook(authToken, req),
    parseWebhook: parseTwilioWebhook,
    verifyMediaUpgrade: (req: MediaUpgradeRequest) =>
      signedMediaUpgrade ? verifyTwilioMediaUpgrade(authToken, req) : true,
    createCodec: createTwilioCodec,
    markup: twilioMarkup,
    numberRegion: options.numberRegion ?? TWILIO_HOME_REGION,
    outboundNext: () => voiceOutbound(publicUrl, '/twilio/voice', '/twilio/status'),
    fallbackOf: twilioFallbackOf,
    classifyError: classifyTwilioError,
    control: createTwilioControl({
      accountSid: options.accountSid,
      authToken,
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...restOptions(options, DEFAULT_TWILIO_RETRY),
    }),
  } satisfies CarrierAdapter);
}

/**
 * Twilio refuses a caller ID the account does not own: 21210 ("'From' phone number not verified")
 * and 21212 ("Invalid 'From' number"), on `Calls.create` and `Participants.create` (protocols.md,
 * corrections; peers.md). The daemon then presents a number of its own.
 */
const CALLER_ID_REFUSED: ReadonlySet<string> = new Set(['21210', '21212']);

function classifyTwilioError(err: unknown): CarrierErrorKind | undefined {
  if (!(err instanceof CarrierError) || err.carrierCode === undefined) return undefined;
  if (CALLER_ID_REFUSED.has(err.carrierCode)) return 'caller_id_refused';
  // 21220: "Call is not in-progress. Cannot redirect." — an answered call that has ended; 20404:
  // no such call (any more).
  return CALL_GONE.has(err.carrierCode) ? 'call_gone' : undefined;
}

const CALL_GONE: ReadonlySet<string> = new Set(['21220', '20404']);

/** Twilio asks a fallback URL with `ErrorCode` and `ErrorUrl` (the URL whose TwiML failed). */
function twilioFallbackOf(req: WebhookRequest): { failedUrl: string; errorCode?: string } | undefined {
  const url = req.params['ErrorUrl'];
  if (typeof url !== 'string' || url === '') return undefined;
  const code = req.params['ErrorCode'];
  return typeof code === 'string' && /^\d{1,6}$/.test(code)
    ? { failedUrl: url, errorCode: code }
    : { failedUrl: url };
}

/**
 * Builds the adapter from neutral settings, listing every problem at once (STYLE.md 9).
 * Credentials: `accountId` (the Account SID), `authToken`, optionally `apiKeySid` + `apiKeySecret`.
 */
export const twilioAdapterFactory: CarrierAdapterFactory<TwilioCredentials> = Object.freeze({
  carrier: 'twilio',
  env: twilioEnv,
  create(settings: CarrierSettings<TwilioCredentials>): CarrierAdapter {
    const { accountId: accountSid, authToken, apiKeySid, apiKeySecret } = settings.credentials;
    const problems: string[] = [];
    if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) {
      problems.push('twilio accountId must be an Account SID: AC followed by 32 hex digits');
    }
    if (authToken === '') problems.push('twilio authToken is required');
    if ((apiKeySid === undefined) !== (apiKeySecret === undefined)) {
      problems.push('twilio apiKeySid and apiKeySecret go together');
    } else if (apiKeySid !== undefined && !apiKeySid.startsWith('SK')) {
      problems.push('twilio apiKeySid must start with SK');
    }
    throwIfProblems([...problems, ...urlProblems('twilio', settings), ...regionProblems('twilio', settings)]);
    return createTwilioAdapter({
      publicUrl: settings.publicUrl,
      accountSid,
      authToken,
      ...(apiKeySid !== undefined && apiKeySecret !== undefined
        ? { apiKey: { sid: apiKeySid, secret: apiKeySecret } }
        : {}),
      ...optionalSettings(settings),
      ...(settings.signedMediaUpgrade === undefined
        ? {}
        : { signedMediaUpgrade: settings.signedMediaUpgrade }),
    });
  },
});
