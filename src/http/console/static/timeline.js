import { api } from './api.js';
import { fill, h, s } from './dom.js';
import { PHASE_WORDS } from './format.js';
import { buildLanes } from './lanes.js';
import { clock, duration, full, since } from './time.js';

const LABEL_W = 190;
const STATE_WORDS = {
  ai: 'with the AI',
  person: 'with a person',
  hold: 'on hold',
  talking: 'talking',
  paused: 'paused',
  left: 'left',
};
const WIDTH = 1000;
const ROW = 34;

/** One call's timeline as swimlanes, refreshed when the stream says the call changed. */
export function timelineView(ctx, callId) {
  const head = h('div', { class: 'call-head' });
  const verdict = h('div', { id: 'verdict', role: 'status', 'aria-live': 'polite' });
  const chart = h('div', { class: 'lanes-wrap' });
  const details = h(
    'aside',
    { id: 'event-details', class: 'details', 'aria-live': 'polite' },
    h('p', { class: 'hint' }, 'Select an event (click, or Tab then Enter) to see its details.'),
  );
  const list = h('tbody');
  fill(
    ctx.main,
    h('p', {}, h('a', { href: '#/calls' }, '← Live calls')),
    head,
    verdict,
    h('section', { 'aria-labelledby': 'lanes-h' }, h('h2', { id: 'lanes-h' }, 'Timeline'), chart, details),
    h(
      'section',
      { 'aria-labelledby': 'events-h' },
      h('h2', { id: 'events-h' }, 'Every event'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { id: 'events' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Time'),
              h('th', { scope: 'col' }, 'Since start'),
              h('th', { scope: 'col' }, 'Lane'),
              h('th', { scope: 'col' }, 'Event'),
              h('th', { scope: 'col' }, 'Detail'),
            ),
          ),
          list,
        ),
      ),
    ),
  );
  let shown = -1;
  let loading = false;
  /** A change reported while a load was under way: load again once it ends, or the last change is never drawn. */
  let stale = false;
  const show = (e, laneLabel, t0) =>
    fill(
      details,
      h('h3', {}, e.event),
      h(
        'dl',
        {},
        h('dt', {}, 'Lane'),
        h('dd', {}, laneLabel),
        h('dt', {}, 'Time'),
        h('dd', {}, full(e.atMs)),
        h('dt', {}, 'Since the call began'),
        h('dd', {}, since(e.atMs, t0)),
        e.state === undefined ? null : [h('dt', {}, 'Transfer state after'), h('dd', {}, e.state)],
        h('dt', {}, 'Recorded by'),
        h('dd', {}, e.source === 'transfer' ? 'the transfer machine' : 'the call'),
        h('dt', {}, 'Detail'),
        h('dd', {}, h('code', {}, e.detail ?? '—')),
      ),
    );

  const load = async () => {
    if (loading) {
      stale = true;
      return;
    }
    loading = true;
    stale = false;
    try {
      const call = await api(`/v1/console/calls/${encodeURIComponent(callId)}`);
      if (call.version === shown && call.version !== 0) return;
      shown = call.version;
      draw(call);
    } catch (err) {
      fill(
        head,
        h('h2', {}, 'Call ', h('code', {}, callId)),
        h('p', { class: 'error', role: 'alert' }, err.message),
      );
    } finally {
      loading = false;
      if (stale) void load();
    }
  };

  const draw = (call) => {
    fill(
      head,
      h('h2', {}, 'Call ', h('code', { class: 'callid' }, call.callId)),
      h(
        'p',
        { class: 'meta' },
        h(
          'span',
          { class: `pill phase-${call.phase}`, id: 'call-phase' },
          PHASE_WORDS[call.phase] ?? call.phase,
        ),
        ` ${call.agentId} · ${call.carrier} · ${call.direction} · from ${call.from} to ${call.to} · started `,
        h('time', { title: full(call.createdAtMs) }, clock(call.createdAtMs)),
        call.endedAtMs === null
          ? ''
          : ` · lasted ${duration(call.endedAtMs - call.createdAtMs)} · ${call.endedReason}`,
      ),
    );
    drawVerdict(call);
    const model = buildLanes(call, Date.now());
    fill(chart, lanesSvg(model, show));
    const rows = model.lanes
      .flatMap((ln) => ln.events.map((e) => ({ e, ln })))
      .sort((a, b) => a.e.atMs - b.e.atMs);
    fill(
      list,
      rows.map(({ e, ln }) =>
        h(
          'tr',
          {},
          h('td', {}, h('time', { title: full(e.atMs) }, clock(e.atMs))),
          h('td', {}, since(e.atMs, model.t0)),
          h('td', {}, ln.label),
          h(
            'td',
            {},
            h(
              'button',
              { type: 'button', class: 'linkish', onclick: () => show(e, ln.label, model.t0) },
              e.event,
            ),
          ),
          h('td', {}, e.detail ?? ''),
        ),
      ),
    );
  };

  const drawVerdict = (call) => {
    const parts = [];
    for (const t of call.transfers) {
      const ok = t.outcome === 'connected';
      const failed = t.outcome !== undefined && !ok;
      parts.push(
        h(
          'div',
          {
            class: `verdict ${ok ? 'ok' : failed ? 'failed' : 'running'}`,
            'data-outcome': t.outcome ?? 'running',
          },
          h('strong', {}, `${t.mode} transfer: ${t.outcome ?? 'running'}`),
          ' — ',
          h('span', { class: 'reason' }, t.reason),
          t.endedAtMs === undefined ? '' : ` (after ${duration(t.endedAtMs - t.startedAtMs)})`,
        ),
      );
    }
    const legs = call.transferDetail?.legs ?? [];
    const failedLegs = legs.filter((l) => l.outcome !== null && l.outcome !== 'connected');
    if (failedLegs.length > 0 && call.transferDetail.outcome === 'connected') {
      parts.push(
        h(
          'p',
          { class: 'hint' },
          failedLegs.map((l) => `Human ${l.index + 1} (${l.destination}): ${l.reason}. `),
        ),
      );
    }
    for (const r of call.refusals) {
      parts.push(
        h(
          'div',
          { class: 'verdict failed', 'data-outcome': r.refusal },
          h('strong', {}, `refused: ${r.refusal}`),
          ` — ${r.detail}`,
        ),
      );
    }
    fill(verdict, parts.length === 0 ? h('p', { class: 'hint' }, 'No transfer so far.') : parts);
  };

  const off = ctx.hub.on((type, data) => {
    if (type === 'snapshot' ? data.calls.some((c) => c.callId === callId) : data.callId === callId)
      void load();
  });
  ctx.onLeave(off);
  void load();
}

function lanesSvg(model, show) {
  const span = model.t1 - model.t0;
  const x = (ms) => LABEL_W + ((ms - model.t0) / span) * (WIDTH - LABEL_W - 10);
  const height = model.lanes.length * ROW + 28;
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    class: 'lanes',
    role: 'group',
    'aria-label': 'Swimlanes: caller, AI, each human leg and the transfer over time',
  });
  // A time axis: 5 ticks in seconds since the call began.
  for (let i = 0; i <= 5; i += 1) {
    const ms = model.t0 + (span * i) / 5;
    svg.append(
      s('line', { x1: x(ms), x2: x(ms), y1: 0, y2: height - 20, class: 'tick' }),
      s(
        'text',
        { x: x(ms), y: height - 6, class: 'tick-label', 'text-anchor': 'middle' },
        since(ms, model.t0),
      ),
    );
  }
  model.lanes.forEach((ln, i) => {
    const y = i * ROW + 4;
    const g = s('g', { class: 'lane', 'data-lane': ln.id });
    g.append(s('text', { x: 6, y: y + ROW / 2 + 4, class: 'lane-label' }, ln.label));
    for (const seg of ln.segments) {
      g.append(
        s(
          'rect',
          {
            x: x(seg.fromMs),
            y: y + 8,
            width: Math.max(1, x(seg.toMs) - x(seg.fromMs)),
            height: ROW - 16,
            rx: 3,
            class: `seg st-${seg.state}`,
            'data-state': seg.state,
          },
          s('title', {}, `${STATE_WORDS[seg.state] ?? seg.state}: ${duration(seg.toMs - seg.fromMs)}`),
        ),
      );
      if (x(seg.toMs) - x(seg.fromMs) > 60) {
        g.append(
          s(
            'text',
            { x: x(seg.fromMs) + 4, y: y + ROW / 2 + 4, class: 'seg-label' },
            STATE_WORDS[seg.state] ?? seg.state,
          ),
        );
      }
    }
    for (const e of ln.events) {
      const dot = s(
        'g',
        {
          class: 'event',
          tabindex: 0,
          role: 'button',
          'data-event': e.event,
          'aria-label': `${ln.label}: ${e.event} at ${clock(e.atMs)}`,
          onclick: () => show(e, ln.label, model.t0),
          onkeydown: (k) => {
            if (k.key === 'Enter' || k.key === ' ') {
              k.preventDefault();
              show(e, ln.label, model.t0);
            }
          },
        },
        s('circle', { cx: x(e.atMs), cy: y + ROW / 2, r: 6 }),
        s('title', {}, `${e.event} ${clock(e.atMs)}`),
      );
      g.append(dot);
      if (e.outcome !== undefined) {
        g.append(s('text', { x: x(e.atMs) + 10, y: y + ROW / 2 + 4, class: 'leg-outcome' }, e.outcome));
      }
    }
    svg.append(g);
  });
  return svg;
}
