/**
 * TwiML parsing: the shared strict markup parser (`sim/markup-parser.ts`), its failures reported
 * as Twilio error 12100 "Document parse failure".
 */
import { type MarkupElement, MarkupParseError, parseMarkup } from '../../markup-parser.js';

export type TwimlElement = MarkupElement;

/** Twilio error 12100. */
export class TwimlParseError extends Error {
  readonly code = 12100;

  constructor(message: string) {
    super(`Document parse failure: ${message}`);
    this.name = 'TwimlParseError';
  }
}

/** Parses a TwiML document; throws {@link TwimlParseError} unless it is well-formed with a `<Response>` root. */
export function parseTwiml(xml: string): TwimlElement {
  try {
    return parseMarkup(xml);
  } catch (err) {
    if (err instanceof MarkupParseError) throw new TwimlParseError(err.message);
    throw err;
  }
}
