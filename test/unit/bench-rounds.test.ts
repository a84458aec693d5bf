import { describe, expect, it } from 'vitest';
import { mergeCounters } from '../../bench/control/phase.js';
import { type DispatchRecord, type InstrumentCounters, newCounters } from '../../bench/lib/instrument.js';

/**
 * The control bench pools a slow phase's rounds (bench/control/phase.ts): one round at 10/s has
 * 25 warm triggers, whose "p99" is their maximum; six rounds give 150 samples.
 */

function dispatch(callId: string, restAfterMs: number): DispatchRecord {
  return {
    callId,
    input: 'transfer.request',
    status: 'applied',
    startedAtMs: 1_000,
    durationMs: 1,
    commands: 1,
    restAfterMs,
  };
}

function round(calls: number, first: number): InstrumentCounters {
  const c = newCounters();
  for (let i = 0; i < calls; i++) c.dispatches.push(dispatch(`call-${first + i}`, 2 + i / 100));
  c.commandsByMethod['applyEvent'] = calls;
  c.commandsOutsideDispatch['calls.get'] = 1;
  c.commandsTotal = calls + 1;
  return c;
}

describe('pooled rounds of a control phase', () => {
  it('keeps every dispatch of every round and adds up the command counts', () => {
    const merged = mergeCounters([round(25, 0), round(25, 25), round(25, 50)]);
    expect(merged.dispatches).toHaveLength(75);
    expect(new Set(merged.dispatches.map((d) => d.callId)).size).toBe(75);
    expect(merged.commandsByMethod).toEqual({ applyEvent: 75 });
    expect(merged.commandsOutsideDispatch).toEqual({ 'calls.get': 3 });
    expect(merged.commandsTotal).toBe(78);
  });

  it("adds the rounds' checks of REST matching", () => {
    const a = { ...round(1, 0), restMatchCheck: { checked: 10, mismatches: ['x'] } };
    const b = { ...round(1, 1), restMatchCheck: { checked: 5, mismatches: [] } };
    expect(mergeCounters([a, b]).restMatchCheck).toEqual({ checked: 15, mismatches: ['x'] });
  });
});
