import { describe, expect, it } from 'vitest';
import { type AgenticState, agenticMachine, agenticMode } from '../../src/transfer/agentic.js';
import type { TransferEffect, TransferEvent, TransferInput } from '../../src/transfer/machine-types.js';
import type { TransferPlan } from '../../src/transfer/plan-types.js';

/** The agentic machine as a table: what each briefing decision does to the leg and the chain. */

const NOW = 2_000_000;
const A = '+14155550101';
const B = '+14155550102';
const SUMMARY = 'Caller wants a refund for order 1234.';
const ctx = { nowMs: NOW };

const plan: TransferPlan = {
  mode: 'agentic',
  chain: [A, B],
  ringTimeoutMs: 15_000,
  callerId: '+14155550100',
  whisper: { kind: 'static', text: SUMMARY },
  reason: 'billing question',
  label: 'Billing',
  briefingTimeoutMs: 30_000,
  trigger: 'tool',
};
const input = (p: Partial<TransferPlan> = {}): TransferInput => ({
  transferId: 't1',
  callId: 'c1',
  plan: { ...plan, ...p },
  handoffWaitMs: 4_000,
});

function run(events: readonly TransferEvent[], p?: Partial<TransferPlan>) {
  let state: AgenticState = agenticMachine.initial(input(p), ctx).state;
  let effects: readonly TransferEffect[] = [];
  for (const e of events) ({ state, effects } = agenticMachine.step(state, e, ctx));
  return { state, effects };
}

const played: TransferEvent = { type: 'handoff.played' };
const held: TransferEvent = { type: 'caller.held' };
const answered = (legId: string): TransferEvent => ({ type: 'leg.answered', legId });
const result = (accepted: boolean, by: 'agent' | 'digit' = 'agent'): TransferEvent => ({
  type: 'briefing.result',
  legId: 't1:0',
  accepted,
  by,
});
const briefing = [played, held, answered('t1:0')];
const types = (effects: readonly TransferEffect[]) => effects.map((e) => e.type);

describe('agentic machine', () => {
  it('briefs on answer: human.brief and the briefing timer, no carrier whisper', () => {
    const { state, effects } = run(briefing);
    expect(state.phase).toBe('briefing');
    expect(effects).toContainEqual({ type: 'human.brief', legId: 't1:0' });
    expect(effects).toContainEqual({ type: 'timer.start', timerId: 'briefing:t1:0', atMs: NOW + 30_000 });
    expect(types(effects)).not.toContain('human.whisper');
  });

  describe('asynchronous machine detection (the verdict after the answer, Plivo)', () => {
    const pending: TransferEvent = { type: 'leg.answered', legId: 't1:0', verdictDueMs: 6_500 };
    const verdict = (machine: boolean): TransferEvent => ({ type: 'leg.verdict', legId: 't1:0', machine });
    const amdFired: TransferEvent = { type: 'timer.fired', timerId: 'amd:t1:0' };

    it('answered, verdict pending: nothing reaches the leg, the amd timer runs', () => {
      const { state, effects } = run([played, held, pending]);
      expect(state.phase).toBe('awaiting_summary');
      expect(effects).toContainEqual({ type: 'timer.start', timerId: 'amd:t1:0', atMs: NOW + 6_500 });
      expect(types(effects)).not.toContain('human.brief');
    });

    it.each([
      ['a human verdict briefs', [verdict(false)], 'briefing'],
      ['no verdict in time briefs (not known to be a machine)', [amdFired], 'briefing'],
      [
        'a summary arriving first still waits for the verdict',
        [{ type: 'summary.received', text: 'x' } as const],
        'awaiting_summary',
      ],
    ] as const)('%s', (_name, after, phase) => {
      const whisper = { kind: 'summary', timeoutMs: 5_000, fallbackText: 'fallback' } as const;
      // The summary case waits on the agent's summary too (the whisper is the summary).
      const p = phase === 'awaiting_summary' ? { whisper } : {};
      const { state, effects } = run([played, held, pending, ...after], p);
      expect(state.phase).toBe(phase);
      expect(types(effects).includes('human.brief')).toBe(phase === 'briefing');
    });

    it('a machine verdict: voicemail, the leg hung up, never briefed, the next destination dialed', () => {
      const { state, effects } = run([played, held, pending, verdict(true)]);
      expect(state.legs[0]?.outcome).toBe('voicemail');
      expect(types(effects)).toContain('carrier.cancel');
      expect(types(effects)).not.toContain('human.brief');
      expect(effects).toContainEqual(expect.objectContaining({ type: 'carrier.dial', legId: 't1:1', to: B }));
      expect(effects).toContainEqual({ type: 'timer.cancel', timerId: 'amd:t1:0' });
    });

    it('a verdict for a leg not waiting on one changes nothing; a machine verdict before the answer is voicemail', () => {
      expect(run([...briefing, verdict(true)]).state.phase).toBe('briefing');
      expect(run([played, held, verdict(true)]).state.legs[0]?.outcome).toBe('voicemail');
    });
  });

  it('waits for the summary before briefing when the whisper is the agent’s summary', () => {
    const whisper = { kind: 'summary', timeoutMs: 5_000, fallbackText: 'fallback' } as const;
    expect(run(briefing, { whisper }).state.phase).toBe('awaiting_summary');
    const { state, effects } = run([...briefing, { type: 'summary.received', text: SUMMARY }], { whisper });
    expect(state.phase).toBe('briefing');
    expect(state.flags.summaryText).toBe(SUMMARY);
    expect(types(effects)).toContain('human.brief');
  });

  it('accepted: the join is decided, then the stream released and the socket told', () => {
    const { state, effects } = run([...briefing, result(true)]);
    expect(state.phase).toBe('joining');
    expect(effects).toEqual([
      { type: 'timer.cancel', timerId: 'briefing:t1:0' },
      { type: 'human.whisper', legId: 't1:0', text: '' },
      { type: 'briefing.end', legId: 't1:0', reason: 'accepted', release: true },
      { type: 'timer.start', timerId: 'join:t1:0', atMs: NOW + 10_000 },
    ]);
    const joined = run([...briefing, result(true), { type: 'human.joined', legId: 't1:0' }]);
    // The carrier is asked whether the caller is still on the line before `connected`.
    expect(joined.state.phase).toBe('checking_caller');
    expect(joined.effects).toContainEqual({ type: 'caller.check' });
    const connected = run([
      ...briefing,
      result(true),
      { type: 'human.joined', legId: 't1:0' },
      { type: 'caller.present' },
    ]);
    expect(connected.state.outcome).toBe('connected');
  });

  it('the human joined but the caller is gone (their reports lost): caller_hangup, the human hung up', () => {
    const { state, effects } = run([
      ...briefing,
      result(true),
      { type: 'human.joined', legId: 't1:0' },
      { type: 'caller.hangup' },
    ]);
    expect(state.outcome).toBe('caller_hangup');
    expect(effects).toContainEqual({ type: 'carrier.cancel', legId: 't1:0' });
    expect(types(effects)).not.toContain('agent.detach');
  });

  it.each([
    ['the agent', result(false)],
    ['the human’s key', result(false, 'digit')],
    ['the timeout', { type: 'timer.fired', timerId: 'briefing:t1:0' } as TransferEvent],
  ])('declined by %s: the socket told first, the leg hung up, the next destination dialed', (_, event) => {
    const { state, effects } = run([...briefing, event]);
    const reason = event.type === 'timer.fired' ? 'timeout' : 'declined';
    const end = effects.findIndex((e) => e.type === 'briefing.end');
    expect(effects[end]).toEqual({ type: 'briefing.end', legId: 't1:0', reason, release: false });
    expect(end).toBeLessThan(effects.findIndex((e) => e.type === 'carrier.cancel'));
    expect(state.legs[0]).toMatchObject({ outcome: 'declined', status: 'canceling' });
    expect(effects).toContainEqual(expect.objectContaining({ type: 'carrier.dial', legId: 't1:1', to: B }));
  });

  it('declined on the last destination: the caller checked, then back to the AI with declined', () => {
    const asked = run([...briefing, result(false)], { chain: [A] });
    expect(asked.state.phase).toBe('checking_caller');
    expect(asked.state.outcome).toBeNull();
    expect(asked.effects).toContainEqual({ type: 'caller.check' });
    expect(types(asked.effects)).not.toContain('caller.to_agent');
    const { state, effects } = run([...briefing, result(false), { type: 'caller.present' }], { chain: [A] });
    expect(state.outcome).toBe('declined');
    expect(effects).toContainEqual({ type: 'agent.resume', outcome: 'declined' });
    expect(effects).toContainEqual({ type: 'caller.to_agent' });
  });

  it('declined on the last destination and the carrier says the caller is gone: caller_hangup, no return', () => {
    const { state, effects } = run([...briefing, result(false), { type: 'caller.hangup' }], { chain: [A] });
    expect(state.outcome).toBe('caller_hangup');
    expect(types(effects)).not.toContain('caller.to_agent');
    expect(types(effects)).not.toContain('agent.resume');
  });

  it('the briefing socket fails: the static whisper, then the join; the timeline says so', () => {
    const { state, effects } = run([...briefing, { type: 'briefing.failed', legId: 't1:0' }]);
    expect(state.phase).toBe('whispering');
    expect(effects).toContainEqual({ type: 'human.whisper', legId: 't1:0', text: SUMMARY });
    expect(effects).toContainEqual({
      type: 'briefing.end',
      legId: 't1:0',
      reason: 'agent_failed',
      release: true,
    });
    expect(state.timeline.at(-1)?.detail).toContain('fallback=whisper');
  });

  it.each([
    ['caller.hangup', { type: 'caller.hangup' } as TransferEvent, 'caller_hangup'],
    ['transfer.cancel', { type: 'transfer.cancel', by: 'api' } as TransferEvent, 'canceled'],
    [
      'the human hanging up',
      { type: 'leg.ended', legId: 't1:0', status: 'completed' } as TransferEvent,
      'human_hangup',
    ],
  ])(
    '%s during the briefing: the socket gets stop with the reason, before any hang-up',
    (_, event, reason) => {
      const { effects } = run([...briefing, event]);
      const end = effects.findIndex((e) => e.type === 'briefing.end');
      expect(effects[end]).toEqual({ type: 'briefing.end', legId: 't1:0', reason, release: false });
      const cancel = effects.findIndex((e) => e.type === 'carrier.cancel');
      if (cancel >= 0) expect(end).toBeLessThan(cancel);
      expect(effects.at(-1)?.type === 'transfer.ended' || reason === 'human_hangup').toBe(true);
    },
  );

  it('a machine answered (answering-machine detection): voicemail, never briefed, next destination', () => {
    const { state, effects } = run([played, held, { type: 'leg.answered', legId: 't1:0', machine: true }]);
    expect(state.legs[0]).toMatchObject({ outcome: 'voicemail', status: 'canceling' });
    expect(types(effects)).not.toContain('human.brief');
    expect(effects).toContainEqual({ type: 'carrier.cancel', legId: 't1:0' });
    expect(effects).toContainEqual(expect.objectContaining({ type: 'carrier.dial', legId: 't1:1', to: B }));
    const last = run(
      [
        played,
        held,
        { type: 'leg.answered', legId: 't1:0', machine: true },
        { type: 'timer.fired', timerId: 'verify' },
      ],
      { chain: [A] },
    );
    expect(last.state.outcome).toBe('voicemail');
  });

  it('asks the carrier for machine detection on every leg when the plan says so', () => {
    const first = agenticMachine.initial(input({ machineDetection: true }), ctx).effects;
    expect(first).toContainEqual(expect.objectContaining({ type: 'carrier.dial', machineDetection: true }));
    const plain = agenticMachine.initial(input(), ctx).effects.find((e) => e.type === 'carrier.dial');
    expect(plain).not.toHaveProperty('machineDetection');
  });

  it('a decision for a leg not being briefed changes nothing', () => {
    const before = run([played, held]);
    const after = agenticMachine.step(before.state, result(true), ctx);
    expect(after.effects).toEqual([]);
    expect(after.state).toBe(before.state);
  });

  it('needs conferences and a streamable human leg, with no fallback', () => {
    expect(agenticMode.requires).toEqual(['conference', 'calleeStream']);
    expect(agenticMode.fallback).toBeUndefined();
    expect(agenticMode.briefs).toBe(true);
  });
});
