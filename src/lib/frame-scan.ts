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
   * The next key of the object being read, as its index in `names`, read in place (no string is
   * made): {@link END} at the object's closing `}` (consumed), {@link NOT_PLAIN} when the frame
   * is not plain or the key is none of `names`. After the first key, a `,` must come first.
   * `names` must need no escaping.
   */
  keyOf(first: boolean, names: readonly string[]): number {
    const text = this.#text;
    let i = this.#i;
    let c = text.charCodeAt(i);
    if (c === CLOSE) {
      this.#i = i + 1;
      return END;
    }
    if (!first) {
      if (c !== COMMA) return NOT_PLAIN;
      i += 1;
      c = text.charCodeAt(i);
    }
    if (c !== QUOTE) return NOT_PLAIN;
    const start = i + 1;
    // A key with an escape or a control character never equals a known name: the caller gives up.
    const end = text.indexOf('"', start);
    if (end < 0 || text.charCodeAt(end + 1) !== COLON) return NOT_PLAIN;
    const length = end - start;
    for (let k = 0; k < names.length; k++) {
      const name = names[k] as string;
      if (name.length !== length) continue;
      let j = 0;
      while (j < length && text.charCodeAt(start + j) === name.charCodeAt(j)) j += 1;
      if (j === length) {
        this.#i = end + 2;
        return k;
      }
    }
    return NOT_PLAIN;
  }

  /** Reads a plain string value (no escape, no control character), its span in `valueStart`/`valueEnd`. */
  string(): boolean {
    return this.#match(PLAIN_STRING);
  }

  /** Reads a string value equal to `expected` (which must need no escaping). */
  stringEquals(expected: string): boolean {
    const text = this.#text;
    const start = this.#i + 1;
    const end = start + expected.length;
    if (
      text.charCodeAt(this.#i) !== QUOTE ||
      text.charCodeAt(end) !== QUOTE ||
      !text.startsWith(expected, start)
    )
      return false;
    this.valueStart = start;
    this.valueEnd = end;
    this.#i = end + 1;
    return true;
  }

  /** Reads a string value of one or more decimal digits. */
  digits(): boolean {
    // Short values (a sequence number, a timestamp): a loop costs less than a regex call here.
    const text = this.#text;
    if (text.charCodeAt(this.#i) !== QUOTE) return false;
    const start = this.#i + 1;
    let i = start;
    let c = text.charCodeAt(i);
    while (c >= ZERO && c <= NINE) c = text.charCodeAt(++i);
    if (i === start || c !== QUOTE) return false;
    this.valueStart = start;
    this.valueEnd = i;
    this.#i = i + 1;
    return true;
  }

  /**
   * Reads a string value of canonical-length base64 (`[A-Za-z0-9+/]*` then up to two `=`, a
   * multiple of 4 long) and returns it, or undefined.
   */
  base64(): string | undefined {
    if (!this.#match(BASE64) || (this.valueEnd - this.valueStart) % 4 !== 0) return undefined;
    return this.#text.slice(this.valueStart, this.valueEnd);
  }

  /**
   * A string value whose characters and closing quote `pattern` (sticky) matches; the pattern
   * runs in the regex engine's native code, far faster than a loop over `charCodeAt`.
   */
  #match(pattern: RegExp): boolean {
    const text = this.#text;
    if (text.charCodeAt(this.#i) !== QUOTE) return false;
    const start = this.#i + 1;
    pattern.lastIndex = start;
    if (!pattern.test(text)) return false;
    this.#i = pattern.lastIndex;
    this.valueStart = start;
    this.valueEnd = this.#i - 1;
    return true;
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
}

const OPEN = 0x7b;
const CLOSE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const ZERO = 0x30;
const NINE = 0x39;

/** {@link FrameScan.keyOf}: the object closed. */
export const END = -1;
/** {@link FrameScan.keyOf}: not a plain frame, or a key not asked for. */
export const NOT_PLAIN = -2;

/** Sticky patterns for a string value's characters and its closing quote. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings exclude raw control characters
const PLAIN_STRING = /[^"\\\u0000-\u001f]*"/y;
const BASE64 = /[A-Za-z0-9+/]*={0,2}"/y;
