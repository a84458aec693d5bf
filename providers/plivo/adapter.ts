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
import { createPlivoCodec } from './codec.js';
import { createPlivoControl, PLIVO_MACHINE_DETECTION_TIME_MS } from './control.js';
import { type PlivoCredentials, plivoEnv } from './env.js';
import { buildWaitSoundUrl, plivoHoldAssets } from './hold.js';
import { plivoMarkupFor } from './markup.js';
import { isNotFound } from './rest-client.js';
import { buildCallbackUrl, buildMediaUrl, PLIVO_ROUTES } from './routes.js';
import { verifyPlivoMediaUpgrade, verifyPlivoWebhook } from './signature.js';
import { parsePlivoWebhook } from './webhooks.js';

export interface PlivoAdapterOptions {
  /** The daemon's public base URL as Plivo reaches it, e.g. `https://pt.example.com`. */
  readonly publicUrl: string;
  /** Auth ID: `MA` (main account) or `SA` (subaccount) + 18 characters. */
  readonly authId: string;
  /** Signs every webhook (signature V3) and authenticates REST. */
  readonly authToken: string;
  /** REST base; default https://api.plivo.com (`PLIVO_API_BASE`). */
  readonly apiBase?: string;
  /** Default {@link DEFAULT_PLIVO_RETRY}. */
  readonly retry?: RetryPolicy;
  readonly retryDeps?: RetryDeps;
  /** Region of Plivo's national-format numbers; default `US`. */
  readonly numberRegion?: string;
}

/** Two quick retries inside a 10 s request timeout: a transfer cannot wait much longer. */
export const DEFAULT_PLIVO_RETRY: RetryPolicy = DEFAULT_CARRIER_RETRY;

/**
 * Warm transfers through `<Conference>` (the caller waits with `startConferenceOnEnter="false"`),
 * the whisper as `<Speak>` on the human's own leg, hold audio from `waitSound` (Plivo XML the
 * agent's `holdAudio` names, or the daemon's own hold music), SIP destinations as `<User>`.
 */
export const PLIVO_CAPABILITIES: CarrierCapabilities = Object.freeze({
  conference: true,
  whisper: true,
  holdAudio: true,
  sipDestinations: true,
  // The human's leg is placed by REST; its answer document may hold a bidirectional stream.
  calleeStream: true,
  // `POST /Call/` `machine_detection`: the verdict comes after the answer, to machine_detection_url.
  machineDetection: true,
  // `send_digits` on `POST /Call/`, `<Number sendDigits>` in a `<Dial>`.
  sendDigits: true,
  asyncMachineDetection: Object.freeze({ verdictWithinMs: PLIVO_MACHINE_DETECTION_TIME_MS }),
  // `<Dial callerId>` defaults to the caller's own number, so passing it on is accepted; a call
  // created by REST (`POST /Call/`) must come `from` a Plivo number or a verified caller ID.
  callerNumberAsCallerId: Object.freeze({ dial: true, rest: false }),
  // A transfer (`POST /Call/{uuid}/` `aleg_url`) makes Plivo ask the voice URL: the document is
  // that ask's answer.
  redirectAsksContinuation: true,
});

/** Plivo sends numbers as international digits without `+`; national ones are read as US by default. */
export const PLIVO_HOME_REGION = 'US';

const AUTH_ID = /^(MA|SA)[A-Z0-9]{18}$/;

/**
 * Plivo's live-call commands (transfer, hang up) answer 404 for a call that is not live any more
 * (rest-client.ts `isNotFound`): the caller hung up and Plivo's `hangup_url` request has not
 * reached the daemon yet, or never will (Plivo retries it for a bounded time only).
 */
function classifyPlivoError(err: unknown): CarrierErrorKind | undefined {
  return isNotFound(err) ? 'call_gone' : undefined;
}

export function createPlivoAdapter(options: PlivoAdapterOptions): CarrierAdapter {
  const { publicUrl, authToken } = options;
  const mediaUrl = buildMediaUrl(publicUrl);
  return Object.freeze({
    carrier: 'plivo',
    capabilities: PLIVO_CAPABILITIES,
    routes: PLIVO_ROUTES,
    callbackUrl: (kind, ids) => buildCallbackUrl(publicUrl, kind, ids),
    mediaUrl: () => mediaUrl,
    verifyWebhook: (req: WebhookRequest) => verifyPlivoWebhook(authToken, req),
    parseWebhook: parsePlivoWebhook,
    // Plivo signs the stream's WebSocket upgrade (protocols.md corrections); the per-call media
    // token in `extraHeaders` is checked at `start` as well.
    verifyMediaUpgrade: (req: MediaUpgradeRequest) => verifyPlivoMediaUpgrade(authToken, req),
    createCodec: createPlivoCodec,
    classifyError: classifyPlivoError,
    // A hold with no `holdAudio` plays the daemon's own music: Plivo has none (docs/plivo.md).
    markup: plivoMarkupFor({ waitSoundUrl: buildWaitSoundUrl(publicUrl) }),
    assets: plivoHoldAssets(publicUrl),
    numberRegion: options.numberRegion ?? PLIVO_HOME_REGION,
    outboundNext: () => voiceOutbound(publicUrl, '/plivo/voice', '/plivo/status'),
    control: createPlivoControl({
      authId: options.authId,
      authToken,
      publicUrl,
      ...restOptions(options, DEFAULT_PLIVO_RETRY),
    }),
  } satisfies CarrierAdapter);
}

/**
 * Builds the adapter from neutral settings, listing every problem at once (STYLE.md 9).
 * Credentials: `accountId` (the Auth ID) and `authToken`.
 */
export const plivoAdapterFactory: CarrierAdapterFactory<PlivoCredentials> = Object.freeze({
  carrier: 'plivo',
  env: plivoEnv,
  create(settings: CarrierSettings<PlivoCredentials>): CarrierAdapter {
    const { accountId: authId, authToken } = settings.credentials;
    const problems: string[] = [];
    if (!AUTH_ID.test(authId))
      problems.push('plivo accountId must be an Auth ID: MA or SA followed by 18 letters or digits');
    if (authToken === '') problems.push('plivo authToken is required');
    throwIfProblems([...problems, ...urlProblems('plivo', settings), ...regionProblems('plivo', settings)]);
    return createPlivoAdapter({
      publicUrl: settings.publicUrl,
      authId,
      authToken,
      ...optionalSettings(settings),
    });
  },
});
