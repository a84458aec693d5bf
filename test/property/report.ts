/** How a property run speaks of its results: one line per scenario, then one per violation. */
import type { ScenarioResult } from './runner.js';

export function replayCommand(seed: number): string {
  return `npm run property -- --seed 0x${seed.toString(16)}`;
}

export function reportOf(r: ScenarioResult): string {
  const lines = [
    `${r.name}: ${r.violations.length === 0 ? 'ok' : `${r.violations.length} violation(s)`}${r.missed === undefined ? '' : ` — missed: ${r.missed}`}`,
    ...r.violations.map((v) => `  ${v.kind}: ${v.message}`),
  ];
  return lines.join('\n');
}
