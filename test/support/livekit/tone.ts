/**
 * The power of one frequency in PCM samples (Goertzel), for checking that a tone kept its
 * frequency through codecs and resampling.
 */
export function powerAt(samples: ArrayLike<number>, sampleRate: number, hz: number): number {
  const k = (2 * Math.PI * hz) / sampleRate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = (samples[i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / Math.max(1, samples.length);
}

/** Whether `hz` stands out: at least `ratio` times the power of each of `others`. */
export function dominates(
  samples: ArrayLike<number>,
  sampleRate: number,
  hz: number,
  others: readonly number[],
  ratio = 10,
): boolean {
  const at = powerAt(samples, sampleRate, hz);
  return at > 0 && others.every((other) => at >= ratio * powerAt(samples, sampleRate, other));
}
