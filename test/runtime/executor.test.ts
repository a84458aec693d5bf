import { describe, expect, it } from 'vitest';
import { CarrierError } from '../../src/domain/errors.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { CallEffect } from '../../src/runtime/call-reducer.js';
import { eventually } from '../support/eventually.js';
import { dial, harness, LEG1, type Setup, tx } from './executor-harness.js';
import { type AgentSent, CALL_ID, CALLER, type Command, HUMAN, LEG0, RECORDS, T1 } from './shell-fakes.js';

/**
 * What the executor does with each effect, below end to end (executor-harness.ts): markup into
 * the waiting webhook's reply, a REST command, a message on the call's agent socket, a relay to
 * the worker holding that socket, or nothing. A new effect is a new row. What a failure becomes
 * is executor-failures.test.ts.
 */

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
    name: 'cold dial, webhook waiting: the dial is its reply, and claimed as sent',
    effect: dial('cold'),
    setup: { reply: true },
    expect: { reply: [{ kind: 'caller', type: 'dial' }], commands: [], fed: ['caller.dial_sent'] },
  },
  {
    name: 'cold dial, no webhook waiting: the dial is claimed, then the caller is redirected to it',
    effect: dial('cold'),
    expect: { reply: [], commands: [redirect('dial')], fed: ['caller.dial_sent'] },
  },
  {
    name: 'cold dial already sent as a continuation webhook’s answer: no REST redirect (soak seed 5048)',
    effect: dial('cold'),
    setup: { dialClaimed: true },
    expect: { reply: [], commands: [], fed: ['caller.dial_sent'] },
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
  {
    // Soak seed 30538: a draining worker had handed the stream back; the flow moved on by itself
    // and asked what to dial. The dial is under way, not a carrier error.
    name: 'cold dial where closing the stream moves the caller, the stream already gone: nothing to close, no failure',
    effect: dial('cold'),
    setup: { streamClose: true, session: false },
    expect: { commands: [], fed: ['caller.dial_sent'] },
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
  {
    name: 'hold that took effect after its transfer ended (another worker sent the caller back meanwhile): back to the AI',
    effect: tx({ type: 'caller.hold' }),
    setup: { record: 'warm', current: 'warmBusy' },
    expect: { commands: [redirect('hold'), redirect('stream')] },
  },
  {
    name: 'hold while its transfer still runs: nothing more',
    effect: tx({ type: 'caller.hold' }),
    setup: { record: 'warm', current: 'warmHeld' },
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
    // Told, and recorded as told: no other stream or worker tells it again, none leaves it owed.
    await eventually(() => h.fed.some((i) => i.type === 'agent.resumed'), 'agent.resumed recorded');
    expect(h.fed.filter((i) => i.type === 'agent.resumed')).toEqual([
      { type: 'agent.resumed', transferId: T1 },
    ]);
    // Once per session: a second call back (a late relay of the same effect) tells nothing more.
    await h.executor.run(h.record, [tx({ type: 'agent.resume', outcome: 'busy' })], h.context);
    h.local.session.onCallerBack?.();
    expect(h.local.agent.sent).toHaveLength(1);
  });

  it("a terminal status is told once per session: a guard's retry of it tells nothing more (soak seed 30636)", async () => {
    const h = harness({ record: 'warm' });
    const connected = { type: 'agent.status', status: 'connected', legId: LEG0 } as const;
    await h.executor.run(h.record, [{ ...tx(connected), guardId: '7' } as CallEffect], h.context);
    expect(h.local.agent.sent.map((s) => s.kind)).toEqual(['status']);
    await eventually(() => h.fed.some((i) => i.type === 'effect.done'), 'the guard cleared');
    expect(h.fed).toContainEqual({ type: 'effect.done', retryId: '7' });
    // The guard's timer fired all the same (the worker that relayed it died before clearing it).
    await h.executor.run(
      h.record,
      [{ type: 'retry', retryId: '7', attempt: 1, effect: tx(connected) }],
      h.context,
    );
    expect(h.local.agent.sent).toHaveLength(1);
    // Progress statuses are told as they come (two legs of a chain may both ring).
    await h.executor.run(h.record, [tx({ type: 'agent.status', status: 'ringing', legId: LEG0 })], h.context);
    await h.executor.run(h.record, [tx({ type: 'agent.status', status: 'ringing', legId: LEG0 })], h.context);
    expect(h.local.agent.sent).toHaveLength(3);
  });

  it('a guarded terminal status that reached no socket keeps its guard, and the retry relays it again (soak seed 33544)', async () => {
    // The worker holding the agent's socket did not hear the relay (its subscription was down
    // across a Redis restart): nothing was told, so the guard stays for its retry.
    const h = harness({ record: 'warm', session: false, relay: false });
    const connected = { type: 'agent.status', status: 'connected', legId: LEG0 } as const;
    await h.executor.run(h.record, [{ ...tx(connected), guardId: '7' } as CallEffect], h.context);
    expect(h.relayedEffects).toHaveLength(1);
    expect(h.fed.filter((i) => i.type === 'effect.done')).toEqual([]);
    // The retry, 3 s later, on a worker whose relay is heard again.
    const again = harness({ record: 'warm', session: false, relay: true });
    await again.executor.run(
      again.record,
      [{ type: 'retry', retryId: '7', attempt: 1, effect: tx(connected) }],
      again.context,
    );
    expect(again.relayedEffects).toEqual([tx(connected)]);
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

  it("agent.detach does not wait for the agent's close: the effects after it run, and the session is closing until it closes (property seed 0x2ae3)", async () => {
    // An agent socket that dropped just before the transfer connected reconnects to be told
    // `connected`, which may take up to its connect timeout: the close waits that long.
    const h = harness({ record: 'warm' });
    let finish: () => void = () => undefined;
    h.local.agent.close = (reason) => {
      h.local.agent.sent.push({ kind: 'close', reason });
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    };
    const run = h.executor.run(
      h.record,
      [
        tx({ type: 'agent.status', status: 'connected', legId: LEG0 }),
        tx({ type: 'agent.detach' }),
        tx({ type: 'carrier.cancel', legId: LEG0 }),
      ],
      h.context,
    );
    const later = new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 200));
    await expect(Promise.race([run.then(() => 'done'), later])).resolves.toBe('done');
    expect(h.carrier.commands).toEqual([{ op: 'hangupCall', callId: 'CHILD9' }]);
    expect(h.local.agent.sent.map((x) => x.kind)).toEqual(['status', 'close']);
    expect(h.sessions.get(CALL_ID)).toBeUndefined();
    expect(h.sessions.isClosing(CALL_ID)).toBe(true);
    finish();
    await h.sessions.closed();
    expect(h.sessions.isClosing(CALL_ID)).toBe(false);
  });
});
