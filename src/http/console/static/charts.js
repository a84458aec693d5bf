import { s } from './dom.js';

/** Small inline-SVG charts: each has a title and a text alternative; no library. */

/** Bars over time: `values` [{ label, total, part }] — total as a light bar, part over it. */
export function barsOverTime(title, values, { totalName, partName }) {
  const W = 320;
  const H = 120;
  const max = Math.max(1, ...values.map((v) => v.total));
  const bw = (W - 30) / Math.max(1, values.length);
  const y = (n) => H - 20 - (n / max) * (H - 30);
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      class: 'chart',
      role: 'img',
      'aria-label': `${title}: ${values.map((v) => `${v.label} ${v.part}/${v.total}`).join(', ')}`,
    },
    s('title', {}, title),
  );
  svg.append(
    s('text', { x: 0, y: 10, class: 'axis' }, String(max)),
    s('line', { x1: 24, x2: W, y1: H - 20, y2: H - 20, class: 'base' }),
  );
  values.forEach((v, i) => {
    const x0 = 26 + i * bw;
    svg.append(
      s(
        'rect',
        { x: x0, y: y(v.total), width: Math.max(1, bw - 2), height: H - 20 - y(v.total), class: 'bar-total' },
        s('title', {}, `${v.label}: ${v.total} ${totalName}`),
      ),
      s(
        'rect',
        { x: x0, y: y(v.part), width: Math.max(1, bw - 2), height: H - 20 - y(v.part), class: 'bar-part' },
        s('title', {}, `${v.label}: ${v.part} ${partName}`),
      ),
    );
    if (i === 0 || i === values.length - 1) {
      svg.append(s('text', { x: x0, y: H - 6, class: 'axis' }, v.label));
    }
  });
  return svg;
}

/** Horizontal bars: [{ label, value, cls }]. */
export function hbars(title, rows, format = String) {
  const W = 320;
  const RH = 20;
  const H = Math.max(1, rows.length) * RH + 4;
  const max = Math.max(1, ...rows.map((r) => r.value ?? 0));
  const shown = (v) => (v === null || v === undefined ? '—' : format(v));
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      class: 'chart',
      role: 'img',
      'aria-label': `${title}: ${rows.map((r) => `${r.label} ${shown(r.value)}`).join(', ') || 'none'}`,
    },
    s('title', {}, title),
  );
  if (rows.length === 0) svg.append(s('text', { x: 0, y: 14, class: 'axis' }, 'nothing yet'));
  rows.forEach((r, i) => {
    const y = i * RH + 2;
    const w = ((W - 200) * (r.value ?? 0)) / max;
    svg.append(
      s('text', { x: 0, y: y + 13, class: 'axis' }, r.label),
      s(
        'rect',
        { x: 120, y, width: Math.max(1, w), height: RH - 5, class: `hbar ${r.cls ?? ''}` },
        s('title', {}, `${r.label}: ${shown(r.value)}`),
      ),
      s('text', { x: 124 + w, y: y + 13, class: 'axis' }, shown(r.value)),
    );
  });
  return svg;
}

/** A rate as a ring: `value` in 0..1 or null. */
export function ring(title, value) {
  const r = 26;
  const c = 2 * Math.PI * r;
  const shown = value === null ? '—' : `${Math.round(value * 100)}%`;
  return s(
    'svg',
    { viewBox: '0 0 70 70', class: 'ring', role: 'img', 'aria-label': `${title}: ${shown}` },
    s('title', {}, title),
    s('circle', { cx: 35, cy: 35, r, class: 'ring-bg' }),
    s('circle', {
      cx: 35,
      cy: 35,
      r,
      class: 'ring-fg',
      'stroke-dasharray': `${(value ?? 0) * c} ${c}`,
      transform: 'rotate(-90 35 35)',
    }),
    s('text', { x: 35, y: 40, 'text-anchor': 'middle', class: 'ring-text' }, shown),
  );
}
