/**
 * REST Conferences and Participants (protocols.md §2.4): list/fetch/update (end, announce)
 * conferences; create (dial out into a conference, by `CF…` sid or FriendlyName), fetch,
 * update (hold, mute, announce, coaching, endConferenceOnExit) and remove participants.
 */
import { DEFAULT_HOLD_URL, type TwilioConference, type TwilioParticipant } from './conference.js';
import { twilioError } from './errors.js';
import type { Form } from './form.js';
import type { TwilioFrontEnd } from './front-end.js';
import { checkParties, page, progressDelivered, statusCallbackFrom } from './rest-calls.js';
import { conferenceCallback, httpMethod, isHttpUrl, parseBeep } from './rest-params.js';
import { json, notFound, type RestResult } from './rest-router.js';

const CF_SID = /^CF[0-9a-f]{32}$/;

function bad(code: number, message: string): RestResult {
  return { response: twilioError(400, code, message) };
}

/** By `CF…` sid (any status), else the active conference with that FriendlyName. */
function findConference(fe: TwilioFrontEnd, id: string): TwilioConference | undefined {
  return CF_SID.test(id) ? fe.conferences.find((c) => c.sid === id) : fe.conference(id);
}

export function listConferences(fe: TwilioFrontEnd, form: Form): RestResult {
  const name = form.get('FriendlyName');
  const status = form.get('Status');
  const items = fe.conferences
    .filter(
      (c) => (name === undefined || c.friendlyName === name) && (status === undefined || c.status === status),
    )
    .map((c) => c.resource())
    .reverse();
  return {
    response: json(200, page('conferences', items, `/2010-04-01/Accounts/${fe.accountSid}/Conferences.json`)),
  };
}

export function fetchConference(fe: TwilioFrontEnd, id: string, path: string): RestResult {
  const conf = findConference(fe, id);
  if (!conf) return notFound(path);
  return { response: json(200, conf.resource()), conferenceSid: conf.sid };
}

export function updateConference(fe: TwilioFrontEnd, id: string, form: Form, path: string): RestResult {
  const conf = findConference(fe, id);
  if (!conf) return notFound(path);
  const status = form.get('Status');
  if (status !== undefined && status !== 'completed') return bad(20001, `Invalid Status: ${status}`);
  const announceUrl = form.get('AnnounceUrl');
  if (announceUrl !== undefined && !isHttpUrl(announceUrl))
    return bad(21205, `AnnounceUrl is not a valid URL: ${announceUrl}`);
  if (status === 'completed') conf.end('conference-ended-via-api');
  else if (announceUrl !== undefined && conf.status !== 'completed') {
    conf.announce('all', announceUrl, httpMethod(form.get('AnnounceMethod'), 'POST'));
  }
  return { response: json(200, conf.resource()), conferenceSid: conf.sid };
}

export async function createParticipant(
  fe: TwilioFrontEnd,
  id: string,
  form: Form,
  path: string,
): Promise<RestResult> {
  let conf: TwilioConference | undefined;
  if (CF_SID.test(id)) {
    conf = fe.conferences.find((c) => c.sid === id);
    if (!conf || conf.status === 'completed') return notFound(path);
  }
  const parties = checkParties(fe, form);
  if ('response' in parties) return parties;
  const statusCallback = statusCallbackFrom(form);
  if (statusCallback && 'response' in statusCallback) return statusCallback;
  const waitUrl = form.get('WaitUrl');
  if (waitUrl && !isHttpUrl(waitUrl)) return bad(21205, `WaitUrl is not a valid URL: ${waitUrl}`);
  const confCb = form.get('ConferenceStatusCallback');
  if (confCb !== undefined && !isHttpUrl(confCb))
    return bad(21609, `ConferenceStatusCallback is not a valid URL: ${confCb}`);
  const coach = coachingFrom(form, undefined);
  if (coach && 'response' in coach) return coach;
  conf ??= fe.conferenceNamed(id);
  const label = form.get('Label');
  const call = fe.dialOut({
    direction: 'outbound-api',
    from: parties.from,
    to: parties.to,
    timeoutMs: Math.min(600, Math.max(5, form.int('Timeout', 60))) * 1000 + fe.options.ringTimeoutBufferMs,
    statusCallback,
  });
  const callback = conferenceCallback(
    confCb,
    form.get('ConferenceStatusCallbackMethod'),
    form.all('ConferenceStatusCallbackEvent'),
  );
  const p = fe.addApiParticipant(conf, call, {
    ...(label === undefined ? {} : { label }),
    startConferenceOnEnter: form.bool('StartConferenceOnEnter', true),
    endConferenceOnExit: form.bool('EndConferenceOnExit', false),
    muted: form.bool('Muted', false),
    beep: parseBeep(form.get('Beep')),
    waitUrl: waitUrl ?? DEFAULT_HOLD_URL,
    ...(callback === undefined ? {} : { callback }),
    ...(coach === undefined ? {} : { callSidToCoach: coach.callSidToCoach }),
  });
  if (fe.options.callbacksBeforeRestResponse) await progressDelivered(fe, call.leg, call.sid);
  return { response: json(201, conf.participantResource(p)), callSid: call.sid, conferenceSid: conf.sid };
}

/** `Coaching` + `CallSidToCoach`; a coach is heard only by the call it coaches. */
function coachingFrom(
  form: Form,
  current: string | undefined,
): { callSidToCoach: string } | RestResult | undefined {
  if (!form.has('Coaching') && !form.has('CallSidToCoach'))
    return current === undefined ? undefined : { callSidToCoach: current };
  if (!form.bool('Coaching', current !== undefined)) return undefined;
  const sid = form.get('CallSidToCoach') ?? current;
  if (!sid) return bad(20001, 'CallSidToCoach is required when Coaching is true');
  return { callSidToCoach: sid };
}

function findParticipant(
  fe: TwilioFrontEnd,
  confId: string,
  who: string,
): { conf: TwilioConference; p: TwilioParticipant } | undefined {
  const conf = findConference(fe, confId);
  const p = conf?.find(who);
  return conf && p ? { conf, p } : undefined;
}

export function listParticipants(fe: TwilioFrontEnd, confId: string, path: string): RestResult {
  const conf = findConference(fe, confId);
  if (!conf) return notFound(path);
  const items = [...conf.participants.values()].map((p) => conf.participantResource(p));
  return { response: json(200, page('participants', items, path)), conferenceSid: conf.sid };
}

export function fetchParticipant(fe: TwilioFrontEnd, confId: string, who: string, path: string): RestResult {
  const found = findParticipant(fe, confId, who);
  if (!found) return notFound(path);
  return {
    response: json(200, found.conf.participantResource(found.p)),
    callSid: found.p.call.sid,
    conferenceSid: found.conf.sid,
  };
}

export function updateParticipant(
  fe: TwilioFrontEnd,
  confId: string,
  who: string,
  form: Form,
  path: string,
): RestResult {
  const found = findParticipant(fe, confId, who);
  if (!found) return notFound(path);
  const { conf, p } = found;
  const ids = { callSid: p.call.sid, conferenceSid: conf.sid };
  const holdUrl = form.get('HoldUrl');
  const announceUrl = form.get('AnnounceUrl');
  if (holdUrl !== undefined && holdUrl !== '' && !isHttpUrl(holdUrl))
    return { ...bad(21205, `HoldUrl is not a valid URL: ${holdUrl}`), ...ids };
  if (announceUrl !== undefined && !isHttpUrl(announceUrl))
    return { ...bad(21205, `AnnounceUrl is not a valid URL: ${announceUrl}`), ...ids };
  const joined = conf.participants.get(p.call.sid) === p;
  if (!joined && (form.has('Hold') || announceUrl !== undefined)) {
    return { ...bad(20001, 'Participant is not connected to the conference'), ...ids };
  }
  const coach = coachingFrom(form, p.callSidToCoach);
  if (coach && 'response' in coach) return { ...coach, ...ids };
  let modified = false;
  if (form.has('Coaching') || form.has('CallSidToCoach')) {
    conf.setCoaching(p, coach?.callSidToCoach);
    modified = true;
  }
  if (form.has('EndConferenceOnExit')) {
    p.endConferenceOnExit = form.bool('EndConferenceOnExit', p.endConferenceOnExit);
    modified = true;
  }
  if (form.has('BeepOnExit')) p.beep = form.bool('BeepOnExit', true) ? 'onExit' : 'false';
  if (modified && joined) conf.modified(p);
  if (form.has('Muted')) {
    if (joined) conf.setMuted(p, form.bool('Muted', p.muted));
    else p.muted = form.bool('Muted', p.muted);
  }
  if (form.has('Hold')) conf.setHold(p, form.bool('Hold', p.hold), holdUrl || DEFAULT_HOLD_URL);
  if (announceUrl !== undefined)
    conf.announce(p, announceUrl, httpMethod(form.get('AnnounceMethod'), 'POST'));
  return { response: json(200, conf.participantResource(p)), ...ids };
}

export function deleteParticipant(fe: TwilioFrontEnd, confId: string, who: string, path: string): RestResult {
  const found = findParticipant(fe, confId, who);
  if (!found) return notFound(path);
  found.conf.leave(found.p.call.sid, 'kicked');
  return { response: { status: 204 }, callSid: found.p.call.sid, conferenceSid: found.conf.sid };
}
