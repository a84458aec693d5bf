/**
 * `<Conference>` (protocols.md §3.5): body = the room name. `startConferenceOnEnter` (default
 * true), `endConferenceOnExit` (false), `waitSound` (a URL answering with Plivo XML of `<Play>`,
 * `<Speak>`, `<Wait>`; played until the conference starts — silence without it, ../wait-sound.ts), `muted`,
 * `enterSound`/`exitSound`, `maxMembers` (20), `callbackUrl`, `action` + `redirect`. The element
 * ends when the member leaves: hung up, kicked, the conference ended, or the call transferred.
 */
import type { PlivoConference } from '../conference.js';
import { aborted, type ElementContext, type ElementOutcome, interruptReason } from '../runner.js';
import { playWaitSound, prepareWaitSound } from '../wait-sound.js';
import { boolAttr, intAttr, methodAttr, type XmlElement } from '../xml.js';

export async function conferenceElement(el: XmlElement, ec: ElementContext): Promise<ElementOutcome> {
  const { fe, call, signal } = ec;
  if (el.text === '') {
    fe.markupError(call.uuid, '<Conference> needs the room name as its body');
    return { type: 'hangup' };
  }
  const conference = fe.conferenceNamed(el.text);
  if (conference.members.size >= intAttr(el, 'maxMembers', 20)) {
    fe.markupError(call.uuid, `conference ${el.text} is full`);
    return { type: 'next' };
  }
  const wait = conference.started ? undefined : await prepareWaitSound(el, ec);
  if (signal.aborted || call.leg.isEnded) return { type: 'end' };
  const cbRaw = el.attributes['callbackUrl'];
  const cbUrl = cbRaw === undefined ? undefined : ec.resolveUrl(cbRaw);
  // A conference that ended while waitSound was fetched: the name starts a new one.
  const conf: PlivoConference = conference.isActive ? conference : fe.conferenceNamed(el.text);
  const member = conf.join(call, {
    startConferenceOnEnter: boolAttr(el, 'startConferenceOnEnter', true),
    endConferenceOnExit: boolAttr(el, 'endConferenceOnExit', false),
    muted: boolAttr(el, 'muted', false),
    ...(cbUrl === undefined ? {} : { callback: { url: cbUrl, method: methodAttr(el, 'callbackMethod') } }),
    enterSound: el.attributes['enterSound'] ?? '',
    exitSound: el.attributes['exitSound'] ?? '',
  });
  if (wait !== undefined && !conf.started) {
    // Heard until the conference starts, the member leaves or the call moves on.
    const left = new AbortController();
    void member.left.then(() => left.abort());
    void playWaitSound(wait, ec, call.leg, AbortSignal.any([signal, conf.startedSignal, left.signal]));
  }
  const result = await Promise.race([member.left, aborted(signal)]);
  if (result === 'aborted') {
    conf.leave(member.id, interruptReason(signal) === 'transfer' ? 'transferred' : 'hangup');
    return { type: 'end' };
  }
  if (call.leg.isEnded) return { type: 'end' };
  const raw = el.attributes['action'];
  if (raw === undefined) return { type: 'next' };
  const url = ec.resolveUrl(raw);
  if (url === undefined) {
    fe.markupError(call.uuid, `<Conference action> is not a valid URL: ${raw}`);
    return { type: 'hangup' };
  }
  const params = { ConferenceName: conf.name, ConferenceUUID: conf.uuid, ConferenceMemberID: member.id };
  const method = methodAttr(el, 'method');
  if (!boolAttr(el, 'redirect', true)) {
    await fe.hooks.fetchXml({
      kind: 'action',
      url,
      method,
      params: { ...call.params(), ...params },
      callSid: call.uuid,
    });
    return { type: 'next' };
  }
  return { type: 'goto', source: { type: 'url', url, method, kind: 'action', extraParams: params } };
}
