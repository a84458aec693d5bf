/**
 * Plivo XML parsing. The document grammar is the same strict subset Twilio's parser accepts
 * (elements, quoted attributes, text, CDATA, comments, the five entities, a `<Response>` root), so
 * it is reused; failures become {@link PlivoXmlError}s. Element names are checked against Plivo's
 * own list before anything runs: Plivo refuses a document with an element it does not know.
 */
import { parseTwiml, type TwimlElement, TwimlParseError } from '../../twilio/simulator/twiml-parser.js';

export type XmlElement = TwimlElement;

/** Top-level elements of a Plivo `<Response>` (plivo-node `Response.nestables`). */
export const PLIVO_ELEMENTS: ReadonlySet<string> = new Set([
  'Speak',
  'Play',
  'GetDigits',
  'GetInput',
  'Record',
  'Dial',
  'Message',
  'Redirect',
  'Wait',
  'Hangup',
  'PreAnswer',
  'Conference',
  'DTMF',
  'MultiPartyCall',
  'Stream',
]);

export class PlivoXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlivoXmlError';
  }
}

/** Parses a document; throws {@link PlivoXmlError} unless it is well-formed Plivo XML. */
export function parsePlivoXml(xml: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseTwiml(xml);
  } catch (err) {
    if (err instanceof TwimlParseError)
      throw new PlivoXmlError(err.message.replace(/^Document parse failure: /, 'invalid XML: '));
    throw err;
  }
  for (const el of root.children) {
    if (!PLIVO_ELEMENTS.has(el.name)) throw new PlivoXmlError(`<${el.name}> is not a Plivo XML element`);
  }
  return root;
}

/** `true`/`false` attributes as Plivo reads them (case-insensitive), with a default. */
export function boolAttr(el: XmlElement, name: string, fallback: boolean): boolean {
  const raw = el.attributes[name];
  if (raw === undefined) return fallback;
  return raw.toLowerCase() === 'true';
}

/** Whole-number attributes; the default when absent or not a number. */
export function intAttr(el: XmlElement, name: string, fallback: number): number {
  const n = Number.parseInt(el.attributes[name] ?? '', 10);
  return Number.isFinite(n) ? n : fallback;
}

export function methodAttr(el: XmlElement, name: string): 'GET' | 'POST' {
  return el.attributes[name]?.toUpperCase() === 'GET' ? 'GET' : 'POST';
}
