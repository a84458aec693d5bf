import type { HeardSegment } from '../sim/heard.js';
import type { CallRecord } from '../src/runtime/call-record.js';

const secs = (ms: number): string => `+${(ms / 1000).toFixed(2)}s`.padStart(8);

/** What a party heard, merged into runs by kind of source: `AI 0.62s → ringback 0.30s → human 1.50s`. */
export function heardLine(segments: readonly HeardSegment[]): string {
  const runs: { kind: string; ms: number; text?: string }[] = [];
  for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) {
    const kind = s.source.startsWith('stream:')
      ? 'AI'
      : s.source.startsWith('party:')
        ? 'other party'
        : s.source;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.kind === kind && last.text === s.text) last.ms += s.endMs - s.startMs;
    else runs.push({ kind, ms: s.endMs - s.startMs, ...(s.text === undefined ? {} : { text: s.text }) });
  }
  if (runs.length === 0) return 'nothing';
  return runs
    .map((r) => `${r.kind}${r.text === undefined ? '' : ` "${r.text}"`} ${(r.ms / 1000).toFixed(2)}s`)
    .join(' → ');
}

/** A readable timeline of one call: call events and the transfer machine's steps, by time. */
export function timelineLines(record: CallRecord): string[] {
  const t0 = record.createdAtMs;
  const lines = record.timeline.map((e) => ({
    atMs: e.atMs,
    text: `call      ${e.event}${e.detail === undefined ? '' : ` (${e.detail})`}`,
  }));
  for (const e of record.transfer?.timeline ?? []) {
    if (e.event === 'transfer.started') continue;
    lines.push({ atMs: e.atMs, text: `transfer  ${e.event.padEnd(16)} → ${e.state}` });
  }
  return lines.sort((a, b) => a.atMs - b.atMs).map((l) => `    ${secs(l.atMs - t0)}  ${l.text}`);
}

export function summaryLine(record: CallRecord): string {
  const t = record.transfers[record.transfers.length - 1];
  const refusal = record.refusals[record.refusals.length - 1];
  const transfer =
    t === undefined
      ? refusal === undefined
        ? 'no transfer'
        : `refused: ${refusal.refusal}`
      : `${t.mode} transfer → ${t.outcome ?? 'running'}`;
  return `${transfer}; endedReason: ${record.endedReason ?? '(still up)'}`;
}
