import { describe, expect, it } from 'vitest';
import { demoAgents } from '../../src/config/demo-agents.js';
import { type CallRecord, newCallRecord } from '../../src/runtime/call-record.js';
import { type CallInput, type ReduceContext, reduceCall } from '../../src/runtime/call-reducer.js';

/** How `endedReason` is decided: never the caller's hang-up for the daemon's failure or a lead who never answered. */

const agent = demoAgents('ws://127.0.0.1:1/agent').agents[0]!;
const ctx: ReduceContext = { nowMs: 1000, agent, defaultRegion: 'US' };

function call(direction: 'inbound' | 'outbound'): CallRecord {
  return newCallRecord({
    callId: 'CA1',
    carrier: 'twilio',
    agentId: agent.id,
    agentVersion: 1,
    direction,
    from: '+14155559999',
    to: '+14155550100',
    nowMs: 0,
  });
}

function run(record: CallRecord, inputs: readonly CallInput[]): CallRecord {
  let r = record;
  for (const input of inputs) r = reduceCall(r, input, ctx)?.record ?? r;
  return r;
}

describe('endedReason', () => {
  it.each([
    ['a plain hang-up', 'inbound', [], 'completed', 'caller_hangup'],
    ['after a markup failure nobody recovered from', 'inbound', ['markup.failed'], 'completed', 'error'],
    [
      'after a markup failure the fallback recovered',
      'inbound',
      ['markup.failed', 'markup.recovered'],
      'completed',
      'caller_hangup',
    ],
    ['a placed call the lead never answered (busy)', 'outbound', [], 'busy', 'no_answer'],
    ['a placed call the lead never answered (no answer)', 'outbound', [], 'no_answer', 'no_answer'],
    ['an inbound call reported busy', 'inbound', [], 'busy', 'caller_hangup'],
  ] as const)('%s', (_name, direction, notes, status, reason) => {
    const ended = run(call(direction), [
      ...notes.map((event) => ({ type: 'call.note' as const, event })),
      { type: 'call.ended', status },
    ]);
    expect([ended.phase, ended.endedReason]).toEqual(['ended', reason]);
  });

  it('a placement bound to the answered call closes, points to it, and is not ended by the caller', () => {
    const bound = run(call('outbound'), [{ type: 'call.bound', carrierCallId: 'CA2' }]);
    expect(bound).toMatchObject({ phase: 'ended', boundTo: 'CA2' });
    expect(reduceCall(bound, { type: 'call.ended', status: 'completed' }, ctx)).toBeNull();
    expect(reduceCall(call('inbound'), { type: 'call.bound', carrierCallId: 'CA2' }, ctx)).toBeNull();
  });
});
