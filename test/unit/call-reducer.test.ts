import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import {
  type CallRecord,
  type CallTimelineEntry,
  newCallRecord,
  type TransferAttemptSummary,
  type TransferRefusalSummary,
} from '../../src/runtime/call-record.js';
import {
  type CallEffect,
  type CallInput,
  REST_DIAL_LANDS_MS,
  type ReduceContext,
  type ReduceResult,
  reduceCall,
} from '../../src/runtime/call-reducer.js';
import { commitFor } from '../../src/runtime/commit-changes.js';
import type { PendingRetry } from '../../src/runtime/effect-failures.js';
import { GUARD_MS } from '../../src/runtime/effect-guards.js';

/**
 * `reduceCall` is pure: (record, input, context) → (record, effects) or null. One table of the
 * inputs that change nothing, one of the transitions, each row starting from a record built
 * through `reduceCall` itself and deep-frozen (so a mutation throws). Transfer-machine details
 * live in the machine tests; here only what the call level decides is checked. A new input or
 * phase is a new row.
 */

const NOW = 1_700_000_000_000;
/** When the input under test is applied. */
const AT = NOW + 1_000;
const CALL_ID = 'CA1';
const CALLER = '+12125550123';
const DEFAULT_HUMAN = '+14155550133';
const T1 = `${CALL_ID}.t1`;
/** The cold transfer's first leg, as the machines name legs. */
const LEG0 = `${T1}:0`;

function agentConfig(patch: { handoff?: object; callControl?: object } = {}): AgentConfig {
  return parseAgentConfig(
    {
      id: 'front-desk',
      numbers: ['+14155550100'],
      agent: { url: 'ws://127.0.0.1:1/agent' },
      handoffConfig: {
        transferDestination: DEFAULT_HUMAN,
        holdAudio: 'https://audio.example.com/hold.mp3',
        whisper: 'A caller from the front desk.',
        ...patch.handoff,
      },
      callControl: { onNoResponseAction: 'none', ...patch.callControl },
    },
    { defaultRegion: 'US' },
  );
}

const AGENT = agentConfig();
const NO_DEFAULT = parseAgentConfig(
  { id: 'front-desk', numbers: ['+14155550100'], agent: { url: 'ws://127.0.0.1:1/agent' } },
  { defaultRegion: 'US' },
);

const ctxAt = (nowMs: number, extra: Partial<ReduceContext> = {}): ReduceContext => ({
  nowMs,
  agent: AGENT,
  defaultRegion: 'US',
  ...extra,
});

/** Applies inputs in order at NOW; every one must change something. */
function through(record: CallRecord, ...inputs: CallInput[]): CallRecord {
  let current = record;
  for (const input of inputs) {
    const result = reduceCall(current, input, ctxAt(NOW));
    if (result === null) throw new Error(`setup input ${input.type} changed nothing`);
    current = result.record;
  }
  return current;
}

const request = (extra: Partial<Extract<CallInput, { type: 'transfer.request' }>> = {}): CallInput => ({
  type: 'transfer.request',
  trigger: { type: 'default' },
  ...extra,
});
const transferEvent = (
  event: Extract<CallInput, { type: 'transfer.event' }>['event'],
  bind?: { legId: string; carrierLegId: string },
): CallInput => ({ type: 'transfer.event', transferId: T1, event, ...(bind === undefined ? {} : { bind }) });

/** Where a call can be, each built through reduceCall from a new call. */
const FROM = {
  ai: (): CallRecord =>
    newCallRecord({
      callId: CALL_ID,
      carrier: 'twilio',
      agentId: 'front-desk',
      agentVersion: 1,
      direction: 'inbound',
      from: CALLER,
      to: '+14155550100',
      nowMs: NOW,
    }),
  /** A cold transfer waiting for the AI's handoff sentence to play: nothing dialed yet. */
  coldHandoff: (): CallRecord => through(FROM.ai(), request()),
  /** A cold transfer dialing its only destination. */
  coldDialing: (): CallRecord => through(FROM.coldHandoff(), transferEvent({ type: 'handoff.played' })),
  /** A warm transfer, dialing, the caller still with the AI (the handoff sentence plays). */
  warm: (): CallRecord => through(FROM.ai(), request({ mode: 'warm' })),
  /** A warm transfer with the caller moved to hold. */
  warmHeld: (): CallRecord => through(FROM.warm(), transferEvent({ type: 'handoff.played' })),
  /** A cold transfer that connected: the human has the caller. */
  human: (): CallRecord => through(FROM.coldDialing(), transferEvent({ type: 'leg.answered', legId: LEG0 })),
  /** A cold transfer that failed (busy): the caller is back with the AI. */
  back: (): CallRecord =>
    through(FROM.coldDialing(), transferEvent({ type: 'leg.ended', legId: LEG0, status: 'busy' })),
  ended: (): CallRecord => through(FROM.ai(), { type: 'call.ended' }),
} satisfies Record<string, () => CallRecord>;
type From = keyof typeof FROM;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function reduceFrom(from: From, input: CallInput, ctx: Partial<ReduceContext> = {}) {
  const before = deepFreeze(FROM[from]());
  return { before, result: reduceCall(before, input, ctxAt(AT, ctx)) };
}

describe('reduceCall: inputs that change nothing (null)', () => {
  const EVERY_INPUT: CallInput[] = [
    request(),
    transferEvent({ type: 'handoff.played' }),
    { type: 'leg.bound', legId: LEG0, carrierLegId: 'CA-human' },
    { type: 'call.ended' },
    { type: 'agent.hangup' },
    { type: 'agent.failed' },
    { type: 'caller.silent' },
    { type: 'stream.lost' },
  ];
  const ROWS: [string, From, CallInput, Partial<ReduceContext>?][] = [
    ...EVERY_INPUT.map((input): [string, From, CallInput] => [
      `an ended call: ${input.type}`,
      'ended',
      input,
    ]),
    ['a transfer event when the call has no transfer', 'ai', transferEvent({ type: 'handoff.played' })],
    [
      'a transfer event for another transfer',
      'coldDialing',
      { type: 'transfer.event', transferId: `${CALL_ID}.t9`, event: { type: 'caller.hangup' } },
    ],
    [
      'a transfer event bound to a leg the transfer does not have',
      'coldDialing',
      transferEvent({ type: 'leg.answered', legId: `${T1}:7` }, { legId: `${T1}:7`, carrierLegId: 'CA-x' }),
    ],
    [
      'a transfer event the machine ignores, with no new binding',
      'coldDialing',
      transferEvent({ type: 'caller.held' }),
    ],
    ['agent.hangup while transferring', 'coldDialing', { type: 'agent.hangup' }],
    ['agent.hangup once the human has the caller', 'human', { type: 'agent.hangup' }],
    ['agent.failed while transferring', 'warm', { type: 'agent.failed' }],
    ['caller.silent while transferring', 'coldDialing', { type: 'caller.silent' }],
    ['caller.silent once the human has the caller', 'human', { type: 'caller.silent' }],
    ["caller.silent with onNoResponseAction 'none'", 'ai', { type: 'caller.silent' }],
    // A transfer moving the caller closes their stream: that is no news of the call.
    ['stream.lost while transferring', 'coldDialing', { type: 'stream.lost' }],
    ['stream.lost once the human has the caller', 'human', { type: 'stream.lost' }],
  ];

  it.each(ROWS)('%s', (_name, from, input, ctx) => {
    expect(reduceFrom(from, input, ctx).result).toBeNull();
  });

  it('stream.lost with a check of the call already pending', () => {
    const lost = through(FROM.ai(), { type: 'stream.lost' });
    expect(lost.retries).toEqual([
      { retryId: '1', effect: { type: 'call.check', restore: true }, attempt: 1 },
    ]);
    expect(reduceCall(deepFreeze(lost), { type: 'stream.lost' }, ctxAt(AT))).toBeNull();
  });

  it('leg.bound with a binding already known', () => {
    const bound = through(FROM.coldDialing(), { type: 'leg.bound', legId: LEG0, carrierLegId: 'CA-human' });
    const again = reduceCall(
      deepFreeze(bound),
      { type: 'leg.bound', legId: LEG0, carrierLegId: 'CA-human' },
      ctxAt(AT),
    );
    expect(again).toBeNull();
  });
});

/** What a transition is checked on: the call level only (transfer effects are the machines' business). */
interface Expected {
  readonly phase?: CallRecord['phase'];
  readonly endedReason?: CallRecord['endedReason'];
  readonly endedAtMs?: number;
  /** Effects other than the tagged transfer effects, exactly, in order. */
  readonly callEffects?: readonly CallEffect[];
  /** Transfer effects (by type) that must be among the effects, each tagged with the transfer. */
  readonly transferEffects?: readonly string[];
  /** Timeline entries added by this input, exactly. */
  readonly timeline?: readonly CallTimelineEntry[];
  readonly transfers?: readonly Partial<TransferAttemptSummary>[];
  readonly refusals?: readonly Partial<TransferRefusalSummary>[];
  readonly legCarrierIds?: Readonly<Record<string, string>>;
  readonly transferMode?: 'cold' | 'warm';
  /** The running transfer is the very same state object (the input did not touch it). */
  readonly transferUntouched?: true;
}

interface Row {
  readonly name: string;
  readonly from: From;
  readonly input: CallInput;
  readonly ctx?: Partial<ReduceContext>;
  readonly expected: Expected;
}

const accepted = (requestId?: string): CallEffect[] => [
  { type: 'transfer.accepted', transferId: T1, ...(requestId === undefined ? {} : { requestId }) },
  { type: 'handoff.watch', transferId: T1 },
];

const TRANSITIONS: Row[] = [
  // stream.lost
  {
    name: 'ai + stream.lost: the carrier is asked about the call now, as a durable retry',
    from: 'ai',
    input: { type: 'stream.lost' },
    expected: {
      phase: 'ai',
      callEffects: [{ type: 'retry.schedule', retryId: '1', atMs: AT }],
      timeline: [{ atMs: AT, event: 'stream.lost' }],
    },
  },
  // transfer.request
  {
    name: 'ai + transfer.request: a cold transfer starts (the agent’s default mode)',
    from: 'ai',
    input: request({ requestId: 'req-1' }),
    expected: {
      phase: 'transferring',
      transferMode: 'cold',
      callEffects: accepted('req-1'),
      timeline: [{ atMs: AT, event: 'transfer.started', detail: 'cold default' }],
      transfers: [{ transferId: T1, mode: 'cold', trigger: 'default', chainLength: 1, startedAtMs: AT }],
      refusals: [],
    },
  },
  {
    name: 'ai + transfer.request (warm): a warm transfer starts and dials at once',
    from: 'ai',
    input: request({ mode: 'warm' }),
    expected: {
      phase: 'transferring',
      transferMode: 'warm',
      callEffects: accepted(),
      transferEffects: ['carrier.dial'],
      timeline: [{ atMs: AT, event: 'transfer.started', detail: 'warm default' }],
    },
  },
  {
    name: 'ai + transfer.request (warm) on a carrier without conferences: runs as cold, and says so',
    from: 'ai',
    input: request({ mode: 'warm' }),
    ctx: { carrierCan: (capability) => capability !== 'conference' },
    expected: {
      phase: 'transferring',
      transferMode: 'cold',
      callEffects: accepted(),
      timeline: [
        { atMs: AT, event: 'transfer.warm_as_cold', detail: 'carrier has no conference' },
        { atMs: AT, event: 'transfer.started', detail: 'cold default' },
      ],
    },
  },
  {
    name: 'ai + transfer.request to a number the policy does not allow: refused, the caller stays with the AI',
    from: 'ai',
    input: request({ trigger: { type: 'tag', destinations: ['+19005550199'] }, requestId: 'req-2' }),
    expected: {
      phase: 'ai',
      callEffects: [
        {
          type: 'transfer.refused',
          refusal: 'destination_not_allowed',
          detail: expect.any(String) as unknown as string,
          requestId: 'req-2',
        },
      ],
      timeline: [{ atMs: AT, event: 'transfer.refused', detail: 'destination_not_allowed' }],
      refusals: [{ atMs: AT, trigger: 'tag', refusal: 'destination_not_allowed' }],
      transfers: [],
    },
  },
  {
    name: 'transferring + transfer.request: refused, the running transfer goes on untouched',
    from: 'coldDialing',
    input: request({ requestId: 'req-3' }),
    expected: {
      phase: 'transferring',
      callEffects: [
        {
          type: 'transfer.refused',
          refusal: 'transfer_in_progress',
          detail: 'call is transferring',
          requestId: 'req-3',
        },
      ],
      timeline: [{ atMs: AT, event: 'transfer.refused', detail: 'transfer_in_progress' }],
      refusals: [
        { atMs: AT, trigger: 'default', refusal: 'transfer_in_progress', detail: 'call is transferring' },
      ],
      transferUntouched: true,
    },
  },
  {
    name: 'human + transfer.request: refused, the call is not with the AI',
    from: 'human',
    input: request(),
    expected: {
      phase: 'human',
      callEffects: [{ type: 'transfer.refused', refusal: 'call_not_active', detail: 'call is human' }],
      refusals: [{ refusal: 'call_not_active' }],
    },
  },
  {
    name: 'back with the AI after a failed transfer + transfer.request: a second transfer starts',
    from: 'back',
    input: request(),
    expected: {
      phase: 'transferring',
      callEffects: [
        { type: 'transfer.accepted', transferId: `${CALL_ID}.t2` },
        { type: 'handoff.watch', transferId: `${CALL_ID}.t2` },
      ],
      transfers: [
        { transferId: T1, outcome: 'busy' },
        { transferId: `${CALL_ID}.t2`, startedAtMs: AT },
      ],
    },
  },
  // transfer.event and leg.bound
  {
    name: 'transferring + the human answers (bound to the carrier’s leg id): the human has the caller',
    from: 'coldDialing',
    input: transferEvent({ type: 'leg.answered', legId: LEG0 }, { legId: LEG0, carrierLegId: 'CA-human' }),
    expected: {
      phase: 'human',
      // The agent's `connected` is guarded (effect-guards.ts).
      callEffects: [{ type: 'retry.schedule', retryId: '1', atMs: AT + GUARD_MS }],
      transferEffects: ['transfer.ended'],
      legCarrierIds: { [LEG0]: 'CA-human' },
      transfers: [{ transferId: T1, outcome: 'connected', endedAtMs: AT }],
      timeline: [{ atMs: AT, event: 'transfer.ended', detail: 'connected' }],
    },
  },
  {
    name: 'transferring + the only destination is busy: back with the AI',
    from: 'coldDialing',
    input: transferEvent({ type: 'leg.ended', legId: LEG0, status: 'busy' }),
    expected: {
      phase: 'ai',
      // Bringing the caller back, and the agent's `failed`, are guarded by retries written in the
      // same commit (effect-guards.ts).
      callEffects: [
        { type: 'retry.schedule', retryId: '1', atMs: AT + GUARD_MS },
        { type: 'retry.schedule', retryId: '2', atMs: AT + GUARD_MS },
      ],
      transferEffects: ['transfer.ended', 'caller.to_agent'],
      transfers: [{ transferId: T1, outcome: 'busy', endedAtMs: AT }],
      timeline: [{ atMs: AT, event: 'transfer.ended', detail: 'busy' }],
    },
  },
  {
    name: 'transferring + the transfer hears the caller hang up: it ends, the call waits for its own end',
    from: 'coldDialing',
    input: transferEvent({ type: 'caller.hangup' }),
    expected: {
      phase: 'transferring',
      callEffects: [{ type: 'retry.schedule', retryId: '1', atMs: AT + GUARD_MS }],
      transferEffects: ['transfer.ended'],
      transfers: [{ transferId: T1, outcome: 'caller_hangup', endedAtMs: AT }],
      timeline: [{ atMs: AT, event: 'transfer.ended', detail: 'caller_hangup' }],
    },
  },
  {
    name: 'transferring + an event the machine ignores, with a new binding: only the binding is kept',
    from: 'coldDialing',
    input: transferEvent({ type: 'caller.held' }, { legId: LEG0, carrierLegId: 'CA-human' }),
    expected: {
      phase: 'transferring',
      callEffects: [],
      transferEffects: [],
      timeline: [],
      legCarrierIds: { [LEG0]: 'CA-human' },
      transferUntouched: true,
    },
  },
  {
    name: 'transferring + leg.bound: the carrier’s leg id is kept for cancelling',
    from: 'coldDialing',
    input: { type: 'leg.bound', legId: LEG0, carrierLegId: 'CA-human' },
    expected: { phase: 'transferring', callEffects: [], timeline: [], legCarrierIds: { [LEG0]: 'CA-human' } },
  },
  // call.ended
  {
    name: 'ai + call.ended: the caller hung up',
    from: 'ai',
    input: { type: 'call.ended' },
    expected: {
      phase: 'ended',
      endedReason: 'caller_hangup',
      endedAtMs: AT,
      callEffects: [{ type: 'call.finished', endedReason: 'caller_hangup' }],
      timeline: [{ atMs: AT, event: 'call.ended' }],
    },
  },
  {
    name: 'transferring + call.ended: the transfer ends with the caller, then the call',
    from: 'coldDialing',
    input: { type: 'call.ended' },
    expected: {
      phase: 'ended',
      endedReason: 'caller_hangup',
      callEffects: [{ type: 'call.finished', endedReason: 'caller_hangup' }],
      transferEffects: ['transfer.ended'],
      transfers: [{ transferId: T1, outcome: 'caller_hangup', endedAtMs: AT }],
      timeline: [
        { atMs: AT, event: 'transfer.ended', detail: 'caller_hangup' },
        { atMs: AT, event: 'call.ended' },
      ],
    },
  },
  {
    name: 'human + call.ended: a transferred call',
    from: 'human',
    input: { type: 'call.ended' },
    expected: {
      phase: 'ended',
      endedReason: 'transferred',
      callEffects: [{ type: 'call.finished', endedReason: 'transferred' }],
    },
  },
  // agent.hangup, agent.failed
  {
    name: 'ai + agent.hangup: the call is hung up',
    from: 'ai',
    input: { type: 'agent.hangup', reason: 'goodbye' },
    expected: {
      phase: 'ended',
      endedReason: 'agent_hangup',
      endedAtMs: AT,
      callEffects: [{ type: 'call.hangup' }, { type: 'call.finished', endedReason: 'agent_hangup' }],
      timeline: [{ atMs: AT, event: 'agent.hangup' }],
    },
  },
  {
    name: 'ai + agent.failed with a default destination: the caller goes there',
    from: 'ai',
    input: { type: 'agent.failed' },
    expected: {
      phase: 'transferring',
      callEffects: accepted(),
      transfers: [{ transferId: T1, trigger: 'default' }],
      timeline: [
        { atMs: AT, event: 'agent.failed' },
        { atMs: AT, event: 'transfer.started', detail: 'cold default' },
      ],
    },
  },
  {
    name: 'ai + agent.failed with no default destination: the call is hung up',
    from: 'ai',
    input: { type: 'agent.failed' },
    ctx: { agent: NO_DEFAULT },
    expected: {
      phase: 'ended',
      endedReason: 'error',
      callEffects: [{ type: 'call.hangup' }, { type: 'call.finished', endedReason: 'error' }],
      timeline: [{ atMs: AT, event: 'agent.failed' }],
    },
  },
  // caller.silent
  {
    name: "ai + caller.silent with onNoResponseAction 'transfer': a transfer starts",
    from: 'ai',
    input: { type: 'caller.silent' },
    ctx: { agent: agentConfig({ callControl: { onNoResponseAction: 'transfer' } }) },
    expected: {
      phase: 'transferring',
      callEffects: accepted(),
      transfers: [{ transferId: T1, trigger: 'silence' }],
      timeline: [
        { atMs: AT, event: 'caller.silent', detail: 'transfer' },
        { atMs: AT, event: 'transfer.started', detail: 'cold silence' },
      ],
    },
  },
  {
    name: "ai + caller.silent with onNoResponseAction 'hangup': the call is hung up",
    from: 'ai',
    input: { type: 'caller.silent' },
    ctx: { agent: agentConfig({ callControl: { onNoResponseAction: 'hangup' } }) },
    expected: {
      phase: 'ended',
      endedReason: 'no_response',
      callEffects: [{ type: 'call.hangup' }, { type: 'call.finished', endedReason: 'no_response' }],
      timeline: [{ atMs: AT, event: 'caller.silent', detail: 'hangup' }],
    },
  },
];

describe('reduceCall: transitions', () => {
  it.each(TRANSITIONS)('$name', ({ from, input, ctx, expected: want }) => {
    const { before, result } = reduceFrom(from, input, ctx);
    expect(result).not.toBeNull();
    const { record, effects } = result as ReduceResult;
    const transferId = record.transfer?.transferId;
    const tagged = effects.filter((e) => e.type === 'transfer');
    // Every transfer effect is tagged with the call's current transfer.
    for (const e of tagged) expect(e.transferId).toBe(transferId);
    const seen = {
      phase: record.phase,
      endedReason: record.endedReason,
      endedAtMs: record.endedAtMs,
      callEffects: effects.filter((e) => e.type !== 'transfer'),
      timeline: record.timeline.slice(before.timeline.length),
      transfers: record.transfers,
      refusals: record.refusals,
      legCarrierIds: record.legCarrierIds,
      transferMode: record.transfer?.mode,
    };
    const { transferEffects, transferUntouched, ...fields } = want;
    expect(seen).toMatchObject(fields);
    if (want.callEffects !== undefined) expect(seen.callEffects).toEqual(want.callEffects);
    if (want.timeline !== undefined) expect(seen.timeline).toEqual(want.timeline);
    if (transferEffects !== undefined) {
      const types = tagged.map((e) => (e.type === 'transfer' ? e.effect.type : ''));
      if (transferEffects.length === 0) expect(types).toEqual([]);
      for (const type of transferEffects) expect(types).toContain(type);
    }
    if (transferUntouched) expect(record.transfer).toBe(before.transfer);
    // Never anything but the call it was given.
    expect(record.callId).toBe(before.callId);
    expect(record.pii).toEqual(before.pii);
  });
});

describe('reduceCall: guarded effects (effect-guards.ts)', () => {
  const busy = transferEvent({ type: 'leg.ended', legId: LEG0, status: 'busy' });
  const backWithGuard = () => {
    const result = reduceCall(deepFreeze(FROM.coldDialing()), busy, ctxAt(AT)) as ReduceResult;
    const toAgent = result.effects.find((e) => e.type === 'transfer' && e.effect.type === 'caller.to_agent');
    return { result, guardId: toAgent?.type === 'transfer' ? toAgent.guardId : undefined };
  };

  /** The guard of the agent's terminal `transfer_status` (retry 2), which this step also writes. */
  const statusGuard = (retries: readonly PendingRetry[] | undefined) =>
    (retries ?? []).filter((r) => r.effect.type === 'transfer' && r.effect.effect.type === 'agent.status');

  it('the return to the AI carries a guard: a retry of it, due GUARD_MS later, in the same commit', () => {
    const { result, guardId } = backWithGuard();
    expect(guardId).toBe('1');
    expect(result.effects).toContainEqual({ type: 'retry.schedule', retryId: '1', atMs: AT + GUARD_MS });
    expect(result.record.retries).toContainEqual({
      retryId: '1',
      attempt: 1,
      effect: { type: 'transfer', transferId: T1, effect: { type: 'caller.to_agent' } },
    });
  });

  it("the agent's terminal status carries a guard too (soak seed 30636); progress statuses do not", () => {
    const { result } = backWithGuard();
    const told = result.effects.filter((e) => e.type === 'transfer' && e.effect.type === 'agent.status');
    expect(told).toEqual([
      expect.objectContaining({ guardId: '2', effect: expect.objectContaining({ status: 'failed' }) }),
    ]);
    expect(result.effects).toContainEqual({ type: 'retry.schedule', retryId: '2', atMs: AT + GUARD_MS });
    expect(statusGuard(result.record.retries).map((r) => r.retryId)).toEqual(['2']);
    // The transfer's start tells `started`/`dialing`: no guard for those.
    const started = reduceCall(deepFreeze(FROM.ai()), request(), ctxAt(AT)) as ReduceResult;
    expect(statusGuard(started.record.retries)).toEqual([]);
    // Its retry, when nobody ran it, tells it again (the session tells a terminal status once).
    const fired = reduceCall(result.record, { type: 'effect.retry', retryId: '2' }, ctxAt(AT + GUARD_MS));
    expect(fired?.effects).toEqual([
      expect.objectContaining({
        type: 'retry',
        retryId: '2',
        effect: expect.objectContaining({ type: 'transfer' }),
      }),
    ]);
    // Not after the call ended: nobody is left to tell.
    const ended = reduceCall(result.record, { type: 'call.ended' }, ctxAt(AT + 10)) as ReduceResult;
    expect(
      reduceCall(ended.record, { type: 'effect.retry', retryId: '2' }, ctxAt(AT + GUARD_MS))?.effects ?? [],
    ).toEqual([]);
  });

  it('once the effect ran (effect.done) the guard is gone with its timer, which would find nothing to run', () => {
    const { result } = backWithGuard();
    const done = reduceCall(
      result.record,
      { type: 'effect.done', retryId: '1' },
      ctxAt(AT + 10),
    ) as ReduceResult;
    expect(done.record.retries).toEqual(statusGuard(result.record.retries));
    expect(done.effects).toEqual([{ type: 'retry.cancel', retryId: '1' }]);
    // Removed in the same commit as the guard: no dispatch 3 s later that changes nothing.
    const settings = { flagTtlMs: 300_000, retentionMs: 60_000, nowMs: AT + 10 };
    expect(commitFor(done.record, done.effects, settings).timers).toEqual({ cancel: ['call|retry:1'] });
    expect(reduceCall(done.record, { type: 'effect.done', retryId: '1' }, ctxAt(AT + 20))).toBeNull();
    expect(reduceCall(done.record, { type: 'effect.retry', retryId: '1' }, ctxAt(AT + GUARD_MS))).toBeNull();
  });

  it('when nobody ran it (the worker died), the timer runs it again, unguarded', () => {
    const { result } = backWithGuard();
    const fired = reduceCall(result.record, { type: 'effect.retry', retryId: '1' }, ctxAt(AT + GUARD_MS));
    expect(fired?.effects).toEqual([
      {
        type: 'retry',
        retryId: '1',
        attempt: 1,
        effect: { type: 'transfer', transferId: T1, effect: { type: 'caller.to_agent' } },
      },
    ]);
    expect(fired?.record.retries).toEqual(statusGuard(result.record.retries));
  });

  it('a guarded effect that failed is a failure: its guard goes, a retry of its own is scheduled', () => {
    const { result } = backWithGuard();
    const guarded = result.effects.find((e) => e.type === 'transfer' && e.effect.type === 'caller.to_agent');
    if (guarded === undefined) throw new Error('no guarded effect');
    const failed = reduceCall(
      result.record,
      { type: 'effect.failed', effect: guarded, attempt: 0, retryable: true, code: 'carrier_unavailable' },
      ctxAt(AT + 10),
    ) as ReduceResult;
    expect(failed.record.retries).toEqual([
      ...statusGuard(result.record.retries),
      {
        retryId: '3',
        attempt: 1,
        effect: { type: 'transfer', transferId: T1, effect: { type: 'caller.to_agent' } },
      },
    ]);
    expect(failed.effects).toEqual([{ type: 'retry.schedule', retryId: '3', atMs: AT + 10 + 1_000 }]);
  });

  it('the step that ends the call guards only a human phone to stop (what is repeated after the end)', () => {
    const hangup = reduceCall(deepFreeze(FROM.ai()), { type: 'agent.hangup' }, ctxAt(AT)) as ReduceResult;
    expect(hangup.effects).toContainEqual({ type: 'call.hangup' });
    expect(hangup.record.retries ?? []).toEqual([]);
    // The caller hangs up on hold while the human's leg rings: the cancel is guarded, the agent's status is not.
    const ended = reduceCall(deepFreeze(FROM.warmHeld()), { type: 'call.ended' }, ctxAt(AT)) as ReduceResult;
    const cancel = ended.effects.find((e) => e.type === 'transfer' && e.effect.type === 'carrier.cancel');
    const guardId = cancel?.type === 'transfer' ? cancel.guardId : undefined;
    expect(guardId).toEqual(expect.any(String));
    expect(ended.record.retries).toEqual([
      {
        retryId: guardId,
        attempt: 1,
        effect: { type: 'transfer', transferId: T1, effect: { type: 'carrier.cancel', legId: LEG0 } },
      },
    ]);
    // Its timer is started by the commit that ends the call, which the store keeps (store/lua.ts COMMIT).
    const commit = commitFor(ended.record, ended.effects, {
      flagTtlMs: 300_000,
      retentionMs: 60_000,
      nowMs: AT,
    });
    expect(commit.ended).toBeDefined();
    expect(commit.timers?.start).toEqual([{ timerId: `call|retry:${guardId}`, atMs: AT + GUARD_MS }]);
  });

  it('a call that ends keeps the retries that matter after it, due again, and drops the rest', () => {
    const cancel: PendingRetry = {
      retryId: '1',
      attempt: 2,
      effect: { type: 'transfer', transferId: T1, effect: { type: 'carrier.cancel', legId: LEG0 } },
    };
    const check: PendingRetry = { retryId: '2', attempt: 1, effect: { type: 'call.check' } };
    const owed: PendingRetry = {
      retryId: '3',
      attempt: 1,
      effect: { type: 'transfer', transferId: T1, effect: { type: 'agent.status', status: 'failed' } },
    };
    const toAgent: PendingRetry = {
      retryId: '4',
      attempt: 1,
      effect: { type: 'transfer', transferId: T1, effect: { type: 'caller.to_agent' } },
    };
    const live = deepFreeze({ ...FROM.ai(), retries: [cancel, check, owed, toAgent], retryCount: 4 });
    const ended = reduceCall(live, { type: 'call.ended' }, ctxAt(AT)) as ReduceResult;
    expect(ended.record.phase).toBe('ended');
    // The human's phone is still to stop: its retry is due again (the end drops the timers the
    // call had). Checking the call and moving the caller meant something only while it lived;
    // the agent's terminal status is told by the `call.finished` of the same commit.
    expect(ended.record.retries).toEqual([cancel, owed]);
    expect(ended.effects.filter((e) => e.type === 'retry.schedule')).toEqual([
      { type: 'retry.schedule', retryId: '1', atMs: AT + 1_000 },
    ]);
    const fired = reduceCall(ended.record, { type: 'effect.retry', retryId: '1' }, ctxAt(AT + 1_000));
    expect(fired?.effects).toEqual([{ type: 'retry', retryId: '1', attempt: 2, effect: cancel.effect }]);
  });
});

describe('reduceCall: the first dial to the caller is claimed once (caller.dial_sent)', () => {
  const claim = (via: 'webhook' | 'rest'): CallInput => ({ type: 'caller.dial_sent', legId: LEG0, via });
  it('the first claim wins, with its time; the other way is refused while the claim is fresh', () => {
    const rest = reduceCall(deepFreeze(FROM.coldDialing()), claim('rest'), ctxAt(AT)) as ReduceResult;
    expect(rest.record.callerDial).toEqual({ legId: LEG0, via: 'rest', atMs: AT });
    expect(reduceCall(rest.record, claim('webhook'), ctxAt(AT + REST_DIAL_LANDS_MS - 1))).toBeNull();
    expect(reduceCall(rest.record, claim('rest'), ctxAt(AT + 10))).toBeNull();
  });
  it('a REST claim never seen landing is taken over by the carrier’s ask once REST_DIAL_LANDS_MS passed', () => {
    const rest = reduceCall(deepFreeze(FROM.coldDialing()), claim('rest'), ctxAt(AT)) as ReduceResult;
    const taken = reduceCall(rest.record, claim('webhook'), ctxAt(AT + REST_DIAL_LANDS_MS));
    expect(taken?.record.callerDial).toEqual({ legId: LEG0, via: 'webhook', atMs: AT + REST_DIAL_LANDS_MS });
    // A webhook's claim is never taken over by REST.
    expect(reduceCall(taken?.record as CallRecord, claim('rest'), ctxAt(AT + 60_000))).toBeNull();
  });
});
