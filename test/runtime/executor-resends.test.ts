import { describe, expect, it } from 'vitest';
import { CarrierError } from '../../src/domain/errors.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { manualTime } from '../support/manual-time.js';
import { dial, harness, tx } from './executor-harness.js';
import { LEG0, RECORDS, through, transferEvent } from './shell-fakes.js';

/**
 * What the executor sends again after a carrier's error that says nothing of what was done, and
 * what it reads first (found by review): a durable retry of the caller's move to hold goes out
 * only if its transfer still waits for it as it leaves; a cold dial is sent again only while its
 * leg is still the one being dialed and nothing was heard of it.
 */

const serverError = () => new CarrierError('twilio', 503, '20503', 'unavailable');
const holdRetry = { type: 'retry', retryId: '1', attempt: 1, effect: tx({ type: 'caller.hold' }) } as const;
const redirects = (h: ReturnType<typeof harness>) =>
  h.carrier.commands.filter((c) => c.op === 'redirectCall');

/** Moves virtual time on in small steps, letting the executor's awaits run between them. */
async function pass(time: ReturnType<typeof manualTime>, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    time.advance(50);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('a durable retry of caller.hold is read again as it goes out', () => {
  it('still waited for: sent', async () => {
    const h = harness({ record: 'warmHeld', current: 'warmHeld' });
    await h.executor.run(h.record, [holdRetry], h.context);
    expect(redirects(h)).toEqual([{ op: 'redirectCall', callId: 'CA1', doc: 'hold' }]);
    expect(h.local.session.bridge.paused).toBe(true);
  });

  it.each([
    [
      'the caller reported in the room meanwhile',
      () => through(RECORDS.warmHeld(), transferEvent({ type: 'caller.held' })),
    ],
    [
      'every human failed meanwhile',
      () => through(RECORDS.warmHeld(), transferEvent({ type: 'leg.ended', legId: LEG0, status: 'busy' })),
    ],
  ] as const)('%s: not sent', async (_what, latest: () => CallRecord) => {
    const h = harness({ record: 'warmHeld', current: latest });
    await h.executor.run(h.record, [holdRetry], h.context);
    expect(redirects(h)).toEqual([]);
    // Nor is the AI paused for it: a caller back with the AI keeps hearing it.
    expect(h.local.session.bridge.paused).toBe(false);
  });
});

/** A cold dial whose first redirect is answered 503, the caller's stream there as it goes out or not. */
function dialFailingOnce(current: () => CallRecord, stream: boolean) {
  const time = manualTime();
  const h = harness({
    record: 'coldDialing',
    current,
    time,
    fail: { op: 'redirectCall', err: serverError(), count: 1 },
  });
  if (stream)
    h.local.session.bridge.attachCarrier({ port: { send: () => undefined, bufferedBytes: () => 0 } });
  else h.local.session.closeCarrier = undefined;
  return { h, time };
}

describe('a cold dial answered with a server error, the caller still on the AI stream', () => {
  const onStream = (current: () => CallRecord) => dialFailingOnce(current, true);

  it('nothing heard of the leg: sent again after the wait, once', async () => {
    const { h, time } = onStream(RECORDS.coldDialing);
    const running = h.executor.run(h.record, [dial('cold')], h.context);
    await pass(time, 2_000);
    await running;
    expect(redirects(h)).toHaveLength(1);
    expect(h.fed.filter((i) => i.type === 'transfer.event')).toEqual([]);
    h.local.session.bridge.close();
  });

  it('the transfer over meanwhile: not sent again', async () => {
    const over = () => through(RECORDS.coldDialing(), transferEvent({ type: 'transfer.cancel', by: 'api' }));
    expect(over().transfers.at(-1)?.outcome).toBe('canceled');
    const { h, time } = onStream(over);
    const running = h.executor.run(h.record, [dial('cold')], h.context);
    await pass(time, 2_000);
    await running;
    expect(redirects(h)).toEqual([]);
    h.local.session.bridge.close();
  });
});

describe('a cold dial answered with a server error while no caller stream was there', () => {
  // The caller's stream had dropped, and the carrier was between documents: no stream can show the
  // dial taking (property seed 0x3a3e: taken as gone on, the dial never went and the caller waited
  // out the ring time, recorded no_answer for a human nobody called).
  const offStream = (current: () => CallRecord) => dialFailingOnce(current, false);

  it('waits for news of the leg, then, with none, sends the dial again', async () => {
    const { h, time } = offStream(RECORDS.coldDialing);
    const running = h.executor.run(h.record, [dial('cold')], h.context);
    await pass(time, 1_000);
    // Not yet: a carrier that acted would name the leg in a callback within the wait.
    expect(redirects(h)).toEqual([]);
    await pass(time, 1_000);
    await running;
    expect(redirects(h)).toHaveLength(1);
    expect(h.fed.filter((i) => i.type === 'transfer.event')).toEqual([]);
  });
});

describe('a cold dial answered with a server error, its leg heard of meanwhile (the carrier acted late)', () => {
  it.each([
    ['the caller still on the AI stream', true],
    ['no caller stream there', false],
  ] as const)('%s: not sent again', async (_where, stream) => {
    const bound = () =>
      through(
        RECORDS.coldDialing(),
        transferEvent({ type: 'leg.ringing', legId: LEG0 }, { legId: LEG0, carrierLegId: 'CHILD7' }),
      );
    const { h, time } = dialFailingOnce(bound, stream);
    const running = h.executor.run(h.record, [dial('cold')], h.context);
    await pass(time, 2_000);
    await running;
    expect(redirects(h)).toEqual([]);
    expect(h.fed.filter((i) => i.type === 'transfer.event')).toEqual([]);
    h.local.session.bridge.close();
  });
});
