import { describe, expect, it } from 'vitest';
import {
  decodeMulaw,
  encodeMulaw,
  linearToUlaw,
  MULAW_SILENCE,
  ulawToLinear,
} from '../../src/media/mulaw.js';

// The reference algorithm from protocols.md §1.2, written out independently of the module.
const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
function refLinearToUlaw(sample: number): number {
  let pcm = sample >> 2;
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > 8159) pcm = 8159;
  pcm += 0x84 >> 2;
  let seg = 8;
  for (let i = 0; i < 8; i++) {
    if (pcm <= (SEG_UEND[i] as number)) {
      seg = i;
      break;
    }
  }
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}
function refUlawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

describe('G.711 μ-law', () => {
  it('encodes all 65 536 int16 inputs exactly like the reference', () => {
    let mismatches = 0;
    for (let s = -32768; s <= 32767; s++) if (linearToUlaw(s) !== refLinearToUlaw(s)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('decodes all 256 codes exactly like the reference', () => {
    for (let c = 0; c < 256; c++) expect(ulawToLinear(c)).toBe(refUlawToLinear(c));
  });

  it('holds the fixed facts of §1.2', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(MULAW_SILENCE).toBe(0xff);
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x7f)).toBe(0);
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
  });

  it('buffer versions agree with the sample versions over every int16', () => {
    const pcm = Buffer.alloc(65536 * 2);
    for (let i = 0; i < 65536; i++) pcm.writeInt16LE(i - 32768, i * 2);
    const mu = encodeMulaw(pcm);
    expect(mu.length).toBe(65536);
    for (let i = 0; i < 65536; i++) expect(mu[i]).toBe(refLinearToUlaw(i - 32768));
    const codes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const back = decodeMulaw(codes);
    expect(back.length).toBe(512);
    for (let c = 0; c < 256; c++) expect(back.readInt16LE(c * 2)).toBe(refUlawToLinear(c));
  });

  it('round-trips decoded values to a fixed point (decode∘encode∘decode = decode)', () => {
    for (let c = 0; c < 256; c++) {
      const lin = ulawToLinear(c);
      expect(ulawToLinear(linearToUlaw(lin))).toBe(lin);
    }
  });

  it('ignores a trailing half sample and clamps out-of-range inputs', () => {
    expect(encodeMulaw(Buffer.from([0, 0, 7])).length).toBe(1);
    expect(linearToUlaw(100000)).toBe(linearToUlaw(32767));
    expect(linearToUlaw(-100000)).toBe(linearToUlaw(-32768));
  });
});
