/**
 * Writes the example agent's prompts (examples/ivr-agent/prompts/*.ulaw): raw G.711 μ-law, 8 kHz,
 * mono, no header — the audio the agent protocol carries by default, so the agent sends the
 * bytes as they are.
 *
 *   npx tsx examples/ivr-agent/make-prompts.ts [DIR]   (default: prompts/ beside this file)
 *
 * They are not speech: nothing here may reach the internet or a text-to-speech engine, so each
 * prompt is a short pattern of tones that stands for a sentence (written beside it below). The
 * menu, for instance, beeps once, twice, then three times: "press 1, press 2, press 3". Replace
 * the files with recordings of your own (8 kHz μ-law, e.g. `sox in.wav -r 8000 -c 1 -e u-law
 * -t raw out.ulaw`) and the agent plays those instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RATE = 8000;

/** A tone of `hz` for `ms` (0 Hz is silence), with 5 ms fades so the notes do not click. */
function note(hz: number, ms: number, amplitude = 0.3): number[] {
  const n = Math.round((RATE * ms) / 1000);
  const fade = Math.round(RATE * 0.005);
  return Array.from({ length: n }, (_, i) => {
    const envelope = Math.min(1, i / fade, (n - 1 - i) / fade);
    return hz === 0 ? 0 : amplitude * envelope * Math.sin((2 * Math.PI * hz * i) / RATE);
  });
}

const gap = (ms: number) => note(0, ms);
const beeps = (count: number, hz: number) =>
  Array.from({ length: count }, () => [...note(hz, 120), ...gap(100)]).flat();

/** G.711 μ-law encoding of one linear sample in [-1, 1] (ITU-T G.711, the Sun g711.c table). */
function mulaw(sample: number): number {
  const BIAS = 0x84;
  let pcm = Math.max(-32_635, Math.min(32_635, Math.round(sample * 32_767)));
  const sign = pcm < 0 ? 0x80 : 0;
  if (sign) pcm = -pcm;
  pcm += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Each prompt and the sentence it stands for. */
const PROMPTS: Record<string, number[]> = {
  // "Thanks for calling. Press 1 for sales, 2 for support, 3 for the after-hours line."
  menu: [
    ...note(523, 150),
    ...note(659, 150),
    ...note(784, 250),
    ...gap(300),
    ...beeps(1, 880),
    ...gap(300),
    ...beeps(2, 880),
    ...gap(300),
    ...beeps(3, 880),
  ],
  // "Connecting you to sales."
  sales: [...note(784, 200), ...note(988, 300), ...gap(100)],
  // "Connecting you to support; I'll tell them why you called."
  support: [...note(784, 200), ...note(659, 200), ...note(988, 300), ...gap(100)],
  // "Let me try the after-hours line."
  trying: [...note(659, 200), ...note(659, 200), ...note(784, 300), ...gap(100)],
  // "Sorry, nobody could take your call. You are back with me."
  sorry: [...note(784, 250), ...note(659, 250), ...note(523, 400), ...gap(200)],
  // "Goodbye."
  goodbye: [...note(659, 200), ...note(523, 400)],
  // To the person answering a briefed transfer (menu choice 4), not the caller: "A caller from
  // the phone menu needs support. Press 1 to take the call, 2 to send it back."
  briefing: [
    ...note(988, 200),
    ...note(784, 200),
    ...gap(200),
    ...beeps(1, 880),
    ...gap(200),
    ...beeps(2, 880),
  ],
};

// The prompts folder beside this file, or the folder given as the first argument.
const dir = process.argv[2] ?? fileURLToPath(new URL('./prompts/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [name, samples] of Object.entries(PROMPTS)) {
  writeFileSync(join(dir, `${name}.ulaw`), Buffer.from(samples.map(mulaw)));
}
process.stdout.write(`wrote ${Object.keys(PROMPTS).length} prompts to ${dir}\n`);
