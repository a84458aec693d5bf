import { api } from './api.js';
import { fill, h } from './dom.js';
import { PHASE_WORDS, shortId, transferText } from './format.js';
import { clock, full } from './time.js';

/** Live calls (every worker's, from the store), updated from the stream; recently ended below. */
export function liveView(ctx) {
  const liveBody = h('tbody');
  const recentBody = h('tbody');
  const count = h('span', { class: 'count' });
  let recent = [];
  fill(
    ctx.main,
    h(
      'section',
      { 'aria-labelledby': 'live-h' },
      h('h2', { id: 'live-h' }, 'Live calls ', count),
      table('live-calls', liveBody, 'No call is live.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'recent-h' },
      h('h2', { id: 'recent-h' }, 'Recently ended'),
      table('recent-calls', recentBody, 'No call has ended yet.'),
    ),
  );
  const draw = () => {
    const live = [...ctx.hub.live.values()].sort((a, b) => b.createdAtMs - a.createdAtMs);
    count.textContent = `(${live.length})`;
    fill(liveBody, live.map(row));
    fill(recentBody, recent.map(row));
  };
  const load = async () => {
    const data = await api('/v1/console/calls?limit=30');
    recent = data.recent;
    draw();
  };
  const off = ctx.hub.on((type, data) => {
    if (type === 'call' && data.phase === 'ended') {
      recent = [data, ...recent.filter((r) => r.callId !== data.callId)].slice(0, 30);
    }
    draw();
  });
  ctx.onLeave(off);
  draw();
  void load().catch(() => undefined);
}

function table(id, body, empty) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id, 'data-empty': empty },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Started'),
          h('th', { scope: 'col' }, 'Call'),
          h('th', { scope: 'col' }, 'Agent'),
          h('th', { scope: 'col' }, 'Carrier'),
          h('th', { scope: 'col' }, 'Phase'),
          h('th', { scope: 'col' }, 'Transfer'),
          h('th', { scope: 'col' }, 'Ended'),
        ),
      ),
      body,
    ),
  );
}

function row(c) {
  return h(
    'tr',
    { 'data-call': c.callId, 'data-phase': c.phase },
    h(
      'td',
      {},
      h(
        'time',
        { datetime: new Date(c.createdAtMs).toISOString(), title: full(c.createdAtMs) },
        clock(c.createdAtMs),
      ),
    ),
    h(
      'td',
      {},
      h('a', { href: `#/call/${encodeURIComponent(c.callId)}`, title: c.callId }, shortId(c.callId)),
    ),
    h('td', {}, c.agentId),
    h('td', {}, c.carrier),
    h('td', {}, h('span', { class: `pill phase-${c.phase}` }, PHASE_WORDS[c.phase] ?? c.phase)),
    h('td', { class: 'transfer' }, transferText(c.transfer)),
    h('td', {}, c.endedReason ?? ''),
  );
}
