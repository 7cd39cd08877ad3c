import { MemlensError } from "../errors/memlens-error.js";
import { solveLeastSquares } from "./least-squares.js";

/**
 * What one engine iteration (one forward pass over the scheduled batch) computes. Prefill tokens
 * include recomputation after preemption; decode sequences emit one token each.
 */
export interface StepBatch {
  /** Tokens computed for requests that are still catching up on their prompt (or on recompute). */
  readonly prefillTokens: number;
  /** Requests in prefill this step. */
  readonly prefillSeqs: number;
  /** Requests decoding one token this step. */
  readonly decodeSeqs: number;
  /** Context positions attended by decoding requests (Σ tokens already in their KV). */
  readonly decodeContextTokens: number;
  /** Context positions attended by all scheduled requests before this step (Σ computed tokens). */
  readonly contextTokens: number;
  /** KV tokens read by attention (resident tokens, after eviction policies), all requests. */
  readonly kvTokensRead: number;
  /** KV bytes read by attention (resident tokens × bytes per token of the storage format). */
  readonly kvBytesRead: number;
  /** Causal query·key pairs of the prefill chunks: Σ n·(c + (n+1)/2) for a chunk of n after c cached. */
  readonly prefillAttentionPairs: number;
}

/**
 * Seconds one step takes. The one interface the simulator needs for time: a roofline from numbers
 * (`rooflineStepTime`), a fitted linear model (`linearStepTime`), or anything else (a lookup table,
 * a profile of a real engine). Must be pure and deterministic.
 */
export type StepTimeModel = (batch: StepBatch) => number;

/** Inputs of the roofline step model, all per GPU (divide model totals by tensor parallelism). */
export interface RooflineStepParams {
  /** Weight bytes read once per step (active weights for MoE; per GPU under TP). */
  readonly weightBytes: number;
  /** Dense matmul FLOPs per token: 2 × active parameters (Kaplan et al. 2020), per GPU. */
  readonly flopsPerToken: number;
  /** Attention FLOPs per query·key pair: 4 × layers × heads × head_dim (QKᵀ and AV), per GPU. */
  readonly attentionFlopsPerPair: number;
  /** KV bytes written per new token (all layers, per GPU). */
  readonly kvBytesPerToken: number;
  /** Peak memory bandwidth, bytes/s. */
  readonly bandwidthBytesPerSecond: number;
  /** Peak dense FLOP/s of the compute dtype. */
  readonly flopsPerSecond: number;
  /** Fraction of peak FLOP/s reached (default 0.7, llm-analysis README). */
  readonly computeEfficiency?: number;
  /** Fraction of peak bandwidth reached (default 0.9, llm-analysis README). */
  readonly memoryEfficiency?: number;
  /** Fixed cost per step: launch, scheduling, sampling (default 0). */
  readonly stepOverheadSeconds?: number;
  /** Cost per scheduled sequence (default 0). */
  readonly perSeqOverheadSeconds?: number;
  /** Time per step for tensor-parallel all-reduces (default 0). */
  readonly communicationSeconds?: number;
}

/** The compute and memory times of a step at 100 % of peak, before taking the larger. */
export interface RooflineTerms {
  readonly computeSeconds: number;
  readonly memorySeconds: number;
}

/** Roofline terms of one step at peak: FLOPs / FLOP/s and bytes / bandwidth. */
export function rooflineTerms(p: RooflineStepParams, b: StepBatch): RooflineTerms {
  const tokens = b.prefillTokens + b.decodeSeqs;
  // Matmuls: 2·N per token; attention: 4·L·H·d per query·key pair (decode: one query per context token).
  const flops =
    p.flopsPerToken * tokens + p.attentionFlopsPerPair * (b.prefillAttentionPairs + b.decodeContextTokens);
  // Weights read once per step; KV read by attention; new KV written.
  const bytes = p.weightBytes + b.kvBytesRead + p.kvBytesPerToken * tokens;
  return { computeSeconds: flops / p.flopsPerSecond, memorySeconds: bytes / p.bandwidthBytesPerSecond };
}

/**
 * Roofline step time: max(FLOPs / (peak · compute efficiency), bytes / (bandwidth · memory
 * efficiency)) + overheads (the roofline base of BLIS and GenZ; serving.md §7).
 * @example
 * const t = rooflineStepTime({ weightBytes: 16e9, flopsPerToken: 16e9, attentionFlopsPerPair: 524288,
 *   kvBytesPerToken: 131072, bandwidthBytesPerSecond: 1.008e12, flopsPerSecond: 165e12 });
 * t({ prefillTokens: 0, prefillSeqs: 0, decodeSeqs: 1, decodeContextTokens: 1000, contextTokens: 1000,
 *   kvTokensRead: 1000, kvBytesRead: 131072000, prefillAttentionPairs: 0 }); // ≈ 0.0178 s
 */
export function rooflineStepTime(p: RooflineStepParams): StepTimeModel {
  const ec = p.computeEfficiency ?? 0.7;
  const em = p.memoryEfficiency ?? 0.9;
  const fixed = (p.stepOverheadSeconds ?? 0) + (p.communicationSeconds ?? 0);
  const perSeq = p.perSeqOverheadSeconds ?? 0;
  return (b) => {
    const r = rooflineTerms(p, b);
    return (
      Math.max(r.computeSeconds / ec, r.memorySeconds / em) + fixed + perSeq * (b.prefillSeqs + b.decodeSeqs)
    );
  };
}

/**
 * Coefficients of the linear step model t = a + b·prefillTokens + c·decodeSeqs + d·kvTokensRead
 * (+ e·prefillAttentionPairs when `e` is given: the quadratic part of prefill attention).
 */
export interface LinearStepCoefficients {
  /** Seconds per step. */
  readonly a: number;
  /** Seconds per prefill token. */
  readonly b: number;
  /** Seconds per decoding sequence. */
  readonly c: number;
  /** Seconds per KV token read. */
  readonly d: number;
  /** Seconds per prefill query·key pair (optional; 0 when absent). */
  readonly e?: number;
}

/**
 * The calibration hook: a step time linear in the batch (DistServe's decode form
 * a + b·Σctx + c·batch, simdistserve/estimators/time_estimator.py, extended with a prefill term).
 * @example linearStepTime({ a: 0.017, b: 9.2e-5, c: 4.1e-5, d: 1.5e-7 }) // RTX 4090, Llama-3.1-8B
 */
export function linearStepTime(k: LinearStepCoefficients): StepTimeModel {
  const e = k.e ?? 0;
  return (b) =>
    k.a + k.b * b.prefillTokens + k.c * b.decodeSeqs + k.d * b.kvTokensRead + e * b.prefillAttentionPairs;
}

/** One measured step: what was batched and how long it took. */
export interface StepRecord {
  readonly batch: Pick<StepBatch, "prefillTokens" | "decodeSeqs" | "kvTokensRead"> & {
    readonly prefillAttentionPairs?: number;
  };
  readonly seconds: number;
  /** Weight of the record in the fit (default 1), e.g. the number of steps it stands for. */
  readonly weight?: number;
}

/** How to fit the linear model. */
export interface LinearStepFitOptions {
  /**
   * `staged` (default when the records hold both): decode-only steps fix a, c, d, then steps with
   * prefill fix b (and e) on what is left, so the many decode steps of a serving run are not bent
   * by prefill's quadratic attention; `joint`: one least-squares fit of all terms.
   */
  readonly method?: "staged" | "joint";
  /** Also fit e·prefillAttentionPairs (default false: the four-term model). */
  readonly prefillAttentionTerm?: boolean;
  /**
   * `uniform` (default): least squares on seconds; `relative`: weights 1/t² so every record counts
   * by its relative error (use when step times span orders of magnitude). Multiplies `weight`.
   */
  readonly weighting?: "uniform" | "relative";
}

/** A fitted linear model and how well it fits. */
export interface LinearStepFit {
  readonly coefficients: LinearStepCoefficients;
  /** Root-mean-square error of the fit, seconds. */
  readonly rmseSeconds: number;
  /** Mean absolute percentage error over the records. */
  readonly mape: number;
  readonly records: number;
  readonly method: "staged" | "joint";
}

const pairsOf = (r: StepRecord): number => r.batch.prefillAttentionPairs ?? 0;

/** Least squares over the feature columns that vary (the rest get 0), weighted. */
function fitColumns(
  records: readonly StepRecord[],
  cols: ((r: StepRecord) => number)[],
  y: (r: StepRecord) => number,
) {
  const rows = records.map((r) => cols.map((f) => f(r)));
  const active = cols
    .map((_, j) => j)
    .filter((j) => rows.some((x) => x[j] !== rows[0]![j]) || cols.length === 1 || j === 0);
  const beta = solveLeastSquares(
    rows.map((row) => active.map((j) => row[j]!)),
    records.map(y),
    records.map((r) => r.weight ?? 1),
  );
  const out = cols.map(() => 0);
  active.forEach((j, i) => {
    out[j] = beta[i]!;
  });
  return out;
}

/**
 * Least-squares fit of t = a + b·prefillTokens + c·decodeSeqs + d·kvTokensRead (+ e·pairs) over
 * measured steps (`stepRecordsFromOperatorProfile`, or step times logged by a real engine). Terms
 * that never vary in the records are fixed at 0.
 * @example fitLinearStepTime(records).coefficients.a // seconds per step
 */
export function fitLinearStepTime(
  records: readonly StepRecord[],
  options: LinearStepFitOptions = {},
): LinearStepFit {
  if (records.length === 0)
    throw new MemlensError("invalid-value", "fitLinearStepTime needs at least one step record", "records");
  const withE = options.prefillAttentionTerm ?? false;
  if (options.weighting === "relative")
    records = records.map((r) => ({ ...r, weight: (r.weight ?? 1) / (r.seconds * r.seconds) }));
  const decode = records.filter((r) => r.batch.prefillTokens === 0);
  const prefill = records.filter((r) => r.batch.prefillTokens > 0);
  const method = options.method ?? (decode.length >= 3 && prefill.length >= 2 ? "staged" : "joint");
  const one = () => 1;
  const P = (r: StepRecord) => r.batch.prefillTokens;
  const D = (r: StepRecord) => r.batch.decodeSeqs;
  const K = (r: StepRecord) => r.batch.kvTokensRead;
  let k: LinearStepCoefficients;
  if (method === "staged") {
    if (decode.length === 0 || prefill.length === 0)
      throw new MemlensError(
        "invalid-value",
        "staged fit needs decode-only records (prefillTokens 0) and records with prefill",
        "records",
      );
    const [a, c, d] = fitColumns(decode, [one, D, K], (r) => r.seconds);
    const rest = (r: StepRecord) => r.seconds - a! - c! * D(r) - d! * K(r);
    const [b, e] = withE ? fitColumns(prefill, [P, pairsOf], rest) : [...fitColumns(prefill, [P], rest), 0];
    k = { a: a!, b: b!, c: c!, d: d!, ...(withE ? { e: e! } : {}) };
  } else {
    const cols = withE ? [one, P, D, K, pairsOf] : [one, P, D, K];
    const [a, b, c, d, e] = fitColumns(records, cols, (r) => r.seconds);
    k = { a: a!, b: b!, c: c!, d: d!, ...(withE ? { e: e! } : {}) };
  }
  let se = 0;
  let ape = 0;
  let wsum = 0;
  for (const r of records) {
    const pred = k.a + k.b * P(r) + k.c * D(r) + k.d * K(r) + (k.e ?? 0) * pairsOf(r);
    const wi = r.weight ?? 1;
    se += wi * (pred - r.seconds) ** 2;
    ape += wi * Math.abs(pred / r.seconds - 1);
    wsum += wi;
  }
  return {
    coefficients: k,
    rmseSeconds: Math.sqrt(se / wsum),
    mape: ape / wsum,
    records: records.length,
    method,
  };
}

/** Scales of a roofline fitted to measurements: t = overhead + α·compute + β·memory (BLIS "trained physics"). */
export interface RooflineScaleFit {
  /** Seconds per step. */
  readonly overheadSeconds: number;
  /** Multiplier on the peak compute time (1 / effective compute efficiency). */
  readonly computeScale: number;
  /** Multiplier on the peak memory time (1 / effective bandwidth efficiency). */
  readonly memoryScale: number;
  readonly mape: number;
}

/** A measured step with the roofline terms of its own model and GPU (so fits transfer across hardware). */
export interface RooflineRecord {
  readonly terms: RooflineTerms;
  readonly seconds: number;
  readonly weight?: number;
}

/**
 * Fits t = overhead + α·computeSeconds + β·memorySeconds over steps measured on any model and GPU
 * (the terms normalise them), so efficiencies measured elsewhere can be carried to a new pair
 * (BLIS trained-physics form, serving.md §2.2, reduced to three terms).
 */
export function fitRooflineScales(records: readonly RooflineRecord[]): RooflineScaleFit {
  if (records.length < 3)
    throw new MemlensError("invalid-value", "fitRooflineScales needs at least three records", "records");
  const x = records.map((r) => [1, r.terms.computeSeconds, r.terms.memorySeconds]);
  const w = records.map((r) => r.weight ?? 1);
  const [o, a, b] = solveLeastSquares(
    x,
    records.map((r) => r.seconds),
    w,
  );
  let ape = 0;
  let wsum = 0;
  records.forEach((r, i) => {
    const pred = o! + a! * r.terms.computeSeconds + b! * r.terms.memorySeconds;
    ape += w[i]! * Math.abs(pred / r.seconds - 1);
    wsum += w[i]!;
  });
  return { overheadSeconds: o!, computeScale: a!, memoryScale: b!, mape: ape / wsum };
}

/** Step time from fitted roofline scales: overhead + α·compute + β·memory at peak. */
export function scaledRooflineStepTime(p: RooflineStepParams, s: RooflineScaleFit): StepTimeModel {
  return (b) => {
    const r = rooflineTerms(p, b);
    return s.overheadSeconds + s.computeScale * r.computeSeconds + s.memoryScale * r.memorySeconds;
  };
}
