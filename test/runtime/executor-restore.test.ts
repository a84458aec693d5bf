import { describe, expect, it } from 'vitest';
import { STREAM_LOST_GRACE_MS } from '../../src/runtime/sessions.js';
import { manualTime } from '../support/manual-time.js';
import { harness, type Setup, tx } from './executor-harness.js';
import { CALL_ID, T1 } from './shell-fakes.js';

/**
 * A live caller who belongs with the AI but is not on its stream is moved back to it. Found by
 * `test/e2e/hold-refused.test.ts`: a move to hold the carrier did but answered with an error
 * every time (which nothing in its documents rules out), the room's report of the caller lost —
 * the transfer ended `carrier_error` believing the caller never left, and the caller sat on hold
 * music with the record saying "back with the AI". The AI's `resume` for a caller with no stream
 * here waits {@link STREAM_LOST_GRACE_MS} for one, then the record hears `stream.lost`; its
 * `call.check` (`restore`) asks the carrier, and a live caller is redirected to the AI.
 */

const restoreCheck = { type: 'call.check', restore: true } as const;

/** A session held here whose caller's stream is gone (none joined to its bridge). */
function offStream(setup: Setup) {
  const h = harness(setup);
  h.local.session.closeCarrier = undefined;
  return h;
}

const redirects = (h: ReturnType<typeof harness>) =>
  h.carrier.commands.filter((c) => c.op === 'redirectCall');

describe('call.check with restore: a live caller off the AI stream is moved back to it', () => {
  it('live, back with the AI, no stream here: redirected to the AI, and noted on the timeline', async () => {
    const h = offStream({ record: 'ai', current: 'ai', holdsSockets: true });
    await h.executor.run(h.record, [restoreCheck], h.context);
    expect(h.carrier.liveAsked).toEqual([CALL_ID]);
    // The markup that joins the caller to the AI's stream.
    expect(redirects(h)).toEqual([{ op: 'redirectCall', callId: CALL_ID, doc: 'stream' }]);
    expect(h.fed).toEqual([
      { type: 'call.note', event: 'caller.restored', detail: 'live, off the AI stream: moved back' },
    ]);
  });

  it('the call over: it ends (status_check), nobody is moved', async () => {
    const h = offStream({ record: 'ai', current: 'ai' });
    h.carrier.live = false;
    await h.executor.run(h.record, [restoreCheck], h.context);
    expect(redirects(h)).toEqual([]);
    expect(h.fed).toEqual([{ type: 'call.ended', via: 'status_check' }]);
  });

  it.each([
    ['the call is in a transfer now (the caller belongs on hold)', { record: 'ai', current: 'warmHeld' }],
    ['a stream is joined here', { record: 'ai', current: 'ai', keepStream: true }],
    [
      "the carrier's flow brings the caller back by itself (Exotel)",
      { record: 'ai', current: 'ai', streamClose: true },
    ],
    [
      "the session is not held here: its stream can't be seen",
      { record: 'ai', current: 'ai', session: false },
    ],
    [
      'the session here is stale: another worker took the stream over',
      { record: 'ai', current: 'ai', holdsSockets: false },
    ],
  ] as const)('not moved when %s', async (_what, setup) => {
    const { keepStream, ...rest } = setup as Setup & { keepStream?: boolean };
    const h = keepStream === true ? harness(rest) : offStream(rest);
    await h.executor.run(h.record, [restoreCheck], h.context);
    expect(redirects(h)).toEqual([]);
    expect(h.fed.filter((i) => i.type === 'call.note')).toEqual([]);
  });

  it('a plain call.check (a refused command) asks, and moves nobody', async () => {
    const h = offStream({ record: 'ai', current: 'ai' });
    await h.executor.run(h.record, [{ type: 'call.check' }], h.context);
    expect(h.carrier.liveAsked).toEqual([CALL_ID]);
    expect(redirects(h)).toEqual([]);
  });
});

describe('agent.resume for a caller whose stream is not here', () => {
  it('no stream within the grace: the record hears stream.lost', async () => {
    const time = manualTime();
    const h = harness({ record: 'warmHeld', time });
    await h.executor.run(h.record, [tx({ type: 'agent.resume', outcome: 'carrier_error' })], h.context);
    time.advance(STREAM_LOST_GRACE_MS - 1);
    expect(h.fed.filter((i) => i.type === 'stream.lost')).toEqual([]);
    time.advance(1);
    expect(h.fed.filter((i) => i.type === 'stream.lost')).toEqual([{ type: 'stream.lost' }]);
  });

  it('a stream joined within the grace: nothing', async () => {
    const time = manualTime();
    const h = harness({ record: 'warmHeld', time });
    await h.executor.run(h.record, [tx({ type: 'agent.resume', outcome: 'busy' })], h.context);
    h.local.session.bridge.attachCarrier({ port: { send: () => undefined, bufferedBytes: () => 0 } });
    time.advance(STREAM_LOST_GRACE_MS);
    expect(h.fed.filter((i) => i.type === 'stream.lost')).toEqual([]);
    h.local.session.bridge.close();
  });

  it('the caller on the stream when resumed: told at once, no watch', async () => {
    const time = manualTime();
    const h = harness({ record: 'warmHeld', time });
    h.local.session.bridge.attachCarrier({ port: { send: () => undefined, bufferedBytes: () => 0 } });
    await h.executor.run(h.record, [tx({ type: 'agent.resume', outcome: 'busy' })], h.context);
    expect(h.local.agent.sent).toEqual([{ kind: 'resume', transferId: T1, outcome: 'busy' }]);
    expect(time.pending()).toBe(0);
    h.local.session.bridge.close();
  });
});
