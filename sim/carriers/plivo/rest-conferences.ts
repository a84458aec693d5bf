/**
 * REST conferences (protocols.md §3.4): list, details, hang up one or all, and the member
 * endpoints (`member_id` = `10`, `10,11` or `all`): hang up, kick, mute, deaf, play, speak.
 * Deaf is recorded (it shows in the member list) but not simulated in the audio routing.
 */
import { SIGNALS } from '../../audio.js';
import { type Playback, play } from '../../player.js';
import type { PlivoConference, PlivoMember } from './conference.js';
import { noContent, plivoJson } from './errors.js';
import type { PlivoFrontEnd } from './front-end.js';
import { bad, notFound, type RestBody, type RestResult } from './rest-router.js';
import { resolveUrl } from './runner.js';

/** Member playbacks started through the API, so `DELETE …/Play/` and `…/Speak/` can stop them. */
const playbacks = new WeakMap<PlivoMember, { play?: Playback; speak?: Playback }>();

export function listConferences(fe: PlivoFrontEnd): RestResult {
  const names = fe.conferences.filter((c) => c.isActive).map((c) => c.name);
  return { response: plivoJson(200, { conferences: names }) };
}

export function getConference(fe: PlivoFrontEnd, name: string): RestResult {
  const conf = fe.conference(name);
  if (!conf) return notFound('conference not found');
  return { response: plivoJson(200, conf.resource()), conferenceSid: conf.uuid };
}

export function deleteConference(fe: PlivoFrontEnd, name: string): RestResult {
  const conf = fe.conference(name);
  if (!conf) return notFound('conference not found');
  conf.end('hung-up-by-api');
  return { response: plivoJson(200, { message: 'conference hung up' }), conferenceSid: conf.uuid };
}

export function deleteAllConferences(fe: PlivoFrontEnd): RestResult {
  for (const conf of fe.conferences) conf.end('hung-up-by-api');
  return { response: plivoJson(200, { message: 'all conferences hung up' }) };
}

function membersOf(conf: PlivoConference, ids: string): PlivoMember[] {
  if (ids === 'all') return [...conf.members.values()];
  return ids
    .split(',')
    .map((id) => conf.members.get(id.trim()))
    .filter((m): m is PlivoMember => m !== undefined);
}

export function memberAction(
  fe: PlivoFrontEnd,
  name: string,
  ids: string,
  action: string | undefined,
  method: string,
  body: RestBody,
): RestResult {
  const conf = fe.conference(name);
  if (!conf) return notFound('conference not found');
  const members = membersOf(conf, ids);
  const at = { conferenceSid: conf.uuid };
  if (members.length === 0) return { ...notFound('member not found'), ...at };
  const memberIds = members.map((m) => m.id);
  const ok = (message: string): RestResult => ({
    response: plivoJson(202, { message, member_id: memberIds }),
    ...at,
  });
  const done = (): RestResult => ({ response: noContent(), ...at });
  switch (`${method} ${action ?? ''}`) {
    case 'DELETE ':
      for (const m of members) {
        m.call.hangupSource = 'API';
        m.call.leg.hangup('completed', 'network');
      }
      return done();
    case 'POST Kick':
      for (const m of members) conf.leave(m.id, 'kicked');
      return ok('kicked');
    case 'POST Mute':
    case 'DELETE Mute':
      for (const m of members) conf.setMuted(m, method === 'POST');
      return method === 'POST' ? ok('muted') : done();
    case 'POST Deaf':
    case 'DELETE Deaf':
      for (const m of members) m.deaf = method === 'POST';
      return method === 'POST' ? ok('deaf') : done();
    case 'POST Play': {
      const url = typeof body['url'] === 'string' ? resolveUrl(body['url'], undefined) : undefined;
      if (url === undefined) return { ...bad('url is required and must be a valid URL'), ...at };
      for (const m of members) {
        const slot = playbacks.get(m) ?? {};
        slot.play?.stop();
        slot.play = play(
          fe.ctx.ticker,
          m.call.leg,
          { source: 'play', url },
          SIGNALS.play(fe.options.playDurationMs),
        );
        playbacks.set(m, slot);
      }
      return ok('play queued into conference');
    }
    case 'POST Speak': {
      const text = typeof body['text'] === 'string' ? body['text'] : '';
      if (text === '') return { ...bad('text is required'), ...at };
      for (const m of members) {
        const slot = playbacks.get(m) ?? {};
        slot.speak?.stop();
        const ms = Math.max(400, text.length * fe.options.sayMsPerChar);
        slot.speak = play(fe.ctx.ticker, m.call.leg, { source: 'say', text }, SIGNALS.say(ms));
        playbacks.set(m, slot);
      }
      return ok('speak queued into conference');
    }
    case 'DELETE Play':
    case 'DELETE Speak':
      for (const m of members) {
        const slot = playbacks.get(m);
        if (action === 'Play') slot?.play?.stop();
        else slot?.speak?.stop();
      }
      return done();
    default:
      return { ...bad(`${method} ${action ?? 'Member'} is not a member action`), ...at };
  }
}
