/** The handoff benchmark as markdown. */
import type { HandoffResult } from './run-handoff.js';

export function handoffTable(r: HandoffResult): string {
  return [
    '### Handoff (what the caller hears)',
    '',
    '| scenario | measure | measured / calls | p50 ms | p99 ms | max ms | timer late p50 / max ms | caller heard |',
    '|---|---|---:|---:|---:|---:|---|---|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.scenario} | ${s.measure} | ${s.measured} / ${s.calls} | ${s.gapMs.p50} | ${s.gapMs.p99} | ${s.gapMs.max} | ` +
        `${s.timerLateMs === undefined ? '–' : `${s.timerLateMs.p50} / ${s.timerLateMs.max}`} | ${s.heardSequence.join(' → ')} |`,
    ),
  ].join('\n');
}
