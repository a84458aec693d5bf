/** Distribution summaries for the benchmark tables. */

export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}

/** Sorts a copy (typed arrays sort numerically) and summarizes it, rounded to 3 decimals. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (n: number) => Math.round(n * 1000) / 1000;
  return {
    count: sorted.length,
    p50: r(percentile(sorted, 50)),
    p99: r(percentile(sorted, 99)),
    p999: r(percentile(sorted, 99.9)),
    max: r(sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0)),
    mean: r(sorted.length === 0 ? 0 : sum / sorted.length),
  };
}

/** A growable list of samples in a Float64Array (no boxing at 60 000 samples a second). */
export class Samples {
  #data = new Float64Array(4096);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  clear(): void {
    this.#length = 0;
  }

  values(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }
}

export const round2 = (n: number): number => Math.round(n * 100) / 100;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
