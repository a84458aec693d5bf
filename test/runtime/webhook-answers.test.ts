import { describe, expect, it } from 'vitest';
import type { CarrierEvent } from '../../providers/types.js';
import { WebhookError } from '../../providers/types.js';
import { DaemonError } from '../../src/domain/errors.js';
import {
  CALL_ID,
  CALLER,
  type FakeDoc,
  LEG0,
  NOW,
  OUR_NUMBER,
  type RecordName,
  readDoc,
  webhookRequest,
} from './shell-fakes.js';
import { event, harness, leg } from './webhook-harness.js';

/**
 * What the webhook handler answers, below end to end (webhook-harness.ts): a signature that does
 * not hold or a body that cannot be read (nothing read further, nothing dispatched), an unknown
 * call, a continuation answered from saved state alone, a request to a fallback URL.
 */

/** A new call's first webhook, as every carrier's parser gives it. */
const incoming = (carrierCallId: string, to: string = OUR_NUMBER) =>
  ({ type: 'call.incoming', dedupeKey: 'k', carrierCallId, from: CALLER, to, direction: 'inbound' }) as const;

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
    const answer = await h.send('voice', incoming('CA9', '+14155550999'));
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('hangup');
    expect(h.engine.created).toEqual([]);
  });

  it('a new call to an agent’s number: its record, answered with the stream', async () => {
    const h = harness();
    const answer = await h.send('voice', incoming('CA9'));
    expect('markup' in answer ? readDoc(answer.markup) : undefined).toEqual({
      doc: 'stream',
      parameters: { callId: 'CA9' },
    });
    expect(h.engine.created).toEqual(['CA9']);
  });

  it('a new call while draining: 503 for the balancer to try another worker, no record', async () => {
    const h = harness({ accepting: false });
    const answer = await h.send('voice', incoming('CA9'));
    expect(answer).toEqual({ status: 503, code: 'draining' });
    expect(h.engine.created).toEqual([]);
  });
});

const CONTINUATION: CarrierEvent = {
  type: 'stream.continuation',
  dedupeKey: 'k',
  carrierCallId: CALL_ID,
  callId: CALL_ID,
};

/** A cold dial whose first dial was claimed (`via`) before this continuation came, the claim refused again. */
function claimedDial(via: 'rest' | 'webhook', setup: Parameters<typeof harness>[0] = {}) {
  const h = harness({ record: 'coldDialing', ...setup });
  const record = h.engine.records.get(CALL_ID);
  if (record === undefined) throw new Error('no record');
  h.engine.records.set(CALL_ID, { ...record, callerDial: { legId: LEG0, via, atMs: NOW } });
  h.engine.statusOf = (input) => (input.type === 'caller.dial_sent' ? 'unchanged' : 'applied');
  return h;
}

describe('WebhookHandler: a continuation is answered from saved state alone', () => {
  const rows: readonly { record: RecordName; doc: FakeDoc['doc']; where: string }[] = [
    { record: 'ai', doc: 'stream', where: 'with the AI: the stream again' },
    { record: 'coldDialing', doc: 'dial', where: 'in a cold dial: the dial in progress' },
    { record: 'warmHeld', doc: 'hold', where: 'on hold: the room' },
    { record: 'ended', doc: 'hangup', where: 'over: a hang-up' },
  ];
  it.each(rows)('$where', async ({ record, doc }) => {
    const h = harness({ record });
    const continuation = CONTINUATION;
    const answer = await h.send('voice', continuation);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe(doc);
    // Only a dial is claimed as sent to the caller (its REST copy is then not sent, soak seed 5048).
    expect(h.engine.dispatched.map(({ input }) => input)).toEqual(
      doc === 'dial' ? [{ type: 'caller.dial_sent', legId: LEG0, via: 'webhook' }] : [],
    );
    // The same request again (a retried webhook, another worker): the same answer.
    const again = await h.send('voice', continuation);
    expect('markup' in again ? readDoc(again.markup)?.doc : undefined).toBe(doc);
  });

  it('the dial claimed for a REST command on its way: silence, then ask again — never a second dial (soak seed 30719)', async () => {
    const answer = await claimedDial('rest').send('voice', CONTINUATION);
    expect('markup' in answer ? readDoc(answer.markup) : undefined).toMatchObject({
      doc: 'pause',
      seconds: 1,
    });
    // Claimed by an earlier answer of this very continuation (a retried webhook): the dial again.
    const again = await claimedDial('webhook').send('voice', CONTINUATION);
    expect('markup' in again ? readDoc(again.markup)?.doc : undefined).toBe('dial');
  });

  it('where the redirect is itself an ask of the voice URL (Plivo aleg_url): that ask gets the dial', async () => {
    const h = claimedDial('rest', { capabilities: { redirectAsksContinuation: true } });
    const answer = await h.send('voice', CONTINUATION);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('dial');
  });

  it('a new call while the store is away: pause and ask at the entry again, six times, then the error (the fallback)', async () => {
    const h = harness();
    let away = true;
    const down = () =>
      Promise.reject(new DaemonError('store_unavailable', 'redis down', { retryable: true }));
    const get = h.engine.get.bind(h.engine);
    h.engine.get = (callId) => (away ? down() : get(callId));
    const createCall = h.engine.createCall.bind(h.engine);
    h.engine.createCall = (input) => (away ? down() : createCall(input));
    const first = incoming('CA9');
    for (let i = 0; i < 6; i++) {
      const answer = await h.send('voice', first);
      // The entry URL with none of the daemon's ids: asked there, it is a new call again.
      expect('markup' in answer ? readDoc(answer.markup) : undefined).toEqual({
        doc: 'pause',
        seconds: 2,
        url: 'https://pt.test/fake/voice',
      });
    }
    await expect(h.send('voice', first)).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(h.engine.created).toEqual([]);
    // Another call waits again from the start, and once the store answers it is a call like any other.
    const other = incoming('CA8');
    expect('markup' in (await h.send('voice', other)) ? 'pause' : undefined).toBe('pause');
    away = false;
    const answer = await h.send('voice', other);
    expect('markup' in answer ? readDoc(answer.markup) : undefined).toEqual({
      doc: 'stream',
      parameters: { callId: 'CA8' },
    });
  });

  it('a retried new-call webhook of a call already recorded: where the call is now, no second record', async () => {
    const h = harness({ record: 'coldDialing' });
    const answer = await h.send('voice', incoming(CALL_ID));
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('dial');
    expect(h.engine.created).toEqual([]);
  });
});
