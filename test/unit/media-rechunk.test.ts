import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import { Rechunker, type RechunkRule } from '../../src/media/rechunk.js';

const EXOTEL: RechunkRule = { multipleOf: 320, minBytes: 3200, maxBytes: 100_000 };

function legal(rule: RechunkRule, size: number): boolean {
  const max = Math.floor(rule.maxBytes / rule.multipleOf) * rule.multipleOf;
  return size % rule.multipleOf === 0 && size >= rule.minBytes && size <= max;
}

/** Bytes numbered 0, 1, 2 … (mod 251, never the 0xFF silence byte). */
function numbered(start: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (start + i) % 251;
  return out;
}

describe('Rechunker', () => {
  it('holds audio until a legal chunk is available (Exotel: 320-byte multiples, 3 200 minimum)', () => {
    const chunks: Buffer[] = [];
    const r = new Rechunker(EXOTEL, 0);
    r.push(numbered(0, 160), (c) => chunks.push(c));
    expect(chunks).toHaveLength(0);
    expect(r.pendingBytes).toBe(160);
    for (let i = 1; i < 21; i++) r.push(numbered(i * 160, 160), (c) => chunks.push(c));
    // 21 × 160 = 3 360 bytes: one 3 200-byte chunk out, 160 held.
    expect(chunks.map((c) => c.length)).toEqual([3200]);
    expect(chunks[0]?.equals(numbered(0, 3200))).toBe(true);
    expect(r.pendingBytes).toBe(160);
  });

  it('cuts a huge payload into chunks no larger than the maximum', () => {
    const chunks: Buffer[] = [];
    const r = new Rechunker(EXOTEL, 0);
    r.push(numbered(0, 250_000), (c) => chunks.push(c));
    // 100 000 is not a multiple of 320: the largest legal chunk is 99 840.
    expect(chunks.map((c) => c.length)).toEqual([99_840, 99_840, 50_240]);
    expect(r.pendingBytes).toBe(250_000 - 99_840 * 2 - 50_240);
    expect(Buffer.concat(chunks).equals(numbered(0, 249_920))).toBe(true);
  });

  it('flush pads the remainder with silence to a legal size', () => {
    const chunks: Buffer[] = [];
    const r = new Rechunker(EXOTEL, 0xff);
    r.push(numbered(0, 1000), (c) => chunks.push(c));
    r.flush((c) => chunks.push(c));
    expect(chunks).toHaveLength(1);
    const chunk = chunks[0] as Buffer;
    expect(chunk.length).toBe(3200);
    expect(chunk.subarray(0, 1000).equals(numbered(0, 1000))).toBe(true);
    expect(chunk.subarray(1000).every((b) => b === 0xff)).toBe(true);
    r.flush((c) => chunks.push(c));
    expect(chunks).toHaveLength(1);
  });

  it('reset drops what is held', () => {
    const chunks: Buffer[] = [];
    const r = new Rechunker(EXOTEL, 0);
    r.push(numbered(0, 3000), (c) => chunks.push(c));
    r.reset();
    r.flush((c) => chunks.push(c));
    expect(chunks).toHaveLength(0);
  });

  it('refuses impossible rules', () => {
    expect(() => new Rechunker({ multipleOf: 0, minBytes: 1, maxBytes: 2 }, 0)).toThrow(DaemonError);
    expect(() => new Rechunker({ multipleOf: 320, minBytes: 3200, maxBytes: 1000 }, 0)).toThrow(DaemonError);
  });

  it('for any rule and any input: every chunk is legal and the audio comes out whole and in order', () => {
    const rule = fc
      .record({
        multipleOf: fc.integer({ min: 1, max: 400 }),
        minUnits: fc.integer({ min: 1, max: 12 }),
        extraUnits: fc.integer({ min: 0, max: 40 }),
      })
      .map(({ multipleOf, minUnits, extraUnits }) => ({
        multipleOf,
        minBytes: multipleOf * minUnits - (minUnits > 1 ? 1 : 0),
        maxBytes: multipleOf * (minUnits + extraUnits) + (extraUnits % 3),
      }));
    const ops = fc.array(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(-1)), { maxLength: 60 });
    fc.assert(
      fc.property(rule, ops, (r, sequence) => {
        const rechunker = new Rechunker(r, 0xff);
        const chunks: Buffer[] = [];
        const expected: Buffer[] = [];
        let offset = 0;
        for (const op of sequence) {
          if (op < 0) {
            const held = rechunker.pendingBytes;
            const flushed: Buffer[] = [];
            rechunker.flush((c) => flushed.push(c));
            expect(flushed.length).toBe(held > 0 ? 1 : 0);
            const size = flushed[0]?.length ?? 0;
            expect(size).toBeGreaterThanOrEqual(held);
            expected.push(Buffer.alloc(size - held, 0xff));
            chunks.push(...flushed);
          } else {
            const payload = numbered(offset, op);
            offset += op;
            expected.push(payload);
            rechunker.push(payload, (c) => chunks.push(c));
          }
        }
        for (const c of chunks) expect(legal(r, c.length)).toBe(true);
        const out = Buffer.concat(chunks);
        const all = Buffer.concat(expected);
        expect(out.equals(all.subarray(0, out.length))).toBe(true);
        expect(all.length - out.length).toBe(rechunker.pendingBytes);
      }),
      { numRuns: 300 },
    );
  });
});
