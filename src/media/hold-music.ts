/**
 * The daemon's own hold music: for a carrier that plays nothing to a waiting caller unless told
 * what (Plivo's `waitSound`), so that no caller waits in silence when the agent names no
 * `holdAudio`. Made here, not shipped or fetched: no recording to license, nothing to reach but
 * the daemon itself. Eight seconds of a soft mallet arpeggio over I–vi–IV–V, every note fading
 * out before the next, so the file loops without a click.
 */

const RATE = 8000;
const NOTE_MS = 500;
/** Peak of the arpeggio and of the chord's pad, as fractions of full scale. */
const MALLET = 0.22;
const PAD = 0.05;

/** Arpeggio frequencies (Hz) per chord, and the chord's pad tone: C, Am, F, G. */
const CHORDS: readonly { readonly notes: readonly number[]; readonly pad: number }[] = [
  { notes: [523.25, 659.25, 783.99, 659.25], pad: 329.63 },
  { notes: [440.0, 523.25, 659.25, 523.25], pad: 329.63 },
  { notes: [349.23, 440.0, 523.25, 440.0], pad: 349.23 },
  { notes: [392.0, 493.88, 587.33, 493.88], pad: 392.0 },
];

/** Length of one play-through, ms. */
export const HOLD_MUSIC_MS = CHORDS.reduce((ms, c) => ms + c.notes.length * NOTE_MS, 0);

/** Signed 16-bit little-endian PCM, 8 kHz mono. */
function holdMusicPcm(): Buffer {
  const noteSamples = (RATE * NOTE_MS) / 1000;
  const out = Buffer.alloc(((RATE * HOLD_MUSIC_MS) / 1000) * 2);
  let at = 0;
  for (const chord of CHORDS) {
    const chordSamples = chord.notes.length * noteSamples;
    for (let i = 0; i < chordSamples; i++) {
      const note = chord.notes[Math.floor(i / noteSamples)] ?? 0;
      const j = i % noteSamples;
      // A 10 ms attack, then an exponential decay that has all but ended by the next note.
      const mallet = Math.min(1, j / 80) * Math.exp(-j / 900) * (1 - j / noteSamples);
      // The pad swells in and out over the chord (half a sine), silent at each chord change.
      const pad = Math.sin((Math.PI * i) / chordSamples);
      const t = (at + i) / RATE;
      const v =
        MALLET * mallet * (Math.sin(2 * Math.PI * note * t) + 0.3 * Math.sin(4 * Math.PI * note * t)) +
        PAD * pad * Math.sin(2 * Math.PI * chord.pad * t);
      out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), (at + i) * 2);
    }
    at += chordSamples;
  }
  return out;
}

/** A RIFF/WAVE file of 16-bit PCM, 8 kHz mono: what every carrier's `<Play>` takes as it is. */
export function wav(pcm16le: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm16le.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // linear PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28); // bytes a second
  header.writeUInt16LE(2, 32); // bytes a sample
  header.writeUInt16LE(16, 34); // bits a sample
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm16le.length, 40);
  return Buffer.concat([header, pcm16le]);
}

let cached: Buffer | undefined;

/** The hold music as a WAV file (made once, about 128 KB). */
export function holdMusicWav(): Buffer {
  cached ??= wav(holdMusicPcm());
  return cached;
}
