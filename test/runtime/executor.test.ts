import { describe, expect, it } from 'vitest';
import { CarrierError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { type CallEffect, type CallInput, reduceCall } from '../../src/runtime/call-reducer.js';
import type { ReplyBody, RunContext } from '../../src/runtime/engine.js';
import { EffectExecutor } from '../../src/runtime/executor.js';
import { LegReplies } from '../../src/runtime/replies.js';
import { SessionRegistry } from '../../src/runtime/sessions.js';
import type { TransferEffect } from '../../src/transfer/machine-types.js';
import { eventually } from '../support/eventually.js';
import {
  type AgentSent,
  CALL_ID,
  CALLER,
  CALLER_ID_REFUSED_CODE,
  type Command,
  FakeCarrier,
  fakeSession,
  HUMAN,
  LEG0,
  OUR_NUMBER,
  RECORDS,
  type RecordName,
  reduceContext,
  T1,
} from './shell-fakes.js';

/**
 * The executor below end to end: a fake carrier (REST commands recorded, failing on demand), a
 * fake agent transport behind a real media bridge, a dispatch that records what is fed back.
 * One table of what each effect does — markup into the waiting webhook's reply, a REST command,
 * a message on the call's agent socket, or nothing — and one of what a failure is fed back as,
 * followed through the real reducer to what it becomes (effect-failures.ts).
 */

const LEG1 = `${T1}:1`;
const tx = (effect: TransferEffect): CallEffect => ({ type: 'transfer', transferId: T1, effect });
const dial = (mode: 'cold' | 'warm', legId = LEG0, callerId = CALLER): CallEffect =>
  tx({ type: 'carrier.dial', legId, to: HUMAN, callerId, timeoutMs: 20_000, mode });

class Slot {
  readonly offered: { kind: 'caller' | 'leg'; type: string }[] = [];
  offer(kind: 'caller' | 'leg', body: ReplyBody): boolean {
    this.offered.push({ kind, type: body.type });
    return true;
  }
}

interface Setup {
  readonly record?: RecordName | (() => CallRecord);
  /** A webhook is waiting for markup (its reply slot is offered). */
  readonly reply?: boolean;
  /** The call's sockets are held by this worker. */
  readonly session?: boolean;
  /** A carrier whose flow moves the caller when the stream closes (Exotel). */
  readonly streamClose?: boolean;
  /** A relay to the worker holding the sockets (false: none holds them). */
  readonly relay?: boolean;
  readonly relayed?: boolean;
  readonly fail?: { readonly op: Command['op']; readonly err: Error; readonly count?: number };
}

function harness(setup: Setup) {
  const carrier = new FakeCarrier(setup.streamClose === true ? { streamCloseMovesCaller: true } : {});
  if (setup.fail !== undefined) carrier.fail(setup.fail.op, setup.fail.err, setup.fail.count);
  const sessions = new SessionRegistry();
  const local = fakeSession();
  if (setup.session !== false) sessions.set(local.session);
  const fed: CallInput[] = [];
  const relayedEffects: CallEffect[] = [];
  const legReplies = new LegReplies();
  const executor = new EffectExecutor({
    adapterFor: () => carrier.adapter,
    sessions,
    log: silentLogger(),
    media: (callId) => ({ callId }),
    legReplies,
    ...(setup.relay === undefined
      ? {}
      : {
          relay: async (_callId: string, effect: CallEffect) => {
            relayedEffects.push(effect);
            return setup.relay === true;
          },
        }),
  });
  executor.bind(async (_callId, input) => {
    fed.push(input);
  });
  const slot = new Slot();
  const context: RunContext = {
    ...(setup.reply === true ? { reply: slot } : {}),
    ...(setup.relayed === true ? { relayed: true } : {}),
  };
  const from = setup.record ?? 'coldDialing';
  const record = typeof from === 'function' ? from() : RECORDS[from]();
  return { carrier, sessions, local, fed, relayedEffects, legReplies, executor, slot, context, record };
}

/** What a row expects; every list is compared whole (an empty list: nothing of that kind). */
interface Expect {
  readonly reply?: readonly { kind: 'caller' | 'leg'; type: string }[];
  readonly commands?: readonly Command[];
  readonly agent?: readonly AgentSent['kind'][];
  readonly fed?: readonly string[];
  readonly closedCarrier?: number;
  readonly relayed?: number;
  readonly sessionKept?: boolean;
}

interface Row {
  readonly name: string;
  readonly effect: CallEffect;
  readonly setup?: Setup;
  readonly expect: Expect;
}

const redirect = (doc: string): Command => ({ op: 'redirectCall', callId: CALL_ID, doc });

const ROWS: readonly Row[] = [
  // carrier.dial, cold: from the caller's own call
  {
    name: 'cold dial, webhook waiting: the dial is its reply',
    effect: dial('cold'),
    setup: { reply: true },
    expect: { reply: [{ kind: 'caller', type: 'dial' }], commands: [] },
  },
  {
    name: 'cold dial, no webhook waiting: the caller is redirected to the dial',
    effect: dial('cold'),
    expect: { reply: [], commands: [redirect('dial')] },
  },
  {
    name: 'cold dial of a later leg: nothing (the dial-action webhook asks for it)',
    effect: dial('cold', LEG1),
    setup: {
      record: () => {
        const r = RECORDS.coldDialing();
        const transfer = r.transfer;
        if (transfer === null) throw new Error('no transfer');
        const legs = [...transfer.legs, { ...transfer.legs[0], legId: LEG1, index: 1 }];
        return { ...r, transfer: { ...transfer, legs } } as CallRecord;
      },
    },
    expect: { reply: [], commands: [], fed: [] },
  },
  {
    name: 'cold dial where closing the stream moves the caller: the stream is closed, no REST',
    effect: dial('cold'),
    setup: { streamClose: true },
    expect: { commands: [], closedCarrier: 1 },
  },
  // carrier.dial, warm: a new outbound leg
  {
    name: 'warm dial: a new call to the human, its carrier id fed back as leg.bound',
    effect: dial('warm'),
    setup: { record: 'warm', reply: true },
    expect: {
      reply: [],
      commands: [{ op: 'createCall', to: HUMAN, from: CALLER, timeoutSec: 20 }],
      fed: ['leg.bound'],
    },
  },
  // carrier.cancel
  {
    name: 'cancel of a bound leg: its carrier call is hung up',
    effect: tx({ type: 'carrier.cancel', legId: LEG0 }),
    setup: { record: 'warm' },
    expect: { commands: [{ op: 'hangupCall', callId: 'CHILD9' }] },
  },
  {
    name: 'cancel of a leg never bound: nothing',
    effect: tx({ type: 'carrier.cancel', legId: LEG0 }),
    expect: { commands: [], fed: [] },
  },
  // caller.hold
  {
    name: 'hold, webhook waiting: the hold room is its reply',
    effect: tx({ type: 'caller.hold', holdAudioUrl: 'https://audio.example.com/hold.mp3' }),
    setup: { record: 'warm', reply: true },
    expect: { reply: [{ kind: 'caller', type: 'hold' }], commands: [] },
  },
  {
    name: 'hold, no webhook waiting: the caller is redirected to the room',
    effect: tx({ type: 'caller.hold' }),
    setup: { record: 'warm' },
    expect: { commands: [redirect('hold')] },
  },
  // caller.to_agent
  {
    name: 'back to the AI, webhook waiting: the stream is its reply',
    effect: tx({ type: 'caller.to_agent' }),
    setup: { record: 'warmHeld', reply: true },
    expect: { reply: [{ kind: 'caller', type: 'agent' }], commands: [] },
  },
  {
    name: 'back to the AI from hold: the caller is redirected to a stream',
    effect: tx({ type: 'caller.to_agent' }),
    setup: { record: 'warmHeld' },
    expect: { commands: [redirect('stream')] },
  },
  {
    name: 'back to the AI from a cold dial: nothing (the dial-action brings the caller back)',
    effect: tx({ type: 'caller.to_agent' }),
    expect: { commands: [] },
  },
  {
    name: 'back to the AI interrupting a cold dial: the caller is redirected now',
    effect: tx({ type: 'caller.to_agent', interrupt: true }),
    expect: { commands: [redirect('stream')] },
  },
  {
    name: 'back to the AI where the flow moves the caller: nothing can be sent',
    effect: tx({ type: 'caller.to_agent' }),
    setup: { record: 'warmHeld', streamClose: true },
    expect: { commands: [] },
  },
  // human.whisper
  {
    name: 'whisper, the human’s answer webhook waiting: its reply',
    effect: tx({ type: 'human.whisper', legId: LEG0, text: 'hi' }),
    setup: { record: 'warm', reply: true },
    expect: { reply: [{ kind: 'leg', type: 'whisper' }], commands: [] },
  },
  // call.hangup
  {
    name: 'hang-up: the caller’s call is hung up by REST',
    effect: { type: 'call.hangup' },
    setup: { record: 'ai' },
    expect: { commands: [{ op: 'hangupCall', callId: CALL_ID }], closedCarrier: 0 },
  },
  {
    name: 'hang-up where the flow ends the call: the stream is closed',
    effect: { type: 'call.hangup' },
    setup: { record: 'ai', streamClose: true },
    expect: { commands: [], closedCarrier: 1 },
  },
  // the agent socket
  {
    name: 'agent.status: a transfer_status on the agent socket',
    effect: tx({ type: 'agent.status', status: 'dialing', legId: LEG0 }),
    expect: { agent: ['status'], commands: [] },
  },
  {
    name: 'agent.summary_request: a summary request on the agent socket',
    effect: tx({ type: 'agent.summary_request', timeoutMs: 3000 }),
    setup: { record: 'warm' },
    expect: { agent: ['summary_request'], commands: [] },
  },
  {
    name: 'transfer.accepted of a tool call: its tool result',
    effect: { type: 'transfer.accepted', transferId: T1, requestId: 'req-1' },
    expect: { agent: ['tool_result'] },
  },
  {
    name: 'transfer.refused of a tool call: its tool result and a failed status',
    effect: { type: 'transfer.refused', refusal: 'call_not_active', detail: 'no', requestId: 'req-1' },
    setup: { record: 'ai' },
    expect: { agent: ['tool_result', 'status'] },
  },
  {
    name: 'agent.detach: the agent socket closes and the session leaves this worker',
    effect: tx({ type: 'agent.detach' }),
    expect: { agent: ['close'], commands: [], sessionKept: false },
  },
  {
    name: 'agent.resume with no stream joined: waits for the caller to be back',
    effect: tx({ type: 'agent.resume', outcome: 'busy' }),
    expect: { agent: [], commands: [] },
  },
  {
    name: 'call.finished: the session closes (carrier socket, then agent)',
    effect: { type: 'call.finished', endedReason: 'caller_hangup' },
    setup: { record: 'ended' },
    expect: { agent: ['close'], closedCarrier: 1, sessionKept: false },
  },
  {
    name: 'a socket effect with no session here and no relay: nothing',
    effect: tx({ type: 'agent.status', status: 'dialing' }),
    setup: { session: false },
    expect: { agent: [], commands: [], relayed: 0 },
  },
  // relayed to the worker holding the sockets
  {
    name: 'a socket effect whose sockets another worker holds: relayed there',
    effect: tx({ type: 'agent.status', status: 'dialing' }),
    setup: { session: false, relay: true },
    expect: { agent: [], relayed: 1 },
  },
  {
    name: 'a socket effect already relayed here: never relayed again',
    effect: tx({ type: 'agent.status', status: 'dialing' }),
    setup: { session: false, relay: true, relayed: true },
    expect: { relayed: 0 },
  },
  {
    name: 'a socket effect held here: run here, not relayed',
    effect: tx({ type: 'agent.status', status: 'dialing' }),
    setup: { relay: true },
    expect: { agent: ['status'], relayed: 0 },
  },
  {
    name: 'a durable retry runs its effect again',
    effect: { type: 'retry', retryId: '1', attempt: 1, effect: tx({ type: 'carrier.cancel', legId: LEG0 }) },
    setup: { record: 'warm' },
    expect: { commands: [{ op: 'hangupCall', callId: 'CHILD9' }], fed: [] },
  },
  {
    name: 'a REST effect: never relayed',
    effect: tx({ type: 'carrier.cancel', legId: LEG0 }),
    setup: { record: 'warm', session: false, relay: true },
    expect: { commands: [{ op: 'hangupCall', callId: 'CHILD9' }], relayed: 0 },
  },
  // written in the commit, nothing to run
  ...(
    [
      tx({ type: 'flag.set', destination: HUMAN }),
      tx({ type: 'flag.clear' }),
      tx({ type: 'timer.cancel', timerId: 'hold' }),
      tx({ type: 'timer.start', timerId: 'hold', atMs: 1 }),
      tx({ type: 'transfer.ended', outcome: 'busy' }),
      { type: 'retry.schedule', retryId: '1', atMs: 1 },
      { type: 'effect.abandoned', effect: 'carrier.cancel' },
    ] satisfies CallEffect[]
  ).map(
    (effect): Row => ({
      name: `${effect.type === 'transfer' ? effect.effect.type : effect.type}: nothing to run`,
      effect,
      expect: { reply: [], commands: [], agent: [], fed: [] },
    }),
  ),
];

describe('EffectExecutor: what each effect does', () => {
  it.each(ROWS)('$name', async ({ effect, setup = {}, expect: want }) => {
    const h = harness(setup);
    await h.executor.run(h.record, [effect], h.context);
    if (want.reply !== undefined) expect(h.slot.offered).toEqual(want.reply);
    if (want.commands !== undefined) expect(h.carrier.commands).toEqual(want.commands);
    if (want.agent !== undefined) expect(h.local.agent.sent.map((s) => s.kind)).toEqual(want.agent);
    if (want.fed !== undefined) expect(h.fed.map((i) => i.type)).toEqual(want.fed);
    if (want.closedCarrier !== undefined) expect(h.local.closedCarrier()).toBe(want.closedCarrier);
    if (want.relayed !== undefined) expect(h.relayedEffects).toHaveLength(want.relayed);
    if (want.sessionKept !== undefined) expect(h.sessions.get(CALL_ID) !== undefined).toBe(want.sessionKept);
  });

  it('a whisper decided before the human’s answer webhook came answers it when it comes', async () => {
    const h = harness({ record: 'warm' });
    await h.executor.run(h.record, [tx({ type: 'human.whisper', legId: LEG0, text: 'hi' })], h.context);
    const waiting = h.legReplies.expect(LEG0, 10_000, { type: 'hangup' });
    await expect(waiting.reply).resolves.toEqual({ type: 'whisper', legId: LEG0, text: 'hi' });
  });

  it('handoff.watch: once the queued agent audio has played, handoff.played is fed back', async () => {
    const h = harness({});
    await h.executor.run(h.record, [{ type: 'handoff.watch', transferId: T1 }], h.context);
    const fed = await eventually(
      () => h.fed.find((i) => i.type === 'transfer.event'),
      'handoff.played fed back',
    );
    expect(fed).toEqual({ type: 'transfer.event', transferId: T1, event: { type: 'handoff.played' } });
  });

  it('agent.resume waits for the caller’s next stream, then resumes the agent', async () => {
    const h = harness({ record: 'warmHeld' });
    await h.executor.run(h.record, [tx({ type: 'agent.resume', outcome: 'busy' })], h.context);
    expect(h.local.agent.sent).toEqual([]);
    expect(h.local.session.pendingResume).toEqual({ transferId: T1, outcome: 'busy' });
    h.local.session.onCallerBack?.();
    expect(h.local.agent.sent).toEqual([{ kind: 'resume', transferId: T1, outcome: 'busy' }]);
  });

  it('effects run in order, and a failed one does not stop the next', async () => {
    const h = harness({
      record: 'warm',
      fail: { op: 'hangupCall', err: new CarrierError('twilio', 500, undefined, 'x') },
    });
    await h.executor.run(
      h.record,
      [
        tx({ type: 'carrier.cancel', legId: LEG0 }),
        tx({ type: 'agent.status', status: 'failed', legId: LEG0 }),
      ],
      h.context,
    );
    expect(h.fed.map((i) => i.type)).toEqual(['effect.failed']);
    expect(h.local.agent.sent.map((s) => s.kind)).toEqual(['status']);
  });
});

// ---------------------------------------------------------------------------------------------
// Failures

const retryable = () => new CarrierError('twilio', 503, undefined, 'unavailable');
const permanent = (code = '20404') => new CarrierError('twilio', 404, code, 'not found');

interface FailureRow {
  readonly name: string;
  readonly effect: CallEffect;
  readonly setup: Setup;
  /** The input fed back, compared as a subset. */
  readonly fed: Record<string, unknown>;
  /** What the real reducer makes of it: the first effect types it emits, in order. */
  readonly becomes: readonly string[];
  /** Effect types it also emits, anywhere (the transfer ends, the agent is told). */
  readonly also?: readonly string[];
  /** An entry the call's timeline gets. */
  readonly timeline?: string;
}

const FAILURES: readonly FailureRow[] = [
  {
    name: 'cancel, retryable: a durable retry',
    effect: tx({ type: 'carrier.cancel', legId: LEG0 }),
    setup: { record: 'warm', fail: { op: 'hangupCall', err: retryable() } },
    fed: { type: 'effect.failed', attempt: 0, retryable: true, code: 'carrier_error' },
    becomes: ['retry.schedule'],
    timeline: 'effect.retry_scheduled',
  },
  {
    name: 'cancel, permanent: alerted, and the leg ends (next destination)',
    effect: tx({ type: 'carrier.cancel', legId: LEG0 }),
    setup: { record: 'warm', fail: { op: 'hangupCall', err: permanent() } },
    fed: { type: 'effect.failed', attempt: 0, retryable: false, code: 'carrier_error', carrierCode: '20404' },
    becomes: ['effect.abandoned'],
    also: ['agent.resume', 'transfer.ended'],
  },
  {
    name: 'cancel, retryable, retries spent: alerted',
    effect: { type: 'retry', retryId: '3', attempt: 3, effect: tx({ type: 'carrier.cancel', legId: LEG0 }) },
    setup: { record: 'warm', fail: { op: 'hangupCall', err: retryable() } },
    fed: { type: 'effect.failed', attempt: 3, retryable: true },
    becomes: ['effect.abandoned'],
    also: ['transfer.ended'],
    timeline: 'effect.failed',
  },
  {
    name: 'hang-up, retryable: a durable retry',
    effect: { type: 'call.hangup' },
    setup: { record: 'ai', fail: { op: 'hangupCall', err: retryable() } },
    fed: { type: 'effect.failed', retryable: true },
    becomes: ['retry.schedule'],
  },
  {
    name: 'back to the AI, retryable: a durable retry',
    effect: tx({ type: 'caller.to_agent' }),
    setup: { record: 'warmHeld', fail: { op: 'redirectCall', err: retryable() } },
    fed: { type: 'effect.failed', retryable: true },
    becomes: ['retry.schedule'],
  },
  {
    name: 'hold, retryable: no retry (the AI waits); the transfer ends, the agent resumes',
    effect: tx({ type: 'caller.hold' }),
    setup: { record: 'warmHeld', fail: { op: 'redirectCall', err: retryable() } },
    fed: { type: 'effect.failed', retryable: true },
    becomes: ['effect.abandoned'],
    also: ['agent.resume', 'transfer.ended'],
    timeline: 'effect.failed',
  },
  {
    name: 'warm dial, retryable: the leg’s leg.error at once (never placed twice)',
    effect: dial('warm'),
    setup: { record: 'warm', fail: { op: 'createCall', err: retryable() } },
    fed: { type: 'transfer.event', transferId: T1, event: { type: 'leg.error', legId: LEG0 } },
    becomes: [],
    also: ['agent.resume', 'transfer.ended'],
  },
  {
    name: 'cold dial, permanent: the leg’s leg.error with the carrier’s code',
    effect: dial('cold'),
    setup: { fail: { op: 'redirectCall', err: permanent('21220') } },
    fed: { type: 'transfer.event', event: { type: 'leg.error', legId: LEG0, carrierCode: '21220' } },
    becomes: [],
    also: ['caller.to_agent', 'agent.resume', 'transfer.ended'],
  },
  {
    name: 'an error that is not the carrier’s: not retryable, no code',
    effect: { type: 'call.hangup' },
    setup: { record: 'ai', fail: { op: 'hangupCall', err: new Error('boom') } },
    fed: { type: 'effect.failed', retryable: false },
    becomes: ['effect.abandoned'],
  },
];

describe('EffectExecutor: what a failure is fed back as, and what it becomes', () => {
  it.each(FAILURES)('$name', async ({ effect, setup, fed, becomes, also = [], timeline }) => {
    const h = harness(setup);
    await h.executor.run(h.record, [effect], h.context);
    expect(h.fed).toHaveLength(1);
    const input = h.fed[0];
    if (input === undefined) throw new Error('nothing fed back');
    expect(input).toMatchObject(fed);
    if (input.type === 'effect.failed') {
      const inner = effect.type === 'retry' ? effect.effect : effect;
      expect(input.effect).toEqual(inner);
      if (!('code' in fed)) expect(input.code === undefined).toBe(!(setup.fail?.err instanceof CarrierError));
    }
    const result = reduceCall(h.record, input, reduceContext());
    const effects = result?.effects.map((e) => (e.type === 'transfer' ? e.effect.type : e.type)) ?? [];
    expect(effects.slice(0, becomes.length)).toEqual(becomes);
    expect(effects).toEqual(expect.arrayContaining([...also]));
    if (also.length === 0) expect(effects).toHaveLength(becomes.length);
    if (timeline !== undefined) expect(result?.record.timeline.map((e) => e.event)).toContain(timeline);
  });

  it('a caller ID the carrier refuses (21210): the leg is placed again from our own number, and said', async () => {
    const h = harness({
      record: 'warm',
      fail: { op: 'createCall', err: new CarrierError('twilio', 400, CALLER_ID_REFUSED_CODE, 'not yours') },
    });
    await h.executor.run(h.record, [dial('warm')], h.context);
    expect(h.carrier.commands).toEqual([{ op: 'createCall', to: HUMAN, from: OUR_NUMBER, timeoutSec: 20 }]);
    expect(h.fed.map((i) => i.type)).toEqual(['call.note', 'leg.bound']);
  });

  it('a dispatch that cannot take the failure: logged, never thrown', async () => {
    const h = harness({ record: 'ai', fail: { op: 'hangupCall', err: retryable() } });
    h.executor.bind(async () => {
      throw new Error('store down');
    });
    await expect(h.executor.run(h.record, [{ type: 'call.hangup' }], h.context)).resolves.toBeUndefined();
  });
});
