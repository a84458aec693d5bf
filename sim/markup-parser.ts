/**
 * The carrier-neutral markup parser: a small strict XML parser for the `<Response>` documents
 * TwiML and Plivo XML share: elements, attributes (quoted), text, CDATA, comments, the XML
 * declaration and the five predefined entities plus numeric character references. Anything else
 * (a DOCTYPE, a stray `<`, an unknown entity, a whitespace before the declaration, a root other
 * than `<Response>`) throws {@link MarkupParseError}; each front-end turns that into its
 * carrier's error (Twilio 12100, Plivo's invalid XML).
 */

export interface MarkupElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly MarkupElement[];
  /** Text directly inside the element (entities decoded, CDATA included), trimmed. */
  readonly text: string;
}

/** A document that is not well-formed markup; `message` says where. */
export class MarkupParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MarkupParseError';
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(raw: string): string {
  return raw.replace(/&([^;&\s]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new MarkupParseError(`unterminated entity ${match}`);
    if (body in ENTITIES) return ENTITIES[body] as string;
    const num = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (num) {
      const code = Number.parseInt(num[1] as string, body.startsWith('#x') ? 16 : 10);
      if (code > 0x10ffff || code === 0) throw new MarkupParseError(`bad character reference ${match}`);
      return String.fromCodePoint(code);
    }
    throw new MarkupParseError(`unknown entity ${match}`);
  });
}

class Cursor {
  pos = 0;
  constructor(readonly src: string) {}

  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] as string)) this.pos++;
  }

  expect(s: string): void {
    if (!this.startsWith(s)) throw new MarkupParseError(`expected '${s}' at ${this.pos}`);
    this.pos += s.length;
  }

  name(): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.src);
    if (!m) throw new MarkupParseError(`expected a name at ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }

  until(end: string): string {
    const i = this.src.indexOf(end, this.pos);
    if (i < 0) throw new MarkupParseError(`unterminated '${end}'`);
    const out = this.src.slice(this.pos, i);
    this.pos = i + end.length;
    return out;
  }
}

interface Building {
  name: string;
  attributes: Record<string, string>;
  children: MarkupElement[];
  text: string;
}

function skipMisc(c: Cursor): void {
  for (;;) {
    c.skipSpace();
    if (c.startsWith('<!--')) {
      c.pos += 4;
      c.until('-->');
    } else return;
  }
}

function parseElement(c: Cursor): MarkupElement {
  c.expect('<');
  const el: Building = { name: c.name(), attributes: {}, children: [], text: '' };
  for (;;) {
    const before = c.pos;
    c.skipSpace();
    if (c.startsWith('/>')) {
      c.pos += 2;
      return finish(el);
    }
    if (c.startsWith('>')) {
      c.pos += 1;
      break;
    }
    if (c.pos === before) throw new MarkupParseError(`expected whitespace at ${c.pos}`);
    const attr = c.name();
    c.skipSpace();
    c.expect('=');
    c.skipSpace();
    const quote = c.src[c.pos];
    if (quote !== '"' && quote !== "'") throw new MarkupParseError(`unquoted attribute ${attr}`);
    c.pos++;
    const raw = c.until(quote);
    if (raw.includes('<')) throw new MarkupParseError(`'<' in attribute ${attr}`);
    if (attr in el.attributes) throw new MarkupParseError(`duplicate attribute ${attr}`);
    el.attributes[attr] = decodeEntities(raw);
  }
  for (;;) {
    if (c.pos >= c.src.length) throw new MarkupParseError(`unclosed <${el.name}>`);
    if (c.startsWith('</')) {
      c.pos += 2;
      const close = c.name();
      if (close !== el.name) throw new MarkupParseError(`</${close}> closes <${el.name}>`);
      c.skipSpace();
      c.expect('>');
      return finish(el);
    }
    if (c.startsWith('<!--')) {
      c.pos += 4;
      c.until('-->');
    } else if (c.startsWith('<![CDATA[')) {
      c.pos += 9;
      el.text += c.until(']]>');
    } else if (c.startsWith('<!') || c.startsWith('<?')) {
      throw new MarkupParseError(`unexpected markup at ${c.pos}`);
    } else if (c.startsWith('<')) {
      el.children.push(parseElement(c));
    } else {
      const i = c.src.indexOf('<', c.pos);
      const raw = c.src.slice(c.pos, i < 0 ? c.src.length : i);
      c.pos += raw.length;
      if (raw.includes('>') && raw.includes(']]>')) throw new MarkupParseError("']]>' in text");
      el.text += decodeEntities(raw);
    }
  }
}

function finish(el: Building): MarkupElement {
  return { name: el.name, attributes: el.attributes, children: el.children, text: el.text.trim() };
}

/** Parses a document; throws {@link MarkupParseError} unless it is well-formed with a `<Response>` root. */
export function parseMarkup(xml: string): MarkupElement {
  const c = new Cursor(xml.startsWith('\uFEFF') ? xml.slice(1) : xml);
  if (c.startsWith('<?xml')) {
    c.pos += 5;
    c.until('?>');
  } else {
    const decl = c.src.indexOf('<?xml');
    if (decl >= 0 && c.src.slice(0, decl).trim() === '') {
      throw new MarkupParseError('whitespace before the XML declaration');
    }
  }
  skipMisc(c);
  if (c.startsWith('<!')) throw new MarkupParseError('DOCTYPE is not allowed');
  if (!c.startsWith('<')) throw new MarkupParseError('no root element');
  const root = parseElement(c);
  skipMisc(c);
  if (c.pos < c.src.length) throw new MarkupParseError(`content after the root element at ${c.pos}`);
  if (root.name !== 'Response') throw new MarkupParseError(`root element is <${root.name}>, not <Response>`);
  return root;
}
