import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../../src/phone/bounded-memo.js';
import { isPremiumRate, parseDestination } from '../../src/phone/destination.js';

/** A memo of a function that notes each input it is asked afresh. */
function counting(kept: number, maxKeyLength: number) {
  const calls: string[] = [];
  const memo = boundedMemo(
    (key) => {
      calls.push(key);
      return { key };
    },
    { kept, maxKeyLength },
  );
  return { calls, memo };
}

describe('boundedMemo', () => {
  it('answers a repeated input from memory, the same object each time', () => {
    const { calls, memo } = counting(4, 10);
    const first = memo('a');
    expect(memo('a')).toBe(first);
    expect(calls).toEqual(['a']);
  });

  it('keeps at most `kept` answers, dropping the one asked least recently', () => {
    const { calls, memo } = counting(2, 10);
    memo('a');
    memo('b');
    memo('a'); // now the most recent: `b` goes first
    memo('c');
    memo('a');
    memo('b');
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('answers inputs longer than maxKeyLength afresh every time, keeping none of them', () => {
    const { calls, memo } = counting(2, 3);
    memo('long');
    memo('long');
    memo('ab');
    memo('ab');
    expect(calls).toEqual(['long', 'long', 'ab']);
  });
});

describe('parseDestination and isPremiumRate from memory', () => {
  it('gives the same frozen answer for the same input and region, and each region its own', () => {
    const a = parseDestination('(415) 555-0111', 'US');
    expect(parseDestination('(415) 555-0111', 'US')).toBe(a);
    expect(a).toEqual({ ok: true, destination: { kind: 'pstn', e164: '+14155550111', country: 'US' } });
    expect(Object.isFrozen(a)).toBe(true);
    expect(a.ok && Object.isFrozen(a.destination)).toBe(true);
    // The same digits read in another region are another number, or none.
    expect(parseDestination('(415) 555-0111', 'GB')).not.toBe(a);
    const refused = parseDestination('not a number', 'US');
    expect(parseDestination('not a number', 'US')).toBe(refused);
    expect(refused.ok).toBe(false);
  });

  it('still refuses premium-rate numbers when asked again', () => {
    expect(isPremiumRate('+19005550100')).toBe(true);
    expect(isPremiumRate('+19005550100')).toBe(true);
    expect(isPremiumRate('+14155550111')).toBe(false);
  });
});
