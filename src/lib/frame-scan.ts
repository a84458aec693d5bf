import { framePart } from './ascii-frame.js';
import { MutableSpan } from './base64-payload.js';

/**
 * A strict scanner for the one frame a media socket carries 50 times a second per call: a flat
 * JSON object of string values, with at most one level of nested objects of string values
 * (`{"event":"media",…,"media":{"payload":"…",…}}`). It reads such a frame in place, in the
 * socket's bytes — no string, no object — and gives up (returns false) on anything else:
 * whitespace, escapes, numbers, arrays, deeper nesting, a duplicate or unknown key (the caller's
 * check), a trailing byte. A frame it gives up on goes to `JSON.parse` and the full checks, so
 * the scanner only decides the frames whose meaning is plain; test/unit/frame-scan.test.ts holds
 * it to `JSON.parse` over fuzzed frames.
 *
 * Bytes at or above 0x80 are never part of a key or a base64 value, so a frame that is not ASCII
 * where it matters is never taken for plain.
 *
 * Pure; one instance per socket, reused for every frame.
 */
export class FrameScan {
  #b: Uint8Array = EMPTY;
  #i = 0;
  /** The last string value read: bytes `[valueStart, valueEnd)` of the frame. */
  valueStart = 0;
  valueEnd = 0;
  /** The last base64 value read ({@link base64}); reused for the next frame. */
  readonly payload = new MutableSpan();

  /** Starts on a frame: true when it opens with `{`. */
  begin(bytes: Uint8Array): boolean {
    this.#b = bytes;
    this.#i = 1;
    return bytes[0] === OPEN;
  }

  /**
   * The next key of the object being read, as its index in `names`, read in place: {@link END} at
   * the object's closing `}` (consumed), {@link NOT_PLAIN} when the frame is not plain or the key
   * is none of `names`. After the first key, a `,` must come first. `names` come from
   * {@link keyNames}.
   */
  keyOf(first: boolean, names: KeyNames): number {
    const b = this.#b;
    let i = this.#i;
    let c = b[i];
    if (c === CLOSE) {
      this.#i = i + 1;
      return END;
    }
    if (!first) {
      if (c !== COMMA) return NOT_PLAIN;
      i += 1;
      c = b[i];
    }
    if (c !== QUOTE) return NOT_PLAIN;
    const start = i + 1;
    // A key equals a name when its bytes do and a quote and a colon follow them: a key with an
    // escape or any other byte never equals a known name, and the caller gives up.
    for (let k = 0; k < names.length; k++) {
      const name = names[k] as Uint8Array;
      const length = name.length;
      if (b[start + length] !== QUOTE || b[start + length + 1] !== COLON) continue;
      let j = 0;
      while (j < length && b[start + j] === name[j]) j += 1;
      if (j === length) {
        this.#i = start + length + 2;
        return k;
      }
    }
    return NOT_PLAIN;
  }

  /** Reads a plain string value (no escape, no control character), its span in `valueStart`/`valueEnd`. */
  string(): boolean {
    const b = this.#b;
    if (b[this.#i] !== QUOTE) return false;
    const start = this.#i + 1;
    let i = start;
    let c = b[i];
    while (c !== QUOTE) {
      // The end of the bytes (undefined), an escape or a control character: not plain.
      if (c === undefined || c === BACKSLASH || c < SPACE) return false;
      c = b[++i];
    }
    this.valueStart = start;
    this.valueEnd = i;
    this.#i = i + 1;
    return true;
  }

  /** Reads a string value equal to `expected` (bytes of text that needs no escaping: `framePart`). */
  stringEquals(expected: Uint8Array): boolean {
    const b = this.#b;
    const start = this.#i + 1;
    const end = start + expected.length;
    if (b[this.#i] !== QUOTE || b[end] !== QUOTE) return false;
    for (let j = 0; j < expected.length; j++) if (b[start + j] !== expected[j]) return false;
    this.valueStart = start;
    this.valueEnd = end;
    this.#i = end + 1;
    return true;
  }

  /** Reads a string value of one or more decimal digits. */
  digits(): boolean {
    const b = this.#b;
    if (b[this.#i] !== QUOTE) return false;
    const start = this.#i + 1;
    let i = start;
    let c = b[i] ?? 0;
    while (c >= ZERO && c <= NINE) c = b[++i] ?? 0;
    if (i === start || c !== QUOTE) return false;
    this.valueStart = start;
    this.valueEnd = i;
    this.#i = i + 1;
    return true;
  }

  /**
   * Reads a string value of canonical-length base64 (`[A-Za-z0-9+/]*` then up to two `=`, a
   * multiple of 4 long) into {@link payload}; false for anything else.
   */
  base64(): boolean {
    const b = this.#b;
    if (b[this.#i] !== QUOTE) return false;
    const start = this.#i + 1;
    let i = start;
    while (BASE64_ALPHABET[b[i] ?? 0] === 1) i += 1;
    if (b[i] === EQUALS) {
      i += 1;
      if (b[i] === EQUALS) i += 1;
    }
    if (b[i] !== QUOTE || (i - start) % 4 !== 0) return false;
    this.valueStart = start;
    this.valueEnd = i;
    this.#i = i + 1;
    const span = this.payload;
    span.bytes = b;
    span.start = start;
    span.end = i;
    return true;
  }

  /** Opens a nested object value: true on `{`. */
  open(): boolean {
    if (this.#b[this.#i] !== OPEN) return false;
    this.#i += 1;
    return true;
  }

  /** True when the whole frame was read (the outer object closed at the last byte). */
  done(): boolean {
    return this.#i === this.#b.length;
  }
}

/** Key names as bytes, for {@link FrameScan.keyOf}. */
export type KeyNames = readonly Uint8Array[];

/** Key names (text that needs no escaping) as bytes, made once. */
export function keyNames(...names: readonly string[]): KeyNames {
  return names.map((name) => framePart(name));
}

const EMPTY = new Uint8Array(0);
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const ZERO = 0x30;
const NINE = 0x39;
const EQUALS = 0x3d;

/** 1 for the bytes of base64's alphabet (`A–Z a–z 0–9 + /`), 0 for every other byte. */
const BASE64_ALPHABET = (() => {
  const table = new Uint8Array(256);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let k = 0; k < alphabet.length; k++) table[alphabet.charCodeAt(k)] = 1;
  return table;
})();

/** {@link FrameScan.keyOf}: the object closed. */
export const END = -1;
/** {@link FrameScan.keyOf}: not a plain frame, or a key not asked for. */
export const NOT_PLAIN = -2;
