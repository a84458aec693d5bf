/**
 * The end-to-end tests' numbers and each simulated carrier's credentials (test data; the harness
 * itself names no carrier). A daemon under test gets them from each simulator's `daemonEnv`.
 */

import { type DaemonFlowOptions, daemonFlow } from '../../sim/carriers/exotel/daemon-flow.js';
import type { ExotelNumberConfig } from '../../sim/carriers/exotel/options.js';
import type { CarrierOptions } from '../../sim/carriers/index.js';

export const INBOUND = '+14155550100';
export const CALLER = '+14155559999';
export const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
export const AUTH_TOKEN = 'e2e-auth-token';
export const EXOTEL_ACCOUNT_SID = 'e2e-exotel';
export const EXOTEL_API_KEY = 'e2e-exotel-key';
export const EXOTEL_API_TOKEN = 'e2e-exotel-token';
/** The shared secret Exotel's requests carry (Exotel signs nothing): Basic-auth password in the flow's URLs. */
export const EXOTEL_WEBHOOK_SECRET = 'e2e-exotel-webhook-secret';
/** The app (flow) outbound Exotel calls run (`EXOTEL_OUTBOUND_APP_ID`). */
export const EXOTEL_OUTBOUND_APP_ID = 'e2e-outbound-flow';
export const PLIVO_AUTH_ID = 'MA1111111111111111AA';
export const PLIVO_AUTH_TOKEN = 'e2e-plivo-auth-token';

/** Each simulated carrier's credentials in the end-to-end tests. */
export const SIMULATOR_CREDENTIALS: CarrierOptions = {
  twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
  plivo: { authId: PLIVO_AUTH_ID, authToken: PLIVO_AUTH_TOKEN },
  exotel: {
    accountSid: EXOTEL_ACCOUNT_SID,
    apiKey: EXOTEL_API_KEY,
    apiToken: EXOTEL_API_TOKEN,
    daemonWebhookSecret: EXOTEL_WEBHOOK_SECRET,
    daemonOutboundAppId: EXOTEL_OUTBOUND_APP_ID,
  },
};

/** The flow docs/exotel.md describes, for the daemon at `publicUrl`, carrying {@link EXOTEL_WEBHOOK_SECRET}. */
export function exotelNumber(publicUrl: string, options: DaemonFlowOptions = {}): ExotelNumberConfig {
  return daemonFlow(publicUrl, EXOTEL_WEBHOOK_SECRET, options);
}
