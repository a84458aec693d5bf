import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TAG_LENGTH, TransferTagScanner } from '../../src/transfer/tags.js';

interface TurnResult {
  speak: string;
  tags: string[];
  malformed: string[];
}

function scan(chunks: readonly string[]): TurnResult {
  const scanner = new TransferTagScanner();
  let speak = '';
  const tags: string[] = [];
  for (const chunk of chunks) {
    const out = scanner.push(chunk);
    speak += out.speak;
    tags.push(...out.tags);
  }
  const end = scanner.endTurn();
  return { speak: speak + end.speak, tags: [...tags, ...end.tags], malformed: [...end.malformed] };
}

const SAMPLES: readonly [string, TurnResult][] = [
  ['Hello there.', { speak: 'Hello there.', tags: [], malformed: [] }],
  [
    'Hold on, putting you through. [TRANSFER:+442087601234]',
    { speak: 'Hold on, putting you through. ', tags: ['+442087601234'], malformed: [] },
  ],
  [
    '[TRANSFER: +44 20 8760 1234] One moment.',
    { speak: ' One moment.', tags: ['+44 20 8760 1234'], malformed: [] },
  ],
  [
    'Trying the manager [TRANSFER:+442087601234] then [transfer:+442087601299] ok',
    { speak: 'Trying the manager  then  ok', tags: ['+442087601234', '+442087601299'], malformed: [] },
  ],
  ['[Transfer :sip:desk@pbx.example.com]', { speak: '', tags: ['sip:desk@pbx.example.com'], malformed: [] }],
  ['Prices [in USD] are [TR]ue.', { speak: 'Prices [in USD] are [TR]ue.', tags: [], malformed: [] }],
  ['a [[TRANSFER:+1]] b', { speak: 'a [] b', tags: ['+1'], malformed: [] }],
  ['Call [TRANSFER:] me', { speak: 'Call  me', tags: [], malformed: ['[TRANSFER:]'] }],
  ['Call [TRANSFER now] me', { speak: 'Call  me', tags: [], malformed: ['[TRANSFER now]'] }],
  ['Bye [TRANSFER:+1415', { speak: 'Bye ', tags: [], malformed: ['[TRANSFER:+1415'] }],
  ['Bye [TRA', { speak: 'Bye ', tags: [], malformed: ['[TRA'] }],
  ['Bye [', { speak: 'Bye ', tags: [], malformed: ['['] }],
  ['x [[TRANSFER:a]TRANSFER:+1900] y', { speak: 'x [ y', tags: ['a'], malformed: ['TRANSFER:+1900]'] }],
  ['[T[TRANSFER:a]RANSFER:b] c', { speak: '[T c', tags: ['a'], malformed: ['RANSFER:b]'] }],
  ['[TRANSFER:a][TRANSFER:b]', { speak: '', tags: ['a', 'b'], malformed: [] }],
  ['über [TRANSFER:+1 (415) 555-0100] ✓', { speak: 'über  ✓', tags: ['+1 (415) 555-0100'], malformed: [] }],
];

describe('TransferTagScanner on whole turns', () => {
  it.each(SAMPLES)('%j', (text, expected) => {
    expect(scan([text])).toEqual(expected);
  });
});

describe('any chunking gives the same result', () => {
  it.each(SAMPLES)('%j split at every position and every pair of positions', (text, expected) => {
    const chars = [...text];
    for (let i = 0; i <= chars.length; i++) {
      const two = [chars.slice(0, i).join(''), chars.slice(i).join('')];
      expect(scan(two), JSON.stringify(two)).toEqual(expected);
      for (let j = i; j <= chars.length; j++) {
        const three = [chars.slice(0, i).join(''), chars.slice(i, j).join(''), chars.slice(j).join('')];
        const result = scan(three);
        expect(result.speak).toBe(expected.speak);
        expect(result.tags).toEqual(expected.tags);
        expect(result.malformed).toEqual(expected.malformed);
      }
    }
  });

  it('one character at a time', () => {
    for (const [text, expected] of SAMPLES) expect(scan([...text])).toEqual(expected);
  });
});

describe('holding back', () => {
  it('holds only a possible tag prefix and releases it once it cannot be a tag', () => {
    const scanner = new TransferTagScanner();
    expect(scanner.push('Hello [')).toEqual({ speak: 'Hello ', tags: [] });
    expect(scanner.push('TRA')).toEqual({ speak: '', tags: [] });
    expect(scanner.push('M')).toEqual({ speak: '[TRAM', tags: [] });
    expect(scanner.push(' line [')).toEqual({ speak: ' line ', tags: [] });
    expect(scanner.push('[')).toEqual({ speak: '[', tags: [] });
    expect(scanner.push('x')).toEqual({ speak: '[x', tags: [] });
  });

  it('never speaks any part of a tag while it streams in', () => {
    const scanner = new TransferTagScanner();
    const spoken = ['Sure. ', '[', 'TRANS', 'FER', ':', '+44 20', ' 8760 1234', ']', ' Bye.'].map(
      (chunk) => scanner.push(chunk).speak,
    );
    expect(spoken).toEqual(['Sure. ', '', '', '', '', '', '', '', ' Bye.']);
  });

  it('reports tags as soon as they close', () => {
    const scanner = new TransferTagScanner();
    expect(scanner.push('[TRANSFER:+1 415 555 0111')).toEqual({ speak: '', tags: [] });
    expect(scanner.push('] and')).toEqual({ speak: ' and', tags: ['+1 415 555 0111'] });
  });

  it('starts each turn afresh', () => {
    const scanner = new TransferTagScanner();
    scanner.push('x [TRANSFER:+1');
    expect(scanner.endTurn()).toEqual({ speak: '', tags: [], malformed: ['[TRANSFER:+1'] });
    expect(scanner.push('] hello')).toEqual({ speak: '] hello', tags: [] });
    expect(scanner.endTurn()).toEqual({ speak: '', tags: [], malformed: [] });
  });
});

describe('tag length bound', () => {
  it(`accepts a tag of exactly ${MAX_TAG_LENGTH} characters`, () => {
    const content = 'a'.repeat(MAX_TAG_LENGTH - '[TRANSFER:]'.length);
    expect(scan([`[TRANSFER:${content}] ok`])).toEqual({ speak: ' ok', tags: [content], malformed: [] });
  });

  it('drops an unterminated tag at the bound and speaks what follows', () => {
    const text = `Wait [TRANSFER:${'9'.repeat(200)}`;
    const dropped = text.slice(5, 5 + MAX_TAG_LENGTH);
    const result = scan([text]);
    expect(result.malformed).toEqual([dropped]);
    expect(result.speak).toBe(`Wait ${text.slice(5 + MAX_TAG_LENGTH)}`);
    expect(result.tags).toEqual([]);
  });

  it('does not hold speech back past the bound', () => {
    const scanner = new TransferTagScanner();
    scanner.push('[TRANSFER:');
    const out = scanner.push(`${'x'.repeat(MAX_TAG_LENGTH)}hello`);
    expect(out.speak.endsWith('hello')).toBe(true);
  });
});

/** Splits `text` at the given cut points (sorted, within bounds). */
function chunked(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let last = 0;
  for (const point of points) {
    chunks.push(text.slice(last, point));
    last = point;
  }
  chunks.push(text.slice(last));
  return chunks;
}

const tricky = fc
  .array(
    fc.constantFrom(
      '[',
      ']',
      '[TRANSFER',
      '[transfer',
      'TRANSFER',
      ':',
      '+1 415 555 0111',
      ' ',
      'hi',
      '[T',
      'RANS',
      'FER',
      'x',
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('properties', () => {
  it('chunking never changes the result, and speech never contains "[transfer"', () => {
    fc.assert(
      fc.property(tricky, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const whole = scan([text]);
        expect(scan(chunked(text, cuts))).toEqual(whole);
        expect(whole.speak.toLowerCase()).not.toContain('[transfer');
      }),
      { numRuns: 2000 },
    );
  });

  it('removes well-formed tags from plain speech exactly, in order', () => {
    const plain = fc.string({ maxLength: 20 }).map((s) => s.replace(/\[/g, '('));
    const content = fc.stringMatching(/^\+[0-9 ]{1,20}[0-9]$/);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(plain, fc.option(content, { nil: undefined })), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (pieces, cuts) => {
          const text = pieces
            .map(([words, tag]) => (tag === undefined ? words : `${words}[TRANSFER:${tag}]`))
            .join('');
          const result = scan(chunked(text, cuts));
          expect(result.speak).toBe(pieces.map(([words]) => words).join(''));
          expect(result.tags).toEqual(pieces.flatMap(([, tag]) => (tag === undefined ? [] : [tag.trim()])));
          expect(result.malformed).toEqual([]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
