import { describe, expect, it } from 'vitest';
import { linearToUlaw } from '../../src/media/mulaw.js';
import { mulawLevel, SilenceWatch, SPEECH_LEVEL } from '../../src/runtime/silence.js';

const frame = (amplitude: number): Uint8Array =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / 8000))),
  );

describe('silence watch', () => {
  it('measures μ-law frames: silence is quiet, a tone is loud', () => {
    expect(mulawLevel(new Uint8Array(160).fill(0xff))).toBe(0);
    expect(mulawLevel(frame(8000))).toBeGreaterThan(SPEECH_LEVEL);
    expect(mulawLevel(frame(200))).toBeLessThan(SPEECH_LEVEL);
  });

  it('fires once after the timeout of silence, and speech re-arms it', () => {
    const w = new SilenceWatch(10_000, 0);
    w.callerAudio(new Uint8Array(160).fill(0xff), 5_000);
    expect(w.due(9_999)).toBe(false);
    expect(w.due(10_000)).toBe(true);
    expect(w.due(15_000)).toBe(false);
    w.callerAudio(frame(8000), 16_000);
    expect(w.due(25_999)).toBe(false);
    expect(w.due(26_000)).toBe(true);
  });

  it('counts the agent speaking as activity', () => {
    const w = new SilenceWatch(10_000, 0);
    w.agentSpoke(8_000);
    expect(w.due(12_000)).toBe(false);
    expect(w.due(18_000)).toBe(true);
  });
});
