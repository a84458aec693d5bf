import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LegEndStatus, TransferMode } from '../../src/domain/outcome.js';
import type { TransferState } from '../../src/transfer/machine.js';
import type {
  TimerId,
  TransferEffect,
  TransferEvent,
  TransferInput,
} from '../../src/transfer/machine-types.js';
import { TRANSFER_MODES } from '../../src/transfer/modes.js';
import type { TransferPlan, WhisperPlan } from '../../src/transfer/plan-types.js';

/**
 * Random event sequences against both machines: whatever arrives, in whatever order, duplicated
 * or late, each transfer ends with exactly one outcome once the events stop and the due timers
 * fire, and the safety rules hold at every step.
 */

const NUMBERS = ['+14155550101', '+14155550102', 'sip:desk@pbx.example.com'];
const ALLOWED_EFFECTS = new Set<TransferEffect['type']>([
  'flag.set',
  'flag.clear',
  'timer.start',
  'timer.cancel',
  'carrier.dial',
  'carrier.cancel',
  'caller.hold',
  'caller.check',
  'caller.to_agent',
  'human.whisper',
  'agent.summary_request',
  'agent.detach',
  'agent.status',
  'agent.resume',
  'transfer.ended',
]);

type LegPick = 'current' | 0 | 1 | 2 | 'foreign';
type Action =
  | { readonly kind: 'played' | 'held' | 'hangup' | 'left' | 'dup' | 'present' }
  /** The carrier answers one of the effects still awaiting its reply (a cooperative network). */
  | { readonly kind: 'progress'; readonly pick: number }
  | { readonly kind: 'cancel'; readonly by: 'api' | 'agent' }
  | { readonly kind: 'summary'; readonly text: string }
  | { readonly kind: 'timer'; readonly name: 'handoff' | 'summary' | 'hold' }
  | {
      readonly kind: 'leg-timer';
      readonly name: 'ring' | 'whisper' | 'join';
      readonly leg: LegPick;
    }
  | {
      readonly kind: 'ringing' | 'answered' | 'error' | 'whispered' | 'joined';
      readonly leg: LegPick;
    }
  | { readonly kind: 'ended'; readonly leg: LegPick; readonly status: LegEndStatus };

const legPick = fc.constantFrom<LegPick>('current', 'current', 'current', 0, 1, 2, 'foreign');
/**
 * Weighted so that a 40-event run often gets far (answer, whisper, join) before a caller hangup or
 * a cancel (weight 1 each, about one in 40 events) ends it.
 */
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('progress' as const), pick: fc.nat(3) }), weight: 14 },
  {
    arbitrary: fc.constantFrom<Action>(
      { kind: 'played' },
      { kind: 'held' },
      { kind: 'dup' },
      { kind: 'present' },
    ),
    weight: 3,
  },
  { arbitrary: fc.constantFrom<Action>({ kind: 'hangup' }, { kind: 'left' }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('cancel' as const),
      by: fc.constantFrom('api' as const, 'agent' as const),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('summary' as const),
      text: fc.constantFrom('', '  ', 'Caller wants a refund.'),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('timer' as const),
      name: fc.constantFrom('handoff' as const, 'summary' as const, 'hold' as const),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('leg-timer' as const),
      name: fc.constantFrom('ring' as const, 'whisper' as const, 'join' as const),
      leg: legPick,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'ringing' as const,
        'answered' as const,
        'answered' as const,
        'error' as const,
        'whispered' as const,
        'joined' as const,
      ),
      leg: legPick,
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('ended' as const),
      leg: legPick,
      status: fc.constantFrom<LegEndStatus>(
        'completed',
        'busy',
        'no_answer',
        'failed',
        'canceled',
        'declined',
      ),
    }),
    weight: 4,
  },
);
const step = fc.record({ action, advanceMs: fc.integer({ min: 0, max: 20_000 }) });

const whisperPlan: fc.Arbitrary<WhisperPlan> = fc.oneof(
  fc.constant<WhisperPlan>({ kind: 'none' }),
  fc.constant<WhisperPlan>({ kind: 'static', text: 'Incoming refund request.' }),
  fc.constant<WhisperPlan>({ kind: 'summary', timeoutMs: 5_000, fallbackText: 'A caller needs help.' }),
);

function inputArb(mode: TransferMode): fc.Arbitrary<TransferInput> {
  return fc
    .record({
      chainLength: fc.integer({ min: 1, max: 3 }),
      whisper: mode === 'warm' ? whisperPlan : fc.constant<WhisperPlan>({ kind: 'none' }),
      holdAudio: fc.boolean(),
      handoffWaitMs: fc.constantFrom(0, 4_000),
    })
    .map(({ chainLength, whisper, holdAudio, handoffWaitMs }) => {
      const plan: TransferPlan = {
        mode,
        chain: NUMBERS.slice(0, chainLength),
        ringTimeoutMs: mode === 'cold' ? 10_000 : 15_000,
        callerId: '+14155550100',
        whisper,
        ...(holdAudio ? { holdAudioUrl: 'https://hold.example.com/a.mp3' } : {}),
        reason: 'test',
        trigger: 'api',
      };
      return { transferId: 'tx', callId: 'call', plan, handoffWaitMs };
    });
}

/** What the test has seen: effects issued and events fed, to check the machine against. */
interface World {
  readonly mode: TransferMode;
  readonly plan: TransferPlan;
  state: TransferState;
  nowMs: number;
  readonly dialed: string[];
  readonly canceled: Set<string>;
  readonly endFed: Set<string>;
  readonly answerSeen: Set<string>;
  readonly timers: Map<TimerId, number>;
  callerMoved: boolean;
  /** Replies a carrier or agent would send to the effects issued so far. */
  readonly pending: TransferEvent[];
  /** Every event applied, in order. */
  readonly fed: TransferEvent[];
  /** Every `transfer.ended` effect issued. */
  readonly ended: TransferEffect[];
  lastEvent: TransferEvent | null;
}

function legOf(world: World, pick: LegPick): string {
  if (pick === 'foreign') return 'other:0';
  if (pick === 'current') return world.dialed.at(-1) ?? 'tx:0';
  return `tx:${pick}`;
}

function eventOf(world: World, a: Action): TransferEvent | null {
  switch (a.kind) {
    case 'played':
      return { type: 'handoff.played' };
    case 'held':
      return { type: 'caller.held' };
    case 'hangup':
      return { type: 'caller.hangup' };
    case 'left':
      return { type: 'caller.left' };
    case 'present':
      return { type: 'caller.present' };
    case 'dup':
      return world.lastEvent;
    case 'progress':
      return world.pending.splice(a.pick % Math.max(1, world.pending.length), 1)[0] ?? null;
    case 'cancel':
      return { type: 'transfer.cancel', by: a.by };
    case 'summary':
      return { type: 'summary.received', text: a.text };
    case 'timer':
      return { type: 'timer.fired', timerId: a.name };
    case 'leg-timer':
      return { type: 'timer.fired', timerId: `${a.name}:${legOf(world, a.leg)}` };
    case 'ringing':
      return { type: 'leg.ringing', legId: legOf(world, a.leg) };
    case 'answered':
      return { type: 'leg.answered', legId: legOf(world, a.leg) };
    case 'error':
      return { type: 'leg.error', legId: legOf(world, a.leg), carrierCode: '31005' };
    case 'whispered':
      return { type: 'whisper.played', legId: legOf(world, a.leg) };
    case 'joined':
      return { type: 'human.joined', legId: legOf(world, a.leg) };
    case 'ended':
      return { type: 'leg.ended', legId: legOf(world, a.leg), status: a.status };
  }
}

function observe(world: World, effects: readonly TransferEffect[], event: TransferEvent | null): void {
  for (const e of effects) {
    expect(ALLOWED_EFFECTS.has(e.type)).toBe(true);
    switch (e.type) {
      case 'timer.start':
        world.timers.set(e.timerId, e.atMs);
        if (e.timerId === 'handoff') world.pending.push({ type: 'handoff.played' });
        break;
      case 'timer.cancel':
        expect(world.timers.has(e.timerId)).toBe(true);
        world.timers.delete(e.timerId);
        break;
      case 'carrier.dial': {
        const index = world.dialed.length;
        expect(e.legId).toBe(`tx:${index}`);
        expect(e.to).toBe(world.plan.chain[index]);
        expect(e.mode).toBe(world.mode);
        world.dialed.push(e.legId);
        world.pending.push({ type: 'leg.answered', legId: e.legId });
        if (world.mode === 'cold') world.callerMoved = true;
        break;
      }
      case 'carrier.cancel':
        expect(world.dialed).toContain(e.legId);
        world.canceled.add(e.legId);
        break;
      case 'caller.hold':
        world.callerMoved = true;
        world.pending.push({ type: 'caller.held' });
        break;
      case 'agent.summary_request':
        world.pending.push({ type: 'summary.received', text: 'Caller wants a refund.' });
        break;
      case 'transfer.ended':
        world.ended.push(e);
        expect(world.ended).toHaveLength(1);
        break;
      case 'caller.to_agent':
        expect(world.callerMoved).toBe(true);
        break;
      case 'human.whisper':
        // Only to a human who answered, whose leg is neither ended nor canceled, and never once
        // the caller is gone (no briefing into an empty room).
        expect(world.answerSeen.has(e.legId)).toBe(true);
        expect(world.endFed.has(e.legId)).toBe(false);
        expect(world.canceled.has(e.legId)).toBe(false);
        expect(event?.type).not.toBe('caller.hangup');
        // The whisper document ends by joining the room: the carrier reports the human there.
        world.pending.push(
          { type: 'whisper.played', legId: e.legId },
          { type: 'human.joined', legId: e.legId },
        );
        break;
      default:
        break;
    }
  }
}

function apply(world: World, event: TransferEvent): void {
  const machine = TRANSFER_MODES.get(world.mode).machine;
  const prev = world.state;
  const wasTerminal = machine.isTerminal(prev);
  const ctx = { nowMs: world.nowMs };
  const r = machine.step(prev, event, ctx);

  // Applying the same event again changes nothing and does nothing.
  const again = machine.step(r.state, event, ctx);
  expect(again.state).toBe(r.state);
  expect(again.effects).toEqual([]);

  // One timeline entry per applied event; an ignored event returns the same state, no effects.
  if (r.state === prev) expect(r.effects).toEqual([]);
  else expect(r.state.timeline).toHaveLength(prev.timeline.length + 1);
  expect(r.state.timeline.slice(0, prev.timeline.length)).toEqual(prev.timeline);

  // No destination ever reaches the timeline.
  const added = JSON.stringify(r.state.timeline.slice(prev.timeline.length));
  for (const n of world.plan.chain) expect(added).not.toContain(n);

  // The saved form is the state.
  expect(JSON.parse(JSON.stringify(r.state))).toStrictEqual(r.state);

  // After the end only the stray safety rules act: a leg given up that answers, or rings after all.
  if (wasTerminal) {
    for (const e of r.effects) expect(e.type).toBe('carrier.cancel');
    if (r.state !== prev) expect(['leg.answered', 'leg.ringing']).toContain(event.type);
  }

  // A report about a leg not dialed yet is noise the machine ignores; it says nothing about the
  // leg of that id dialed later.
  const known = 'legId' in event && world.dialed.includes(event.legId);
  if (event.type === 'leg.answered' && known) {
    world.answerSeen.add(event.legId);
    // Warm without a whisper: the human's document joins the room at once.
    if (world.mode === 'warm') world.pending.push({ type: 'human.joined', legId: event.legId });
  }
  if (event.type === 'leg.ended' && known) world.endFed.add(event.legId);
  if (event.type === 'timer.fired') world.timers.delete(event.timerId);

  const ended = r.effects.filter((e) => e.type === 'transfer.ended');
  if (ended.length > 0) {
    expect(ended).toHaveLength(1);
    expect(r.effects.at(-1)).toEqual(ended[0]);
    expect(r.effects.filter((e) => e.type === 'flag.clear')).toHaveLength(1);
  }
  observe(world, r.effects, event);

  // Only the caller hanging up (or, warm, leaving the room the daemon put them in and not coming
  // back) ends a transfer with caller_hangup.
  const outcome = ended[0]?.type === 'transfer.ended' ? ended[0].outcome : null;
  // Warm: leaving the room is a hang-up once the caller has not come back within the
  // confirmation wait and the carrier never said their call is live (the `check` timer).
  const callerGone =
    event.type === 'caller.hangup' ||
    (event.type === 'timer.fired' && event.timerId === 'check' && world.mode === 'warm');
  expect(outcome === 'caller_hangup').toBe(callerGone && outcome !== null);

  // Two humans never have the caller.
  expect(r.state.legs.filter((l) => l.status === 'connected').length).toBeLessThanOrEqual(1);

  // Warm: connected only once the carrier reported both the caller and the human in the room.
  if (world.mode === 'warm' && outcome === 'connected') {
    const fed = [...world.fed, event];
    expect(r.state.flags.callerHeld).toBe(true);
    expect(fed.some((e) => e.type === 'caller.held')).toBe(true);
    const legId = r.state.legs.find((l) => l.status === 'connected')?.legId;
    expect(fed.some((e) => e.type === 'human.joined' && e.legId === legId)).toBe(true);
  }
  // Cold: a leg canceled unasked is never taken for a failure before the caller's fate is known.
  if (world.mode === 'cold' && event.type === 'leg.ended' && event.status === 'canceled') {
    expect(r.effects.filter((e) => e.type === 'agent.resume' || e.type === 'caller.to_agent')).toEqual([]);
  }
  // Never a command to the caller's call for a cold dial, unless a cancel stops it.
  for (const e of r.effects) {
    if (world.mode === 'cold' && e.type === 'caller.to_agent')
      expect(e.interrupt === true).toBe(event.type === 'transfer.cancel');
  }

  // The machine's active timers are exactly those started and neither canceled nor fired.
  expect(new Map(r.state.timers.map((t) => [t.timerId, t.atMs]))).toEqual(world.timers);

  world.state = r.state;
  world.lastEvent = event;
  world.fed.push(event);
}

function runScenario(
  mode: TransferMode,
  input: TransferInput,
  steps: readonly { action: Action; advanceMs: number }[],
) {
  const machine = TRANSFER_MODES.get(mode).machine;
  const start = machine.initial(input, { nowMs: 1_000 });
  const world: World = {
    mode,
    plan: start.state.plan,
    state: start.state,
    nowMs: 1_000,
    dialed: [],
    canceled: new Set(),
    endFed: new Set(),
    answerSeen: new Set(),
    fed: [],
    timers: new Map(),
    callerMoved: false,
    pending: [],
    ended: [],
    lastEvent: null,
  };
  expect(start.effects[0]).toEqual({ type: 'flag.set', destination: input.plan.chain[0] });
  observe(world, start.effects, null);

  for (const s of steps) {
    world.nowMs += s.advanceMs;
    const event = eventOf(world, s.action);
    if (event !== null) apply(world, event);
  }

  // The events stop. The carrier reports canceled legs; due timers fire in deadline order.
  for (let i = 0; i < 100; i++) {
    const unreported = [...world.canceled].find((legId) => !world.endFed.has(legId));
    if (unreported !== undefined) {
      apply(world, { type: 'leg.ended', legId: unreported, status: 'canceled' });
      continue;
    }
    const next = [...world.timers].sort((a, b) => a[1] - b[1])[0];
    if (next === undefined) break;
    world.nowMs = Math.max(world.nowMs, next[1]);
    apply(world, { type: 'timer.fired', timerId: next[0] });
  }

  const { state } = world;
  expect(machine.isTerminal(state)).toBe(true);
  expect(state.outcome).not.toBeNull();
  expect(world.ended).toEqual([
    {
      type: 'transfer.ended',
      outcome: state.outcome,
      ...(state.carrierCode === null ? {} : { carrierCode: state.carrierCode }),
    },
  ]);
  expect(world.timers.size).toBe(0);
  expect(['connected', 'returned', 'hung_up']).toContain(state.phase);
  expect(state.phase === 'hung_up').toBe(state.outcome === 'caller_hangup');
  // Every dialed leg was canceled or reported ended, except the one that has the caller.
  const connected = state.legs.filter((l) => l.status === 'connected').map((l) => l.legId);
  expect(connected).toHaveLength(
    state.outcome === 'connected' && state.legs.some((l) => l.status === 'connected') ? 1 : 0,
  );
  // A cold dial runs inside the caller's call: when the caller hangs up the carrier ends it.
  const endsWithCaller = mode === 'cold' && state.outcome === 'caller_hangup';
  for (const legId of world.dialed) {
    if (connected.includes(legId) || endsWithCaller) continue;
    expect(world.canceled.has(legId) || world.endFed.has(legId)).toBe(true);
  }
  return state;
}

const scenario = fc.array(step, { maxLength: 40, size: 'max' });

describe.each<TransferMode>(['cold', 'warm'])('%s machine under random events', (mode) => {
  it('always ends with exactly one outcome and keeps every safety rule', () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(inputArb(mode), scenario, (input, steps) => {
        outcomes.add(runScenario(mode, input, steps).outcome ?? 'none');
      }),
      { numRuns: 300 },
    );
    // The generator reaches the interesting ends, not only the easy ones.
    expect(outcomes).toContain('connected');
    expect(outcomes).toContain('caller_hangup');
    expect(outcomes).toContain('canceled');
    expect(outcomes).toContain('no_answer');
  });

  it('with no events at all a transfer still ends, by timers alone', () => {
    fc.assert(
      fc.property(inputArb(mode), (input) => {
        const state = runScenario(mode, input, []);
        // Warm: the caller's hold is never confirmed, and that bound comes before the ring backstop.
        expect(state.outcome).toBe(mode === 'cold' ? 'no_answer' : 'failed');
      }),
      { numRuns: 30 },
    );
  });
});
