import { api } from './api.js';
import { fill, h } from './dom.js';

/** Only when the daemon runs with the simulator: place a test call through a scenario. */
export function tryView(ctx) {
  const scenarios = ctx.info.scenarios;
  const message = h('p', { role: 'status', 'aria-live': 'polite', id: 'try-status' });
  const form = h(
    'form',
    { class: 'try', onsubmit: (e) => void place(e) },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Scenario'),
      scenarios.map((sc, i) =>
        h(
          'label',
          { class: 'choice' },
          h('input', { type: 'radio', name: 'scenario', value: sc.id, checked: i === 0 }),
          ` ${sc.title}`,
        ),
      ),
    ),
    h('button', { type: 'submit', id: 'place' }, 'Place a test call'),
    message,
  );
  fill(
    ctx.main,
    h('h2', {}, 'Try it'),
    h(
      'p',
      { class: 'hint' },
      'The daemon runs beside the carrier simulator: a simulated caller dials the agent, and the call goes through the daemon like any other. Its timeline opens and fills in live.',
    ),
    form,
  );
  async function place(e) {
    e.preventDefault();
    const scenario = new FormData(form).get('scenario');
    message.textContent = 'Placing the call…';
    try {
      const placed = await api('/v1/console/try', { method: 'POST', body: { scenario } });
      location.hash = `#/call/${encodeURIComponent(placed.callId)}`;
    } catch (err) {
      message.textContent =
        err.status === 403 ? 'This key lacks the calls:write scope needed to place a call.' : err.message;
    }
  }
}
