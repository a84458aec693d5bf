import { DaemonError } from '../../src/domain/errors.js';

/**
 * Per-call stream parameters (call id, media token) ride in `<Stream extraHeaders>`, since
 * Plivo's Stream has no `<Parameter>`; Plivo hands them back as `extra_headers` in every stream
 * event (protocols.md §3.2, §3.3). The attribute allows `k1=v1,k2=v2`, alphanumerics only, at most
 * 512 bytes, so each value travels hex-encoded (a call UUID has dashes, a media token `-` and `_`).
 * The separator Plivo delivers is UNCONFIRMED (`,` in the attribute, `;` in one docs example):
 * both are accepted.
 */

/** Plivo's limit on the `extraHeaders` attribute, bytes. */
export const MAX_EXTRA_HEADERS_BYTES = 512;

const KEY = /^[A-Za-z0-9]{1,64}$/;
const HEX = /^(?:[0-9a-f]{2})+$/;

/** `{ callId: 'CA-1' }` → `callId=43412d31`. Throws `DaemonError('stream_parameters_invalid')`. */
export function encodeExtraHeaders(parameters: Readonly<Record<string, string>>): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(parameters)) {
    if (!KEY.test(key)) {
      throw new DaemonError(
        'stream_parameters_invalid',
        'a Plivo stream parameter name must be alphanumeric',
      );
    }
    pairs.push(`${key}=${Buffer.from(value, 'utf8').toString('hex')}`);
  }
  const out = pairs.join(',');
  if (Buffer.byteLength(out) > MAX_EXTRA_HEADERS_BYTES) {
    throw new DaemonError(
      'stream_parameters_invalid',
      `Plivo extraHeaders exceed ${MAX_EXTRA_HEADERS_BYTES} bytes`,
    );
  }
  return out;
}

/**
 * `extra_headers` as delivered (a `k=v` list, or an object) → parameters, hex values decoded.
 * Values that are not hex pass through as they are. `undefined` for anything else.
 */
export function decodeExtraHeaders(raw: unknown): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null || raw === '') return out;
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value !== 'string') return undefined;
      out[key] = decodeValue(value);
    }
    return out;
  }
  if (typeof raw !== 'string') return undefined;
  for (const pair of raw.split(/[,;]/)) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    out[pair.slice(0, at).trim()] = decodeValue(pair.slice(at + 1).trim());
  }
  return out;
}

function decodeValue(value: string): string {
  return HEX.test(value) ? Buffer.from(value, 'hex').toString('utf8') : value;
}
