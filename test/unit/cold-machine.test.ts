import { describe, expect, it } from 'vitest';
import type { LegEndStatus } from '../../src/domain/outcome.js';
import {
  type ColdState,
  carrierWhisperMinMs,
  carrierWhisperMs,
  initial,
  step,
  transferMachine,
} from '../../src/transfer/cold.js';
import type { TransferEffect, TransferEvent, TransferInput } from '../../src/transfer/machine-types.js';
import type { TransferPlan } from '../../src/transfer/plan-types.js';

const NOW = 1_000_000;
const A = '+14155550101';
const B = '+14155550102';
const CALLER_ID = '+14155550100';
const ctx = { nowMs: NOW };
/** When the event under test is applied. */
const AT = NOW + 1;

const plan: TransferPlan = {
  mode: 'cold',
  chain: [A, B],
  ringTimeoutMs: 10_000,
  callerId: CALLER_ID,
  whisper: { kind: 'none' },
  reason: 'caller asked for a manager',
  trigger: 'tag',
};
const input: TransferInput = { transferId: 't1', callId: 'c1', plan, handoffWaitMs: 4_000 };

function run(events: readonly TransferEvent[]): ColdState {
  let state = initial(input, ctx).state;
  for (const e of events) state = step(state, e, ctx).state;
  return state;
}

// Event shorthands.
const played: TransferEvent = { type: 'handoff.played' };
const fire = (timerId: Extract<TransferEvent, { type: 'timer.fired' }>['timerId']): TransferEvent => ({
  type: 'timer.fired',
  timerId,
});
const ringing = (legId: string): TransferEvent => ({ type: 'leg.ringing', legId });
const answered = (legId: string): TransferEvent => ({ type: 'leg.answered', legId });
const ended = (legId: string, status: LegEndStatus, carrierCode?: string): TransferEvent =>
  carrierCode === undefined
    ? { type: 'leg.ended', legId, status }
    : { type: 'leg.ended', legId, status, carrierCode };
const hangup: TransferEvent = { type: 'caller.hangup' };

// Effect shorthands.
const dial = (legId: string, to: string): TransferEffect[] => [
  { type: 'agent.status', status: 'dialing', legId, destination: to },
  { type: 'carrier.dial', legId, to, callerId: CALLER_ID, timeoutMs: 10_000, mode: 'cold' },
  { type: 'timer.start', timerId: `ring:${legId}`, atMs: AT + 15_000 },
];
const dialNext: TransferEffect[] = [{ type: 'flag.set', destination: B }, ...dial('t1:1', B)];
const cancelTimer = (timerId: string): TransferEffect => ({
  type: 'timer.cancel',
  timerId: timerId as 'handoff',
});
const connected = (legId: string): TransferEffect[] => [
  { type: 'agent.status', status: 'connected', legId },
  { type: 'agent.detach' },
  { type: 'flag.clear' },
  { type: 'transfer.ended', outcome: 'connected' },
];
const returned = (
  legId: string | undefined,
  outcome: 'busy' | 'no_answer' | 'canceled' | 'carrier_error',
  opts: { moved: boolean; code?: string },
): TransferEffect[] => {
  const code = opts.code === undefined ? {} : { carrierCode: opts.code };
  return [
    ...(opts.moved ? [{ type: 'caller.to_agent' } as const] : []),
    { type: 'agent.status', status: 'failed', ...(legId === undefined ? {} : { legId }) },
    { type: 'agent.resume', outcome, ...code },
    { type: 'flag.clear' },
    { type: 'transfer.ended', outcome, ...code },
  ];
};

interface Row {
  readonly name: string;
  readonly before: readonly TransferEvent[];
  readonly event: TransferEvent;
  readonly phase: ColdState['phase'];
  readonly effects: readonly TransferEffect[];
  readonly detail: string;
}

const rows: readonly Row[] = [
  {
    name: 'handoff played → dial the first destination',
    before: [],
    event: played,
    phase: 'dialing',
    effects: [cancelTimer('handoff'), ...dial('t1:0', A)],
    detail: 'leg=t1:0',
  },
  {
    name: 'handoff timer → dial anyway',
    before: [],
    event: fire('handoff'),
    phase: 'dialing',
    effects: dial('t1:0', A),
    detail: 'timer=handoff leg=t1:0',
  },
  {
    name: 'ringing is reported to the agent',
    before: [played],
    event: ringing('t1:0'),
    phase: 'ringing',
    effects: [{ type: 'agent.status', status: 'ringing', legId: 't1:0' }],
    detail: 'leg=t1:0',
  },
  {
    name: 'answer while dialing → connected, AI leaves',
    before: [played],
    event: answered('t1:0'),
    phase: 'connected',
    effects: [cancelTimer('ring:t1:0'), ...connected('t1:0')],
    detail: 'leg=t1:0 outcome=connected',
  },
  {
    name: 'answer while ringing → connected',
    before: [played, ringing('t1:0')],
    event: answered('t1:0'),
    phase: 'connected',
    effects: [cancelTimer('ring:t1:0'), ...connected('t1:0')],
    detail: 'leg=t1:0 outcome=connected',
  },
  {
    name: 'completed before the answer callback → connected (the bridge happened)',
    before: [played, ringing('t1:0')],
    event: ended('t1:0', 'completed'),
    phase: 'connected',
    effects: [cancelTimer('ring:t1:0'), ...connected('t1:0')],
    detail: 'leg=t1:0 status=completed outcome=connected',
  },
  ...(['busy', 'no_answer', 'failed', 'declined'] as const).map(
    (status): Row => ({
      name: `${status} on the first leg → next destination`,
      before: [played, ringing('t1:0')],
      event: ended('t1:0', status, '486'),
      phase: 'dialing',
      effects: [cancelTimer('ring:t1:0'), ...dialNext],
      detail: `leg=t1:0 status=${status} outcome=${status} code=486 next=t1:1`,
    }),
  ),
  // A leg canceled unasked: the carrier cancels the dial when the caller hangs up, in any order
  // with the caller's own status. Nothing is decided until the caller's fate is known.
  {
    name: 'canceled unasked → wait (bounded) for the caller, nothing sent',
    before: [played, ringing('t1:0')],
    event: ended('t1:0', 'canceled', '487'),
    phase: 'confirming',
    effects: [cancelTimer('ring:t1:0'), { type: 'timer.start', timerId: 'confirm', atMs: AT + 5_000 }],
    detail: 'leg=t1:0 status=canceled note=awaiting_caller',
  },
  {
    name: 'canceled unasked, then the caller hangs up → caller_hangup, no resume, nothing to cancel',
    before: [played, ringing('t1:0'), ended('t1:0', 'canceled')],
    event: hangup,
    phase: 'hung_up',
    effects: [
      cancelTimer('confirm'),
      { type: 'agent.status', status: 'failed', legId: 't1:0' },
      { type: 'flag.clear' },
      { type: 'transfer.ended', outcome: 'caller_hangup' },
    ],
    detail: 'outcome=caller_hangup',
  },
  {
    name: 'canceled unasked, then the caller is reported live → next destination',
    before: [played, ringing('t1:0'), ended('t1:0', 'canceled', '487')],
    event: { type: 'caller.present' },
    phase: 'dialing',
    effects: [cancelTimer('confirm'), ...dialNext],
    detail: 'note=caller_present outcome=canceled code=487 next=t1:1',
  },
  {
    name: 'canceled unasked on the last leg, no news of the caller → back to the AI, no command to the call',
    before: [played, ended('t1:0', 'busy'), ended('t1:1', 'canceled')],
    event: fire('confirm'),
    phase: 'returned',
    effects: [
      { type: 'caller.to_agent' },
      { type: 'agent.status', status: 'failed', legId: 't1:1' },
      { type: 'agent.resume', outcome: 'canceled' },
      { type: 'flag.clear' },
      { type: 'transfer.ended', outcome: 'canceled' },
    ],
    detail: 'timer=confirm outcome=canceled chain=exhausted',
  },
  {
    name: 'busy on the last leg → caller back to the AI with busy',
    before: [played, ended('t1:0', 'no_answer')],
    event: ended('t1:1', 'busy', '486'),
    phase: 'returned',
    effects: [cancelTimer('ring:t1:1'), ...returned('t1:1', 'busy', { moved: true, code: '486' })],
    detail: 'leg=t1:1 status=busy outcome=busy code=486 chain=exhausted',
  },
  {
    name: 'carrier error → cancel the leg, next destination',
    before: [played],
    event: { type: 'leg.error', legId: 't1:0', carrierCode: '21210' },
    phase: 'dialing',
    effects: [{ type: 'carrier.cancel', legId: 't1:0' }, cancelTimer('ring:t1:0'), ...dialNext],
    detail: 'leg=t1:0 outcome=carrier_error code=21210 next=t1:1',
  },
  {
    name: 'carrier error on the last leg → carrier_error with its code',
    before: [played, ended('t1:0', 'busy')],
    event: { type: 'leg.error', legId: 't1:1', carrierCode: '21210' },
    phase: 'returned',
    effects: [
      { type: 'carrier.cancel', legId: 't1:1' },
      cancelTimer('ring:t1:1'),
      ...returned('t1:1', 'carrier_error', { moved: true, code: '21210' }),
    ],
    detail: 'leg=t1:1 outcome=carrier_error code=21210 chain=exhausted',
  },
  {
    name: 'a carrier code that looks like a phone number is dropped',
    before: [played],
    event: { type: 'leg.error', legId: 't1:0', carrierCode: '14155550101' },
    phase: 'dialing',
    effects: [{ type: 'carrier.cancel', legId: 't1:0' }, cancelTimer('ring:t1:0'), ...dialNext],
    detail: 'leg=t1:0 outcome=carrier_error next=t1:1',
  },
  {
    name: 'ring timer → cancel the leg, next destination',
    before: [played, ringing('t1:0')],
    event: fire('ring:t1:0'),
    phase: 'dialing',
    effects: [{ type: 'carrier.cancel', legId: 't1:0' }, ...dialNext],
    detail: 'timer=ring leg=t1:0 outcome=no_answer next=t1:1',
  },
  {
    name: 'ring timer on the last leg → no_answer',
    before: [played, fire('ring:t1:0')],
    event: fire('ring:t1:1'),
    phase: 'returned',
    effects: [{ type: 'carrier.cancel', legId: 't1:1' }, ...returned('t1:1', 'no_answer', { moved: true })],
    detail: 'timer=ring leg=t1:1 outcome=no_answer chain=exhausted',
  },
  {
    name: 'caller hangs up during the handoff sentence',
    before: [],
    event: hangup,
    phase: 'hung_up',
    effects: [
      cancelTimer('handoff'),
      { type: 'agent.status', status: 'failed' },
      { type: 'flag.clear' },
      { type: 'transfer.ended', outcome: 'caller_hangup' },
    ],
    detail: 'outcome=caller_hangup',
  },
  {
    name: 'caller hangs up while the human rings → the dial ends with the call, no command sent',
    before: [played, ringing('t1:0')],
    event: hangup,
    phase: 'hung_up',
    effects: [
      cancelTimer('ring:t1:0'),
      { type: 'agent.status', status: 'failed', legId: 't1:0' },
      { type: 'flag.clear' },
      { type: 'transfer.ended', outcome: 'caller_hangup' },
    ],
    detail: 'outcome=caller_hangup',
  },
  {
    name: 'API cancel before dialing → the caller never left the AI',
    before: [],
    event: { type: 'transfer.cancel', by: 'api' },
    phase: 'returned',
    effects: [cancelTimer('handoff'), ...returned(undefined, 'canceled', { moved: false })],
    detail: 'outcome=canceled by=api',
  },
  {
    name: 'API cancel while dialing → leg canceled, caller back to the AI',
    before: [played],
    event: { type: 'transfer.cancel', by: 'api' },
    phase: 'returned',
    effects: [
      { type: 'carrier.cancel', legId: 't1:0' },
      cancelTimer('ring:t1:0'),
      // The dial is still running: it must be stopped now (the only cold redirect).
      { type: 'caller.to_agent', interrupt: true },
      ...returned('t1:0', 'canceled', { moved: false }),
    ],
    detail: 'outcome=canceled by=api',
  },
  {
    name: 'the end of a canceled leg is noted, nothing else',
    before: [played, fire('ring:t1:0')],
    event: ended('t1:0', 'canceled'),
    phase: 'dialing',
    effects: [],
    detail: 'leg=t1:0 status=canceled note=after_cancel',
  },
  {
    name: 'a canceled leg that answers anyway is hung up',
    before: [played, fire('ring:t1:0')],
    event: answered('t1:0'),
    phase: 'dialing',
    effects: [{ type: 'carrier.cancel', legId: 't1:0' }],
    detail: 'leg=t1:0 note=stray_answer_canceled',
  },
  {
    name: 'a leg answering after the caller hung up is hung up (terminal safety rule)',
    before: [played, hangup],
    event: answered('t1:0'),
    phase: 'hung_up',
    effects: [{ type: 'carrier.cancel', legId: 't1:0' }],
    detail: 'leg=t1:0 note=stray_answer_canceled',
  },
];

describe('cold machine: transitions', () => {
  it.each(rows)('$name', (row) => {
    const before = run(row.before);
    const result = step(before, row.event, { nowMs: AT });
    expect(result.state.phase).toBe(row.phase);
    expect(result.effects).toEqual(row.effects);
    expect(result.state.timeline).toHaveLength(before.timeline.length + 1);
    expect(result.state.timeline.at(-1)).toEqual({
      atMs: AT,
      state: row.phase,
      event: row.event.type,
      detail: row.detail,
    });
    expect(result.state.timeline.at(-1)?.detail).not.toMatch(/\d{7,}/);
  });
});

interface IgnoredRow {
  readonly name: string;
  readonly before: readonly TransferEvent[];
  readonly event: TransferEvent;
}

const ignored: readonly IgnoredRow[] = [
  { name: 'answer of a leg never dialed', before: [], event: answered('t1:0') },
  { name: 'handoff played twice', before: [played], event: played },
  { name: 'handoff timer after the sentence played', before: [played], event: fire('handoff') },
  { name: 'ringing twice', before: [played, ringing('t1:0')], event: ringing('t1:0') },
  { name: 'ringing of an unknown leg', before: [played], event: ringing('t1:9') },
  { name: 'answer of another transfer’s leg', before: [played], event: answered('t0:0') },
  { name: 'ring timer of a superseded leg', before: [played, fire('ring:t1:0')], event: fire('ring:t1:0') },
  {
    name: 'error of a superseded leg',
    before: [played, ended('t1:0', 'busy')],
    event: { type: 'leg.error', legId: 't1:0' },
  },
  { name: 'end of the connected leg', before: [played, answered('t1:0')], event: ended('t1:0', 'completed') },
  { name: 'caller hangs up after connected', before: [played, answered('t1:0')], event: hangup },
  {
    name: 'cancel after the transfer ended',
    before: [played, answered('t1:0')],
    event: { type: 'transfer.cancel', by: 'api' },
  },
  { name: 'answer of the connected leg again', before: [played, answered('t1:0')], event: answered('t1:0') },
  {
    name: 'caller reported live while nothing awaits it',
    before: [played],
    event: { type: 'caller.present' },
  },
  {
    name: 'caller reported live twice',
    before: [played, ended('t1:0', 'canceled'), { type: 'caller.present' }],
    event: { type: 'caller.present' },
  },
  {
    name: 'confirm timer after the caller was reported live',
    before: [played, ended('t1:0', 'canceled'), { type: 'caller.present' }],
    event: fire('confirm'),
  },
  {
    name: 'the same cancel reported twice (child callback, then dial action)',
    before: [played, ended('t1:0', 'canceled')],
    event: ended('t1:0', 'canceled'),
  },
  { name: 'warm-only: caller held', before: [played], event: { type: 'caller.held' } },
  { name: 'warm-only: summary', before: [played], event: { type: 'summary.received', text: 'x' } },
  { name: 'warm-only: whisper played', before: [played], event: { type: 'whisper.played', legId: 't1:0' } },
  { name: 'warm-only: human joined', before: [played], event: { type: 'human.joined', legId: 't1:0' } },
  {
    name: 'a stray answer already hung up',
    before: [played, fire('ring:t1:0'), answered('t1:0')],
    event: answered('t1:0'),
  },
];

describe('cold machine: events that change nothing', () => {
  it.each(ignored)('$name', (row) => {
    const before = run(row.before);
    const result = step(before, row.event, ctx);
    expect(result.state).toBe(before);
    expect(result.effects).toEqual([]);
  });
});

describe('cold machine: start', () => {
  it('sets the flag, tells the agent, and waits for the handoff sentence', () => {
    const { state, effects } = initial(input, ctx);
    expect(effects).toEqual([
      { type: 'flag.set', destination: A },
      { type: 'agent.status', status: 'started', destination: A },
      { type: 'timer.start', timerId: 'handoff', atMs: NOW + 4_000 },
    ]);
    expect(state).toMatchObject({ transferId: 't1', callId: 'c1', mode: 'cold', phase: 'handoff', index: 0 });
    expect(state.timeline).toEqual([
      { atMs: NOW, state: 'handoff', event: 'transfer.started', detail: 'trigger=tag chain=2' },
    ]);
    expect(transferMachine.isTerminal(state)).toBe(false);
  });

  it('a full failing chain records every attempt and one outcome', () => {
    const state = run([played, ended('t1:0', 'busy'), fire('ring:t1:1')]);
    expect(state.outcome).toBe('no_answer');
    expect(state.legs.map((l) => [l.legId, l.status, l.outcome])).toEqual([
      ['t1:0', 'ended', 'busy'],
      ['t1:1', 'canceling', 'no_answer'],
    ]);
    expect(state.timeline.map((t) => t.state)).toEqual(['handoff', 'dialing', 'dialing', 'returned']);
    expect(transferMachine.isTerminal(state)).toBe(true);
    expect(JSON.stringify(state.timeline)).not.toContain(A.slice(1));
    expect(JSON.stringify(state.timeline)).not.toContain(B.slice(1));
  });
});

describe('cold machine: a carrier whose dial cannot be ended from here (ringEndsAtCarrier)', () => {
  const carrierInput: TransferInput = { ...input, plan: { ...plan, ringEndsAtCarrier: true } };
  const runCarrier = (events: readonly TransferEvent[]): ColdState => {
    let state = initial(carrierInput, ctx).state;
    for (const e of events) state = step(state, e, ctx).state;
    return state;
  };

  it('our ring timer gives nothing up: no cancel, no next dial, nothing told to the agent', () => {
    const before = runCarrier([played, ringing('t1:0')]);
    const result = step(before, fire('ring:t1:0'), ctx);
    expect(result.effects).toEqual([]);
    expect(result.state.outcome).toBeNull();
    expect(result.state.legs[0]?.status).toBe('ringing');
    expect(result.state.timeline.at(-1)?.detail).toBe('timer=ring leg=t1:0 note=awaiting_carrier');
  });

  it('an answer after our ring timeout is a connected transfer (the carrier bridged it)', () => {
    const result = step(runCarrier([played, ringing('t1:0'), fire('ring:t1:0')]), answered('t1:0'), ctx);
    expect(result.state.outcome).toBe('connected');
    expect(result.effects).toEqual(connected('t1:0'));
  });

  it("the carrier's no-answer then moves to the next destination", () => {
    const result = step(
      runCarrier([played, ringing('t1:0'), fire('ring:t1:0')]),
      ended('t1:0', 'no_answer'),
      ctx,
    );
    expect(result.state.legs.map((l) => [l.legId, l.outcome])).toEqual([
      ['t1:0', 'no_answer'],
      ['t1:1', null],
    ]);
    expect(result.effects.map((e) => e.type)).toEqual([
      'flag.set',
      'agent.status',
      'carrier.dial',
      'timer.start',
    ]);
    expect(result.effects[2]).toMatchObject({ type: 'carrier.dial', legId: 't1:1', to: B });
  });
});

describe('cold machine: a whisper the carrier plays before it bridges, unreported (Exotel)', () => {
  const WHISPER = 'A caller about a double charge on invoice 1234.';
  const whisperInput: TransferInput = {
    ...input,
    plan: { ...plan, ringEndsAtCarrier: true, whisper: { kind: 'static', text: WHISPER } },
  };
  const at = (ms: number) => ({ nowMs: NOW + ms });
  /** The human answered `ms` after the start and hears the carrier's whisper. */
  const answeredAt = (ms: number): ColdState => {
    let s = initial(whisperInput, ctx).state;
    for (const e of [played, ringing('t1:0')]) s = step(s, e, at(0)).state;
    s = step(s, answered('t1:0'), at(ms)).state;
    expect(s.legs[0]?.status).toBe('whispering');
    return s;
  };
  const ANSWER = 2_000;

  it('the bounds: at least 40 ms a character, at most 80 and a second', () => {
    expect(carrierWhisperMinMs(WHISPER)).toBe(40 * WHISPER.length);
    expect(carrierWhisperMs(WHISPER)).toBe(1_000 + 80 * WHISPER.length);
  });

  it('the caller hangs up before the whisper can have ended: caller_hangup, and certain', () => {
    const r = step(answeredAt(ANSWER), hangup, at(ANSWER + carrierWhisperMinMs(WHISPER) - 1));
    expect(r.state.outcome).toBe('caller_hangup');
    expect(r.effects.at(-1)).toEqual({ type: 'transfer.ended', outcome: 'caller_hangup' });
    expect(r.state.timeline.at(-1)?.detail).toBe('outcome=caller_hangup');
  });

  it('after it can have ended, before its upper bound: caller_hangup with the bridge unconfirmed', () => {
    for (const after of [carrierWhisperMinMs(WHISPER), carrierWhisperMs(WHISPER) - 1]) {
      const r = step(answeredAt(ANSWER), hangup, at(ANSWER + after));
      expect(r.state.outcome).toBe('caller_hangup');
      expect(r.effects.at(-1)).toEqual({
        type: 'transfer.ended',
        outcome: 'caller_hangup',
        bridge: 'unconfirmed',
      });
      expect(r.state.timeline.at(-1)?.detail).toBe('outcome=caller_hangup bridge=unconfirmed');
    }
  });

  it('the human hangs up in the same window: human_hangup, unconfirmed, the caller back with the AI', () => {
    const before = answeredAt(ANSWER);
    const early = step(before, ended('t1:0', 'completed'), at(ANSWER + carrierWhisperMinMs(WHISPER) - 1));
    // Another destination is left: it is dialed; this leg's line says it was certain.
    expect(early.state.legs.map((l) => l.outcome)).toEqual(['human_hangup', null]);
    expect(early.state.timeline.at(-1)?.detail).not.toContain('bridge');
    const late = step(before, ended('t1:0', 'completed'), at(ANSWER + carrierWhisperMinMs(WHISPER)));
    expect(late.state.legs.map((l) => l.outcome)).toEqual(['human_hangup', null]);
    expect(late.state.timeline.at(-1)?.detail).toContain('leg=t1:0 status=completed bridge=unconfirmed');
    // The last destination: the transfer ends human_hangup with the bridge unconfirmed.
    const lastInput: TransferInput = {
      ...whisperInput,
      plan: { ...whisperInput.plan, chain: [A] },
    };
    let s = initial(lastInput, ctx).state;
    for (const e of [played, ringing('t1:0')]) s = step(s, e, at(0)).state;
    s = step(s, answered('t1:0'), at(ANSWER)).state;
    const last = step(s, ended('t1:0', 'completed'), at(ANSWER + carrierWhisperMinMs(WHISPER)));
    expect(last.state.outcome).toBe('human_hangup');
    expect(last.effects.map((e) => e.type)).toContain('caller.to_agent');
    expect(last.effects.at(-1)).toEqual({
      type: 'transfer.ended',
      outcome: 'human_hangup',
      bridge: 'unconfirmed',
    });
    // A leg that failed rather than hung up is never unconfirmed.
    const failed = step(s, ended('t1:0', 'failed'), at(ANSWER + carrierWhisperMinMs(WHISPER)));
    expect(failed.effects.at(-1)).toEqual({ type: 'transfer.ended', outcome: 'failed' });
  });

  it('past the upper bound the transfer is connected: a hang-up then is the call ending', () => {
    const connectedNow = step(
      answeredAt(ANSWER),
      fire('whisper:t1:0'),
      at(ANSWER + carrierWhisperMs(WHISPER)),
    );
    expect(connectedNow.state.outcome).toBe('connected');
    expect(step(connectedNow.state, hangup, at(ANSWER + carrierWhisperMs(WHISPER) + 500)).effects).toEqual(
      [],
    );
  });

  it('a caller who hangs up while the human rings, or on a plan without a whisper, is never unconfirmed', () => {
    let ringingState = initial(whisperInput, ctx).state;
    for (const e of [played, ringing('t1:0')]) ringingState = step(ringingState, e, at(0)).state;
    expect(step(ringingState, hangup, at(60_000)).effects.at(-1)).toEqual({
      type: 'transfer.ended',
      outcome: 'caller_hangup',
    });
    const noWhisper = run([played, ringing('t1:0')]);
    expect(step(noWhisper, hangup, at(60_000)).effects.at(-1)).toEqual({
      type: 'transfer.ended',
      outcome: 'caller_hangup',
    });
  });
});
