/**
 * `[TRANSFER:…]` tags in the agent's streamed text (nixflex seed 002): "The tag never gets
 * spoken — the engine strips it before audio plays." Several tags in one turn form a fallback
 * chain, in order.
 *
 * The scanner works on a stream of text chunks split anywhere. Its output does not depend on
 * where the chunks were split, and no part of a tag ever reaches `speak`:
 * - anything starting with `[TRANSFER` (case-insensitive) is tag material. `[TRANSFER:` + content
 *   + `]` is a tag; any other `[TRANSFER…]` is malformed. Neither is spoken.
 * - a trailing prefix of `[TRANSFER` (`[`, `[TRA`) is held back, and released as soon as the
 *   next character shows it is not a tag.
 * - a tag longer than {@link MAX_TAG_LENGTH} without its `]` is dropped as malformed at that
 *   point, so an unterminated `[TRANSFER:` cannot hold speech back for the rest of the turn.
 * - text left held at the end of a turn (an unterminated tag, or a bare `[TRA`) is dropped as
 *   malformed.
 * - removing a tag must not let the text around it spell a new one: in `[[TRANSFER:x]TRANSFER:…]`
 *   the `[` before and the `TRANSFER:…]` after would join. What follows such a join is dropped as
 *   malformed — spoken neither as text nor taken as a tag.
 *
 * Tag contents and malformed text may contain phone numbers: log them only under `pii.*`.
 */

/** Longest tag accepted, in characters, from `[` to `]` inclusive. */
export const MAX_TAG_LENGTH = 128;

const OPENER = '[transfer';

export interface TagScanOutput {
  /** Text to speak (tags removed). */
  readonly speak: string;
  /** Contents of the tags completed in this call, trimmed, in order (`+442087601234`). */
  readonly tags: readonly string[];
}

export interface TagTurnEnd extends TagScanOutput {
  /** Malformed or unterminated tag text dropped during the turn, in order. */
  readonly malformed: readonly string[];
}

/** Stateful scanner for one agent's text stream; call {@link endTurn} when a turn ends. */
export class TransferTagScanner {
  #inTag = false;
  /** Text mode: held opener prefix, not spoken yet. Tag mode: the tag's text so far. */
  #held = '';
  /** Text mode: length of an opener prefix already spoken right before a removed tag. */
  #ghost = 0;
  /** Tag mode: the opener was completed across a removed tag, so this can only be malformed. */
  #forced = false;
  /** The last few characters spoken, to find a ghost prefix after a removal. */
  #spokenTail = '';
  #malformed: string[] = [];
  #speak: string[] = [];
  #tags: string[] = [];

  /** Scans the next chunk of the turn's text. */
  push(chunk: string): TagScanOutput {
    let i = 0;
    while (i < chunk.length) {
      i = this.#inTag ? this.#scanTag(chunk, i) : this.#scanText(chunk, i);
    }
    return this.#flush();
  }

  /** Ends the turn: drops whatever is still held (as malformed) and resets the scanner. */
  endTurn(): TagTurnEnd {
    if (this.#held !== '') this.#malformed.push(this.#held);
    const out = this.#flush();
    const malformed = this.#malformed;
    this.#inTag = false;
    this.#held = '';
    this.#ghost = 0;
    this.#forced = false;
    this.#spokenTail = '';
    this.#malformed = [];
    return { ...out, malformed };
  }

  #scanText(chunk: string, start: number): number {
    let i = start;
    if (this.#held === '' && this.#ghost === 0) {
      // Fast path: nothing held, so everything up to the next `[` is plain speech.
      const bracket = chunk.indexOf('[', i);
      const end = bracket < 0 ? chunk.length : bracket;
      if (end > i) this.#say(chunk.slice(i, end));
      if (bracket < 0) return chunk.length;
      i = bracket;
    }
    const c = chunk[i]!;
    const candidate = (OPENER.slice(0, this.#ghost) + this.#held + c).toLowerCase();
    if (OPENER.startsWith(candidate)) {
      if (candidate.length === OPENER.length) {
        this.#inTag = true;
        this.#forced = this.#ghost > 0;
        this.#held += c;
        this.#ghost = 0;
      } else {
        this.#held += c;
      }
      return i + 1;
    }
    // Not a tag after all: what was held is speech. Only a `[` can start a new match.
    if (this.#held !== '') this.#say(this.#held);
    this.#held = '';
    this.#ghost = 0;
    if (c === '[') this.#held = c;
    else this.#say(c);
    return i + 1;
  }

  #scanTag(chunk: string, start: number): number {
    const room = MAX_TAG_LENGTH - this.#held.length;
    const close = chunk.indexOf(']', start);
    if (close >= 0 && close - start + 1 <= room) {
      this.#held += chunk.slice(start, close + 1);
      this.#finishTag();
      return close + 1;
    }
    if (chunk.length - start < room) {
      this.#held += chunk.slice(start);
      return chunk.length;
    }
    this.#held += chunk.slice(start, start + room);
    this.#malformed.push(this.#held);
    this.#afterRemoval();
    return start + room;
  }

  #finishTag(): void {
    const body = /^\s*:([\s\S]*)\]$/.exec(this.#held.slice(OPENER.length));
    const content = body?.[1]?.trim() ?? '';
    if (this.#forced || content === '') this.#malformed.push(this.#held);
    else this.#tags.push(content);
    this.#afterRemoval();
  }

  /** Back to text; the spoken text just before the removed part may begin a new opener. */
  #afterRemoval(): void {
    this.#inTag = false;
    this.#forced = false;
    this.#held = '';
    this.#ghost = 0;
    const tail = this.#spokenTail.toLowerCase();
    for (let k = Math.min(tail.length, OPENER.length - 1); k > 0; k--) {
      if (OPENER.startsWith(tail.slice(-k))) {
        this.#ghost = k;
        break;
      }
    }
  }

  #say(text: string): void {
    this.#speak.push(text);
    this.#spokenTail = (this.#spokenTail + text).slice(-(OPENER.length - 1));
  }

  #flush(): TagScanOutput {
    const out = { speak: this.#speak.join(''), tags: this.#tags };
    this.#speak = [];
    this.#tags = [];
    return out;
  }
}
