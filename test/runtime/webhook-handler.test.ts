import { describe, expect, it } from 'vitest';
import type { CarrierEvent, WebhookKind } from '../../providers/types.js';
import { WebhookError } from '../../providers/types.js';
import { silentLogger } from '../../src/log.js';
import type { AgentDirectory } from '../../src/runtime/agent-directory.js';
import type { CallInput } from '../../src/runtime/call-reducer.js';
import { LegReplies } from '../../src/runtime/replies.js';
import { type WebhookBodyReader, WebhookHandler } from '../../src/runtime/webhooks.js';
import {
  AGENT,
  CALL_ID,
  CALLER,
  type Dispatched,
  FakeCarrier,
  type FakeDoc,
  FakeEngine,
  LEG0,
  OUR_NUMBER,
  RECORDS,
  type RecordName,
  readDoc,
  T1,
  webhookRequest,
} from './shell-fakes.js';

/**
 * The webhook handler below end to end: a fake carrier adapter (signature verdict and parsed
 * event given by the test), a fake engine recording every dispatch with its dedupe key, a fake
 * agent directory. What reaches dispatch, and what the carrier is answered, per normalized event.
 */

interface Setup {
  /** The call's saved record, under CALL_ID; none: the call is unknown. */
  readonly record?: RecordName | undefined;
  readonly signatureValid?: boolean;
  readonly accepting?: boolean;
}

function harness(setup: Setup = {}) {
  const carrier = new FakeCarrier();
  carrier.signatureValid = setup.signatureValid ?? true;
  const engine = new FakeEngine();
  if (setup.record !== undefined) engine.records.set(CALL_ID, RECORDS[setup.record]());
  const rejects: string[] = [];
  const agents: AgentDirectory = {
    byNumber: async (n) => (n === OUR_NUMBER ? { agent: AGENT, version: 1 } : undefined),
    get: async () => ({ agent: AGENT, version: 1 }),
  };
  const handler = new WebhookHandler({
    engine,
    agents,
    adapters: new Map([['twilio', carrier.adapter]]),
    legReplies: new LegReplies(),
    media: (callId) => ({ callId }),
    log: silentLogger(),
    onReject: (_carrier, reason) => rejects.push(reason),
    accepting: () => setup.accepting ?? true,
    publicUrl: 'https://pt.test',
  });
  const send = async (kind: WebhookKind, event: CarrierEvent | WebhookError, body?: WebhookBodyReader) => {
    carrier.event = event;
    return handler.handle('twilio', kind, webhookRequest(), {}, body);
  };
  return { carrier, engine, handler, rejects, send };
}

/** A dispatch as a row states it: the input and the dedupe key it must carry. */
type Want = Pick<Dispatched, 'input' | 'dedupeKey'>;

const event = (e: Extract<CallInput, { type: 'transfer.event' }>['event'], bind?: string): CallInput => ({
  type: 'transfer.event',
  transferId: T1,
  event: e,
  ...(bind === undefined ? {} : { bind: { legId: LEG0, carrierLegId: bind } }),
});

const leg = { callId: CALL_ID, transferId: T1, legId: LEG0 } as const;
const room = { callId: CALL_ID, transferId: T1, room: `xfer-${T1}`, carrierConferenceId: 'CF1' } as const;

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
    name: 'conference.left by the caller: nothing (reported by the caller’s own status)',
    record: 'warmHeld',
    kind: 'conference',
    event: { type: 'conference.left', dedupeKey: 'k-cl', carrierCallId: CALL_ID, label: 'caller', ...room },
    dispatched: [],
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

describe('WebhookHandler: a request to a fallback URL', () => {
  it('is answered as the request it names, noted before and after under keys of its own', async () => {
    const h = harness({ record: 'coldDialing' });
    h.carrier.fallback = {
      failedUrl: `https://pt.test/fake/dial-action?callId=${CALL_ID}`,
      errorCode: '11200',
    };
    const answer = await h.send('voice', { type: 'leg.ended', dedupeKey: 'k-fb', status: 'busy', ...leg });
    // Parsed as the dial-action it names, not as the voice request it came in as.
    expect(h.carrier.parsed).toEqual(['dial-action']);
    expect(h.engine.dispatched.map(({ input, dedupeKey }) => ({ input, dedupeKey }))).toEqual([
      {
        input: { type: 'call.note', event: 'markup.failed', detail: '11200' },
        dedupeKey: 'k-fb:fallback:11200:failed',
      },
      { input: event({ type: 'leg.ended', legId: LEG0, status: 'busy' }), dedupeKey: 'k-fb' },
      { input: { type: 'call.note', event: 'markup.recovered' }, dedupeKey: 'k-fb:fallback:11200:recovered' },
    ]);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('dial');
  });
});

describe('WebhookHandler: refused before anything is dispatched', () => {
  it('a signature that does not hold: 403, the body never read or parsed, nothing dispatched', async () => {
    const h = harness({ record: 'ai', signatureValid: false });
    let bodyRead = false;
    const answer = await h.send(
      'status',
      { type: 'call.status', dedupeKey: 'k', carrierCallId: CALL_ID, callId: CALL_ID, status: 'completed' },
      {
        readBody: async () => {
          bodyRead = true;
          return {};
        },
      },
    );
    expect(answer).toEqual({ status: 403, code: 'signature_invalid' });
    expect(bodyRead).toBe(false);
    expect(h.carrier.parsed).toEqual([]);
    expect(h.engine.dispatched).toEqual([]);
    expect(h.rejects).toEqual(['signature']);
  });

  it('a payload the adapter cannot parse: 400 naming the field, nothing dispatched', async () => {
    const h = harness({ record: 'ai' });
    const answer = await h.send('status', new WebhookError('CallStatus', 'unknown status'));
    expect(answer).toMatchObject({ status: 400, field: 'CallStatus' });
    expect(h.engine.dispatched).toEqual([]);
    expect(h.rejects).toEqual(['invalid']);
  });

  it('a body the HTTP layer refuses after the signature: its status, nothing parsed', async () => {
    const h = harness({ record: 'ai' });
    const answer = await h.send(
      'status',
      { type: 'event.ignored', dedupeKey: 'k', detail: '' },
      {
        readBody: async () => ({ statusCode: 413, code: 'body_too_large', field: 'body' }),
      },
    );
    expect(answer).toEqual({ status: 413, code: 'body_too_large', field: 'body' });
    expect(h.carrier.parsed).toEqual([]);
    expect(h.engine.dispatched).toEqual([]);
  });

  it('a carrier that is not configured: 404', async () => {
    const h = harness();
    const answer = await h.handler.handle('plivo', 'voice', webhookRequest(), {});
    expect(answer).toEqual({ status: 404, code: 'carrier_not_configured' });
  });
});

describe('WebhookHandler: an unknown call', () => {
  it('a continuation of a call with no record: a hang-up, nothing dispatched', async () => {
    const h = harness();
    const answer = await h.send('voice', {
      type: 'stream.continuation',
      dedupeKey: 'k',
      carrierCallId: CALL_ID,
      callId: CALL_ID,
    });
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('hangup');
    expect(h.engine.dispatched).toEqual([]);
  });

  it('a leg event naming no leg, on a call with no record: nothing dispatched; a voice webhook gets a hang-up', async () => {
    const h = harness();
    const e: CarrierEvent = {
      type: 'leg.answered',
      dedupeKey: 'k',
      carrierCallId: 'CHILD1',
      callId: CALL_ID,
    };
    const voice = await h.send('voice', e);
    const status = await h.send('status', e);
    expect('markup' in voice ? readDoc(voice.markup)?.doc : undefined).toBe('hangup');
    expect(status).toEqual({ status: 200 });
    expect(h.engine.dispatched).toEqual([]);
  });

  it('a leg event of a call the engine does not have: the leg’s answer URL gets a hang-up', async () => {
    const h = harness();
    const answer = await h.send('voice', {
      type: 'leg.answered',
      dedupeKey: 'k',
      carrierCallId: 'CHILD1',
      ...leg,
    });
    expect(h.engine.dispatched.map((d) => d.input.type)).toEqual(['transfer.event']);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('hangup');
  });

  it('a new call to a number with no agent: a hang-up, no record', async () => {
    const h = harness();
    const answer = await h.send('voice', {
      type: 'call.incoming',
      dedupeKey: 'k',
      carrierCallId: 'CA9',
      from: CALLER,
      to: '+14155550999',
      direction: 'inbound',
    });
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('hangup');
    expect(h.engine.created).toEqual([]);
  });

  it('a new call to an agent’s number: its record, answered with the stream', async () => {
    const h = harness();
    const answer = await h.send('voice', {
      type: 'call.incoming',
      dedupeKey: 'k',
      carrierCallId: 'CA9',
      from: CALLER,
      to: OUR_NUMBER,
      direction: 'inbound',
    });
    expect('markup' in answer ? readDoc(answer.markup) : undefined).toEqual({
      doc: 'stream',
      parameters: { callId: 'CA9' },
    });
    expect(h.engine.created).toEqual(['CA9']);
  });

  it('a new call while draining: a hang-up, no record', async () => {
    const h = harness({ accepting: false });
    const answer = await h.send('voice', {
      type: 'call.incoming',
      dedupeKey: 'k',
      carrierCallId: 'CA9',
      from: CALLER,
      to: OUR_NUMBER,
      direction: 'inbound',
    });
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('hangup');
    expect(h.engine.created).toEqual([]);
  });
});

describe('WebhookHandler: a continuation is answered from saved state alone', () => {
  const rows: readonly { record: RecordName; doc: FakeDoc['doc']; where: string }[] = [
    { record: 'ai', doc: 'stream', where: 'with the AI: the stream again' },
    { record: 'coldDialing', doc: 'dial', where: 'in a cold dial: the dial in progress' },
    { record: 'warmHeld', doc: 'hold', where: 'on hold: the room' },
    { record: 'ended', doc: 'hangup', where: 'over: a hang-up' },
  ];
  it.each(rows)('$where', async ({ record, doc }) => {
    const h = harness({ record });
    const continuation: CarrierEvent = {
      type: 'stream.continuation',
      dedupeKey: 'k',
      carrierCallId: CALL_ID,
      callId: CALL_ID,
    };
    const answer = await h.send('voice', continuation);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe(doc);
    expect(h.engine.dispatched).toEqual([]);
    // The same request again (a retried webhook, another worker): the same answer.
    const again = await h.send('voice', continuation);
    expect('markup' in again ? readDoc(again.markup)?.doc : undefined).toBe(doc);
  });

  it('a retried new-call webhook of a call already recorded: where the call is now, no second record', async () => {
    const h = harness({ record: 'coldDialing' });
    const answer = await h.send('voice', {
      type: 'call.incoming',
      dedupeKey: 'k',
      carrierCallId: CALL_ID,
      from: CALLER,
      to: OUR_NUMBER,
      direction: 'inbound',
    });
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('dial');
    expect(h.engine.created).toEqual([]);
  });
});
