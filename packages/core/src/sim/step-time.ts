/**
 * The simulator's step time beyond the roofline (which lives in perf/roofline.ts, shared with
 * estimate and the planner): the calibration hook (a linear model fitted to measured steps, a
 * drop-in `StepTimeModel`) and roofline scales fitted to measurements.
 */
import { MemlensError } from "../errors/memlens-error.js";
import { type RooflineStepParams, type RooflineTerms, rooflineTerms } from "../perf/roofline.js";
import type { StepBatch, StepTimeModel } from "../perf/step-cost.js";
import { solveLeastSquares } from "./least-squares.js";

export type { StepBatch, StepTimeModel } from "../perf/step-cost.js";

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
