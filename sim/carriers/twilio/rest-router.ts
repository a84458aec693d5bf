/**
 * The REST subset under `/2010-04-01/Accounts/{AccountSid}/` that a transfer engine uses,
 * accepting exactly what twilio-node sends: form bodies with repeated keys, HTTP Basic
 * `AccountSid:AuthToken`, `.json` paths (protocols.md §2.4). Wrong credentials → 401/20003;
 * unknown resources → 404/20404. Injected `rest.error` faults answer before any handler runs.
 */
import { timingSafeEqual } from 'node:crypto';
import { pathMatches, takeRestSlow } from '../../faults.js';
import type { SimHttpRequest, SimHttpResponse } from '../../front-end.js';
import { codeForStatus, TWILIO_ERRORS, twilioError } from './errors.js';
import { Form } from './form.js';
import type { TwilioFrontEnd } from './front-end.js';
import { createCall, fetchCall, listCalls, updateCall } from './rest-calls.js';
import {
  createParticipant,
  deleteParticipant,
  fetchConference,
  fetchParticipant,
  listConferences,
  listParticipants,
  updateConference,
  updateParticipant,
} from './rest-conferences.js';

/** What a handler returns: the response and the ids to file the request under in the log. */
export interface RestResult {
  readonly response: SimHttpResponse;
  readonly callSid?: string;
  readonly conferenceSid?: string;
}

export function json(status: number, body: unknown): SimHttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

export function notFound(path: string): RestResult {
  return {
    response: twilioError(404, TWILIO_ERRORS.notFound, `The requested resource ${path} was not found`),
  };
}

function authorized(fe: TwilioFrontEnd, header: string | string[] | undefined, pathAccount: string): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(value.slice(6), 'base64').toString('utf8');
  const expected = `${fe.accountSid}:${fe.authToken}`;
  const a = Buffer.from(decoded);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) && pathAccount === fe.accountSid;
}

const PREFIX = /^\/2010-04-01\/Accounts\/([^/]+)(\/.*)?$/;

export async function handleRest(fe: TwilioFrontEnd, req: SimHttpRequest): Promise<SimHttpResponse> {
  const receivedAtMs = fe.ctx.clock.nowMs();
  const form = req.method === 'POST' ? Form.parse(req.body.toString('utf8')) : new Form(req.query.entries());
  const result = await route(fe, req, form);
  const slow = takeRestSlow(fe.ctx.faults, 'twilio', req.method, req.pathname);
  if (slow !== undefined) await fe.ctx.timers.sleep(slow.delayMs);
  const status = result.response.status;
  let errorCode: number | undefined;
  if (status >= 400 && typeof result.response.body === 'string') {
    try {
      errorCode = (JSON.parse(result.response.body) as { code?: number }).code;
    } catch {
      errorCode = undefined;
    }
  }
  fe.ctx.log.add(
    {
      carrier: 'twilio',
      ...(result.callSid === undefined ? {} : { callSid: result.callSid }),
      ...(result.conferenceSid === undefined ? {} : { conferenceSid: result.conferenceSid }),
    },
    {
      type: 'rest.request',
      method: req.method,
      path: req.pathname,
      params: form.toParams(),
      status,
      ...(errorCode === undefined ? {} : { errorCode }),
      receivedAtMs,
    },
  );
  return result.response;
}

async function route(fe: TwilioFrontEnd, req: SimHttpRequest, form: Form): Promise<RestResult> {
  const m = PREFIX.exec(req.pathname);
  if (!m) return notFound(req.pathname);
  if (!authorized(fe, req.headers['authorization'], m[1] as string)) {
    return { response: twilioError(401, TWILIO_ERRORS.authenticate, 'Authenticate') };
  }
  const fault = fe.ctx.faults.take(
    'rest.error',
    (r) =>
      (r.method === undefined || r.method.toUpperCase() === req.method) &&
      pathMatches(r.path, req.pathname) &&
      (r.body === undefined || req.body.toString('utf8').includes(r.body)),
    { carrier: 'twilio', detail: `${req.method} ${req.pathname}` },
  );
  if (fault === undefined) return resource(fe, req, form, m);
  // An error after the work was done (`applied`): what the request did stands, its answer is lost.
  const done = fault.applied === true ? await resource(fe, req, form, m) : undefined;
  const code = fault.code ?? codeForStatus(fault.status);
  const headers: Record<string, string> = fault.status === 429 ? { 'retry-after': '1' } : {};
  const error = twilioError(fault.status, code, `Injected fault: HTTP ${fault.status}`);
  return { ...done, response: { ...error, headers: { ...error.headers, ...headers } } };
}

/** A request past the account's check and the faults: the resource it names answers it. */
async function resource(
  fe: TwilioFrontEnd,
  req: SimHttpRequest,
  form: Form,
  m: RegExpExecArray,
): Promise<RestResult> {
  const rest = (m[2] ?? '').split('/').filter(Boolean);
  const method = req.method;
  const last = rest.at(-1) ?? '';
  if (!last.endsWith('.json')) return notFound(req.pathname);
  const parts = [...rest.slice(0, -1), last.slice(0, -'.json'.length)].map((p) => decodeURIComponent(p));
  const [collection, id, sub, subId] = parts;
  const path = req.pathname;
  if (collection === 'Calls' && parts.length === 1) {
    if (method === 'POST') return createCall(fe, form);
    if (method === 'GET') return listCalls(fe, form);
  } else if (collection === 'Calls' && parts.length === 2 && id) {
    if (method === 'GET') return fetchCall(fe, id, path);
    if (method === 'POST') return updateCall(fe, id, form, path);
  } else if (collection === 'Conferences' && parts.length === 1) {
    if (method === 'GET') return listConferences(fe, form);
  } else if (collection === 'Conferences' && parts.length === 2 && id) {
    if (method === 'GET') return fetchConference(fe, id, path);
    if (method === 'POST') return updateConference(fe, id, form, path);
  } else if (collection === 'Conferences' && sub === 'Participants' && parts.length === 3 && id) {
    if (method === 'POST') return createParticipant(fe, id, form, path);
    if (method === 'GET') return listParticipants(fe, id, path);
  } else if (collection === 'Conferences' && sub === 'Participants' && parts.length === 4 && id && subId) {
    if (method === 'GET') return fetchParticipant(fe, id, subId, path);
    if (method === 'POST') return updateParticipant(fe, id, subId, form, path);
    if (method === 'DELETE') return deleteParticipant(fe, id, subId, path);
  } else {
    return notFound(path);
  }
  return { response: twilioError(405, TWILIO_ERRORS.methodNotAllowed, `Method ${method} not allowed`) };
}
