import { MemlensError } from "../errors/memlens-error.js";
import type { WorkloadRequest } from "./request.js";
import { createRng, type Rng } from "./rng.js";

/** Largest prompt or output length the simulator accepts for one request (10M tokens). */
export const MAX_REQUEST_TOKENS = 10_000_000;

/** A distribution of token lengths. Every sample is an integer clamped to [min, max]. */
export type LengthDistribution =
  | { readonly kind: "fixed"; readonly tokens: number }
  | { readonly kind: "uniform"; readonly min: number; readonly max: number }
  /** Log-normal with the given median and σ of ln(length); ShareGPT-like lengths are roughly log-normal. */
  | {
      readonly kind: "lognormal";
      readonly median: number;
      readonly sigma: number;
      readonly min?: number;
      readonly max?: number;
    }
  /** Resamples a list (e.g. the lengths of a trace) with replacement. */
  | { readonly kind: "empirical"; readonly values: readonly number[] };

/** When requests arrive. */
export type ArrivalProcess =
  /** Exponential gaps at `ratePerSecond` (Vidur `poisson` interval generator). */
  | { readonly kind: "poisson"; readonly ratePerSecond: number }
  /**
   * Gamma gaps with mean 1/rate and coefficient of variation `cv` (> 1 is burstier than Poisson;
   * Vidur `gamma` interval generator with (qps, cv); shape = 1/cv², scale = cv²/rate).
   */
  | { readonly kind: "gamma"; readonly ratePerSecond: number; readonly cv: number }
  /** Evenly spaced at `ratePerSecond`. */
  | { readonly kind: "constant"; readonly ratePerSecond: number }
  /** Everything at t = 0 (an offline batch). */
  | { readonly kind: "all-at-once" };

/** Options of a generated workload. */
export interface GeneratedWorkload {
  readonly requests: number;
  readonly arrival: ArrivalProcess;
  readonly promptTokens: LengthDistribution;
  readonly outputTokens: LengthDistribution;
  /** Seed of the random stream; same seed, same workload. */
  readonly seed: number;
  /**
   * A shared prefix (a system prompt): each request starts with `tokens` tokens identical within one
   * of `groups` groups (chosen uniformly), so prefix caching can hit. Omit for unique prompts.
   */
  readonly sharedPrefix?: { readonly tokens: number; readonly groups: number };
}

/** One sample of a length distribution. */
export function sampleLength(d: LengthDistribution, rng: Rng): number {
  switch (d.kind) {
    case "fixed":
      return d.tokens;
    case "uniform":
      return rng.int(d.min, d.max);
    case "lognormal": {
      const x = Math.round(d.median * Math.exp(d.sigma * rng.normal()));
      return Math.min(d.max ?? MAX_REQUEST_TOKENS, Math.max(d.min ?? 1, x));
    }
    case "empirical":
      return d.values[Math.floor(rng.next() * d.values.length)]!;
  }
}

/** Gaps (seconds) of an arrival process; returns arrival times from t = 0. */
export function arrivalTimes(a: ArrivalProcess, n: number, rng: Rng): Float64Array {
  const out = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    out[i] = t;
    switch (a.kind) {
      case "poisson":
        t += rng.exponential(a.ratePerSecond);
        break;
      case "gamma": {
        const shape = 1 / (a.cv * a.cv);
        t += rng.gamma(shape, 1 / (a.ratePerSecond * shape));
        break;
      }
      case "constant":
        t += 1 / a.ratePerSecond;
        break;
      case "all-at-once":
        break;
    }
  }
  return out;
}

function checkDistribution(d: LengthDistribution, field: string): void {
  const bad = (msg: string) => {
    throw new MemlensError("invalid-value", `${field}: ${msg}`, field);
  };
  const len = (x: number, name: string) => {
    if (!Number.isInteger(x) || x < 1 || x > MAX_REQUEST_TOKENS)
      bad(`${name} must be an integer in [1, ${MAX_REQUEST_TOKENS}], got ${x}`);
  };
  switch (d.kind) {
    case "fixed":
      len(d.tokens, "tokens");
      break;
    case "uniform":
      len(d.min, "min");
      len(d.max, "max");
      if (d.max < d.min) bad(`max ${d.max} < min ${d.min}`);
      break;
    case "lognormal":
      if (!(d.median >= 1) || !(d.sigma >= 0)) bad("lognormal needs median ≥ 1 and sigma ≥ 0");
      break;
    case "empirical":
      if (d.values.length === 0) bad("empirical needs at least one value");
      for (const v of d.values) len(v, "values[]");
      break;
  }
}

/**
 * A synthetic workload: arrivals from a Poisson, gamma (bursty), constant or all-at-once process,
 * lengths from distributions, optionally with shared prefixes. Deterministic in `seed`.
 * @example generateWorkload({ requests: 1000, arrival: { kind: "poisson", ratePerSecond: 5 },
 *   promptTokens: { kind: "lognormal", median: 1000, sigma: 0.8 },
 *   outputTokens: { kind: "fixed", tokens: 200 }, seed: 1 })
 */
export function generateWorkload(o: GeneratedWorkload): WorkloadRequest[] {
  if (!Number.isInteger(o.requests) || o.requests < 0 || o.requests > 10_000_000)
    throw new MemlensError(
      "invalid-value",
      `requests must be an integer in [0, 10000000], got ${o.requests}`,
      "requests",
    );
  checkDistribution(o.promptTokens, "promptTokens");
  checkDistribution(o.outputTokens, "outputTokens");
  if (o.arrival.kind !== "all-at-once" && !(o.arrival.ratePerSecond > 0))
    throw new MemlensError("invalid-value", "arrival.ratePerSecond must be > 0", "arrival.ratePerSecond");
  if (o.arrival.kind === "gamma" && !(o.arrival.cv > 0))
    throw new MemlensError("invalid-value", "arrival.cv must be > 0", "arrival.cv");
  const rng = createRng(o.seed);
  const arrivalRng = rng.fork();
  const lengthRng = rng.fork();
  const contentRng = rng.fork();
  const times = arrivalTimes(o.arrival, o.requests, arrivalRng);
  const out: WorkloadRequest[] = [];
  for (let i = 0; i < o.requests; i++) {
    const promptTokens = sampleLength(o.promptTokens, lengthRng);
    const outputTokens = sampleLength(o.outputTokens, lengthRng);
    const base = { arrivalSeconds: times[i]!, promptTokens, outputTokens };
    if (!o.sharedPrefix) {
      out.push(base);
      continue;
    }
    const group = contentRng.int(0, o.sharedPrefix.groups - 1);
    const ids = new Int32Array(promptTokens);
    const shared = Math.min(o.sharedPrefix.tokens, promptTokens);
    for (let t = 0; t < shared; t++) ids[t] = group * 1_000_003 + t;
    for (let t = shared; t < promptTokens; t++) ids[t] = contentRng.nextUint32() | 0;
    out.push({ ...base, content: { kind: "tokens", promptIds: ids } });
  }
  return out;
}

/** Gives length-only requests (no timestamps in the trace) arrival times from a process. */
export function withArrivals(
  requests: readonly WorkloadRequest[],
  arrival: ArrivalProcess,
  seed: number,
): WorkloadRequest[] {
  const times = arrivalTimes(arrival, requests.length, createRng(seed));
  return requests.map((r, i) => ({ ...r, arrivalSeconds: times[i]! }));
}
