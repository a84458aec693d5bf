/**
 * One batch of the property run in `npm test`: consecutive seeds, all at once in one harness on
 * virtual time, each with its own adversary plan (test/property/adversarial.ts). A scenario that
 * breaks an invariant or misses its moment fails the batch with its report and the one-line
 * command that replays it — unless it is a known defect (below), which is counted and printed
 * instead, so it stays visible until fixed.
 */
import { expect, it } from 'vitest';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { seededAdversity, seededAgentDelay, seededAgentDrop } from './adversarial.js';
import { replayCommand, reportOf } from './report.js';
import { runScenarios, type ScenarioResult } from './runner.js';
import { scenarioFor } from './scenario.js';

/** A defect the invariants found and that is not fixed yet: which scenarios show it, and how. */
export interface KnownDefect {
  readonly what: string;
  readonly kind: string;
  readonly applies: (r: ScenarioResult) => boolean;
}

/**
 * None today. The last, Exotel's unreported bridge after its whisper (seed 0x27), is fixed: the
 * record says the bridge is unconfirmed instead of claiming the caller never talked.
 */
export const KNOWN_DEFECTS: readonly KnownDefect[] = [];

/** The known defect a result shows, if every violation of it is that defect's. */
export function knownDefectOf(r: ScenarioResult): KnownDefect | undefined {
  if (r.missed !== undefined || r.violations.length === 0) return undefined;
  return KNOWN_DEFECTS.find((d) => d.applies(r) && r.violations.every((v) => v.kind === d.kind));
}

export function itRunsSeeds(from: number, count: number): void {
  const seeds = Array.from({ length: count }, (_, i) => from + i);
  it(`${count} seeds from 0x${from.toString(16)}, at once on virtual time, each with its adversary`, async () => {
    const started = performance.now();
    const results = await runScenarios(seeds.map(scenarioFor), {
      time: new VirtualTime(),
      adversity: seededAdversity,
      agentAcceptDelayMs: seededAgentDelay,
      agentDropAfterMs: seededAgentDrop,
    });
    const broken = results.filter((r) => r.violations.length > 0 || r.missed !== undefined);
    const known = broken.filter((r) => knownDefectOf(r) !== undefined);
    console.log(
      `property 0x${from.toString(16)}+${count}: ${results.length} scenarios in ${Math.round(performance.now() - started)} ms wall, ` +
        `${known.length} showing a known defect (${known.map((r) => `0x${r.scenario.seed.toString(16)}`).join(' ') || 'none'})`,
    );
    expect(results).toHaveLength(count);
    expect(
      broken
        .filter((r) => knownDefectOf(r) === undefined)
        .map(
          (r) =>
            `${reportOf(r)}\n  replay: ${replayCommand(r.scenario.seed, { virtual: true, adversary: true })}`,
        ),
    ).toEqual([]);
  }, 180_000);
}
