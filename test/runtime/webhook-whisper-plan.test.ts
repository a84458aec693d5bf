import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { CALL_ID, RECORDS, readDoc } from './shell-fakes.js';
import { harness, leg } from './webhook-harness.js';

/**
 * A human's answer URL waits for the whisper, and reads what its transfer was started with (the
 * whisper plan, the mode) to bound the wait and choose the fallback. That plan never changes
 * once the transfer started, so the store's known copy of the call gives it when that copy holds
 * the same transfer: no read (issue 18 item 3). Any other copy, or none: the call is read.
 */
describe('a leg answer URL takes its transfer’s plan from the known copy when it holds that transfer', () => {
  const answered = { type: 'leg.answered', dedupeKey: 'k', carrierCallId: 'CHILD9', ...leg } as const;

  function setup(known: CallRecord | undefined) {
    const h = harness({ record: 'warm' });
    let reads = 0;
    const get = h.engine.get.bind(h.engine);
    h.engine.get = (callId: string) => {
      reads += 1;
      return get(callId);
    };
    Object.assign(h.engine.store.calls, {
      known: (callId: string) => (known === undefined ? undefined : { callId, record: known, version: 3 }),
    });
    // The leg's answer webhook is answered by the whisper the dispatch decides.
    h.engine.onDispatch = (_id, input, context) => {
      if (input.type === 'transfer.event')
        context.reply?.offer('leg', { type: 'whisper', legId: leg.legId, text: 'hello' });
    };
    return { h, reads: () => reads };
  }

  it('the known copy holds the leg’s transfer: whispered, nothing read', async () => {
    const { h, reads } = setup(RECORDS.warm());
    const answer = await h.send('voice', answered);
    expect('markup' in answer ? readDoc(answer.markup)?.doc : undefined).toBe('whisper');
    expect(reads()).toBe(0);
  });

  it('no known copy, or one of another transfer: the call is read', async () => {
    const none = setup(undefined);
    await none.h.send('voice', answered);
    expect(none.reads()).toBe(1);
    const other = RECORDS.warm();
    const transfer = other.transfer;
    if (transfer === null) throw new Error('no transfer');
    const later = setup({ ...other, transfer: { ...transfer, transferId: `${CALL_ID}.t2` } } as CallRecord);
    await later.h.send('voice', answered);
    expect(later.reads()).toBe(1);
  });
});
