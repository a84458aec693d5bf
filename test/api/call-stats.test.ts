import { describe, expect, it } from 'vitest';
import { agentCallStats, callOutcome } from '../../src/http/api/call-view.js';
import type { TransferAttemptSummary } from '../../src/runtime/call-record.js';
import { type CallRecord, newCallRecord } from '../../src/runtime/call-record.js';

function ended(
  id: string,
  reason: CallRecord['endedReason'],
  outcomes: TransferAttemptSummary['outcome'][],
): CallRecord {
  const base = newCallRecord({
    callId: id,
    carrier: 'twilio',
    agentId: 'a',
    agentVersion: 1,
    direction: 'inbound',
    from: '+14155559999',
    to: '+14155550100',
    nowMs: 0,
  });
  return {
    ...base,
    phase: 'ended',
    endedReason: reason,
    endedAtMs: 10,
    transfers: outcomes.map((outcome, i) => ({
      transferId: `${id}.t${i + 1}`,
      mode: 'cold',
      trigger: 'api',
      chainLength: 1,
      startedAtMs: 1,
      ...(outcome === undefined ? {} : { outcome, endedAtMs: 5 }),
    })),
  };
}

describe('agent call stats', () => {
  it('transfer rate counts calls with an attempt; success rate counts those that reached a person', () => {
    const stats = agentCallStats([
      ended('a', 'caller_hangup', []),
      ended('b', 'caller_hangup', ['busy']),
      ended('c', 'transferred', ['no_answer', 'connected']),
      ended('d', 'agent_hangup', []),
    ]);
    expect(stats).toEqual({
      calls: 4,
      transferred: 2,
      connected: 1,
      transferRate: 0.5,
      transferSuccessRate: 0.5,
      endedReasons: { caller_hangup: 2, transferred: 1, agent_hangup: 1 },
      transferOutcomes: { busy: 1, no_answer: 1, connected: 1 },
      bridgeUnconfirmed: 0,
    });
    expect(agentCallStats([])).toMatchObject({ calls: 0, transferRate: null, transferSuccessRate: null });
  });

  it('a caller_hangup whose bridge the carrier did not report is counted apart, not as connected', () => {
    const unconfirmed = ended('e', 'caller_hangup', ['caller_hangup']);
    const stats = agentCallStats([
      {
        ...unconfirmed,
        transfers: unconfirmed.transfers.map((t) => ({ ...t, bridge: 'unconfirmed' as const })),
      },
      ended('f', 'caller_hangup', ['caller_hangup']),
      ended('g', 'transferred', ['connected']),
    ]);
    expect(stats).toMatchObject({ transferred: 3, connected: 1, bridgeUnconfirmed: 1 });
    expect(stats.transferOutcomes).toEqual({ caller_hangup: 2, connected: 1 });
  });

  it("a call's outcome is connected if any transfer connected, else the last one's", () => {
    expect(callOutcome(ended('a', 'transferred', ['connected', 'canceled']))).toBe('connected');
    expect(callOutcome(ended('b', 'caller_hangup', ['busy', 'no_answer']))).toBe('no_answer');
    expect(callOutcome(ended('c', 'caller_hangup', []))).toBeNull();
  });
});
