import { describe, expect, it } from 'vitest';
import { transferTimings } from '../../src/ops/transfer-timings.js';
import type { TransferState } from '../../src/transfer/machine.js';
import type { TransferEvent } from '../../src/transfer/machine-types.js';
import { TRANSFER_MODES } from '../../src/transfer/modes.js';
import type { TransferPlan } from '../../src/transfer/plan-types.js';

const plan = (mode: 'cold' | 'warm'): TransferPlan => ({
  mode,
  chain: ['+14155550111', '+14155550112'],
  ringTimeoutMs: 10_000,
  callerId: '+14155559999',
  whisper: mode === 'warm' ? { kind: 'static', text: 'Billing question.' } : { kind: 'none' },
  reason: 'test',
  trigger: 'api',
});

function play(mode: 'cold' | 'warm', events: readonly [number, TransferEvent][]): TransferState {
  const machine = TRANSFER_MODES.get(mode).machine;
  let state = machine.initial(
    { transferId: 'c.t1', callId: 'c', plan: plan(mode), handoffWaitMs: 4000 },
    { nowMs: 1_000 },
  ).state as TransferState;
  for (const [nowMs, event] of events) {
    state = (
      machine.step as (s: TransferState, e: TransferEvent, c: { nowMs: number }) => { state: TransferState }
    )(state, event, { nowMs }).state;
  }
  return state;
}

describe('transfer timings for the metrics', () => {
  it('cold: ring time of the leg that answered (after a busy one), time to human from the start', () => {
    const state = play('cold', [
      [1_500, { type: 'handoff.played' }],
      [2_000, { type: 'leg.ended', legId: 'c.t1:0', status: 'busy' }],
      [2_500, { type: 'leg.ringing', legId: 'c.t1:1' }],
      [6_000, { type: 'leg.answered', legId: 'c.t1:1' }],
    ]);
    expect(state.outcome).toBe('connected');
    expect(transferTimings(state)).toEqual({ ringMs: 4_000, timeToHumanMs: 5_000 });
  });

  it('warm: the first leg rings from the start (dialed while the handoff plays); time to human at the join', () => {
    const state = play('warm', [
      [1_200, { type: 'handoff.played' }],
      [1_300, { type: 'caller.held' }],
      [3_200, { type: 'leg.answered', legId: 'c.t1:0' }],
      [5_000, { type: 'whisper.played', legId: 'c.t1:0' }],
      [5_500, { type: 'human.joined', legId: 'c.t1:0' }],
      // The carrier's word that the caller is still there, before `connected`.
      [5_800, { type: 'caller.present' }],
    ]);
    expect(state.outcome).toBe('connected');
    expect(transferTimings(state)).toEqual({ ringMs: 2_200, timeToHumanMs: 4_500 });
  });

  it('nothing for a transfer that did not connect', () => {
    const state = play('cold', [
      [1_500, { type: 'handoff.played' }],
      [2_000, { type: 'transfer.cancel', by: 'api' }],
    ]);
    expect(state.outcome).toBe('canceled');
    expect(transferTimings(state)).toEqual({});
  });
});
