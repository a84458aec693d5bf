import { systemTimers, type Timers } from '../media/clock.js';

/**
 * Without `final`, the chain closes once the agent's text has been quiet this long after its
 * last delta, in ms: an LLM streams a turn's tokens tens of ms apart, so a pause this long is
 * the turn's end.
 */
export const TAG_CHAIN_QUIET_MS = 800;
/** However the text goes on, a chain is closed this long after its first tag, in ms. */
export const TAG_CHAIN_MAX_MS = 4000;

export interface TagChainOptions {
  /** The chain of one turn: its tags' destinations, in the order the agent wrote them. */
  readonly onChain: (destinations: readonly string[]) => void;
  readonly timers?: Timers;
  readonly quietMs?: number;
  readonly maxMs?: number;
}

/**
 * Collects the `[TRANSFER:…]` tags of one agent turn into one fallback chain (nixflex: several
 * tags in one turn are tried in order). LLMs stream each tag in its own `text` delta, so a tag is
 * not a request on its own: the chain is handed over when the turn ends — the `text` event with
 * `final: true` — or, for an agent that never marks its turns, after {@link TAG_CHAIN_QUIET_MS}
 * without text, and at the latest {@link TAG_CHAIN_MAX_MS} after the first tag.
 */
export class TagChain {
  readonly #onChain: (destinations: readonly string[]) => void;
  readonly #timers: Timers;
  readonly #quietMs: number;
  readonly #maxMs: number;
  #tags: string[] = [];
  #quiet: unknown;
  #max: unknown;

  constructor(options: TagChainOptions) {
    this.#onChain = options.onChain;
    this.#timers = options.timers ?? systemTimers;
    this.#quietMs = options.quietMs ?? TAG_CHAIN_QUIET_MS;
    this.#maxMs = options.maxMs ?? TAG_CHAIN_MAX_MS;
  }

  /** Number of tags waiting for the turn to end. */
  get pending(): number {
    return this.#tags.length;
  }

  /** One `text` delta: the tags it completed (possibly none), and whether it ended the turn. */
  text(tags: readonly string[], final: boolean): void {
    if (tags.length > 0) {
      if (this.#tags.length === 0) this.#max = this.#timers.setTimeout(() => this.#close(), this.#maxMs);
      this.#tags.push(...tags);
    }
    if (this.#tags.length === 0) return;
    if (final) {
      this.#close();
      return;
    }
    if (this.#quiet !== undefined) this.#timers.clearTimeout(this.#quiet);
    this.#quiet = this.#timers.setTimeout(() => this.#close(), this.#quietMs);
  }

  /** The call or the agent is gone: tags not handed over yet are dropped. */
  stop(): void {
    this.#disarm();
    this.#tags = [];
  }

  #close(): void {
    this.#disarm();
    const tags = this.#tags;
    this.#tags = [];
    if (tags.length > 0) this.#onChain(tags);
  }

  #disarm(): void {
    if (this.#quiet !== undefined) this.#timers.clearTimeout(this.#quiet);
    if (this.#max !== undefined) this.#timers.clearTimeout(this.#max);
    this.#quiet = undefined;
    this.#max = undefined;
  }
}
