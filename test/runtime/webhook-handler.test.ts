import { describe, expect, it } from 'vitest';
import type { CarrierEvent, WebhookKind } from '../../providers/types.js';
import { CALL_ID, type FakeDoc, LEG0, type RecordName, readDoc } from './shell-fakes.js';
import { event, harness, leg, room, type Want } from './webhook-harness.js';

/**
 * The webhook handler below end to end (webhook-harness.ts): each normalized carrier event, what
 * reaches dispatch with which dedupe key, and what the carrier is answered. A new event is a new
 * row. Refusals, unknown calls, continuations and fallbacks: webhook-answers.test.ts.
 */

interface Row {
  readonly name: string;
  readonly record: RecordName;
  readonly kind: WebhookKind;
  readonly event: CarrierEvent;
  readonly dispatched: readonly Want[];
  /** The document answered; undefined: a plain 200. */
  readonly doc?: FakeDoc['doc'];
}

const ROWS: readonly Row[] = [
  {
    name: 'leg.ringing: the leg’s event, its carrier id bound in the same input',
    record: 'warm',
    kind: 'status',
    event: { type: 'leg.ringing', dedupeKey: 'k-ring', carrierCallId: 'CHILD9', ...leg },
    dispatched: [{ input: event({ type: 'leg.ringing', legId: LEG0 }, 'CHILD9'), dedupeKey: 'k-ring' }],
  },
  {
    name: 'leg.answered (status callback)',
    record: 'warm',
    kind: 'status',
    event: { type: 'leg.answered', dedupeKey: 'k-ans', carrierCallId: 'CHILD9', ...leg },
    dispatched: [{ input: event({ type: 'leg.answered', legId: LEG0 }, 'CHILD9'), dedupeKey: 'k-ans' }],
  },
  {
    name: 'leg.ended with the carrier’s code',
    record: 'warm',
    kind: 'status',
    event: { type: 'leg.ended', dedupeKey: 'k-end', status: 'failed', carrierCode: '486', ...leg },
    dispatched: [
      {
        input: event({ type: 'leg.ended', legId: LEG0, status: 'failed', carrierCode: '486' }),
        dedupeKey: 'k-end',
      },
    ],
  },
  {
    name: 'a leg event naming no leg: the current leg, the key qualified with it',
    record: 'coldDialing',
    kind: 'status',
    event: { type: 'leg.ringing', dedupeKey: 'k-flow', carrierCallId: 'CHILD7', callId: CALL_ID },
    dispatched: [
      { input: event({ type: 'leg.ringing', legId: LEG0 }, 'CHILD7'), dedupeKey: `k-flow:${LEG0}` },
    ],
  },
  {
    name: 'a dial-action with the caller gone: the caller’s end first, then the leg’s',
    record: 'coldDialing',
    kind: 'dial-action',
    event: { type: 'leg.ended', dedupeKey: 'k-da', status: 'no_answer', callerStatus: 'completed', ...leg },
    dispatched: [
      { input: { type: 'call.ended' }, dedupeKey: 'k-da:caller-completed' },
      { input: event({ type: 'leg.ended', legId: LEG0, status: 'no_answer' }), dedupeKey: 'k-da' },
    ],
    doc: 'dial',
  },
  {
    name: 'a dial-action with the caller still there: the leg’s end, then caller.present',
    record: 'coldDialing',
    kind: 'dial-action',
    event: { type: 'leg.ended', dedupeKey: 'k-da2', status: 'canceled', callerStatus: 'in_progress', ...leg },
    dispatched: [
      { input: event({ type: 'leg.ended', legId: LEG0, status: 'canceled' }), dedupeKey: 'k-da2' },
      { input: event({ type: 'caller.present' }), dedupeKey: undefined },
    ],
    doc: 'dial',
  },
  {
    name: 'conference.joined by the caller: caller.held',
    record: 'warmHeld',
    kind: 'conference',
    event: { type: 'conference.joined', dedupeKey: 'k-cj', carrierCallId: CALL_ID, label: 'caller', ...room },
    dispatched: [{ input: event({ type: 'caller.held' }), dedupeKey: 'k-cj' }],
  },
  {
    name: 'conference.joined by a human: human.joined of that leg',
    record: 'warmHeld',
    kind: 'conference',
    event: { type: 'conference.joined', dedupeKey: 'k-hj', carrierCallId: 'CHILD9', label: LEG0, ...room },
    dispatched: [{ input: event({ type: 'human.joined', legId: LEG0 }), dedupeKey: 'k-hj' }],
  },
  {
    name: 'conference.left by a human: that leg ended',
    record: 'warmHeld',
    kind: 'conference',
    event: { type: 'conference.left', dedupeKey: 'k-hl', carrierCallId: 'CHILD9', label: LEG0, ...room },
    dispatched: [
      { input: event({ type: 'leg.ended', legId: LEG0, status: 'completed' }), dedupeKey: 'k-hl' },
    ],
  },
  {
    // The caller's own status callback may come much later (seed 0xa2): the machine decides.
    name: 'conference.left by the caller: caller.left',
    record: 'warmHeld',
    kind: 'conference',
    event: { type: 'conference.left', dedupeKey: 'k-cl', carrierCallId: CALL_ID, label: 'caller', ...room },
    dispatched: [{ input: event({ type: 'caller.left' }), dedupeKey: 'k-cl' }],
  },
  {
    name: 'conference.joined with no label: nothing',
    record: 'warmHeld',
    kind: 'conference',
    event: { type: 'conference.joined', dedupeKey: 'k-nl', carrierCallId: 'CX', ...room },
    dispatched: [],
  },
  {
    name: 'conference.started: nothing',
    record: 'warmHeld',
    kind: 'conference',
    event: { type: 'conference.started', dedupeKey: 'k-cs', ...room },
    dispatched: [],
  },
  ...(
    [
      { type: 'conference.ended', dedupeKey: 'k-ce', ...room },
      { type: 'conference.held', dedupeKey: 'k-ch', carrierCallId: CALL_ID, label: 'caller', ...room },
      { type: 'conference.unheld', dedupeKey: 'k-cu', carrierCallId: CALL_ID, label: 'caller', ...room },
      { type: 'conference.announced', dedupeKey: 'k-ca', failed: false, ...room },
    ] satisfies CarrierEvent[]
  ).map(
    (e): Row => ({
      name: `${e.type}: nothing`,
      record: 'warmHeld',
      kind: 'conference',
      event: e,
      dispatched: [],
    }),
  ),
  {
    name: 'call.status of a placed call (no call id in its URL): its end, and its placement’s',
    record: 'ai',
    kind: 'status',
    event: {
      type: 'call.status',
      dedupeKey: 'k-pl',
      carrierCallId: CALL_ID,
      placementId: 'PL1',
      status: 'busy',
    },
    dispatched: [
      { input: { type: 'call.ended', status: 'busy' }, dedupeKey: 'k-pl' },
      { input: { type: 'call.ended', status: 'busy' }, dedupeKey: 'k-pl:placement' },
    ],
  },
  {
    name: 'call.status completed: the call ends, under the callback’s key',
    record: 'ai',
    kind: 'status',
    event: {
      type: 'call.status',
      dedupeKey: 'k-cs1',
      carrierCallId: CALL_ID,
      callId: CALL_ID,
      status: 'completed',
    },
    dispatched: [{ input: { type: 'call.ended', status: 'completed' }, dedupeKey: 'k-cs1' }],
  },
  {
    name: 'call.status ringing: nothing',
    record: 'ai',
    kind: 'status',
    event: {
      type: 'call.status',
      dedupeKey: 'k-cs2',
      carrierCallId: CALL_ID,
      callId: CALL_ID,
      status: 'ringing',
    },
    dispatched: [],
  },
  {
    name: 'event.ignored: nothing',
    record: 'ai',
    kind: 'status',
    event: { type: 'event.ignored', dedupeKey: 'k-ig', detail: 'mute' },
    dispatched: [],
  },
];

describe('WebhookHandler: each normalized event reaches dispatch with its dedupe key', () => {
  it.each(ROWS)('$name', async ({ record, kind, event: e, dispatched, doc }) => {
    const h = harness({ record });
    const answer = await h.send(kind, e);
    expect(answer.status).toBe(200);
    expect(h.engine.dispatched.map(({ input, dedupeKey }) => ({ input, dedupeKey }))).toEqual(dispatched);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe(doc);
  });

  it('markup a dispatch offers into the reply slot answers a dial-action', async () => {
    const h = harness({ record: 'coldDialing' });
    h.engine.onDispatch = (_id, input, context) => {
      if (input.type === 'transfer.event') context.reply?.offer('caller', { type: 'agent' });
    };
    const answer = await h.send('dial-action', {
      type: 'leg.ended',
      dedupeKey: 'k',
      status: 'busy',
      ...leg,
    });
    expect(h.engine.dispatched.map((d) => d.hadReply)).toEqual([true]);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('stream');
  });

  it('a status callback never offers a reply slot (the carrier takes no markup there)', async () => {
    const h = harness({ record: 'warm' });
    await h.send('status', { type: 'leg.answered', dedupeKey: 'k', carrierCallId: 'CHILD9', ...leg });
    expect(h.engine.dispatched.map((d) => d.hadReply)).toEqual([false]);
  });
});
