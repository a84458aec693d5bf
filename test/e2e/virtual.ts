import { expect } from 'vitest';
import type { AudioSpec } from '../../sim/audio.js';
import type { SimCall } from '../../sim/endpoints/caller.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { CALLER, type Harness, type HarnessOptions, INBOUND, startHarness } from './harness.js';

/**
 * End-to-end runs on virtual time (src/lib/virtual-time.ts): the daemon, the simulator and the
 * scripted agent share one `VirtualTime` and the memory store, over real loopback sockets. Rings,
 * holds and whispers cost no wall time, and a run repeats exactly given the same IO.
 */
export interface VirtualRun {
  readonly h: Harness;
  readonly time: VirtualTime;
  /** Wall ms since the run started. */
  wallMs(): number;
  placeCall(options?: { readonly audio?: AudioSpec; readonly hangupAfterMs?: number }): Promise<SimCall>;
  /** Resolves with the call's record once `predicate` holds, checked before virtual time moves on. */
  record(callId: string, predicate: (r: CallRecord) => boolean, what?: string): Promise<CallRecord>;
  /** Resolves once `predicate` holds, checked before virtual time moves on (120 virtual s at most). */
  until(predicate: () => boolean, what?: string): Promise<void>;
  stop(): Promise<void>;
}

const TONE_440: AudioSpec = { type: 'tone', hz: 440 };

/**
 * Starts a harness on a fresh virtual time. Time starts moving only once the harness is up, so
 * every run of a scenario begins at the same virtual instant.
 */
export async function startVirtual(options: HarnessOptions): Promise<VirtualRun> {
  const carrier = options.carrier ?? 'twilio';
  const time = new VirtualTime();
  const h = await startHarness({ ...options, carrier, time, memoryStore: true });
  const wallStart = performance.now();
  time.start();
  return {
    h,
    time,
    wallMs: () => performance.now() - wallStart,
    placeCall: (o = { audio: TONE_440 }) =>
      h.sim.network.placeCall({ carrier, from: CALLER, to: INBOUND, ...o }),
    async record(callId, predicate, what = 'the record to meet the condition') {
      let found: CallRecord | undefined;
      await time.runUntil(
        async () => {
          const r = await h.app.engine.get(callId);
          if (r === undefined || !predicate(r)) return false;
          found = r;
          return true;
        },
        { what },
      );
      expect(found).toBeDefined();
      return found as CallRecord;
    },
    until: (predicate, what) => time.runUntil(predicate, what === undefined ? {} : { what }),
    async stop() {
      await h.stop();
      time.stop();
    },
  };
}

/** The call's record once its first transfer is over and the caller is back with the AI. */
export function backWithAi(run: VirtualRun, callId: string): Promise<CallRecord> {
  return run.record(
    callId,
    (r) => r.phase === 'ai' && r.transfers.length === 1,
    'the transfer over, back with the AI',
  );
}
