import { describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import type { TransferMode } from '../../src/domain/outcome.js';
import {
  isTransferTerminal,
  startTransfer,
  stepTransfer,
  type TransferState,
  whisperBudgetMs,
} from '../../src/transfer/machine.js';
import type { TransferInput } from '../../src/transfer/machine-types.js';
import { TRANSFER_MODES } from '../../src/transfer/modes.js';
import type { TransferPlan } from '../../src/transfer/plan-types.js';

const ctx = { nowMs: 5_000 };

function inputFor(mode: TransferMode, chain: readonly string[] = ['+14155550101']): TransferInput {
  const plan: TransferPlan = {
    mode,
    chain,
    ringTimeoutMs: mode === 'cold' ? 10_000 : 15_000,
    callerId: '+14155550100',
    whisper: mode === 'cold' ? { kind: 'none' } : { kind: 'static', text: 'Billing question.' },
    holdAudioUrl: undefined,
    reason: 'test',
    trigger: 'api',
  };
  return { transferId: 'tr', callId: 'ca', plan, handoffWaitMs: 3_000 };
}

function isModeMismatch(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof DaemonError && err.code === 'transfer_mode_mismatch';
  }
}

describe('the mode registry', () => {
  it.each<TransferMode>(['cold', 'warm'])('returns the %s machine', (mode) => {
    const machine = TRANSFER_MODES.get(mode).machine;
    expect(machine.mode).toBe(mode);
    const { state } = machine.initial(inputFor(mode), ctx);
    expect(state.mode).toBe(mode);
    expect(machine.isTerminal(state)).toBe(false);
  });

  it('startTransfer and stepTransfer pick the machine from the plan and the state', () => {
    const cold = startTransfer(inputFor('cold'), ctx).state;
    const warm = startTransfer(inputFor('warm'), ctx).state;
    expect([cold.phase, warm.phase]).toEqual(['handoff', 'dialing']);
    // The same event means different things: cold dials, warm puts the caller on hold.
    const played = { type: 'handoff.played' } as const;
    expect(stepTransfer(cold, played, ctx).effects.map((e) => e.type)).toContain('carrier.dial');
    expect(stepTransfer(warm, played, ctx).effects.map((e) => e.type)).toContain('caller.hold');
  });

  it('refuses a plan or a state of the other mode, loudly', () => {
    expect(isModeMismatch(() => TRANSFER_MODES.get('cold').machine.initial(inputFor('warm'), ctx))).toBe(
      true,
    );
    expect(isModeMismatch(() => TRANSFER_MODES.get('warm').machine.initial(inputFor('cold'), ctx))).toBe(
      true,
    );
    const cold = startTransfer(inputFor('cold'), ctx).state;
    expect(
      isModeMismatch(() => TRANSFER_MODES.get('warm').machine.step(cold, { type: 'caller.hangup' }, ctx)),
    ).toBe(true);
    expect(isModeMismatch(() => TRANSFER_MODES.get('warm').machine.isTerminal(cold))).toBe(true);
  });
});

describe('start', () => {
  it.each<TransferMode>(['cold', 'warm'])(
    '%s: an empty chain ends at once with missing_transfer_number',
    (mode) => {
      const { state, effects } = startTransfer(inputFor(mode, []), ctx);
      expect(isTransferTerminal(state)).toBe(true);
      expect(state.phase).toBe('returned');
      expect(effects).toEqual([
        { type: 'agent.status', status: 'failed' },
        { type: 'agent.resume', outcome: 'missing_transfer_number' },
        { type: 'flag.clear' },
        { type: 'transfer.ended', outcome: 'missing_transfer_number' },
      ]);
    },
  );

  it.each<TransferMode>(['cold', 'warm'])('%s: the state equals its saved JSON form', (mode) => {
    const { state } = startTransfer(inputFor(mode), ctx);
    expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
    expect('holdAudioUrl' in state.plan).toBe(false);
  });

  it('a state loaded back from JSON steps like the original', () => {
    const { state } = startTransfer(inputFor('warm'), ctx);
    const loaded = JSON.parse(JSON.stringify(state)) as TransferState;
    const event = { type: 'leg.answered', legId: 'tr:0' } as const;
    expect(stepTransfer(loaded, event, ctx)).toStrictEqual(stepTransfer(state, event, ctx));
  });

  it('the whisper budget grows with the text and stays bounded', () => {
    expect(whisperBudgetMs('')).toBe(3_000);
    expect(whisperBudgetMs('x'.repeat(100))).toBe(13_000);
    expect(whisperBudgetMs('x'.repeat(10_000))).toBe(60_000);
  });
});
