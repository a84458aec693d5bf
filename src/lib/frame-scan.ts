/**
 * A strict scanner for the one frame a media socket carries 50 times a second per call: a flat
 * JSON object of string values, with at most one level of nested objects of string values
 * (`{"event":"media",…,"media":{"payload":"…",…}}`). It reads such a frame in place, without
 * building objects, and gives up — returns false — on anything else: whitespace, escapes,
 * numbers, arrays, deeper nesting, a duplicate or unknown key (the caller's check), a trailing
 * byte. A frame it gives up on goes to `JSON.parse` and the full checks, so the scanner only
 * decides the frames whose meaning is plain; test/unit/frame-scan.test.ts holds it to
 * `JSON.parse` over fuzzed frames.
 *
 * Pure; one instance per socket, reused for every frame.
 */
export class FrameScan {
  #text = '';
  #i = 0;
  /** The last string value read: `[valueStart, valueEnd)` of the text. */
  valueStart = 0;
  valueEnd = 0;

  /** Starts on a frame: true when it opens with `{`. */
  begin(text: string): boolean {
    this.#text = text;
    this.#i = 1;
    return text.charCodeAt(0) === OPEN;
  }

  /**
   * The next key of the object being read, or `null` at its closing `}` (consumed), or
   * `undefined` when the frame is not plain. After the first key, a `,` must come first.
   */
  key(first: boolean): string | null | undefined {
    const text = this.#text;
    let c = text.charCodeAt(this.#i);
    if (c === CLOSE) {
      this.#i += 1;
      return null;
    }
    if (!first) {
      if (c !== COMMA) return undefined;
      this.#i += 1;
      c = text.charCodeAt(this.#i);
    }
    if (c !== QUOTE) return undefined;
    const start = this.#i + 1;
    const end = this.#stringEnd(start);
    if (end < 0 || text.charCodeAt(end + 1) !== COLON) return undefined;
    this.#i = end + 2;
    return text.slice(start, end);
  }

  /** Reads a string value: true, with its span in `valueStart`/`valueEnd`. */
  string(): boolean {
    if (this.#text.charCodeAt(this.#i) !== QUOTE) return false;
    const start = this.#i + 1;
    const end = this.#stringEnd(start);
    if (end < 0) return false;
    this.valueStart = start;
    this.valueEnd = end;
    this.#i = end + 1;
    return true;
  }

  /** Reads a string value equal to `expected` (which must need no escaping). */
  stringEquals(expected: string): boolean {
    return (
      this.string() &&
      this.valueEnd - this.valueStart === expected.length &&
      this.#text.startsWith(expected, this.valueStart)
    );
  }

  /** Reads a string value of one or more decimal digits. */
  digits(): boolean {
    if (!this.string() || this.valueEnd === this.valueStart) return false;
    const text = this.#text;
    for (let j = this.valueStart; j < this.valueEnd; j++) {
      const c = text.charCodeAt(j);
      if (c < DIGIT_0 || c > DIGIT_9) return false;
    }
    return true;
  }

  /**
   * Reads a string value of canonical-length base64 (`[A-Za-z0-9+/]*` then up to two `=`, a
   * multiple of 4 long) and returns it, or undefined.
   */
  base64(): string | undefined {
    if (!this.string()) return undefined;
    const text = this.#text;
    const start = this.valueStart;
    const end = this.valueEnd;
    if ((end - start) % 4 !== 0) return undefined;
    let j = start;
    for (; j < end; j++) if (BASE64[text.charCodeAt(j)] !== 1) break;
    if (j < end && text.charCodeAt(j) === EQUALS) {
      j += 1;
      if (j < end && text.charCodeAt(j) === EQUALS) j += 1;
    }
    if (j !== end) return undefined;
    return text.slice(start, end);
  }

  /** Opens a nested object value: true on `{`. */
  open(): boolean {
    if (this.#text.charCodeAt(this.#i) !== OPEN) return false;
    this.#i += 1;
    return true;
  }

  /** True when the whole frame was read (the outer object closed at the last byte). */
  done(): boolean {
    return this.#i === this.#text.length;
  }

  /** Index of the closing quote of a string starting at `start`, or -1 (escape, control, end). */
  #stringEnd(start: number): number {
    const text = this.#text;
    const n = text.length;
    for (let j = start; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) return j;
      if (c === BACKSLASH || c < 0x20) return -1;
    }
    return -1;
  }
}

const OPEN = 0x7b;
const CLOSE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const BASE64 = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  BASE64[c.charCodeAt(0)] = 1;
