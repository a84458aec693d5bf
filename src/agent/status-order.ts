import type { TransferStatus } from '../transfer/machine-types.js';

/**
 * Where each status stands in a transfer's progress. A leg goes started < dialing < ringing <
 * answered < whispering; a later leg of the chain starts again from dialing, and is ahead of
 * everything of the legs before it; `connected` and `failed` end the transfer.
 */
const RANK: Readonly<Record<TransferStatus, number>> = {
  started: 0,
  dialing: 1,
  ringing: 2,
  answered: 3,
  whispering: 4,
  connected: Number.POSITIVE_INFINITY,
  failed: Number.POSITIVE_INFINITY,
};

/** Transfers remembered per call (a call has at most 20, MAX_TRANSFERS_PER_CALL). */
const MAX_TRANSFERS = 32;

interface Position {
  readonly leg: number;
  readonly rank: number;
}

/**
 * Keeps the `transfer_status` an agent sees moving forward only. Statuses are decided in order,
 * but they can reach the socket out of order: a carrier may report a leg ringing before it
 * answered the request that placed it (Twilio's status callbacks may overtake the REST answer
 * to Calls create), and the effects of two events of one call run concurrently. A status behind
 * the last one sent for its transfer is dropped, never sent late.
 */
export class TransferStatusOrder {
  readonly #last = new Map<string, Position>();

  /**
   * Whether `status` moves `transferId` forward (and is then remembered as sent). `legIndex` is
   * the position in the chain of the leg it is about; none for `started` and the terminal ones.
   */
  admit(transferId: string, status: TransferStatus, legIndex: number | undefined): boolean {
    const rank = RANK[status];
    const next: Position = {
      leg: rank === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : (legIndex ?? -1),
      rank,
    };
    const last = this.#last.get(transferId);
    if (last !== undefined && (next.leg < last.leg || (next.leg === last.leg && next.rank <= last.rank))) {
      return false;
    }
    this.#last.delete(transferId);
    this.#last.set(transferId, next);
    if (this.#last.size > MAX_TRANSFERS) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
    return true;
  }
}
