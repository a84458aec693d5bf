/**
 * docs/simulator.md's "Orderings the carriers permit" tables, rendered from ./table.ts so the
 * documentation and the adversary cannot drift (test/sim/adversary-table.test.ts compares them).
 */
import { ADVERSARY_CARRIERS, type FaultTemplate, ORDERING_TABLE } from './table.js';

export const TABLE_START = '<!-- ordering-table:start (generated from sim/adversary/table.ts) -->';
export const TABLE_END = '<!-- ordering-table:end -->';

const TITLES: Record<string, string> = { twilio: 'Twilio', plivo: 'Plivo', exotel: 'Exotel' };

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function describe(t: FaultTemplate): string {
  const match = 'match' in t ? ` ${JSON.stringify(t.match)}` : '';
  switch (t.type) {
    case 'callback.delay':
    case 'webhook.slow':
      return `\`${t.type}\`${match} ${t.delayMs[0]}–${t.delayMs[1]} ms`;
    case 'callback.reorder':
      return `\`${t.type}\`${match} hold ${t.holdMs[0]}–${t.holdMs[1]} ms`;
    case 'callback.duplicate':
      return `\`${t.type}\`${match} ×${t.copies[0]}–${t.copies[1]}`;
    case 'callback.drop':
      return `\`${t.type}\`${match}`;
    case 'rest.slow':
      return `\`rest.slow\` ${t.method} \`${t.path}\` ${t.delayMs[0]}–${t.delayMs[1]} ms`;
    case 'rest.error':
      return `\`rest.error\` ${t.method} \`${t.path}\`${t.body === undefined ? '' : ` with \`${t.body}\``} ${t.statuses.join('/')}${t.applied === true ? ', after the work' : ''}${
        t.inARow === undefined ? '' : `, ${t.inARow[0]}–${t.inARow[1]} in a row`
      }${t.after === undefined ? '' : ` after ${t.after[0]}–${t.after[1]} that pass`}`;
  }
}

/** The tables, one per carrier, between {@link TABLE_START} and {@link TABLE_END}. */
export function renderOrderingTables(): string {
  const out: string[] = [TABLE_START];
  for (const carrier of ADVERSARY_CARRIERS) {
    const rows = ORDERING_TABLE.filter((r) => r.carrier === carrier);
    out.push('', `#### ${TITLES[carrier] ?? carrier} (${rows.length} rows)`, '');
    out.push('| Row | Callbacks / requests | Permitted | Basis | Modes | Source | Adversary draws |');
    out.push('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const basis = `${r.lossy ? `${r.basis} (loss: only with \`lossy\`)` : r.basis}${r.apart ? ' (drawn apart, in 30 % of plans)' : ''}`;
      out.push(
        `| \`${r.id}\` | ${cell(r.what)} | ${cell(r.permits)} | ${basis} | ${r.modes.join(', ')} | ${cell(
          r.sources.join('; '),
        )} | ${cell(r.faults.map(describe).join('; '))} |`,
      );
    }
  }
  out.push('', TABLE_END);
  return out.join('\n');
}
