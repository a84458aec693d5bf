import { describe, expect, it } from 'vitest';
import { CALL_ID, CALLER, OUR_NUMBER, readDoc } from './shell-fakes.js';
import { harness } from './webhook-harness.js';

/**
 * A new call's first webhook creates its record without reading first: the create says whether
 * the call exists (issue 18 item 3: one round trip less per call). A retried webhook of a call
 * that exists is answered with where its caller belongs now, as a read would have said.
 */
describe('a new call: created without a read first', () => {
  const incoming = (carrierCallId: string) =>
    ({
      type: 'call.incoming',
      dedupeKey: 'k',
      carrierCallId,
      from: CALLER,
      to: OUR_NUMBER,
      direction: 'inbound',
    }) as const;

  function counted(h: ReturnType<typeof harness>): () => number {
    let reads = 0;
    const get = h.engine.get.bind(h.engine);
    h.engine.get = (callId: string) => {
      reads += 1;
      return get(callId);
    };
    return () => reads;
  }

  it('a new call: its record made, the stream answered, nothing read', async () => {
    const h = harness();
    const reads = counted(h);
    const answer = await h.send('voice', incoming('CA9'));
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('stream');
    expect(h.engine.created).toEqual(['CA9']);
    expect(reads()).toBe(0);
  });

  it('a retried first webhook of a call on hold in a transfer: answered with the hold, not a new stream', async () => {
    const h = harness({ record: 'warmHeld' });
    const answer = await h.send('voice', incoming(CALL_ID));
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('hold');
    expect(h.engine.created).toEqual([]);
  });

  it('a retried first webhook of a call this worker knows: one read, no agent look-up and no create', async () => {
    const h = harness({ record: 'warmHeld' });
    const reads = counted(h);
    let creates = 0;
    const createCall = h.engine.createCall.bind(h.engine);
    h.engine.createCall = (input) => {
      creates += 1;
      return createCall(input);
    };
    const held = h.engine.records.get(CALL_ID);
    Object.assign(h.engine.store.calls, {
      known: (callId: string) =>
        callId === CALL_ID && held !== undefined ? { callId, record: held, version: 4 } : undefined,
    });
    const answer = await h.send('voice', incoming(CALL_ID));
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('hold');
    expect(creates).toBe(0);
    expect(h.lookups).toEqual([]);
    expect(reads()).toBe(1);
    // A call it does not know: created without a read, as before.
    const fresh = await h.send('voice', incoming('CA9'));
    expect('markup' in fresh ? readDoc(fresh.markup)?.doc : undefined).toBe('stream');
    expect(h.engine.created).toEqual(['CA9']);
    expect(reads()).toBe(1);
  });

  it('a carrier whose entry request also follows a dial, or a draining worker: read first, as before', async () => {
    const exotel = harness({ capabilities: { entryFollowsDial: true } });
    const reads = counted(exotel);
    await exotel.send('voice', incoming('CA9'));
    expect(reads()).toBe(1);
    const draining = harness({ accepting: false, record: 'ai' });
    const drainReads = counted(draining);
    const answer = await draining.send('voice', incoming(CALL_ID));
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('stream');
    expect(drainReads()).toBe(1);
  });
});
