/**
 * A minimal carrier adapter that lives only in the tests, registered by passing a carrier list
 * to `parseEnv`, `parseAgentsConfig` and `buildApp` — never by editing providers/index.ts. It
 * does what the next carriers need and the first three do not: it signs the raw body bytes
 * (HMAC-SHA256 over the bytes as sent, as Telnyx and Vonage sign theirs), speaks JSON, answers
 * its webhooks with JSON documents, and has its own error codes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { carrierEnvSchema } from '../../providers/shared/env-schema.js';
import type {
  CallInstructions,
  CarrierAdapter,
  CarrierAdapterFactory,
  CarrierCredentialSet,
  CarrierErrorKind,
  CarrierEvent,
  CreateCallOptions,
  Markup,
  MediaCodec,
  WebhookParams,
  WebhookRequest,
} from '../../providers/types.js';
import { WebhookError } from '../../providers/types.js';
import { CarrierError, DaemonError } from '../../src/domain/errors.js';
import { MULAW_8K } from '../../src/domain/media.js';

export const FAKE = 'fakecarrier';
/** The fake's "that From is not yours" error code, which only its classifier knows. */
export const FAKE_NOT_YOUR_NUMBER = 'E-FROM-NOT-OWNED';

/** What the fake saw and was asked, for the tests to read. */
export interface FakeCarrierLog {
  /** The body bytes of every request whose signature was checked. */
  readonly verifiedBodies: Buffer[];
  readonly createCalls: CreateCallOptions[];
  readonly redirects: Array<{ readonly callId: string; readonly next: CallInstructions }>;
  readonly hangups: string[];
  /** Errors the daemon asked the classifier about. */
  readonly classified: unknown[];
  /** Every media frame the codec was given, as received (string: text frame, Buffer: binary). */
  readonly frames: Array<string | Buffer>;
}

export interface FakeCarrierOptions {
  /** Refuse the first `createCall` whose `from` is not `ownNumber`, with {@link FAKE_NOT_YOUR_NUMBER}. */
  readonly ownNumber?: string;
  /** Leave out `classifyError` (the control case: nobody tells the daemon what the code means). */
  readonly withoutClassifier?: boolean;
  /** Driven by REST commands alone (Telnyx-like): webhook answers are ignored by the carrier. */
  readonly restControl?: boolean;
  /** Its media stream carries binary frames (Vonage-like raw audio). */
  readonly binaryFrames?: boolean;
}

interface FakeCredentials extends CarrierCredentialSet {}

/** `FAKE_SIGNATURE` = hex HMAC-SHA256 of the body bytes under the token. */
export function fakeSignature(token: string, body: Buffer): string {
  return createHmac('sha256', token).update(body).digest('hex');
}

export function fakeCarrier(options: FakeCarrierOptions = {}): {
  readonly factory: CarrierAdapterFactory<FakeCredentials>;
  readonly log: FakeCarrierLog;
} {
  const log: FakeCarrierLog = {
    verifiedBodies: [],
    createCalls: [],
    redirects: [],
    hangups: [],
    classified: [],
    frames: [],
  };
  const json = (body: unknown): Markup => ({ contentType: 'application/json', body: JSON.stringify(body) });
  const factory: CarrierAdapterFactory<FakeCredentials> = {
    carrier: FAKE,
    env: carrierEnvSchema<FakeCredentials>({
      required: [
        { variable: 'FAKECARRIER_ACCOUNT', field: 'accountId' },
        {
          variable: 'FAKECARRIER_TOKEN',
          field: 'authToken',
          check: (v) => (v.length >= 8 ? undefined : 'must be at least 8 characters'),
        },
      ],
      apiBase: { variable: 'FAKECARRIER_API_BASE', default: 'https://api.fake.invalid' },
      numberRegion: 'FAKECARRIER_NUMBER_REGION',
    }),
    create(settings) {
      const token = settings.credentials.authToken;
      if (token === '') throw new DaemonError('config_invalid', 'fakecarrier authToken is required');
      const base = settings.publicUrl.replace(/\/+$/, '');
      const codec = (): MediaCodec => ({
        format: MULAW_8K,
        streamId: undefined,
        ...(options.binaryFrames ? { binaryFrames: true } : {}),
        decode: (frame) => {
          log.frames.push(frame);
          return null;
        },
        encode: () => '{}',
      });
      const adapter: CarrierAdapter = {
        carrier: FAKE,
        capabilities: {
          conference: true,
          whisper: true,
          holdAudio: true,
          sipDestinations: false,
          ...(options.restControl ? { callControl: 'rest' as const } : {}),
        },
        routes: {
          webhooks: [
            { kind: 'voice', method: 'POST', path: `/${FAKE}/voice`, answersWithMarkup: true },
            { kind: 'status', method: 'POST', path: `/${FAKE}/status`, answersWithMarkup: false },
          ],
          mediaPath: `/${FAKE}/media`,
        },
        callbackUrl(kind, ids) {
          const q = new URLSearchParams({ callId: ids.callId });
          if (ids.transferId !== undefined) q.set('transferId', ids.transferId);
          if (ids.legId !== undefined) q.set('legId', ids.legId);
          return `${base}/${FAKE}/${kind === 'voice' ? 'voice' : 'status'}?${q}`;
        },
        mediaUrl: () => `${base.replace(/^http/, 'ws')}/${FAKE}/media`,
        verifyWebhook(req: WebhookRequest) {
          const given = req.headers['x-fake-signature'];
          const bytes = req.rawBytes;
          if (typeof given !== 'string' || bytes === undefined) return false;
          const expected = Buffer.from(fakeSignature(token, bytes));
          const ok = given.length === expected.length && timingSafeEqual(Buffer.from(given), expected);
          if (ok) log.verifiedBodies.push(Buffer.from(bytes));
          return ok;
        },
        parseWebhook(kind, params: WebhookParams, query: WebhookParams): CarrierEvent | WebhookError {
          const callId = params['call_id'];
          if (typeof callId !== 'string' || callId === '') return new WebhookError('call_id', 'missing');
          if (kind !== 'voice' || query['legId'] !== undefined)
            return {
              type: 'event.ignored',
              dedupeKey: `${FAKE}:${callId}:${String(params['event'])}`,
              detail: 'fake',
            };
          const from = params['from'];
          const to = params['to'];
          if (typeof from !== 'string' || typeof to !== 'string') return new WebhookError('from', 'missing');
          return {
            type: 'call.incoming',
            dedupeKey: `${FAKE}:${callId}:incoming`,
            carrierCallId: callId,
            from,
            to,
            direction: 'inbound',
          };
        },
        verifyMediaUpgrade: () => true,
        createCodec: codec,
        markup: {
          answerWithStream: (o) => json({ do: 'stream', url: o.streamUrl, next: o.continuationUrl }),
          dialCold: (o) => json({ do: 'dial', to: o.to, next: o.actionUrl }),
          conferenceHold: (o) => json({ do: 'hold', room: o.room }),
          whisperThenJoin: (o) => json({ do: 'whisper', text: o.text, room: o.room }),
          hangup: () => json({ do: 'hangup' }),
        },
        control: {
          async redirectCall(callId, next) {
            log.redirects.push({ callId, next });
          },
          async hangupCall(callId) {
            log.hangups.push(callId);
          },
          async createCall(o) {
            log.createCalls.push(o);
            if (options.ownNumber !== undefined && o.from !== options.ownNumber)
              throw new CarrierError(FAKE, 403, FAKE_NOT_YOUR_NUMBER, 'from is not a number of this account');
            return { carrierCallId: `fake-leg-${log.createCalls.length}` };
          },
        },
        numberRegion: settings.numberRegion ?? 'US',
        outboundNext: () => 'the fake carrier places no calls',
        ...(options.withoutClassifier
          ? {}
          : {
              classifyError(err: unknown): CarrierErrorKind | undefined {
                log.classified.push(err);
                return err instanceof CarrierError && err.carrierCode === FAKE_NOT_YOUR_NUMBER
                  ? 'caller_id_refused'
                  : undefined;
              },
            }),
      };
      return adapter;
    },
  };
  return { factory, log };
}
