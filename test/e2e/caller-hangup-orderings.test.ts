import { describe, expect, it } from 'vitest';
import type { FaultRule, HookMatch } from '../../sim/faults.js';
import type { SimLogEntry } from '../../sim/log.js';
import { type E2eCarrier, useE2e } from './fixture.js';
import { type Harness, type HarnessOptions, waitForRecord } from './harness.js';

/**
 * The caller hangs up while the human's phone rings in a cold transfer. Three callbacks follow,
 * and the carrier does not order them: the dialed leg's end (`canceled`), the dial's action
 * (`DialCallStatus=canceled` / `DialStatus=cancel`, with the caller's own `CallStatus`) and the
 * caller's own `completed`. Every one of the six orders must give `caller_hangup`, send no REST
 * command after the hang-up (the calls are over), and never `resume` the agent. On virtual
 * time: the held-back callbacks cost no wall time.
 */

type Part = 'leg' | 'action' | 'caller';

interface CarrierOrder {
  /** The callbacks this carrier sends after the caller hangs up during the dial. */
  readonly parts: readonly Part[];
  /** The simulator fault that holds `part` back by `delayMs`. */
  readonly hold: (part: Part, delayMs: number) => FaultRule;
  /** True for the log entry of `part` once delivered (sent and answered). */
  readonly delivered: (part: Part, e: Extract<SimLogEntry, { type: 'webhook.sent' }>) => boolean;
  readonly options: Partial<HarnessOptions>;
}

const legUrl = (e: { url: string }): boolean => e.url.includes('legId=');

const CARRIERS: Readonly<Record<E2eCarrier, CarrierOrder>> = {
  twilio: {
    parts: ['leg', 'action', 'caller'],
    hold: (part, delayMs) => {
      if (part === 'action') return { type: 'webhook.slow', match: { kind: 'action' }, delayMs };
      const match: HookMatch =
        part === 'leg'
          ? { kind: 'status', event: 'completed', url: 'legId=' }
          : { kind: 'status', event: 'completed', url: /\/twilio\/status$/ };
      return { type: 'callback.delay', match, delayMs };
    },
    delivered: (part, e) => {
      if (part === 'action') return e.kind === 'action';
      if (e.kind !== 'status' || e.params['CallStatus'] === undefined) return false;
      return part === 'leg' ? legUrl(e) && e.params['CallStatus'] === 'canceled' : !legUrl(e);
    },
    options: {},
  },
  plivo: {
    parts: ['leg', 'action', 'caller'],
    hold: (part, delayMs) => {
      if (part === 'action') return { type: 'webhook.slow', match: { kind: 'action' }, delayMs };
      const match: HookMatch =
        part === 'leg' ? { kind: 'dial', event: 'hangup' } : { kind: 'status', url: /\/plivo\/status$/ };
      return { type: 'callback.delay', match, delayMs };
    },
    delivered: (part, e) => {
      if (part === 'action') return e.kind === 'action';
      if (part === 'leg') return e.kind === 'dial' && e.params['DialAction'] === 'hangup';
      return e.kind === 'status' && !legUrl(e);
    },
    // The B-leg's hang-up reported on `<Dial callbackUrl>` even when it never answered (UNCONFIRMED).
    options: { simulator: { plivo: { dialCallbackOnUnanswered: true } } },
  },
  // Exotel's Connect applet reports the dial's end (`Terminal`, with the caller's `CallStatus`)
  // on its events URL; the flow's status callback reports the caller's own end. No dial action
  // is asked of a caller who hung up.
  exotel: {
    parts: ['leg', 'caller'],
    hold: (part, delayMs) => ({
      type: 'callback.delay',
      match: part === 'leg' ? { kind: 'connect-event', event: 'Terminal' } : { kind: 'status' },
      delayMs,
    }),
    delivered: (part, e) =>
      part === 'leg'
        ? e.kind === 'connect-event' && e.params['EventType'] === 'Terminal'
        : e.kind === 'status',
    options: {},
  },
};

/** Every order of `parts`. */
function permutations(parts: readonly Part[]): Part[][] {
  if (parts.length <= 1) return [[...parts]];
  return parts.flatMap((p) => permutations(parts.filter((q) => q !== p)).map((rest) => [p, ...rest]));
}

async function hangUpWhileRinging(
  e2e: ReturnType<typeof useE2e>,
  carrier: CarrierOrder,
  order: readonly Part[],
): Promise<void> {
  const h: Harness = await e2e.run({
    script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 100 }],
    ...carrier.options,
  });
  const human = h.sim.network.addHuman('+14155550111', { type: 'no-answer' });
  // 400 ms apart: each callback leaves well after the one before it.
  for (const [i, part] of order.entries()) h.sim.faults.add(carrier.hold(part, 50 + 400 * i));
  const call = await e2e.placeCall(h);
  await h.sim.waitFor(() => human.activeLeg?.state === 'ringing', 8000);
  const hungUpAt = h.sim.log.entries.at(-1)?.seq ?? 0;
  call.hangup();

  // Wait until all three callbacks reached the daemon and were answered, in the order asked for.
  const sent = () =>
    h.sim.log
      .ofType('webhook.sent')
      .filter((e) => e.seq > hungUpAt && e.copy === 0 && (e.status !== undefined || e.error !== undefined));
  await h.sim.waitFor(() => order.every((p) => sent().some((e) => carrier.delivered(p, e))), 8000);
  const firstSeq = (p: Part) => sent().find((e) => carrier.delivered(p, e))?.seq ?? 0;
  expect([...order].sort((a, b) => firstSeq(a) - firstSeq(b))).toEqual(order);

  const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  expect(ended.transfers[0]?.outcome).toBe('caller_hangup');
  expect(ended.endedReason).toBe('caller_hangup');
  expect(ended.transfer?.legs.map((l) => l.outcome)).toEqual(['caller_hangup']);
  // No command about calls that are over: no REST request at all after the hang-up.
  const rest = h.sim.log.ofType('rest.request').filter((e) => e.seq > hungUpAt);
  expect(rest.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([]);
  const session = await h.agent!.session(0);
  expect(session.frames('resume')).toHaveLength(0);
  expect(session.frames('transfer_status').map((f) => f.frame['status'])).not.toContain('connected');
  await h.sim.waitFor(() => human.legs.every((l) => l.state === 'ended'), 5000);
}

describe.each(['twilio', 'plivo', 'exotel'] as const)(
  '%s: the caller hangs up while the human rings, callbacks in any order (virtual time)',
  (name: E2eCarrier) => {
    const e2e = useE2e(name, { virtualTime: true });
    it.each(permutations(CARRIERS[name].parts).map((o) => ({ order: o, label: o.join(' → ') })))(
      '$label: caller_hangup, no REST to ended calls, no resume',
      async ({ order }) => {
        await hangUpWhileRinging(e2e, CARRIERS[name], order);
      },
    );
  },
);

describe('twilio: the caller hangs up after talking to the human, the answer callback lost (virtual time)', () => {
  const e2e = useE2e('twilio', { virtualTime: true });

  it('the dial action (DialCallStatus=completed, CallStatus=completed) first: connected, transferred', async () => {
    const h = await e2e.run({ script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 100 }] });
    const human = h.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660, durationMs: 20_000 },
    });
    // The leg's own callbacks never come in time; the caller's own `completed` comes 2 s late.
    h.sim.faults.add({
      type: 'callback.delay',
      match: { kind: 'status', url: 'legId=' },
      delayMs: 30_000,
      times: Number.POSITIVE_INFINITY,
    });
    h.sim.faults.add({
      type: 'callback.delay',
      match: { kind: 'status', event: 'completed', url: /\/twilio\/status$/ },
      delayMs: 2_000,
    });
    const call = await e2e.placeCall(h);
    await h.sim.waitFor(
      () => call.heard.from('party:').length > 0 && human.heard.from('party:').length > 0,
      10_000,
    );
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.transfers[0]?.outcome).toBe('connected');
    expect(ended.endedReason).toBe('transferred');
  });
});
