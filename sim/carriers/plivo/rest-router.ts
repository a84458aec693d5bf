/**
 * The REST subset under `/v1/Account/{auth_id}/` that a transfer engine uses, accepting what
 * plivo-node sends (protocols.md §3.4): JSON bodies with snake_case keys (form bodies too), HTTP
 * Basic `auth_id:auth_token`, trailing slashes. Wrong credentials → 401; unknown resources → 404;
 * bad requests → 400, each with Plivo's `{ api_id, error }`. Injected `rest.error` faults answer
 * before any handler runs.
 */
import { timingSafeEqual } from 'node:crypto';
import { pathMatches, takeRestSlow } from '../../faults.js';
import type { SimHttpRequest, SimHttpResponse } from '../../front-end.js';
import { plivoError } from './errors.js';
import type { PlivoFrontEnd } from './front-end.js';
import {
  cancelRequest,
  createCall,
  getCall,
  hangupCall,
  listCalls,
  startStream,
  stopStreams,
  transferCall,
} from './rest-calls.js';
import {
  deleteAllConferences,
  deleteConference,
  getConference,
  listConferences,
  memberAction,
} from './rest-conferences.js';

/** A request body: JSON values as sent (plivo-node sends numbers and booleans as such). */
export type RestBody = Readonly<Record<string, unknown>>;

/** What a handler returns: the response and the ids to file the request under in the log. */
export interface RestResult {
  readonly response: SimHttpResponse;
  readonly callSid?: string;
  readonly conferenceSid?: string;
}

export function notFound(what = 'not found'): RestResult {
  return { response: plivoError(404, what) };
}

export function bad(message: string): RestResult {
  return { response: plivoError(400, message) };
}

function authorized(fe: PlivoFrontEnd, header: string | string[] | undefined, pathAccount: string): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value?.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(value.slice(6), 'base64').toString('utf8'));
  const expected = Buffer.from(`${fe.authId}:${fe.authToken}`);
  return given.length === expected.length && timingSafeEqual(given, expected) && pathAccount === fe.authId;
}

function parseBody(req: SimHttpRequest): RestBody | undefined {
  const text = req.body.toString('utf8');
  if (text.trim() === '') return {};
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as RestBody)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Body values as strings, for the log. */
function logParams(body: RestBody): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

const PREFIX = /^\/v1\/Account\/([^/]+)\/(.*)$/;

export async function handleRest(fe: PlivoFrontEnd, req: SimHttpRequest): Promise<SimHttpResponse> {
  const receivedAtMs = fe.ctx.clock.nowMs();
  const body = parseBody(req);
  const result = body === undefined ? bad('invalid request body: expected JSON') : route(fe, req, body);
  const slow = takeRestSlow(fe.ctx.faults, 'plivo', req.method, req.pathname);
  if (slow !== undefined) await fe.ctx.timers.sleep(slow.delayMs);
  fe.ctx.log.add(
    {
      carrier: 'plivo',
      ...(result.callSid === undefined ? {} : { callSid: result.callSid }),
      ...(result.conferenceSid === undefined ? {} : { conferenceSid: result.conferenceSid }),
    },
    {
      type: 'rest.request',
      method: req.method,
      path: req.pathname,
      params: logParams(body ?? {}),
      status: result.response.status,
      receivedAtMs,
    },
  );
  return result.response;
}

function route(fe: PlivoFrontEnd, req: SimHttpRequest, body: RestBody): RestResult {
  const m = PREFIX.exec(req.pathname);
  if (!m) return notFound();
  if (!authorized(fe, req.headers['authorization'], decodeURIComponent(m[1] as string))) {
    return { response: plivoError(401, 'Authentication credentials invalid') };
  }
  const fault = fe.ctx.faults.take(
    'rest.error',
    (r) =>
      (r.method === undefined || r.method.toUpperCase() === req.method) &&
      pathMatches(r.path, req.pathname) &&
      (r.body === undefined || req.body.toString('utf8').includes(r.body)),
    { carrier: 'plivo', detail: `${req.method} ${req.pathname}` },
  );
  if (fault === undefined) return resource(fe, req, body, m);
  // An error after the work was done (`applied`): what the request did stands, its answer is lost.
  const done = fault.applied === true ? resource(fe, req, body, m) : undefined;
  const error = plivoError(fault.status, `injected fault: HTTP ${fault.status}`);
  return {
    ...done,
    response: fault.status === 429 ? { ...error, headers: { ...error.headers, 'retry-after': '1' } } : error,
  };
}

/** A request past the account's check and the faults: the resource it names answers it. */
function resource(fe: PlivoFrontEnd, req: SimHttpRequest, body: RestBody, m: RegExpExecArray): RestResult {
  const rest = m[2] ?? '';
  // plivo-node always ends resource paths with `/` (§3.4).
  if (rest !== '' && !rest.endsWith('/')) return notFound();
  const parts = rest
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  const [collection, id, sub, subId, action] = parts;
  const method = req.method;
  if (collection === 'Call') {
    if (parts.length === 1 && method === 'POST') return createCall(fe, body);
    if (parts.length === 1 && method === 'GET') return listCalls(fe);
    if (parts.length === 2 && id !== undefined) {
      if (method === 'GET') return getCall(fe, id, req.query.get('status') === 'live');
      if (method === 'POST') return transferCall(fe, id, body);
      if (method === 'DELETE') return hangupCall(fe, id);
    }
    if (sub === 'Stream' && id !== undefined && parts.length <= 4) {
      if (method === 'POST' && parts.length === 3) return startStream(fe, id, body);
      if (method === 'DELETE') return stopStreams(fe, id, subId);
    }
  } else if (collection === 'Request' && parts.length === 2 && id !== undefined && method === 'DELETE') {
    return cancelRequest(fe, id);
  } else if (collection === 'Conference') {
    if (parts.length === 1 && method === 'GET') return listConferences(fe);
    if (parts.length === 1 && method === 'DELETE') return deleteAllConferences(fe);
    if (parts.length === 2 && id !== undefined) {
      if (method === 'GET') return getConference(fe, id);
      if (method === 'DELETE') return deleteConference(fe, id);
    }
    if (sub === 'Member' && id !== undefined && subId !== undefined && parts.length <= 5) {
      return memberAction(fe, id, subId, action, method, body);
    }
  } else {
    return notFound();
  }
  return { response: plivoError(405, `method ${method} not allowed here`) };
}
