import { api } from './api.js';
import { barsOverTime, hbars, ring } from './charts.js';
import { fill, h } from './dom.js';
import { clock, duration } from './time.js';

const FAILED = new Set([
  'busy',
  'no_answer',
  'failed',
  'declined',
  'voicemail',
  'carrier_error',
  'human_hangup',
  'canceled',
]);

/** Per agent over the last hour or day: rates, outcomes by kind, time to human p50/p95. */
export function agentsView(ctx) {
  let window = sessionStorage.getItem('patchthrough.console.window') ?? 'hour';
  const body = h('div', { class: 'agents', id: 'agents' });
  const picker = h(
    'div',
    { class: 'picker', role: 'radiogroup', 'aria-label': 'Window' },
    ['hour', 'day'].map((w) =>
      h(
        'button',
        {
          type: 'button',
          role: 'radio',
          'aria-checked': String(w === window),
          'data-window': w,
          onclick: () => {
            window = w;
            sessionStorage.setItem('patchthrough.console.window', w);
            void load();
          },
        },
        w === 'hour' ? 'Last hour' : 'Last day',
      ),
    ),
  );
  fill(ctx.main, h('h2', {}, 'Agents'), picker, body);
  let timer = null;
  const load = async () => {
    for (const b of picker.children) b.setAttribute('aria-checked', String(b.dataset.window === window));
    const data = await api(`/v1/console/agents?window=${window}`);
    fill(
      body,
      data.agents.map((a) => card(a, data.window)),
    );
  };
  // A call that ends changes the figures: reload, at most every 2 s.
  const off = ctx.hub.on((type, data) => {
    if (type !== 'call' || data.phase !== 'ended' || timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      void load();
    }, 2000);
  });
  ctx.onLeave(() => {
    off();
    if (timer !== null) clearTimeout(timer);
  });
  void load().catch((err) => fill(body, h('p', { class: 'error', role: 'alert' }, err.message)));
}

function card(a, w) {
  const outcomes = Object.entries(a.outcomes)
    .sort((x, y) => y[1] - x[1])
    .map(([label, value]) => ({
      label,
      value,
      cls: label === 'connected' ? 'ok' : FAILED.has(label) ? 'bad' : '',
    }));
  const bucketLabel = (b) => clock(b.startMs).slice(0, 5);
  return h(
    'article',
    { class: 'card', 'data-agent': a.agentId, 'aria-labelledby': `agent-${a.agentId}` },
    h('h3', { id: `agent-${a.agentId}` }, a.agentId),
    h(
      'p',
      { class: 'hint' },
      `${a.calls} ended calls · ${a.transferred} with a transfer · ${a.connected} reached a person`,
    ),
    h(
      'div',
      { class: 'rings' },
      h('figure', {}, ring('Transfer rate', a.transferRate), h('figcaption', {}, 'Transfer rate')),
      h('figure', {}, ring('Success rate', a.successRate), h('figcaption', {}, 'Success rate')),
    ),
    h(
      'figure',
      {},
      barsOverTime(
        `Calls and transfers, last ${w.name}`,
        a.buckets.map((b) => ({ label: bucketLabel(b), total: b.calls, part: b.transferred })),
        { totalName: 'calls', partName: 'transferred' },
      ),
      h('figcaption', {}, `Calls (light) and transferred (dark), per ${duration(w.bucketMs)}`),
    ),
    h('figure', {}, hbars('Outcomes by kind', outcomes), h('figcaption', {}, 'Transfer outcomes by kind')),
    h(
      'figure',
      {},
      hbars(
        'Time to human',
        [
          { label: 'p50', value: a.timeToHuman.p50Ms },
          { label: 'p95', value: a.timeToHuman.p95Ms },
        ],
        duration,
      ),
      h('figcaption', {}, `Time to human over ${a.timeToHuman.n} connected transfers`),
    ),
  );
}
