/** How a property run speaks of its results: one line per scenario, then one per violation. */
import type { Observation } from './observation.js';
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
    `${r.name}: ${r.violations.length === 0 ? 'ok' : `${r.violations.length} violation(s)`}${r.missed === undefined ? '' : ` — missed: ${r.missed}`}${r.excused === undefined ? '' : ` — not reached, as its plan allows: ${r.excused}`}`,
    ...r.violations.map((v) => `  ${v.kind}: ${v.message}`),
  ];
  return lines.join('\n');
}

/**
 * A failed run's evidence in a few dozen lines, on the call's own clock (ms from the caller's
 * answer): the record's transfers, the caller's and the humans' legs, every callback and REST
 * request, and each agent socket's frames but audio — enough to read what happened from a CI log,
 * where the run cannot be replayed with the timing that broke it.
 */
export function evidenceOf(o: Observation): string[] {
  const zero = o.caller.answeredAtMs ?? o.caller.said[0]?.atMs ?? 0;
  const at = (ms: number): string => `${Math.round(ms - zero)}`.padStart(6);
  const lines: [number, string][] = [];
  const add = (ms: number | undefined, text: string): void => {
    if (ms !== undefined) lines.push([ms, `${at(ms)} ${text}`]);
  };
  add(o.caller.answeredAtMs, `caller ${o.caller.sid} answered`);
  add(o.caller.end?.atMs, `caller ended: ${o.caller.end?.status} by ${o.caller.end?.by}`);
  for (const h of o.humans)
    for (const leg of h.legs) {
      add(leg.createdAtMs, `human leg ${leg.sid} created`);
      add(leg.answeredAtMs, `human leg ${leg.sid} answered`);
      add(leg.end?.atMs, `human leg ${leg.sid} ended: ${leg.end?.status} by ${leg.end?.by}`);
    }
  for (const t of o.record?.transfers ?? []) {
    add(t.startedAtMs, `record: transfer ${t.transferId} started`);
    add(t.endedAtMs, `record: transfer ${t.transferId} ended: ${t.outcome ?? '?'}`);
  }
  for (const c of o.callbacks) add(c.atMs, `callback ${c.kind} ${c.callSid} → ${c.status ?? 'no answer'}`);
  for (const r of o.rest) add(r.atMs, `rest ${r.method} ${r.path} → ${r.status}`);
  o.agent.forEach((s, i) => {
    const name = `agent socket ${i}${s.role === undefined ? '' : ` (${s.role})`}`;
    for (const f of s.frames) {
      if (f.event === 'media') continue;
      const detail =
        f.event === 'transfer_status'
          ? ` ${f.transferId} ${f.status}`
          : f.event === 'resume'
            ? ` ${f.transferId} ${f.outcome}`
            : '';
      add(f.atMs, `${name}: ${f.event}${detail}`);
    }
    add(s.closedAtMs, `${name} closed (${s.closeCode ?? '?'})`);
  });
  const record =
    o.record === undefined ? 'no record' : `record ${o.record.phase}, ${o.record.endedReason ?? '–'}`;
  return [
    `  evidence (ms from the answer; ${record}):`,
    ...lines.sort((a, b) => a[0] - b[0]).map(([, t]) => `  ${t}`),
  ];
}
