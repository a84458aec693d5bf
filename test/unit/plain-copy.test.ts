import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainCopy } from '../../src/transfer/plain-copy.js';

/** Every object and array inside `value`, itself included. */
function containers(value: unknown, out: object[] = []): object[] {
  if (typeof value !== 'object' || value === null) return out;
  out.push(value);
  for (const child of Object.values(value)) containers(child, out);
  return out;
}

/** Plain data as call records hold it, with `undefined` values and empty containers thrown in. */
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, undefined, true, false, 0, -0, Number.NaN),
    fc.double(),
    fc.string(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('plainCopy', () => {
  it('copies plain data as structuredClone does, sharing no object or array with the original', () => {
    fc.assert(
      fc.property(plain, (value) => {
        const copied = plainCopy(value);
        expect(copied).toStrictEqual(structuredClone(value));
        const before = new Set(containers(value));
        for (const c of containers(copied)) expect(before.has(c)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps keys whose value is undefined, and a key named __proto__ as an own key', () => {
    const value = JSON.parse('{"a":1,"__proto__":{"x":2}}') as Record<string, unknown>;
    value['b'] = undefined;
    const copied = plainCopy(value);
    expect(Object.keys(copied)).toEqual(Object.keys(structuredClone(value)));
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
  });
});
