import { describe, expect, it } from 'vitest';
import { type CallRecord, newCallRecord } from '../../src/runtime/call-record.js';
import { type HeldSession, owedToSession } from '../../src/runtime/session-dues.js';
import { AGENT, CALLER, LEG0, NOW, OUR_NUMBER, RECORDS, T1, through } from '../runtime/shell-fakes.js';

/**
 * What a session held by a worker whose subscription was down is owed by its call's record once
 * it is back: what the socket effects relayed meanwhile (and heard by nobody) would have done to
 * it. Each due is gone once the session shows it ran, so running it again changes nothing.
 */
const fresh: HeldSession = { resumed: new Set() };
const leg = (event: object) => ({ type: 'transfer.event' as const, transferId: T1, event: event as never });

const coldConnected = (): CallRecord =>
  through(RECORDS.coldDialing(), leg({ type: 'leg.answered', legId: LEG0 }));

describe('owedToSession', () => {
  it.each<[string, () => CallRecord]>([
    ['with the AI', RECORDS.ai],
    ['a cold transfer dialing', RECORDS.coldDialing],
    ['a warm transfer, the caller on hold', RECORDS.warmHeld],
  ])('%s: nothing', (_, record) => {
    expect(owedToSession(record(), fresh)).toEqual({ type: 'nothing' });
  });

  it('a record that is gone: the session is closed as a call that ended', () => {
    expect(owedToSession(undefined, fresh)).toEqual({ type: 'close', reason: 'call ended' });
  });

  it("a record that is gone while the caller's stream still flows here: nothing — lost with Redis's data, the call goes on", () => {
    expect(owedToSession(undefined, { ...fresh, streamLive: true })).toEqual({ type: 'nothing' });
  });

  it.each<[string, () => CallRecord | undefined]>([
    ['with the AI', RECORDS.ai],
    ['after a failed transfer', RECORDS.warmBusy],
    ['ended', RECORDS.ended],
    ['gone', () => undefined],
  ])('taken over by another worker, %s: the session is released, nothing told', (_, record) => {
    expect(owedToSession(record(), { ...fresh, takenOver: true })).toEqual({
      type: 'close',
      reason: 'handed over',
    });
  });

  it.each<[string, () => CallRecord, string]>([
    ['ended with the AI', RECORDS.ended, 'caller_hangup'],
    ['ended during a transfer', () => through(RECORDS.warmHeld(), { type: 'call.ended' }), 'caller_hangup'],
    [
      'ended after a connected transfer',
      () => through(coldConnected(), { type: 'call.ended' }),
      'transferred',
    ],
  ])('%s: the call’s end, with its reason', (_, record, endedReason) => {
    expect(owedToSession(record(), fresh)).toEqual({
      type: 'run',
      effects: [{ type: 'call.finished', endedReason }],
    });
  });

  it('ended by binding to another carrier id (the call goes on under it): nothing', () => {
    const placed = newCallRecord({
      callId: 'REQ1',
      carrier: 'plivo',
      agentId: AGENT.id,
      agentVersion: 1,
      direction: 'outbound',
      from: OUR_NUMBER,
      to: CALLER,
      nowMs: NOW,
    });
    const bound = through(placed, { type: 'call.bound', carrierCallId: 'CALL1' });
    expect(bound.phase).toBe('ended');
    expect(owedToSession(bound, fresh)).toEqual({ type: 'nothing' });
  });

  it('a transfer connected, the call with the human: the agent detached', () => {
    const record = coldConnected();
    expect(record.phase).toBe('human');
    expect(owedToSession(record, fresh)).toEqual({
      type: 'run',
      effects: [{ type: 'transfer', transferId: T1, effect: { type: 'agent.detach' } }],
    });
  });

  it('a transfer failed: the resume, until this session told it, waits to tell it, or the record says told', () => {
    const busy = RECORDS.warmBusy();
    expect(owedToSession(busy, fresh)).toEqual({
      type: 'run',
      effects: [{ type: 'transfer', transferId: T1, effect: { type: 'agent.resume', outcome: 'busy' } }],
    });
    expect(owedToSession(busy, { resumed: new Set([T1]) })).toEqual({ type: 'nothing' });
    expect(owedToSession(busy, { resumed: new Set(), resumeWaiting: T1 })).toEqual({ type: 'nothing' });
    const told = through(busy, { type: 'agent.resumed', transferId: T1 });
    expect(owedToSession(told, fresh)).toEqual({ type: 'nothing' });
  });

  it("a resume waiting for an earlier transfer's caller does not stand for a later one", () => {
    const busy = RECORDS.warmBusy();
    expect(owedToSession(busy, { resumed: new Set(['CA1.t0']), resumeWaiting: 'CA1.t0' })).toMatchObject({
      type: 'run',
    });
  });

  it("a failed transfer's carrier code goes with its resume", () => {
    const failed = through(
      RECORDS.warmHeld(),
      leg({ type: 'leg.error', legId: LEG0, carrierCode: '31005' }),
      leg({ type: 'caller.present' }),
    );
    expect(owedToSession(failed, fresh)).toEqual({
      type: 'run',
      effects: [
        {
          type: 'transfer',
          transferId: T1,
          effect: { type: 'agent.resume', outcome: failed.transfers[0]?.outcome, carrierCode: '31005' },
        },
      ],
    });
  });
});
