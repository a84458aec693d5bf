import type { Carrier } from './carrier.js';

/**
 * Every error the daemon raises carries a stable `code` and whether retrying can help
 * (STYLE.md 7). Never branch on `message`.
 */
export class DaemonError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A carrier REST request failed. HTTP 4xx is permanent except 408 and 429. */
export class CarrierError extends DaemonError {
  readonly carrier: Carrier;
  /** HTTP status of the carrier's answer; 0 when no answer arrived (network error, timeout). */
  readonly status: number;
  /** The carrier's own error code (Twilio `code`, Plivo `error`), when it sent one. */
  readonly carrierCode: string | undefined;

  constructor(
    carrier: Carrier,
    status: number,
    carrierCode: string | undefined,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('carrier_error', message, { retryable: isRetryableStatus(status), cause: options.cause });
    this.name = 'CarrierError';
    this.carrier = carrier;
    this.status = status;
    this.carrierCode = carrierCode;
  }
}

/** 5xx, 408, 429 and "no answer at all" (status 0) are worth retrying; other 4xx are not. */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}
