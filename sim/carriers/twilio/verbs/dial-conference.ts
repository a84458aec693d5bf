/**
 * `<Dial><Conference>` (protocols.md §2.5): joins (or creates) the named conference; the verb
 * ends when the participant leaves — conference ended, removed by the API — and then the
 * `<Dial action>` gets `DialCallStatus` (`answered` by default, see options) or execution
 * continues after `<Dial>`.
 */
import { aborted } from '../../../aborted.js';
import { DEFAULT_HOLD_URL } from '../conference.js';
import { conferenceCallback, parseBeep } from '../rest-params.js';
import type { TwimlElement } from '../twiml-parser.js';
import { interruptReason, type VerbContext, type VerbOutcome } from '../twiml-runner.js';

export async function dialConferenceVerb(
  verb: TwimlElement,
  noun: TwimlElement,
  vc: VerbContext,
): Promise<VerbOutcome> {
  const { fe, call, signal } = vc;
  const a = noun.attributes;
  const conf = fe.conferenceNamed(noun.text);
  const rawWait = a['waitUrl'];
  const waitUrl =
    rawWait === undefined ? DEFAULT_HOLD_URL : rawWait === '' ? '' : (vc.resolveUrl(rawWait) ?? rawWait);
  const cbUrl = a['statusCallback'] === undefined ? undefined : vc.resolveUrl(a['statusCallback']);
  const joinedAtMs = fe.ctx.clock.nowMs();
  const participant = conf.join(call, {
    ...(a['participantLabel'] === undefined ? {} : { label: a['participantLabel'] }),
    startConferenceOnEnter: a['startConferenceOnEnter'] !== 'false',
    endConferenceOnExit: a['endConferenceOnExit'] === 'true',
    muted: a['muted'] === 'true',
    beep: parseBeep(a['beep']),
    waitUrl,
    ...(cbUrl === undefined
      ? {}
      : {
          callback: conferenceCallback(cbUrl, a['statusCallbackMethod'], [a['statusCallbackEvent'] ?? '']),
        }),
  });
  const result = await Promise.race([participant.left, aborted(signal)]);
  if (result === 'aborted')
    conf.leave(call.sid, interruptReason(signal) === 'redirect' ? 'redirected' : 'hangup');
  const action = verb.attributes['action'];
  const url = action === undefined ? undefined : vc.resolveUrl(action);
  const method = verb.attributes['method']?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  const params = {
    DialCallStatus: fe.options.conferenceDialCallStatus,
    DialCallDuration: String(Math.round((fe.ctx.clock.nowMs() - joinedAtMs) / 1000)),
  };
  if (signal.aborted) {
    if (url && (interruptReason(signal) === 'hangup' || fe.options.dialActionOnRedirect)) {
      await fe.hooks.fetchMarkup({
        kind: 'action',
        url,
        method,
        params: { ...call.params(), ...params },
        callSid: call.sid,
      });
    }
    return { type: 'end' };
  }
  if (action === undefined) return { type: 'next' };
  if (!url) {
    fe.markupError(call.sid, 11100, `<Dial action> is not a valid URL: ${action}`);
    return { type: 'hangup' };
  }
  return { type: 'goto', source: { type: 'url', url, method, kind: 'action', extraParams: params } };
}
