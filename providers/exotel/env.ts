import { carrierEnvSchema, matches } from '../shared/env-schema.js';
import type { CarrierCredentialSet } from '../types.js';

/** Exotel's credentials: account SID and API token, plus the API key and the webhook secret. */
export interface ExotelCredentials extends CarrierCredentialSet {
  /** API key (Basic-auth user; the token is the password). */
  readonly apiKey: string;
  /** The shared secret Exotel's requests carry (Exotel signs nothing). */
  readonly webhookSecret: string;
  /** `EXOTEL_OUTBOUND_APP_ID`: the flow outbound calls run (docs/exotel.md); needed to place calls. */
  readonly outboundAppId?: string;
}

/**
 * `EXOTEL_ACCOUNT_SID` + `EXOTEL_API_KEY` + `EXOTEL_WEBHOOK_SECRET` + `EXOTEL_API_TOKEN`
 * (+ `EXOTEL_OUTBOUND_APP_ID`, `EXOTEL_API_BASE`, `EXOTEL_NUMBER_REGION`). Exotel signs nothing:
 * the shared secret is all that authenticates its webhooks and streams, so it is required.
 */
export const exotelEnv = carrierEnvSchema<ExotelCredentials>({
  required: [
    { variable: 'EXOTEL_ACCOUNT_SID', field: 'accountId' },
    { variable: 'EXOTEL_API_KEY', field: 'apiKey' },
    {
      variable: 'EXOTEL_WEBHOOK_SECRET',
      field: 'webhookSecret',
      check: matches(
        /^[A-Za-z0-9._~-]{16,}$/,
        'must be at least 16 URL-safe characters (A-Z a-z 0-9 . _ ~ -)',
      ),
    },
    { variable: 'EXOTEL_API_TOKEN', field: 'authToken' },
  ],
  optional: [
    {
      variable: 'EXOTEL_OUTBOUND_APP_ID',
      field: 'outboundAppId',
      check: matches(/^[A-Za-z0-9_-]{1,64}$/, 'must be the app id of an Exotel flow (letters, digits, _ -)'),
    },
  ],
  apiBase: { variable: 'EXOTEL_API_BASE', default: 'https://api.exotel.com' },
  numberRegion: 'EXOTEL_NUMBER_REGION',
});
