/** Element dispatch for the Plivo XML subset the simulator runs; known but unsimulated elements are logged and skipped. */
import type { ElementContext, ElementOutcome } from '../runner.js';
import type { XmlElement } from '../xml.js';
import { audioElement, hangupElement, redirectElement } from './audio.js';
import { conferenceElement } from './conference.js';
import { dialElement } from './dial.js';
import { streamElement } from './stream.js';

export async function executeElement(el: XmlElement, ec: ElementContext): Promise<ElementOutcome> {
  switch (el.name) {
    case 'Speak':
    case 'Play':
    case 'Wait':
      return audioElement(el, ec);
    case 'Hangup':
      return hangupElement(el, ec);
    case 'Redirect':
      return redirectElement(el, ec);
    case 'Stream':
      return streamElement(el, ec);
    case 'Dial':
      return dialElement(el, ec);
    case 'Conference':
      return conferenceElement(el, ec);
    default:
      // PreAnswer, GetDigits, GetInput, Record, DTMF, Message, MultiPartyCall: valid Plivo XML
      // the simulator does not run (the document was already checked against Plivo's list).
      ec.fe.markupError(ec.call.uuid, `<${el.name}> is not simulated; skipped`);
      return { type: 'next' };
  }
}
