/**
 * Plivo XML parsing. The document grammar is the strict subset the shared markup parser accepts
 * (`sim/markup-parser.ts`: elements, quoted attributes, text, CDATA, comments, the five entities,
 * a `<Response>` root); failures become {@link PlivoXmlError}s. Element names are checked against Plivo's
 * own list before anything runs: Plivo refuses a document with an element it does not know.
 */
import { type MarkupElement, MarkupParseError, parseMarkup } from '../../markup-parser.js';

export type XmlElement = MarkupElement;

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
    root = parseMarkup(xml);
  } catch (err) {
    if (err instanceof MarkupParseError) throw new PlivoXmlError(`invalid XML: ${err.message}`);
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
