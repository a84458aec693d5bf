/**
 * The REST subset under `/v1/Accounts/{AccountSid}/` (protocols.md §4.3, §4.4): `Calls/connect`
 * and call details. HTTP Basic `API_KEY:API_TOKEN`; form or multipart bodies; parameter names
 * matched case-insensitively (the developer guide writes `from`, `callerid`, `streamurl`), arrays
 * as `Name[]` or `Name[0]`; a `.json` path answers JSON, anything else XML (`TwilioResponse`).
 * Injected `rest.error` faults answer before any handler runs.
 */
import { timingSafeEqual } from 'node:crypto';
import { pathMatches } from '../../faults.js';
import type { SimHttpRequest, SimHttpResponse } from '../../front-end.js';
import type { StatusCallbackConfig } from './call.js';
import type { ExotelFrontEnd } from './front-end.js';
import type { ExotelApplet } from './options.js';

/** Parameters by lower-cased name, array suffixes (`[]`, `[0]`) removed; every value kept. */
class Params {
  readonly #map = new Map<string, string[]>();
  readonly #raw: Record<string, string | string[]> = {};

  constructor(entries: Iterable<[string, string]>) {
    for (const [name, value] of entries) {
      const key = name.replace(/\[\d*\]$/, '').toLowerCase();
      this.#map.set(key, [...(this.#map.get(key) ?? []), value]);
      const prior = this.#raw[name];
      this.#raw[name] =
        prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
    }
  }

  get(name: string): string | undefined {
    const value = this.#map.get(name.toLowerCase())?.at(-1)?.trim();
    return value === '' ? undefined : value;
  }

  all(name: string): string[] {
    return this.#map.get(name.toLowerCase()) ?? [];
  }

  toLog(): Record<string, string | string[]> {
    return { ...this.#raw };
  }
}

interface Answer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly callSid?: string;
}

const PREFIX = /^\/v1\/accounts\/([^/]+)\/calls\/([^/]+?)(\.json)?$/i;
const STREAM_URL_MAX = 600;
const MAX_RING_SEC = 60;

export async function handleRest(fe: ExotelFrontEnd, req: SimHttpRequest): Promise<SimHttpResponse> {
  const receivedAtMs = fe.ctx.clock.nowMs();
  const params = await parseBody(req);
  const json = req.pathname.toLowerCase().endsWith('.json');
  const answer = await route(fe, req, params);
  fe.ctx.log.add(
    { carrier: 'exotel', ...(answer.callSid === undefined ? {} : { callSid: answer.callSid }) },
    {
      type: 'rest.request',
      method: req.method,
      path: req.pathname,
      params: params.toLog(),
      status: answer.status,
      receivedAtMs,
    },
  );
  return json
    ? {
        status: answer.status,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(answer.body),
      }
    : { status: answer.status, headers: { 'content-type': 'application/xml' }, body: toXml(answer.body) };
}

async function route(fe: ExotelFrontEnd, req: SimHttpRequest, params: Params): Promise<Answer> {
  const m = PREFIX.exec(req.pathname);
  if (m === null) return error(404, `${req.pathname} not found`);
  if (!authorized(fe, req.headers['authorization']) || m[1] !== fe.accountSid)
    return error(401, 'Authentication failed');
  const fault = fe.ctx.faults.take(
    'rest.error',
    (r) =>
      (r.method === undefined || r.method.toUpperCase() === req.method) &&
      pathMatches(r.path, req.pathname) &&
      (r.body === undefined || req.body.toString('utf8').includes(r.body)),
    { carrier: 'exotel', detail: `${req.method} ${req.pathname}` },
  );
  if (fault === undefined) return resource(fe, req, params, m);
  // An error after the work was done (`applied`): what the request did stands, its answer is lost.
  const done = fault.applied === true ? await resource(fe, req, params, m) : undefined;
  return {
    ...error(fault.status, `Injected fault: HTTP ${fault.status}`),
    ...(done?.callSid === undefined ? {} : { callSid: done.callSid }),
  };
}

/** A request past the account's check and the faults: the resource it names answers it. */
async function resource(
  fe: ExotelFrontEnd,
  req: SimHttpRequest,
  params: Params,
  m: RegExpExecArray,
): Promise<Answer> {
  const target = m[2] ?? '';
  if (target.toLowerCase() === 'connect') {
    return req.method === 'POST' ? connect(fe, params) : error(405, 'Method not allowed');
  }
  if (req.method !== 'GET') return error(405, 'Method not allowed');
  const call = fe.call(target);
  return call === undefined
    ? error(404, 'Call not found')
    : { status: 200, body: { Call: call.resource() }, callSid: call.sid };
}

/**
 * `Calls/connect`: rings `From` (caller ID `CallerId`, an ExoPhone of the account), and once
 * answered runs a flow (`Url`), a Voicebot (`StreamUrl` + `StreamType=bidirectional`), or dials
 * `To` and bridges the two.
 */
function connect(fe: ExotelFrontEnd, params: Params): Answer {
  const from = params.get('From');
  const callerId = params.get('CallerId');
  if (from === undefined) return error(400, 'From is required');
  if (callerId === undefined) return error(400, 'CallerId is required');
  if (!fe.ownsNumber(callerId)) return error(400, 'CallerId is not an ExoPhone of this account');
  const flow = flowOf(fe, params, callerId);
  if (typeof flow === 'string') return error(400, flow);
  const timeOut = Number(params.get('TimeOut') ?? fe.options.connectRingTimeoutSec);
  if (!Number.isInteger(timeOut) || timeOut < 1)
    return error(400, 'TimeOut must be a whole number of seconds');
  const statusUrl = params.get('StatusCallback');
  const customField = params.get('CustomField');
  if (customField !== undefined && customField.length > 128)
    return error(400, 'CustomField is longer than 128');
  const statusCallback: StatusCallbackConfig | undefined =
    statusUrl === undefined
      ? undefined
      : {
          url: statusUrl,
          contentType: params.get('StatusCallbackContentType') === 'application/json' ? 'json' : 'multipart',
          events: new Set(['terminal', ...params.all('StatusCallbackEvents').map((e) => e.toLowerCase())]),
          ...(customField === undefined ? {} : { customField }),
        };
  const sid = fe.ctx.sid('');
  const leg = fe.ctx.network.dial({
    carrier: 'exotel',
    from: callerId,
    to: from,
    timeoutMs: Math.min(timeOut, MAX_RING_SEC) * 1000,
    label: sid,
  });
  const call = fe.register({
    sid,
    leg,
    direction: 'outbound-api',
    ...(statusCallback === undefined ? {} : { statusCallback }),
    ...(flow.appId === undefined ? {} : { flowId: flow.appId }),
  });
  const off = leg.on((e) => {
    if (e.type !== 'leg.answered') return;
    off();
    void fe.runFlow(call, flow.applets);
  });
  return { status: 200, body: { Call: { ...call.resource(), Status: 'in-progress' } }, callSid: sid };
}

function flowOf(
  fe: ExotelFrontEnd,
  params: Params,
  callerId: string,
): { applets: readonly ExotelApplet[]; appId?: string } | string {
  const url = params.get('Url');
  const streamUrl = params.get('StreamUrl');
  const to = params.get('To');
  if (url !== undefined) {
    const appId = /\/exoml\/start_voice\/([^/?#]+)/.exec(url)?.[1];
    const applets = appId === undefined ? undefined : fe.flow(appId);
    return applets === undefined ? 'Url is not a flow of this account' : { applets, appId };
  }
  if (streamUrl !== undefined) {
    if (!/^wss?:\/\//i.test(streamUrl) || streamUrl.length > STREAM_URL_MAX) {
      return 'StreamUrl must be a ws:// or wss:// URL of at most 600 characters';
    }
    if (params.get('StreamType')?.toLowerCase() !== 'bidirectional') {
      return 'StreamType must be bidirectional (unidirectional streams are not simulated)';
    }
    return { applets: [{ type: 'voicebot', id: 'voicebot', url: streamUrl }] };
  }
  if (to !== undefined) {
    return { applets: [{ type: 'connect', id: 'connect', dialWhom: { numbers: [to] }, callerId }] };
  }
  return 'one of Url, StreamUrl or To is required';
}

function authorized(fe: ExotelFrontEnd, header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value?.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(value.slice(6), 'base64').toString('utf8'));
  const expected = Buffer.from(`${fe.apiKey}:${fe.apiToken}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function parseBody(req: SimHttpRequest): Promise<Params> {
  if (req.method !== 'POST') return new Params(req.query.entries());
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('multipart/form-data')) {
    try {
      const form = await new Response(req.body, { headers: { 'content-type': type } }).formData();
      return new Params(
        [...form].flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : [])),
      );
    } catch {
      return new Params([]);
    }
  }
  return new Params(new URLSearchParams(req.body.toString('utf8')).entries());
}

function error(status: number, message: string): Answer {
  return { status, body: { RestException: { Status: status, Message: message } } };
}

/** Exotel's XML answers: the JSON shape under `<TwilioResponse>` (§4.3). */
function toXml(body: Readonly<Record<string, unknown>>): string {
  const render = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') {
      return Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `<${k}>${render(v)}</${k}>`)
        .join('');
    }
    return String(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n<TwilioResponse>${render(body)}</TwilioResponse>`;
}
