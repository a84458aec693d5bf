/** `<Say>`, `<Play>`, `<Pause>`, `<Hangup>`, `<Redirect>` on the call's own leg. */

import type { TwimlElement } from '../twiml-parser.js';
import type { VerbContext, VerbOutcome } from '../twiml-runner.js';
import { playAudioVerb } from './audio.js';

export async function audioVerb(verb: TwimlElement, vc: VerbContext): Promise<VerbOutcome> {
  const { fe, call, signal } = vc;
  const played = await playAudioVerb(fe.ctx, fe.options, call.leg, verb, signal, vc.resolveUrl);
  return played ? { type: 'next' } : { type: 'end' };
}

export function redirectVerb(verb: TwimlElement, vc: VerbContext): VerbOutcome {
  const url = vc.resolveUrl(verb.text);
  if (!url) {
    vc.fe.markupError(vc.call.sid, 11100, `<Redirect> has an invalid URL: ${verb.text}`);
    return { type: 'hangup' };
  }
  const method = verb.attributes['method']?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  return { type: 'goto', source: { type: 'url', url, method, kind: 'redirect' } };
}
