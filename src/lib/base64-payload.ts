/**
 * Base64 audio on the media fast path: the payload of a plain media frame, passed from one
 * socket to the other without being decoded. It travels as the span of the received frame's
 * bytes it was found in ({@link Base64Span}: no string, no copy) while it goes straight
 * through, and as text ({@link base64Text}) once it has to wait in a queue.
 */

/**
 * Base64 text found in place: bytes `[start, end)` of `bytes`. A scanner reuses its span for the
 * next frame, so a span is read at once; anything that keeps the payload keeps its text.
 */
export interface Base64Span {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** A base64 payload: text, or a span of the frame it arrived in (read at once). */
export type Base64Payload = string | Base64Span;

/** The span a scanner fills in; one per scanner, reused for every frame. */
export class MutableSpan implements Base64Span {
  bytes: Uint8Array = EMPTY;
  start = 0;
  end = 0;
}

const EMPTY = new Uint8Array(0);

/** The payload's text: what a queue keeps (a span's bytes are the frame's, reused). */
export function base64Text(payload: Base64Payload): string {
  if (typeof payload === 'string') return payload;
  const { bytes, start, end } = payload;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** The payload's length in base64 characters (bytes: base64 is ASCII). */
export function base64Length(payload: Base64Payload): number {
  return typeof payload === 'string' ? payload.length : payload.end - payload.start;
}

/**
 * Bytes the canonical base64 payload decodes to, without decoding it (length and padding): audio
 * passed through as the wire's base64 is counted and capped by its decoded size.
 */
export function base64Bytes(payload: Base64Payload): number {
  let n: number;
  let last: number;
  let beforeLast: number;
  if (typeof payload === 'string') {
    n = payload.length;
    last = payload.charCodeAt(n - 1);
    beforeLast = payload.charCodeAt(n - 2);
  } else {
    n = payload.end - payload.start;
    last = payload.bytes[payload.end - 1] ?? 0;
    beforeLast = payload.bytes[payload.end - 2] ?? 0;
  }
  if (n === 0) return 0;
  const pad = last !== EQUALS ? 0 : beforeLast === EQUALS ? 2 : 1;
  return (n / 4) * 3 - pad;
}

/** Writes the payload's characters into `out` at `at`; returns the offset after them. */
export function putBase64(out: Buffer, at: number, payload: Base64Payload): number {
  if (typeof payload === 'string') return at + out.write(payload, at, 'latin1');
  const { bytes, start, end } = payload;
  out.set(bytes.subarray(start, end), at);
  return at + end - start;
}

/** The payload's decoded bytes (the decoding path, when the far side needs samples). */
export function decodeBase64(payload: Base64Payload): Buffer {
  return Buffer.from(base64Text(payload), 'base64');
}

const EQUALS = 0x3d;
