import { carrierEnvSchema } from '../shared/env-schema.js';
import type { CarrierCredentialSet } from '../types.js';

/** Plivo's credentials: the Auth ID and its auth token (which also signs Plivo's requests, V3). */
export type PlivoCredentials = CarrierCredentialSet;

/** `PLIVO_AUTH_ID` + `PLIVO_AUTH_TOKEN` (+ `PLIVO_API_BASE`, `PLIVO_NUMBER_REGION`). */
export const plivoEnv = carrierEnvSchema<PlivoCredentials>({
  required: [
    { variable: 'PLIVO_AUTH_ID', field: 'accountId' },
    { variable: 'PLIVO_AUTH_TOKEN', field: 'authToken' },
  ],
  apiBase: { variable: 'PLIVO_API_BASE', default: 'https://api.plivo.com' },
  numberRegion: 'PLIVO_NUMBER_REGION',
});
