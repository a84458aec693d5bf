/**
 * `<Conference>` (protocols.md §3.5): body = the room name. `startConferenceOnEnter` (default
 * true), `endConferenceOnExit` (false), `waitSound` (a URL answering with Plivo XML of `<Play>`,
 * `<Speak>`, `<Wait>`; played until the conference starts — silence without it), `muted`,
 * `enterSound`/`exitSound`, `maxMembers` (20), `callbackUrl`, `action` + `redirect`. The element
 * ends when the member leaves: hung up, kicked, the conference ended, or the call transferred.
 */
import type { AudioLabel } from '../../../heard.js';
import type { PlivoConference } from '../conference.js';
import { aborted, type ElementContext, type ElementOutcome, interruptReason } from '../runner.js';
import { boolAttr, intAttr, methodAttr, PlivoXmlError, parsePlivoXml, type XmlElement } from '../xml.js';

const WAIT_ELEMENTS: ReadonlySet<string> = new Set(['Play', 'Speak', 'Wait']);

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
  const waitLabel = conference.started ? undefined : await waitSound(el, ec);
  if (signal.aborted || call.leg.isEnded) return { type: 'end' };
  const cbRaw = el.attributes['callbackUrl'];
  const cbUrl = cbRaw === undefined ? undefined : ec.resolveUrl(cbRaw);
  // A conference that ended while waitSound was fetched: the name starts a new one.
  const conf: PlivoConference = conference.isActive ? conference : fe.conferenceNamed(el.text);
  const member = conf.join(call, {
    startConferenceOnEnter: boolAttr(el, 'startConferenceOnEnter', true),
    endConferenceOnExit: boolAttr(el, 'endConferenceOnExit', false),
    muted: boolAttr(el, 'muted', false),
    ...(waitLabel === undefined ? {} : { waitLabel }),
    ...(cbUrl === undefined ? {} : { callback: { url: cbUrl, method: methodAttr(el, 'callbackMethod') } }),
    enterSound: el.attributes['enterSound'] ?? '',
    exitSound: el.attributes['exitSound'] ?? '',
  });
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

/**
 * Fetches `waitSound` (POST, signed) and checks it is Plivo XML of `<Play>`/`<Speak>`/`<Wait>`.
 * The simulator then plays its hold signal, labelled `hold` with the URL. Anything else is logged
 * and the member waits in silence.
 */
async function waitSound(el: XmlElement, ec: ElementContext): Promise<AudioLabel | undefined> {
  const raw = el.attributes['waitSound'];
  if (raw === undefined || raw === '') return undefined;
  const { fe, call, signal } = ec;
  const url = ec.resolveUrl(raw);
  if (url === undefined) {
    fe.markupError(call.uuid, `<Conference waitSound> is not a valid URL: ${raw}`);
    return undefined;
  }
  const reply = await fe.hooks.fetchXml(
    { kind: 'wait', url, method: 'POST', params: call.params(), callSid: call.uuid },
    signal,
  );
  if (!reply.ok) {
    fe.markupError(call.uuid, `waitSound: ${reply.message}`);
    return undefined;
  }
  try {
    const doc = parsePlivoXml(reply.body);
    const other = doc.children.find((c) => !WAIT_ELEMENTS.has(c.name));
    if (other !== undefined) {
      fe.markupError(call.uuid, `waitSound: <${other.name}> is not allowed (only Play, Speak, Wait)`);
      return undefined;
    }
  } catch (err) {
    if (!(err instanceof PlivoXmlError)) throw err;
    fe.markupError(call.uuid, `waitSound: ${err.message}`);
    return undefined;
  }
  return { source: 'hold', url };
}
