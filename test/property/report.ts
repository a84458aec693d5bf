/** How a property run speaks of its results: one line per scenario, then one per violation. */
import type { ScenarioResult } from './runner.js';

/** The one-line command that replays a seed the way it ran. */
export function replayCommand(
  seed: number,
  how: { readonly virtual?: boolean; readonly adversary?: boolean; readonly lossy?: boolean } = {},
): string {
  const flags = `${how.virtual ? ' --virtual' : ''}${how.adversary ? ' --adversary' : ''}${how.lossy ? ' --lossy' : ''}`;
  return `npm run property -- --seed 0x${seed.toString(16)}${flags}`;
}

export function reportOf(r: ScenarioResult): string {
  const lines = [
    `${r.name}: ${r.violations.length === 0 ? 'ok' : `${r.violations.length} violation(s)`}${r.missed === undefined ? '' : ` — missed: ${r.missed}`}`,
    ...r.violations.map((v) => `  ${v.kind}: ${v.message}`),
  ];
  return lines.join('\n');
}
