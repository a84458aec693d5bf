/** REST Calls: create, list, fetch, update (redirect / hang up) — protocols.md §2.4. */
import type { FallbackConfig, StatusCallbackConfig } from './call.js';
import { TWILIO_ERRORS, twilioError } from './errors.js';
import type { Form } from './form.js';
import type { TwilioFrontEnd } from './front-end.js';
import { httpMethod, isDialable, isHttpUrl, parseProgressEvents } from './rest-params.js';
import { json, notFound, type RestResult } from './rest-router.js';
import type { TwimlSource } from './twiml-runner.js';

/** Twilio rejects `Twiml` longer than this (error 32018). */
const MAX_TWIML_CHARS = 4000;

function bad(code: number, message: string): RestResult {
  return { response: twilioError(400, code, message) };
}

/** `Url`(+`Method`) or `Twiml` → what to run; `Url` wins when both are sent (as on create). */
function sourceFrom(form: Form): TwimlSource | RestResult | undefined {
  const url = form.get('Url');
  if (url !== undefined) {
    if (!isHttpUrl(url)) return bad(TWILIO_ERRORS.invalidUrl, `Url is not a valid URL: ${url}`);
    return { type: 'url', url, method: httpMethod(form.get('Method'), 'POST'), kind: 'voice' };
  }
  const twiml = form.get('Twiml');
  if (twiml !== undefined) {
    if (twiml.length > MAX_TWIML_CHARS) {
      return bad(TWILIO_ERRORS.twimlTooLong, 'Twiml size exceeded maximum allowed value of 4000 characters');
    }
    return { type: 'twiml', xml: twiml };
  }
  return undefined;
}

function isResult(x: TwimlSource | RestResult | undefined): x is RestResult {
  return x !== undefined && 'response' in x;
}

/** `FallbackUrl` + `FallbackMethod` of Calls create and update. */
function fallbackFrom(form: Form): FallbackConfig | RestResult | undefined {
  const url = form.get('FallbackUrl');
  if (url === undefined) return undefined;
  if (!isHttpUrl(url)) return bad(TWILIO_ERRORS.invalidUrl, `FallbackUrl is not a valid URL: ${url}`);
  return { url, method: httpMethod(form.get('FallbackMethod'), 'POST') };
}

export function statusCallbackFrom(form: Form): StatusCallbackConfig | RestResult | undefined {
  const url = form.get('StatusCallback');
  if (url === undefined) return undefined;
  if (!isHttpUrl(url)) return bad(21609, `StatusCallback is not a valid URL: ${url}`);
  return {
    url,
    method: httpMethod(form.get('StatusCallbackMethod'), 'POST'),
    events: parseProgressEvents(form.all('StatusCallbackEvent')),
  };
}

/** Checks `To` and `From` like Twilio: 21201/21213 missing, 21211/21212 invalid, 21210 not the account's. */
export function checkParties(fe: TwilioFrontEnd, form: Form): RestResult | { to: string; from: string } {
  const to = form.get('To');
  const from = form.get('From');
  if (!to) return bad(TWILIO_ERRORS.missingTo, "No 'To' number is specified");
  if (!from) return bad(TWILIO_ERRORS.missingFrom, "No 'From' number is specified");
  if (!isDialable(to)) return bad(TWILIO_ERRORS.invalidTo, `Invalid 'To' Phone Number: ${to}`);
  if (!isDialable(from)) return bad(TWILIO_ERRORS.invalidFrom, `Invalid 'From' Phone Number: ${from}`);
  if (!fe.callerIdAllowed(from)) {
    return bad(
      TWILIO_ERRORS.fromNotVerified,
      `The source phone number provided, ${from}, is not yet verified for your account.`,
    );
  }
  return { to, from };
}

/** Longest hold of a Calls create answer behind the call's progress callbacks, in ms. */
const MAX_CALLBACKS_FIRST_MS = 5000;

export async function createCall(fe: TwilioFrontEnd, form: Form): Promise<RestResult> {
  const parties = checkParties(fe, form);
  if ('response' in parties) return parties;
  if (form.has('ApplicationSid') && !form.has('Url') && !form.has('Twiml')) {
    return bad(TWILIO_ERRORS.invalidUrl, 'ApplicationSid is not simulated; send Url or Twiml');
  }
  const source = sourceFrom(form);
  if (isResult(source)) return source;
  if (!source) return bad(TWILIO_ERRORS.invalidUrl, 'Url parameter is required (or Twiml)');
  const statusCallback = statusCallbackFrom(form);
  if (statusCallback && 'response' in statusCallback) return statusCallback;
  const fallback = fallbackFrom(form);
  if (fallback && 'response' in fallback) return fallback;
  const timeoutS = Math.min(600, Math.max(1, form.int('Timeout', 60)));
  const amd = form.get('MachineDetection');
  if (amd !== undefined && amd !== 'Enable' && amd !== 'DetectMessageEnd') {
    return bad(21201, `MachineDetection must be Enable or DetectMessageEnd, not ${amd}`);
  }
  if (amd === 'DetectMessageEnd' || form.has('AsyncAmd')) {
    return bad(21201, 'only synchronous MachineDetection=Enable is simulated');
  }
  // `SendDigits`: 0-9, `#`, `*` and `w` (a half-second pause), at most 32.
  const sendDigits = form.get('SendDigits');
  if (sendDigits !== undefined && !/^[0-9#*w]{1,32}$/.test(sendDigits)) {
    return bad(21201, 'SendDigits may hold only 0-9, #, * and w, at most 32');
  }
  const call = fe.dialOut({
    direction: 'outbound-api',
    from: parties.from,
    to: parties.to,
    timeoutMs: timeoutS * 1000 + fe.options.ringTimeoutBufferMs,
    statusCallback,
    ...(fallback === undefined ? {} : { fallback }),
  });
  fe.runOnAnswer(call, source, {
    machineDetection: amd === 'Enable',
    ...(sendDigits === undefined ? {} : { sendDigits }),
  });
  if (fe.options.callbacksBeforeRestResponse) await progressDelivered(fe, call.leg, call.sid);
  return { response: json(201, call.resource()), callSid: call.sid };
}

/**
 * Waits until the leg rang (or got further), then until its callbacks so far were delivered
 * (option `callbacksBeforeRestResponse`).
 */
export async function progressDelivered(
  fe: TwilioFrontEnd,
  leg: { readonly state: string; on(fn: (e: { readonly type: string }) => void): () => void },
  sid: string,
): Promise<void> {
  if (leg.state === 'dialing') {
    await new Promise<void>((resolve) => {
      const cancel = fe.ctx.timers.after(MAX_CALLBACKS_FIRST_MS, done);
      const off = leg.on((e) => {
        if (e.type === 'leg.ringing' || e.type === 'leg.answered' || e.type === 'leg.ended') done();
      });
      function done(): void {
        cancel();
        off();
        resolve();
      }
    });
  }
  await fe.hooks.settled(sid);
}

export function fetchCall(fe: TwilioFrontEnd, sid: string, path: string): RestResult {
  const call = fe.call(sid);
  if (!call) return notFound(path);
  return { response: json(200, call.resource()), callSid: sid };
}

export function listCalls(fe: TwilioFrontEnd, form: Form): RestResult {
  const filters: Array<[string, string]> = [
    ['To', 'to'],
    ['From', 'from'],
    ['Status', 'status'],
    ['ParentCallSid', 'parent_call_sid'],
  ];
  const calls = fe.calls
    .map((c) => c.resource())
    .filter((r) =>
      filters.every(([param, field]) => form.get(param) === undefined || r[field] === form.get(param)),
    )
    .reverse();
  const uri = `/2010-04-01/Accounts/${fe.accountSid}/Calls.json`;
  return { response: json(200, page('calls', calls, uri)) };
}

export function page(key: string, items: unknown[], uri: string): Record<string, unknown> {
  return {
    [key]: items,
    end: Math.max(0, items.length - 1),
    first_page_uri: `${uri}?PageSize=50&Page=0`,
    next_page_uri: null,
    page: 0,
    page_size: 50,
    previous_page_uri: null,
    start: 0,
    uri: `${uri}?PageSize=50&Page=0`,
  };
}

export async function updateCall(
  fe: TwilioFrontEnd,
  sid: string,
  form: Form,
  path: string,
): Promise<RestResult> {
  const call = fe.call(sid);
  if (!call) return notFound(path);
  const status = form.get('Status');
  if (status !== undefined) {
    if (status !== 'completed' && status !== 'canceled') return bad(20001, `Invalid Status: ${status}`);
    // Hanging up a call that already ended is a 404 (protocols.md §2.4).
    if (call.isEnded) return notFound(path);
    const answered = call.leg.state === 'answered';
    if (status === 'completed')
      call.leg.hangup(answered ? 'completed' : 'canceled', 'network', answered ? 200 : 487);
    else if (!answered) call.leg.hangup('canceled', 'network', 487);
    return { response: json(200, call.resource()), callSid: sid };
  }
  const source = sourceFrom(form);
  if (isResult(source)) return { ...source, callSid: sid };
  const fallback = fallbackFrom(form);
  if (fallback && 'response' in fallback) return { ...fallback, callSid: sid };
  if (fallback !== undefined) call.fallback = fallback;
  if (source) {
    if (call.isEnded)
      return {
        ...bad(TWILIO_ERRORS.notInProgress, 'Call is not in-progress. Cannot redirect.'),
        callSid: sid,
      };
    fe.redirect(call, source);
  }
  return { response: json(200, call.resource()), callSid: sid };
}
