/**
 * REST calls (protocols.md §3.4): create (`POST /Call/` → `call fired` with `request_uuid`),
 * details, transfer (`POST /Call/{uuid}/` with `legs`, `aleg_url`, `aleg_method`), hang-up
 * (`DELETE /Call/{uuid}/` → 204), cancel a ringing request (`DELETE /Request/{request_uuid}/`),
 * audio streams (`POST`/`DELETE /Call/{uuid}/Stream/`).
 */
import crypto from 'node:crypto';
import { networkAddress } from './addresses.js';
import type { PlivoCall } from './call.js';
import { streamSpec } from './elements/stream.js';
import { noContent, plivoJson } from './errors.js';
import type { PlivoFrontEnd } from './front-end.js';
import { bad, notFound, type RestBody, type RestResult } from './rest-router.js';
import { resolveUrl } from './runner.js';

const NUMBER = /^\+?\d{6,15}$/;

import type { MachineDetectionSpec } from './front-end.js';

function str(body: RestBody, key: string): string | undefined {
  const v = body[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function method(body: RestBody, key: string): 'GET' | 'POST' | undefined {
  const v = str(body, key);
  if (v === undefined) return 'POST';
  const m = v.toUpperCase();
  return m === 'GET' || m === 'POST' ? m : undefined;
}

function httpUrl(value: string | undefined): string | undefined {
  return value === undefined ? undefined : resolveUrl(value, undefined);
}

/** An optional URL + method pair (`ring_url` + `ring_method`…); a string when invalid. */
function notification(
  body: RestBody,
  urlKey: string,
  methodKey: string,
): { url: string; method: 'GET' | 'POST' } | string | undefined {
  const raw = str(body, urlKey);
  if (raw === undefined) return undefined;
  const url = httpUrl(raw);
  const m = method(body, methodKey);
  if (url === undefined) return `${urlKey} is not a valid URL`;
  if (m === undefined) return `${methodKey} must be GET or POST`;
  return { url, method: m };
}

export function createCall(fe: PlivoFrontEnd, body: RestBody): RestResult {
  const from = str(body, 'from');
  const to = str(body, 'to');
  const answerUrl = str(body, 'answer_url');
  if (from === undefined || from === '') return bad("'from' is a mandatory parameter");
  if (to === undefined || to === '') return bad("'to' is a mandatory parameter");
  if (answerUrl === undefined) return bad("'answer_url' is a mandatory parameter");
  if (!NUMBER.test(from)) return bad("invalid 'from' number");
  if (!fe.callerIdAllowed(networkAddress(from)))
    return bad("'from' is not a number of this account or a verified caller id");
  const targets = to.split('<');
  if (targets.some((t) => !(NUMBER.test(t) || /^sip:[^\s@]+@[^\s]+$/.test(t))))
    return bad("invalid 'to' number or sip endpoint");
  const answer = httpUrl(answerUrl);
  if (answer === undefined) return bad('answer_url is not a valid URL');
  const answerMethod = method(body, 'answer_method');
  if (answerMethod === undefined) return bad('answer_method must be GET or POST');
  const ring = notification(body, 'ring_url', 'ring_method');
  const hangup = notification(body, 'hangup_url', 'hangup_method');
  const fallback = notification(body, 'fallback_url', 'fallback_method');
  for (const n of [ring, hangup, fallback]) if (typeof n === 'string') return bad(n);
  const ringTimeout = Number(str(body, 'ring_timeout') ?? '120');
  if (!Number.isInteger(ringTimeout) || ringTimeout < 1 || ringTimeout > 3600)
    return bad('ring_timeout must be a whole number of seconds');
  const timeLimit = Number(str(body, 'time_limit') ?? '14400');
  if (!Number.isInteger(timeLimit) || timeLimit < 1)
    return bad('time_limit must be a whole number of seconds');
  // `send_digits`: 0-9, `#`, `*`, `w` (0.5 s) and `W` (1 s).
  const sendDigits = str(body, 'send_digits');
  if (sendDigits !== undefined && !/^[0-9#*wW]{1,64}$/.test(sendDigits))
    return bad('send_digits may hold only 0-9, #, *, w and W');
  const detection = machineDetection(body);
  if (typeof detection === 'string') return bad(detection);
  const requestUuids: string[] = [];
  let first: PlivoCall | undefined;
  for (const target of targets) {
    const requestUuid = crypto.randomUUID();
    requestUuids.push(requestUuid);
    const call = fe.dialOut({
      from: networkAddress(from),
      to: networkAddress(target),
      timeoutMs: ringTimeout * 1000,
      requestUuid,
      ...(typeof ring === 'object' ? { ringUrl: ring } : {}),
      ...(typeof hangup === 'object' ? { hangupUrl: hangup } : {}),
    });
    first ??= call;
    fe.runOnAnswer(
      call,
      {
        type: 'url',
        url: answer,
        method: answerMethod,
        kind: 'voice',
        ...(typeof fallback === 'object' ? { fallback } : {}),
      },
      {
        ...(sendDigits === undefined ? {} : { sendDigits }),
        ...(detection === undefined ? {} : { machineDetection: detection }),
      },
    );
    const off = call.leg.on((e) => {
      if (e.type !== 'leg.answered') return;
      off();
      const cancel = fe.ctx.timers.after(timeLimit * 1000, () => call.leg.hangup('completed', 'network'));
      void call.leg.ended.then(cancel);
    });
  }
  return {
    response: plivoJson(fe.options.createStatus, {
      message: 'call fired',
      request_uuid: requestUuids.length === 1 ? requestUuids[0] : requestUuids,
    }),
    ...(first === undefined ? {} : { callSid: first.uuid }),
  };
}

/**
 * `machine_detection` (`true` | `hangup`), `machine_detection_time` (ms, 2000–10000, default 5000)
 * and `machine_detection_url` / `machine_detection_method` (plivo-node `calls.create`; Plivo's
 * "Asynchronous machine detection" page). An error message, or undefined when detection is off.
 */
function machineDetection(body: RestBody): MachineDetectionSpec | string | undefined {
  const mode = str(body, 'machine_detection');
  if (mode === undefined) {
    if (str(body, 'machine_detection_url') !== undefined || str(body, 'machine_detection_time') !== undefined)
      return 'machine_detection_url and machine_detection_time need machine_detection';
    return undefined;
  }
  if (mode !== 'true' && mode !== 'hangup') return "machine_detection must be 'true' or 'hangup'";
  const time = Number(str(body, 'machine_detection_time') ?? '5000');
  if (!Number.isInteger(time) || time < 2000 || time > 10_000)
    return 'machine_detection_time must be a whole number of ms from 2000 to 10000';
  const target = notification(body, 'machine_detection_url', 'machine_detection_method');
  if (typeof target === 'string') return target;
  return {
    ifMachine: mode === 'hangup' ? 'hangup' : 'continue',
    timeMs: time,
    ...(target === undefined ? {} : { url: target }),
  };
}

export function listCalls(fe: PlivoFrontEnd): RestResult {
  const live = fe.calls.filter((c) => !c.isEnded).map((c) => c.uuid);
  return { response: plivoJson(200, { calls: live }) };
}

/**
 * `GET /Call/{uuid}/`: the call's details; with `?status=live` (plivo-node's live-call get) only
 * a call still live is found, one that ended answers 404.
 */
export function getCall(fe: PlivoFrontEnd, uuid: string, liveOnly = false): RestResult {
  const call = fe.call(uuid);
  if (!call || (liveOnly && call.isEnded)) return notFound();
  return { response: plivoJson(200, call.resource()), callSid: uuid };
}

export function transferCall(fe: PlivoFrontEnd, uuid: string, body: RestBody): RestResult {
  const call = fe.call(uuid);
  // Only a call in progress can be transferred: a ringing or ended one is not a live call.
  if (!call || call.isEnded || call.leg.state !== 'answered') return { ...notFound(), callSid: uuid };
  const legs = str(body, 'legs') ?? 'aleg';
  if (legs !== 'aleg' && legs !== 'bleg' && legs !== 'both')
    return { ...bad("legs must be 'aleg', 'bleg' or 'both'"), callSid: uuid };
  if (legs !== 'aleg') return { ...bad(`legs=${legs} is not simulated; transfer the aleg`), callSid: uuid };
  const alegUrl = httpUrl(str(body, 'aleg_url'));
  if (alegUrl === undefined) return { ...bad('aleg_url is required and must be a valid URL'), callSid: uuid };
  const alegMethod = method(body, 'aleg_method');
  if (alegMethod === undefined) return { ...bad('aleg_method must be GET or POST'), callSid: uuid };
  fe.transfer(call, { type: 'url', url: alegUrl, method: alegMethod, kind: 'transfer' });
  return { response: plivoJson(fe.options.transferStatus, { message: 'call transferred' }), callSid: uuid };
}

export function hangupCall(fe: PlivoFrontEnd, uuid: string): RestResult {
  const call = fe.call(uuid);
  if (!call || call.isEnded) return { ...notFound(), callSid: uuid };
  call.hangupSource = 'API';
  const answered = call.leg.state === 'answered';
  call.leg.hangup(answered ? 'completed' : 'canceled', 'network', answered ? 200 : 487);
  return { response: noContent(), callSid: uuid };
}

/** Cancels a REST-created call that has not been answered yet. */
export function cancelRequest(fe: PlivoFrontEnd, requestUuid: string): RestResult {
  const call = fe.callByRequest(requestUuid);
  if (!call || call.isEnded || call.leg.state === 'answered') return notFound();
  call.hangupSource = 'API';
  call.leg.hangup('canceled', 'network', 487);
  return { response: noContent(), callSid: call.uuid };
}

/** `POST /Call/{uuid}/Stream/` (§3.2): forks a stream; the call's XML goes on. */
export function startStream(fe: PlivoFrontEnd, uuid: string, body: RestBody): RestResult {
  const call = fe.call(uuid);
  if (!call || call.isEnded || call.leg.state !== 'answered') return { ...notFound(), callSid: uuid };
  const attrs: Record<string, string> = {};
  const map: Array<[string, string]> = [
    ['bidirectional', 'bidirectional'],
    ['audio_track', 'audioTrack'],
    ['stream_timeout', 'streamTimeout'],
    ['status_callback_url', 'statusCallbackUrl'],
    ['status_callback_method', 'statusCallbackMethod'],
    ['content_type', 'contentType'],
    ['extra_headers', 'extraHeaders'],
  ];
  for (const [from, to] of map) {
    const v = str(body, from);
    if (v !== undefined) attrs[to] = v;
  }
  const spec = streamSpec(
    { name: 'Stream', attributes: attrs, children: [], text: str(body, 'service_url') ?? '' },
    { fe, resolveUrl: (raw) => resolveUrl(raw, undefined) },
  );
  if (typeof spec === 'string')
    return {
      ...bad(spec.replace('<Stream> needs the WebSocket URL as its body', 'service_url is required')),
      callSid: uuid,
    };
  const stream = fe.startStream(call, { ...spec, keepCallAlive: false });
  return {
    response: plivoJson(202, { message: 'audio streaming started', stream_id: stream.streamId }),
    callSid: uuid,
  };
}

/** `DELETE /Call/{uuid}/Stream/` (all) or `…/Stream/{stream_id}/`. */
export function stopStreams(fe: PlivoFrontEnd, uuid: string, streamId: string | undefined): RestResult {
  const streams = fe
    .streamsOf(uuid)
    .filter((s) => !s.isEnded && (streamId === undefined || s.streamId === streamId));
  if (streams.length === 0) return { ...notFound(), callSid: uuid };
  for (const s of streams) void s.stop();
  return { response: noContent(), callSid: uuid };
}
