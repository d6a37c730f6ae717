// Percentiles over latency samples (milliseconds). Samples are kept raw (not
// bucketed) because a run is at most ~10^6 samples and exact tails matter here.

export interface Summary {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Growable Float64Array: cheaper than a JS array of boxed numbers at 10^5+ samples. */
export class Samples {
  private buf: Float64Array;
  private n = 0;

  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  /** { n, p50, p95, p99, max, mean } using nearest-rank; nulls when empty. */
  summary(): Summary {
    if (this.n === 0) {
      return { n: 0, p50: null, p95: null, p99: null, max: null, mean: null };
    }
    const s = this.buf.slice(0, this.n).sort();
    const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      sum += s[i];
    }
    return {
      n: s.length,
      p50: round(rank(50)),
      p95: round(rank(95)),
      p99: round(rank(99)),
      max: round(s[s.length - 1]),
      mean: round(sum / s.length),
    };
  }
}

export const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
