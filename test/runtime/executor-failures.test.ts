import { describe, expect, it } from 'vitest';
import { CarrierError } from '../../src/domain/errors.js';
import { type CallEffect, reduceCall } from '../../src/runtime/call-reducer.js';
import { CALL_GONE_CHECK_MS } from '../../src/runtime/effect-failures.js';
import { dial, harness, type Setup, tx } from './executor-harness.js';
import {
  CALL_GONE_CODE,
  CALLER_ID_REFUSED_CODE,
  HUMAN,
  LEG0,
  OUR_NUMBER,
  reduceContext,
  T1,
} from './shell-fakes.js';

/**
 * What the executor feeds back when an effect fails, below end to end (executor-harness.ts), and
 * what the real reducer makes of it (effect-failures.ts decides: a durable retry, the leg's
 * `leg.error`, the transfer's end, an alert). A dial's failure is the leg's `leg.error` at once.
 */

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
    name: 'hold, retryable: a durable retry while the transfer waits for it (the AI paused, the wait audio on)',
    effect: tx({ type: 'caller.hold' }),
    setup: { record: 'warmHeld', fail: { op: 'redirectCall', err: retryable() } },
    fed: { type: 'effect.failed', attempt: 0, retryable: true },
    becomes: ['retry.schedule'],
    timeline: 'effect.retry_scheduled',
  },
  {
    name: 'hold, retryable, retries spent: the transfer ends, the agent resumes',
    effect: { type: 'retry', retryId: '3', attempt: 3, effect: tx({ type: 'caller.hold' }) },
    // Read again as it goes out: its transfer still waits for it.
    setup: { record: 'warmHeld', current: 'warmHeld', fail: { op: 'redirectCall', err: retryable() } },
    fed: { type: 'effect.failed', attempt: 3, retryable: true },
    becomes: ['effect.abandoned'],
    also: ['agent.resume', 'transfer.ended'],
    timeline: 'effect.failed',
  },
  {
    // Property seed 0x481: the caller hung up during the whisper and the carrier refused the
    // move to hold before its status callback came; the transfer was recorded as carrier_error.
    name: 'hold, the caller’s call already over (21220): the caller hung up — the transfer ends, the human is canceled, no resume',
    effect: tx({ type: 'caller.hold' }),
    setup: { record: 'warm', fail: { op: 'redirectCall', err: permanent(CALL_GONE_CODE) } },
    fed: { type: 'effect.failed', retryable: false, carrierCode: CALL_GONE_CODE, callGone: true },
    becomes: [],
    also: ['carrier.cancel', 'transfer.ended'],
    timeline: 'effect.moot',
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
    // A cold dial first claims being sent to the caller (`caller.dial_sent`); what matters is what its failure fed.
    const failures = h.fed.filter((i) => i.type !== 'caller.dial_sent');
    expect(failures).toHaveLength(1);
    const input = failures[0];
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

  it('a hold refused because the caller’s call is over: the transfer ends caller_hangup, the agent is not resumed', async () => {
    const h = harness({ record: 'warm', fail: { op: 'redirectCall', err: permanent(CALL_GONE_CODE) } });
    await h.executor.run(h.record, [tx({ type: 'caller.hold' })], h.context);
    const result = reduceCall(h.record, h.fed[0]!, reduceContext());
    expect(result?.record.transfers.at(-1)?.outcome).toBe('caller_hangup');
    const effects = result?.effects.map((e) => (e.type === 'transfer' ? e.effect.type : e.type)) ?? [];
    expect(effects).not.toContain('agent.resume');
    expect(effects).not.toContain('effect.abandoned');
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

/**
 * A command refused because the caller's call is over (`callGone`) says the caller hung up before
 * the carrier's own news of it came; that news can be lost (Twilio retries a status callback only
 * with connection overrides, Plivo for a bounded time). So the call is checked at the carrier
 * CALL_GONE_CHECK_MS later (a durable retry of `call.check`), and ends if the carrier says so.
 * Lossy property seeds 0x1e and 0x24 (`npm run property -- --virtual --adversary --lossy`).
 */
describe('EffectExecutor: a call the carrier says is over is checked, and ended, without its status callback', () => {
  it('back to the AI refused as "call over" after the transfer ended: a call.check is scheduled CALL_GONE_CHECK_MS later, once', async () => {
    const h = harness({ record: 'warmHeld', fail: { op: 'redirectCall', err: permanent(CALL_GONE_CODE) } });
    await h.executor.run(h.record, [tx({ type: 'caller.to_agent' })], h.context);
    const input = h.fed[0];
    if (input === undefined) throw new Error('nothing fed back');
    const ctx = reduceContext();
    const first = reduceCall(h.record, input, ctx);
    const pending = first?.record.retries?.find((r) => r.effect.type === 'call.check');
    expect(pending).toBeDefined();
    expect(first?.effects).toContainEqual({
      type: 'retry.schedule',
      retryId: pending?.retryId,
      atMs: ctx.nowMs + CALL_GONE_CHECK_MS,
    });
    expect(first?.record.phase).not.toBe('ended');
    // A second refusal before the check ran schedules no second check.
    const again = first === null ? null : reduceCall(first.record, input, ctx);
    expect(again?.record.retries?.filter((r) => r.effect.type === 'call.check')).toHaveLength(1);
    // Its timer: the check runs while the call lives…
    const fired =
      first === null
        ? null
        : reduceCall(first.record, { type: 'effect.retry', retryId: pending?.retryId ?? '' }, ctx);
    expect(fired?.effects).toEqual([
      { type: 'retry', retryId: pending?.retryId, attempt: 1, effect: { type: 'call.check' } },
    ]);
    // …and not once the status callback ended the call meanwhile.
    const ended = first === null ? null : reduceCall(first.record, { type: 'call.ended' }, ctx);
    const late =
      ended === null
        ? null
        : reduceCall(ended.record, { type: 'effect.retry', retryId: pending?.retryId ?? '' }, ctx);
    expect(late?.effects ?? []).toEqual([]);
  });

  it('call.check, the carrier says the call is over: the call ends as the status check learned it', async () => {
    const h = harness({ record: 'ai', session: false });
    h.carrier.live = false;
    await h.executor.run(h.record, [{ type: 'call.check' }], h.context);
    expect(h.carrier.liveAsked).toEqual([h.record.callId]);
    expect(h.fed).toEqual([{ type: 'call.ended', via: 'status_check' }]);
  });

  it('call.check, the carrier says the call is live: nothing changes', async () => {
    const h = harness({ record: 'ai', session: false });
    await h.executor.run(h.record, [{ type: 'call.check' }], h.context);
    expect(h.carrier.liveAsked).toEqual([h.record.callId]);
    expect(h.fed).toEqual([]);
  });

  it('call.check with the caller’s stream open here: live without asking (the carrier ends the stream with the call)', async () => {
    const h = harness({ record: 'ai' });
    h.carrier.live = false;
    await h.executor.run(h.record, [{ type: 'call.check' }], h.context);
    expect(h.carrier.liveAsked).toEqual([]);
    expect(h.fed).toEqual([]);
  });

  it('caller.check, the carrier says the caller’s call is over: the transfer hears caller.hangup, then the call ends', async () => {
    const h = harness({ record: 'warmHeld' });
    h.carrier.live = false;
    await h.executor.run(h.record, [tx({ type: 'caller.check' })], h.context);
    expect(h.fed).toEqual([
      { type: 'transfer.event', transferId: T1, event: { type: 'caller.hangup' } },
      { type: 'call.ended', via: 'status_check' },
    ]);
  });

  it('caller.check, the caller’s call is live: caller.present only', async () => {
    const h = harness({ record: 'warmHeld' });
    await h.executor.run(h.record, [tx({ type: 'caller.check' })], h.context);
    expect(h.fed).toEqual([{ type: 'transfer.event', transferId: T1, event: { type: 'caller.present' } }]);
  });
});
