/**
 * Marks sent toward the carrier, in the order they were sent (STYLE.md 6: marks are
 * acknowledged, not guessed). Twilio echoes a mark once the audio queued before it has played
 * (protocols.md §2.3); Plivo (`playedStream`) and Exotel do the same.
 *
 * Every mark gets its own wire name, so an agent that reuses a name, or a late echo of a mark
 * that was already answered by a `clear`, can never acknowledge the wrong mark.
 */

/** Why a mark was answered. */
export type MarkResult =
  /** The carrier echoed it: the audio before it has played. */
  | 'played'
  /** Barge-in (`clear`) discarded the audio before it. */
  | 'cleared'
  /** The carrier stream ended (or forwarding paused) before the audio played. */
  | 'detached'
  /** A queue cap dropped the mark before it reached the carrier (the peer was stalled). */
  | 'dropped';

/** Who is waiting for a mark: the agent (echo its own name back) or the daemon (a callback). */
export type MarkOwner =
  | { readonly kind: 'agent'; readonly name: string }
  | { readonly kind: 'daemon'; readonly name: string; readonly settle: (result: MarkResult) => void };

export type MarkAnswer = (owner: MarkOwner, result: MarkResult) => void;

interface Entry {
  readonly wire: string;
  readonly owner: MarkOwner;
  /** Set once the mark is answerable; answers still leave in registration order. */
  result?: MarkResult;
}

export class MarkTracker {
  readonly #answer: MarkAnswer;
  #pending: Entry[] = [];
  #seq = 0;
  #unknownEchoes = 0;

  /** `answer` is called once per mark, in the order the marks were registered. */
  constructor(answer: MarkAnswer) {
    this.#answer = answer;
  }

  /** Registers a mark and returns the wire name to send to the carrier. */
  register(owner: MarkOwner): string {
    this.#seq += 1;
    const wire = `pt${this.#seq}`;
    this.#pending.push({ wire, owner });
    return wire;
  }

  /** Marks not answered yet. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Echoes of names never registered, or already answered (e.g. after a clear). */
  get unknownEchoes(): number {
    return this.#unknownEchoes;
  }

  /**
   * The carrier echoed `wire`. Marks registered before it are answered too: the carrier plays in
   * order, so the audio before them has played as well.
   */
  echo(wire: string): void {
    const index = this.#pending.findIndex((entry) => entry.wire === wire && entry.result === undefined);
    if (index < 0) {
      this.#unknownEchoes += 1;
      return;
    }
    for (let i = 0; i <= index; i++) {
      const entry = this.#pending[i];
      if (entry !== undefined && entry.result === undefined) entry.result = 'played';
    }
    this.#drain();
  }

  /**
   * Answers one mark whose audio will never play (dropped from a queue, or sent while forwarding
   * was paused). It is answered once every mark registered before it has been answered.
   */
  settle(wire: string, result: MarkResult): void {
    const entry = this.#pending.find((candidate) => candidate.wire === wire);
    if (entry === undefined || entry.result !== undefined) return;
    entry.result = result;
    this.#drain();
  }

  /** Answers every pending mark, oldest first; marks already echoed keep their result. */
  settleAll(result: MarkResult): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const entry of pending) this.#answer(entry.owner, entry.result ?? result);
  }

  #drain(): void {
    let count = 0;
    while (count < this.#pending.length && this.#pending[count]?.result !== undefined) count += 1;
    for (const entry of this.#pending.splice(0, count)) this.#answer(entry.owner, entry.result ?? 'played');
  }
}
