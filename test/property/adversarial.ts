/**
 * The seeded adversary (sim/adversary/) applied to property scenarios that share one simulator:
 * each scenario gets the plan drawn from its own seed, for its carrier and mode, limited to its
 * own calls (its inbound number and its humans) so it never lands on a neighbour's.
 *
 * What is installed: the carrier's permitted orderings, duplicates, delays, lost callbacks and
 * REST errors (sim/adversary/table.ts), the carrier's media socket dropping, the agent
 * accepting the daemon's socket late (0 to its connect timeout, {@link seededAgentDelay}) and
 * the agent's socket dropping (in 15 % of plans, {@link seededAgentDrop}). The plan's
 * human and caller hang-ups are left out: the scenario's own case already decides those (ringing,
 * on hold, in the whisper), and its moment is what the run waits for.
 */
import { DEFAULT_CARRIER_RETRY } from '../../providers/shared/settings.js';
import {
  adversityFor,
  applyAdversity,
  type PlannedFault,
  WORLD_SOURCES,
} from '../../sim/adversary/adversary.js';
import type { FaultScope } from '../../sim/faults.js';
import type { Simulator } from '../../sim/simulator.js';
import type { RunOptions } from './runner.js';
import type { Scenario } from './scenario.js';

/**
 * Faults of a call whose parties include one of `numbers` (or whose carrier id is in `sids`,
 * which may grow: a call's own id is known once placed); other ids are looked up in the simulator.
 */
export function scopeTo(
  sim: Simulator,
  numbers: readonly string[],
  sids: ReadonlySet<string> = new Set(),
): FaultScope {
  const mine = new Set(numbers);
  const owns = (sid: string): boolean => {
    if (sids.has(sid)) return true;
    const call = sim.network.calls.find((c) => c.sid === sid);
    if (call !== undefined) return mine.has(call.to);
    const leg = sim.network.legs.find((l) => l.label === sid);
    return leg !== undefined && (mine.has(leg.to) || mine.has(leg.from));
  };
  return (context) => {
    if (context.callSid !== undefined) return owns(context.callSid);
    // A REST request names its call in the path (`/Calls/CA….json`, `/Call/<uuid>/`).
    return (context.detail?.match(/[A-Za-z0-9-]{20,}/g) ?? []).some(owns);
  };
}

/** The adversary's table knows cold and warm: agentic holds the caller in the same room as warm. */
function adversaryMode(scenario: Scenario): 'cold' | 'warm' {
  return scenario.mode === 'cold' ? 'cold' : 'warm';
}

const SKIPPED: ReadonlySet<string> = new Set([WORLD_SOURCES.humanHangup, WORLD_SOURCES.callerHangup]);

/**
 * The `adversity` option of {@link RunOptions}: each scenario's seeded plan, scoped to its calls;
 * `lossy` also draws the table's lost callbacks.
 */
export const seededAdversityWith =
  (options: { readonly lossy?: boolean } = {}): NonNullable<RunOptions['adversity']> =>
  (sim, scenario, numbers) => {
    const plan = adversityFor(scenario.seed, {
      carrier: scenario.carrier,
      mode: adversaryMode(scenario),
      ...(options.lossy === true ? { lossy: true } : {}),
    });
    const only = (f: PlannedFault): boolean => !SKIPPED.has(f.source);
    applyAdversity(sim, plan, { scope: scopeTo(sim, [numbers.inbound, ...numbers.humans]), only });
    return outlastsQuickRetries(plan.faults.filter(only));
  };

/**
 * REST errors that, run together, outlast the carrier client's quick retries
 * (`DEFAULT_CARRIER_RETRY`): a command then fails, and a scenario's moment (the human ringing,
 * the caller on hold) may never come — the daemon gave the caller back to the AI instead.
 */
function outlastsQuickRetries(faults: readonly PlannedFault[]): string | undefined {
  const errors = faults.reduce((n, f) => n + (f.rule.type === 'rest.error' ? f.rule.times : 0), 0);
  return errors > DEFAULT_CARRIER_RETRY.maxRetries
    ? `${errors} REST errors in its plan outlast the carrier client's ${DEFAULT_CARRIER_RETRY.maxRetries} quick retries`
    : undefined;
}

/** {@link seededAdversityWith} without lost callbacks. */
export const seededAdversity = seededAdversityWith();

/** The `agentAcceptDelayMs` option of {@link RunOptions}: the agent as slow as the seed's plan says. */
export const seededAgentDelay: NonNullable<RunOptions['agentAcceptDelayMs']> = (scenario) =>
  adversityFor(scenario.seed, { carrier: scenario.carrier, mode: adversaryMode(scenario) }).agent
    .acceptDelayMs;

/** The `agentDropAfterMs` option of {@link RunOptions}: the agent's socket dropped when the seed's plan says. */
export const seededAgentDrop: NonNullable<RunOptions['agentDropAfterMs']> = (scenario) => {
  const dropAfterMs = adversityFor(scenario.seed, {
    carrier: scenario.carrier,
    mode: adversaryMode(scenario),
  }).agent.dropAfterMs;
  if (dropAfterMs === undefined) return undefined;
  // The scripted agent asks for the transfer once, on its first socket (a reconnected one only
  // speaks on): a drop before its ask would leave the scenario without its transfer.
  const asks = scenario.trigger === 'tag' || scenario.trigger === 'tool';
  return asks ? Math.max(dropAfterMs, scenario.aiSpeaksMs + 200) : dropAfterMs;
};
