/**
 * G.711 μ-law, bit-exact with the ITU-T / Sun `g711.c` reference (protocols.md §1.2), which is
 * also what CPython `audioop.lin2ulaw` / `ulaw2lin` produce. The daemon and the carrier
 * simulator both use this module, so they agree byte for byte.
 *
 * Facts worth remembering: linear 0 → `0xFF`; `0xFF` and `0x7F` decode to 0; `0x00` → −32124;
 * `0x80` → +32124. The other common formulation (16-bit domain, CLIP 32635) encodes 381
 * negative inputs one step differently — do not swap it in.
 */

/** Segment end points in the 14-bit domain (protocols.md §1.2). */
const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;

/** The reference encoder, used once to fill {@link ENCODE_TABLE}. `sample` is an int16. */
function referenceLinearToUlaw(sample: number): number {
  let pcm = sample >> 2; // 16 → 14 bit, arithmetic shift
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > 8159) pcm = 8159; // clip
  pcm += 0x84 >> 2; // bias, 33 in the 14-bit domain
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

/** The reference decoder, used once to fill {@link DECODE_TABLE}. Returns an int16. */
function referenceUlawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** 256 entries: μ-law code → int16. */
const DECODE_TABLE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = referenceUlawToLinear(code);
  return table;
})();

/**
 * 16 384 entries indexed by the 14-bit sample (`sample >> 2`, offset by 8192). The encoder
 * discards the two low bits first, so 14 bits of index cover every int16 input exactly.
 */
const ENCODE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(16384);
  for (let i = 0; i < 16384; i++) table[i] = referenceLinearToUlaw((i - 8192) << 2);
  return table;
})();

/** Encodes one signed 16-bit sample (values outside int16 are clamped) to a μ-law code (0–255). */
export function linearToUlaw(sample: number): number {
  const s = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return ENCODE_TABLE[(s >> 2) + 8192] as number;
}

/** Decodes one μ-law code (only the low 8 bits are used) to a signed 16-bit sample. */
export function ulawToLinear(code: number): number {
  return DECODE_TABLE[code & 0xff] as number;
}

/**
 * Encodes PCM16 little-endian to μ-law, one byte per sample. A trailing odd byte (half a
 * sample) is ignored.
 */
export function encodeMulaw(pcm16le: Buffer): Buffer {
  const samples = pcm16le.length >> 1;
  const out = Buffer.allocUnsafe(samples);
  for (let i = 0; i < samples; i++) {
    out[i] = ENCODE_TABLE[(pcm16le.readInt16LE(i << 1) >> 2) + 8192] as number;
  }
  return out;
}

/** Decodes μ-law to PCM16 little-endian (two bytes per input byte). */
export function decodeMulaw(mulaw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(mulaw.length << 1);
  for (let i = 0; i < mulaw.length; i++) {
    out.writeInt16LE(DECODE_TABLE[mulaw[i] as number] as number, i << 1);
  }
  return out;
}

/** The μ-law code for digital silence (linear 0). */
export const MULAW_SILENCE = 0xff;
