import { describe, expect, it } from 'vitest';
import { type AdversityPlan, adversityFor, applyAdversity } from '../../sim/adversary/adversary.js';
import type { AdversaryCarrier } from '../../sim/adversary/table.js';
import { useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * Seeded plans applied to a running simulator with the daemon on each carrier: the table's
 * callback matches fire on that carrier's real callbacks, and a cold transfer to a human who
 * answers still connects under them, on virtual time (the plan's delays cost no wall time). (The
 * property test over hundreds of seeds lives elsewhere.)
 */

const HUMAN = '+14155550111';

/** The first seed whose cold plan only bends callbacks and webhooks, with a human who answers. */
function callbackOnlySeed(carrier: AdversaryCarrier): { seed: number; plan: AdversityPlan } {
  for (let seed = 0; seed < 10_000; seed++) {
    const plan = adversityFor(seed, { carrier, mode: 'cold' });
    const bendsStatus = plan.faults.some(
      (f) =>
        (f.rule.type === 'callback.delay' || f.rule.type === 'callback.duplicate') &&
        f.rule.match?.kind === 'status',
    );
    const onlyCallbacks = plan.faults.every(
      (f) => f.rule.type.startsWith('callback.') || f.rule.type === 'webhook.slow',
    );
    if (bendsStatus && onlyCallbacks && plan.human.type === 'answer' && plan.agent.dropAfterMs === undefined)
      return { seed, plan };
  }
  throw new Error(`no such seed for ${carrier}`);
}

describe.each(['twilio', 'plivo', 'exotel'] as const)('a seeded plan on %s, with the daemon', (carrier) => {
  const { run, placeCall } = useE2e(carrier, { virtualTime: true });

  it("fires on the carrier's callbacks, and a cold transfer to an answering human connects", async () => {
    const { seed, plan } = callbackOnlySeed(carrier);
    const hh = await run({
      script: [{ say: 300 }, { text: ['Putting you through [TRANSFER:+14155550111]'] }, { say: 100 }],
      acceptDelayMs: plan.agent.acceptDelayMs,
    });
    const applied = applyAdversity(hh.sim, plan, { humans: [HUMAN] });
    const call = await placeCall(hh);
    const record = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    expect(record.transfers[0]?.outcome, `seed ${seed}`).toBe('connected');
    call.hangup();
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ended', 15_000);
    // Every status fault of the plan acted on a real callback of this carrier.
    await hh.sim.waitFor(
      () =>
        applied.handles.every(
          (h) =>
            h.hits > 0 ||
            !(
              (h.rule.type === 'callback.delay' || h.rule.type === 'callback.duplicate') &&
              h.rule.match?.kind === 'status'
            ),
        ),
      15_000,
    );
    expect(hh.sim.log.entries.filter((e) => e.type === 'sim.error')).toEqual([]);
  });
});
