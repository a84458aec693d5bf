import { DaemonError } from '../../src/domain/errors.js';
import type { RetryDeps, RetryPolicy } from '../../src/lib/retry.js';
import { isKnownRegion } from '../../src/phone/destination.js';
import type { CarrierSettings, OutboundUrls } from '../types.js';

/**
 * Settings checks and option plumbing every carrier's adapter factory shares. Each carrier checks
 * its own credentials; the URLs, the throw and the REST options are the same for all.
 */

/** Two quick retries inside a 10 s request timeout: a transfer cannot wait much longer. */
export const DEFAULT_CARRIER_RETRY: RetryPolicy = Object.freeze({
  maxRetries: 2,
  retryIntervalMs: 250,
  timeoutMs: 10_000,
});

/** Problems with `publicUrl` and `apiBase`, named for `carrier`. */
export function urlProblems(carrier: string, settings: CarrierSettings): string[] {
  const problems: string[] = [];
  if (!isHttpUrl(settings.publicUrl)) problems.push('publicUrl must be an http(s) URL');
  if (settings.apiBase !== undefined && !isHttpUrl(settings.apiBase)) {
    problems.push(`${carrier} apiBase must be an http(s) URL`);
  }
  return problems;
}

/** One `config_invalid` error listing every problem at once (STYLE.md 9), if there is any. */
export function throwIfProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new DaemonError('config_invalid', problems.join('; '));
}

/** The settings an adapter takes as they are: `apiBase`, `retry` and `numberRegion`, when given. */
export function optionalSettings(settings: CarrierSettings): {
  apiBase?: string;
  retry?: RetryPolicy;
  numberRegion?: string;
  retryDeps?: RetryDeps;
} {
  return {
    ...(settings.timers === undefined ? {} : { retryDeps: { timers: settings.timers } }),
    ...(settings.apiBase === undefined ? {} : { apiBase: settings.apiBase }),
    ...(settings.retry === undefined ? {} : { retry: settings.retry }),
    ...(settings.numberRegion === undefined ? {} : { numberRegion: settings.numberRegion }),
  };
}

/** A problem with `numberRegion`, if any (an ISO 3166-1 alpha-2 code libphonenumber knows). */
export function regionProblems(carrier: string, settings: CarrierSettings): string[] {
  const region = settings.numberRegion;
  if (region === undefined || isKnownRegion(region)) return [];
  return [`${carrier} numberRegion must be an ISO 3166-1 alpha-2 country code such as US`];
}

/** REST options for a carrier's control: `apiBase` when given, the retry policy or its default. */
export function restOptions(
  options: { readonly apiBase?: string; readonly retry?: RetryPolicy; readonly retryDeps?: RetryDeps },
  defaultRetry: RetryPolicy,
): { apiBase?: string; retry: RetryPolicy; retryDeps?: RetryDeps } {
  return {
    ...(options.apiBase === undefined ? {} : { apiBase: options.apiBase }),
    retry: options.retry ?? defaultRetry,
    ...(options.retryDeps === undefined ? {} : { retryDeps: options.retryDeps }),
  };
}

/** The voice and status webhooks of a call the daemon places (carriers that take any URL). */
export function voiceOutbound(publicUrl: string, voicePath: string, statusPath: string): OutboundUrls {
  const base = publicUrl.replace(/\/+$/, '');
  return { url: base + voicePath, statusCallbackUrl: base + statusPath };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
