import { describe, expect, it } from 'vitest';
import { owedResume } from '../../src/runtime/call-record.js';
import { reduceCall } from '../../src/runtime/call-reducer.js';
import { RECORDS, reduceContext } from '../runtime/shell-fakes.js';

/**
 * A failed transfer's `resume` is owed to the agent until a worker records telling it
 * (`agent.resumed`); a caller's stream that joins while it is owed tells it then. Found by the
 * cluster test: the worker that applied a busy leg's end was SIGKILLed before relaying `resume`
 * to the worker holding the agent's socket, and the agent waited in silence with the caller.
 */
describe('the resume the agent is owed', () => {
  it('a failed transfer owes its resume until agent.resumed records it; then nothing is owed', () => {
    const busy = RECORDS.warmBusy();
    expect(busy.phase).toBe('ai');
    expect(owedResume(busy)).toEqual({ transferId: 'CA1.t1', outcome: 'busy' });
    const told = reduceCall(busy, { type: 'agent.resumed', transferId: 'CA1.t1' }, reduceContext());
    expect(told?.record.resumeTold).toBe('CA1.t1');
    expect(owedResume(told!.record)).toBeUndefined();
    // Told once: recording it again changes nothing.
    expect(
      reduceCall(told!.record, { type: 'agent.resumed', transferId: 'CA1.t1' }, reduceContext()),
    ).toBeNull();
  });

  it('nothing is owed while the transfer runs, after a connected one, or once this session told it', () => {
    expect(owedResume(RECORDS.warmHeld())).toBeUndefined();
    expect(owedResume(RECORDS.ai())).toBeUndefined();
    expect(owedResume(RECORDS.warmBusy(), new Set(['CA1.t1']))).toBeUndefined();
  });
});
