/**
 * What a carrier makes of an audio file it fetched for `<Play>`: the simulator decodes the WAV
 * files a telephone line plays as they are (μ-law or 16-bit PCM, 8 kHz, mono) and plays their
 * samples; any other WAV or an MP3 it cannot decode is played as the generic `<Play>` signal; a
 * body that is no audio file at all is not played (carriers skip a file they cannot play).
 */
import { pcm16ToMulaw } from './codec.js';

export type AudioFile =
  /** μ-law 8 kHz mono samples, ready to play. */
  | { readonly type: 'mulaw'; readonly data: Buffer }
  /** A WAV or MP3 the simulator does not decode (another rate, stereo, compressed). */
  | { readonly type: 'opaque'; readonly format: 'wav' | 'mp3' };

/** WAVE `fmt ` codes: linear PCM, G.711 μ-law (RFC 2361). */
const WAVE_PCM = 1;
const WAVE_MULAW = 7;

/**
 * Reads `bytes` as a WAV (RIFF/WAVE) or MP3 (an ID3 tag or an MPEG frame sync); `undefined` when
 * the body is neither, or a WAV whose chunks are broken.
 */
export function decodeAudioFile(bytes: Buffer): AudioFile | undefined {
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WAVE'
  )
    return decodeWav(bytes);
  if (bytes.length >= 3 && bytes.toString('latin1', 0, 3) === 'ID3') return { type: 'opaque', format: 'mp3' };
  if (bytes.length >= 2 && bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)
    return { type: 'opaque', format: 'mp3' };
  return undefined;
}

interface WavFormat {
  readonly code: number;
  readonly channels: number;
  readonly rate: number;
  readonly bits: number;
}

function decodeWav(bytes: Buffer): AudioFile | undefined {
  let format: WavFormat | undefined;
  let data: Buffer | undefined;
  for (let off = 12; off + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', off, off + 4);
    const size = bytes.readUInt32LE(off + 4);
    const body = bytes.subarray(off + 8, Math.min(bytes.length, off + 8 + size));
    if (id === 'fmt ') {
      if (body.length < 16) return undefined;
      format = {
        code: body.readUInt16LE(0),
        channels: body.readUInt16LE(2),
        rate: body.readUInt32LE(4),
        bits: body.readUInt16LE(14),
      };
    } else if (id === 'data') data = body;
    off += 8 + size + (size % 2); // chunks are padded to an even length
  }
  if (format === undefined || data === undefined) return undefined;
  if (format.channels === 1 && format.rate === 8000) {
    if (format.code === WAVE_MULAW && format.bits === 8) return { type: 'mulaw', data };
    if (format.code === WAVE_PCM && format.bits === 16)
      return { type: 'mulaw', data: pcm16ToMulaw(data.subarray(0, data.length - (data.length % 2))) };
  }
  return { type: 'opaque', format: 'wav' };
}
