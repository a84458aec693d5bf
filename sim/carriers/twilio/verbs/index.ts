/** Verb dispatch for the TwiML subset the simulator runs; other verbs are logged and skipped. */

import type { TwimlElement } from '../twiml-parser.js';
import type { VerbContext, VerbOutcome } from '../twiml-runner.js';
import { audioVerb, redirectVerb } from './basic.js';
import { dialVerb } from './dial.js';
import { connectVerb, startVerb, stopVerb } from './stream.js';

export async function executeVerb(verb: TwimlElement, vc: VerbContext): Promise<VerbOutcome> {
  switch (verb.name) {
    case 'Say':
    case 'Play':
    case 'Pause':
      return audioVerb(verb, vc);
    case 'Hangup':
      return { type: 'hangup' };
    case 'Redirect':
      return redirectVerb(verb, vc);
    case 'Connect':
      return connectVerb(verb, vc);
    case 'Start':
      return startVerb(verb, vc);
    case 'Stop':
      return stopVerb(verb, vc);
    case 'Dial':
      return dialVerb(verb, vc);
    default:
      // Twilio reports unknown or unsupported verbs as warning 12200 and moves on.
      vc.fe.markupError(vc.call.sid, 12200, `<${verb.name}> is not simulated; skipped`);
      return { type: 'next' };
  }
}
