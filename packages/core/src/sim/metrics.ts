/** Mean and percentiles of a latency (seconds). NaN when there are no samples. */
export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/**
 * Percentile by linear interpolation between closest ranks (numpy's default `linear` method, the
 * one vLLM's benchmark_serving uses via np.percentile), on an ascending-sorted array.
 */
export function percentileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Summary of samples, ignoring NaN (O(n log n): one sort). */
export function summarize(values: ArrayLike<number>): LatencySummary {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) n++;
  const a = new Float64Array(n);
  let k = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    a[k++] = v;
    sum += v;
  }
  a.sort();
  return {
    mean: n > 0 ? sum / n : Number.NaN,
    p50: percentileSorted(a, 50),
    p90: percentileSorted(a, 90),
    p99: percentileSorted(a, 99),
  };
}

/**
 * A bounded time series: keeps every `stride`-th sample and, when full, drops every other point and
 * doubles the stride, so a run of any length yields at most `maxPoints` evenly thinned points.
 */
export class SeriesSampler {
  readonly time: number[] = [];
  readonly values: number[][];
  private stride = 1;
  private count = 0;
  constructor(
    private readonly maxPoints: number,
    channels: number,
  ) {
    this.values = Array.from({ length: channels }, () => []);
  }

  record(t: number, ...v: number[]): void {
    if (this.count++ % this.stride !== 0) return;
    this.time.push(t);
    for (let c = 0; c < this.values.length; c++) this.values[c]!.push(v[c] ?? Number.NaN);
    if (this.time.length >= this.maxPoints) {
      const keep = (a: number[]) => {
        let j = 0;
        for (let i = 0; i < a.length; i += 2) a[j++] = a[i]!;
        a.length = j;
      };
      keep(this.time);
      for (const a of this.values) keep(a);
      this.stride *= 2;
    }
  }
}
