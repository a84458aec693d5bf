import type { Carrier } from '../domain/carrier.js';
import { every, type Timers } from '../lib/time.js';
import type { CallStore, DedupeStore } from '../store/types.js';
import type { CallRecord } from './call-record.js';

/** Options of {@link CallLiveness}. Every duration is in ms. */
export interface CallLivenessOptions {
  readonly calls: Pick<CallStore<CallRecord>, 'listActive'>;
  /** One check per call per interval across every worker: the first worker to claim it asks. */
  readonly dedupe: Pick<DedupeStore, 'claim'>;
  /**
   * How to ask a carrier whether a call is still live (its control's `callLive`); `undefined` when
   * the carrier cannot say (its calls are left to their own bounds).
   */
  readonly callLive: (carrier: Carrier) => ((carrierCallId: string) => Promise<boolean>) | undefined;
  /** This worker holds the call's open media stream: the carrier is still sending it, so it is live. */
  readonly streamingHere: (callId: string) => boolean;
  /** The carrier says the call is over: apply its end (`call.ended`, via the status check). */
  readonly ended: (callId: string) => Promise<void>;
  readonly now: () => number;
  readonly timers: Timers;
  /** Between two sweeps; a call is asked about at most once per interval. 0: never. */
  readonly intervalMs: number;
  /** A call whose record changed more recently than this is not asked about. Default `intervalMs`. */
  readonly idleMs?: number;
  /** Carrier requests in flight at once during a sweep. Default 8. */
  readonly concurrency?: number;
  /** A check that failed (the next sweep asks again). */
  readonly onError?: (err: unknown, callId?: string) => void;
}

/**
 * The backstop for a final status callback that never came. Carriers may lose one (Twilio
 * retries only with connection overrides, Plivo retries for a bounded time, Exotel says its
 * StatusCallback "may fail" and points at its Call Details API; docs/simulator.md), and a call
 * whose end is never reported would stay live in the record forever: shown on the console, counted
 * in the metrics, its agent's `transfer:{id}` flag kept. So every worker sweeps the calls that are
 * not ended and have been quiet for a while, asks the carrier whether each is still live (one
 * `GET` per call per interval across the cluster), and applies the end of a call the carrier
 * says is over, noted as learned from the status check.
 *
 * A call whose stream this worker holds open is live (the carrier ends the stream when the call
 * ends) and is not asked about.
 */
export class CallLiveness {
  readonly #o: Required<CallLivenessOptions>;
  #stop: (() => void) | undefined;
  #sweep: Promise<number> | undefined;

  constructor(options: CallLivenessOptions) {
    this.#o = {
      idleMs: options.intervalMs,
      concurrency: 8,
      onError: () => undefined,
      ...options,
    };
  }

  start(): void {
    if (this.#o.intervalMs <= 0 || this.#stop !== undefined) return;
    this.#stop = every(this.#o.timers, this.#o.intervalMs, () => {
      if (this.#sweep !== undefined) return; // the last one is still asking
      this.#sweep = this.sweep()
        .catch((err: unknown) => {
          this.#o.onError(err);
          return 0;
        })
        .finally(() => {
          this.#sweep = undefined;
        });
    });
  }

  /** Stops sweeping; waits for the sweep in flight. */
  async stop(): Promise<void> {
    this.#stop?.();
    this.#stop = undefined;
    await this.#sweep;
  }

  /** One sweep now; resolves with how many calls it found over and ended. */
  async sweep(): Promise<number> {
    const o = this.#o;
    const nowMs = o.now();
    const quiet = (await o.calls.listActive()).filter(
      (c) =>
        c.endedAtMs === undefined && c.record.phase !== 'ended' && nowMs - lastChangeMs(c.record) >= o.idleMs,
    );
    let ended = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < quiet.length) {
        const call = quiet[next++];
        if (call === undefined) return;
        try {
          if (await this.#check(call.record, nowMs)) ended += 1;
        } catch (err) {
          o.onError(err, call.callId);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, quiet.length) }, worker));
    return ended;
  }

  /** True when the carrier said the call is over and its end was applied. */
  async #check(record: CallRecord, nowMs: number): Promise<boolean> {
    const o = this.#o;
    if (o.streamingHere(record.callId)) return false;
    const callLive = o.callLive(record.carrier);
    if (callLive === undefined) return false;
    const slot = Math.floor(nowMs / o.intervalMs);
    const mine = await o.dedupe.claim(`live|${record.callId}|${slot}`, {
      callId: record.callId,
      ttlMs: 2 * o.intervalMs,
    });
    if (!mine || (await callLive(record.callId))) return false;
    await o.ended(record.callId);
    return true;
  }
}

/** When the record last changed: its own timeline or the running transfer's, whichever is later. */
function lastChangeMs(record: CallRecord): number {
  const own = record.timeline.at(-1)?.atMs ?? record.createdAtMs;
  const transfer = record.transfer?.timeline.at(-1)?.atMs ?? 0;
  return Math.max(own, transfer, record.createdAtMs);
}
