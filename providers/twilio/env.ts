import { carrierEnvSchema, matches } from '../shared/env-schema.js';
import type { CarrierCredentialSet } from '../types.js';

/** Twilio's credentials: the Account SID and its auth token (which also signs Twilio's webhooks). */
export interface TwilioCredentials extends CarrierCredentialSet {
  /** REST with an API key (`SK…`) instead of the auth token. */
  readonly apiKeySid?: string;
  readonly apiKeySecret?: string;
}

/** `TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN` (+ `TWILIO_API_BASE`, `TWILIO_NUMBER_REGION`). */
export const twilioEnv = carrierEnvSchema<TwilioCredentials>({
  required: [
    { variable: 'TWILIO_ACCOUNT_SID', field: 'accountId', check: matches(/^AC/, 'must start with AC') },
    { variable: 'TWILIO_AUTH_TOKEN', field: 'authToken' },
  ],
  apiBase: { variable: 'TWILIO_API_BASE', default: 'https://api.twilio.com' },
  numberRegion: 'TWILIO_NUMBER_REGION',
});
