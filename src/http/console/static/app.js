import { agentsView } from './agents.js';
import { ApiFailure, api, forgetKey, openStream, savedKey, saveKey } from './api.js';
import { fill, h } from './dom.js';
import { liveView } from './live.js';
import { offsetLabel, zoneName } from './time.js';
import { timelineView } from './timeline.js';
import { tryView } from './try.js';

/** One stream per tab, shared by the views: they subscribe to `hub`. */
const hub = {
  listeners: new Set(),
  live: new Map(),
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  },
  emit(type, data) {
    if (type === 'snapshot') {
      this.live = new Map(data.calls.map((c) => [c.callId, c]));
    } else if (type === 'call') {
      if (data.phase === 'ended') this.live.delete(data.callId);
      else this.live.set(data.callId, data);
    }
    for (const fn of [...this.listeners]) fn(type, data);
  },
};

const state = { info: null, closeStream: null, leaveView: null };
const main = document.getElementById('main');

function showZone() {
  document.getElementById('zone').textContent = `Times: ${zoneName()} (${offsetLabel()})`;
}

function loginView(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  const input = h('input', {
    id: 'key',
    name: 'key',
    type: 'password',
    autocomplete: 'off',
    required: true,
    minlength: 16,
    'aria-describedby': 'key-help',
  });
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' }, message ?? '');
  const form = h(
    'form',
    { class: 'login', onsubmit: (e) => void submit(e) },
    h('h2', {}, 'Sign in'),
    h('label', { for: 'key' }, 'API key'),
    input,
    h(
      'p',
      { id: 'key-help', class: 'hint' },
      'A key with the calls:read scope (PATCHTHROUGH_API_KEYS). Kept in this tab only.',
    ),
    h('button', { type: 'submit' }, 'Open the console'),
    error,
  );
  async function submit(e) {
    e.preventDefault();
    const key = input.value.trim();
    try {
      await api('/v1/console/info', { key });
    } catch (err) {
      error.textContent = loginError(err);
      input.focus();
      return;
    }
    saveKey(key);
    await start();
  }
  fill(main, form);
  input.focus();
}

function loginError(err) {
  if (err instanceof ApiFailure && err.status === 401) return 'This key is not accepted.';
  if (err instanceof ApiFailure && err.status === 403) return 'This key lacks the calls:read scope.';
  if (err instanceof ApiFailure && err.status === 429) return 'Too many attempts; wait a moment.';
  return `The daemon did not answer (${err.message}).`;
}

async function start() {
  try {
    state.info = await api('/v1/console/info');
  } catch (err) {
    forgetKey();
    loginView(loginError(err));
    return;
  }
  document.getElementById('nav').hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('nav-try').hidden = !state.info.simulator;
  const live = document.getElementById('live');
  state.closeStream?.();
  state.closeStream = openStream(
    (type, data) => hub.emit(type, data),
    (s) => {
      live.textContent = s === 'live' ? '● live' : s === 'refused' ? 'stream refused' : 'reconnecting…';
      live.dataset.state = s;
    },
  );
  if (location.hash === '' || location.hash === '#') location.hash = '#/calls';
  else route();
}

function route() {
  if (savedKey() === null) return loginView();
  state.leaveView?.();
  state.leaveView = null;
  const [, view, arg] = location.hash.split('/');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === (view === 'call' ? 'calls' : view)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = { main, hub, info: state.info, onLeave: (fn) => (state.leaveView = fn) };
  if (view === 'call' && arg) timelineView(ctx, decodeURIComponent(arg));
  else if (view === 'agents') agentsView(ctx);
  else if (view === 'try' && state.info?.simulator) tryView(ctx);
  else liveView(ctx);
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => {
  if (state.info !== null) route();
});
document.getElementById('logout').addEventListener('click', () => {
  state.closeStream?.();
  state.closeStream = null;
  state.leaveView?.();
  state.info = null;
  forgetKey();
  hub.live = new Map();
  document.getElementById('live').textContent = '';
  loginView();
});
showZone();
if (savedKey() === null) loginView();
else void start();
