/**
 * The console talks only to the daemon's /v1 API, with the key the operator typed (kept in this
 * tab's sessionStorage, never in a URL). Live updates come from `GET /v1/console/stream`
 * (server-sent events) read with fetch, since an EventSource cannot send the key in a header.
 */
const KEY = 'patchthrough.console.key';

export function savedKey() {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A JSON request with the key; throws {@link ApiFailure} on any non-2xx. */
export async function api(path, { method = 'GET', body, key = savedKey() } = {}) {
  const headers = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text === '' ? null : JSON.parse(text);
  if (!res.ok) {
    const e = json?.error ?? {};
    throw new ApiFailure(res.status, e.code ?? 'http_error', e.message ?? `HTTP ${res.status}`);
  }
  return json;
}

/**
 * Opens the live stream and calls `onEvent(type, data)` per event; reconnects after a drop.
 * `onState('live' | 'reconnecting' | 'refused')`. Returns a function that closes it.
 */
export function openStream(onEvent, onState) {
  let stopped = false;
  let controller = null;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch('/v1/console/stream', {
          headers: { authorization: `Bearer ${savedKey()}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (res.status === 401 || res.status === 403) {
          onState('refused');
          return;
        }
        if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
        onState('live');
        await readEvents(res.body, onEvent);
      } catch {
        // A dropped or refused connection: try again below, unless closed on purpose.
        if (stopped) return;
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut = buffer.indexOf('\n\n');
    while (cut !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(type, JSON.parse(data.join('\n')));
      cut = buffer.indexOf('\n\n');
    }
  }
}
