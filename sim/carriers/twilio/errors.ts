/**
 * Twilio's REST error body, as parsed by twilio-node's `RestException` (protocols.md §2.4):
 * `{ code, message, more_info, status }`.
 */
import type { SimHttpResponse } from '../../front-end.js';

/** The Twilio error codes the simulator returns. */
export const TWILIO_ERRORS = {
  /** 401: wrong or missing credentials. */
  authenticate: 20003,
  /** 404: no such resource. */
  notFound: 20404,
  /** 405. */
  methodNotAllowed: 20004,
  tooManyRequests: 20429,
  internal: 20500,
  unavailable: 20503,
  /** No 'To' number is specified. */
  missingTo: 21201,
  /** Url is not a valid URL (also: neither Url nor Twiml given). */
  invalidUrl: 21205,
  /** 'From' phone number not verified / not owned by the account. */
  fromNotVerified: 21210,
  /** Invalid 'To' phone number. */
  invalidTo: 21211,
  /** Invalid 'From' phone number. */
  invalidFrom: 21212,
  /** No 'From' number is specified. */
  missingFrom: 21213,
  /** Call is not in-progress. Cannot redirect. */
  notInProgress: 21220,
  /** Twiml size exceeded maximum allowed value of 4000 characters. */
  twimlTooLong: 32018,
} as const;

export interface TwilioErrorBody {
  readonly code: number;
  readonly message: string;
  readonly more_info: string;
  readonly status: number;
}

export function twilioError(status: number, code: number, message: string): SimHttpResponse {
  const body: TwilioErrorBody = {
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The default error code for an injected REST fault status. */
export function codeForStatus(status: number): number {
  if (status === 429) return TWILIO_ERRORS.tooManyRequests;
  if (status === 503) return TWILIO_ERRORS.unavailable;
  if (status === 404) return TWILIO_ERRORS.notFound;
  if (status === 401) return TWILIO_ERRORS.authenticate;
  return status >= 500 ? TWILIO_ERRORS.internal : 20001;
}
