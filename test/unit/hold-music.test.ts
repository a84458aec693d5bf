import { describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../sim/audio-file.js';
import { HOLD_MUSIC_MS, holdMusicWav, wav } from '../../src/media/hold-music.js';
import { encodeMulaw } from '../../src/media/mulaw.js';

/**
 * The daemon's own hold music (src/media/hold-music.ts), and how the simulator reads the audio
 * files a carrier's `<Play>` fetches (sim/audio-file.ts).
 */
describe('hold music', () => {
  const file = holdMusicWav();
  const pcm = file.subarray(44);
  const sample = (i: number) => pcm.readInt16LE(i * 2);
  const samples = pcm.length / 2;

  it('is a 16-bit PCM WAV, 8 kHz mono, of the stated length', () => {
    expect(file.toString('latin1', 0, 4)).toBe('RIFF');
    expect(file.readUInt32LE(4)).toBe(file.length - 8);
    expect(file.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect([
      file.readUInt16LE(20),
      file.readUInt16LE(22),
      file.readUInt32LE(24),
      file.readUInt16LE(34),
    ]).toEqual([1, 1, 8000, 16]);
    expect(file.readUInt32LE(40)).toBe(pcm.length);
    expect(samples).toBe((8000 * HOLD_MUSIC_MS) / 1000);
  });

  it('is music, never silent for long, below full scale, and loops without a click', () => {
    let peak = 0;
    let quietRun = 0;
    let longestQuiet = 0;
    for (let i = 0; i < samples; i++) {
      const v = Math.abs(sample(i));
      peak = Math.max(peak, v);
      quietRun = v < 300 ? quietRun + 1 : 0;
      longestQuiet = Math.max(longestQuiet, quietRun);
    }
    expect(peak).toBeGreaterThan(0.15 * 32767);
    expect(peak).toBeLessThan(0.5 * 32767);
    // Rests between chords, but no near-silence of 200 ms: a held caller always hears something.
    expect(longestQuiet).toBeLessThan(1600);
    // The end meets the start: both near zero, so looping does not click.
    expect(Math.abs(sample(0))).toBeLessThan(300);
    expect(Math.abs(sample(samples - 1))).toBeLessThan(300);
  });

  it('the simulator plays a PCM or μ-law WAV of 8 kHz mono as its samples; other WAVs and MP3s are opaque; anything else is no audio', () => {
    expect(decodeAudioFile(file)).toEqual({ type: 'mulaw', data: encodeMulaw(pcm) });
    const mulaw = Buffer.from(wav(Buffer.alloc(320)));
    mulaw.writeUInt16LE(7, 20); // μ-law
    mulaw.writeUInt16LE(8, 34); // 8 bits a sample
    expect(decodeAudioFile(mulaw)).toEqual({ type: 'mulaw', data: Buffer.alloc(320) });
    const stereo = Buffer.from(file);
    stereo.writeUInt16LE(2, 22);
    expect(decodeAudioFile(stereo)).toEqual({ type: 'opaque', format: 'wav' });
    expect(decodeAudioFile(Buffer.from('ID3\u0004\u0000rest', 'latin1'))).toEqual({
      type: 'opaque',
      format: 'mp3',
    });
    expect(decodeAudioFile(Buffer.from([0xff, 0xfb, 0x90, 0x00]))).toEqual({ type: 'opaque', format: 'mp3' });
    expect(decodeAudioFile(Buffer.from('<html>not found</html>'))).toBeUndefined();
    expect(decodeAudioFile(file.subarray(0, 36))).toBeUndefined();
  });
});
