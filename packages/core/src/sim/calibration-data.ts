import { MemlensError } from "../errors/memlens-error.js";
import type { LinearStepCoefficients, StepBatch, StepRecord, StepTimeModel } from "./step-time.js";

/**
 * Readers for the public calibration data in `fixtures/traces/calibration/` (SOURCES.md §6):
 * SplitwiseSim's measured `perf_model.csv` (Patel et al., ISCA'24) becomes step records for
 * `fitLinearStepTime`; DistServe's fitted profiles (`profiler-a100-80g.*.json`, OSDI'24) become
 * linear coefficients directly. Text in, data out (no I/O).
 */

/** One measured configuration of SplitwiseSim's perf_model.csv (times converted to seconds). */
export interface SplitwiseRow {
  readonly model: string;
  readonly hardware: string;
  readonly tensorParallel: number;
  readonly promptTokens: number;
  readonly batchSize: number;
  readonly outputTokens: number;
  /** Time of the batched prompt phase (prompt_time, ms → s). */
  readonly promptSeconds: number;
  /** Mean time of one decode iteration over the output (token_time, ms → s). */
  readonly tokenSeconds: number;
}

/** Parses Mutinifni/splitwise-sim data/perf_model.csv. */
export function parseSplitwisePerfModel(text: string): SplitwiseRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const col = (name: string) => {
    const j = header.indexOf(name);
    if (j < 0)
      throw new MemlensError("malformed-file", `perf_model.csv line 1: missing column "${name}"`, name);
    return j;
  };
  const c = {
    model: col("model"),
    hw: col("hardware"),
    prompt: col("prompt_size"),
    batch: col("batch_size"),
    tokens: col("token_size"),
    pt: col("prompt_time"),
    tt: col("token_time"),
    tp: col("tensor_parallel"),
  };
  return lines.slice(1).map((line, i) => {
    const f = line.split(",");
    const num = (j: number, name: string) => {
      const v = Number(f[j]);
      if (!Number.isFinite(v) || v < 0)
        throw new MemlensError(
          "malformed-file",
          `perf_model.csv line ${i + 2}: field "${name}" must be a number ≥ 0, got ${JSON.stringify(f[j])}`,
          name,
        );
      return v;
    };
    return {
      model: (f[c.model] ?? "").trim(),
      hardware: (f[c.hw] ?? "").trim(),
      tensorParallel: num(c.tp, "tensor_parallel"),
      promptTokens: num(c.prompt, "prompt_size"),
      batchSize: num(c.batch, "batch_size"),
      outputTokens: num(c.tokens, "token_size"),
      promptSeconds: num(c.pt, "prompt_time") / 1000,
      tokenSeconds: num(c.tt, "token_time") / 1000,
    };
  });
}

/**
 * Step records from Splitwise rows: each row is one prefill step (batch × prompt tokens) and one
 * mean decode step (batch sequences at a mean context of prompt + output/2).
 */
export function splitwiseStepRecords(rows: readonly SplitwiseRow[]): StepRecord[] {
  const out: StepRecord[] = [];
  for (const r of rows) {
    const p = r.promptTokens;
    const b = r.batchSize;
    out.push({
      batch: {
        prefillTokens: p * b,
        decodeSeqs: 0,
        kvTokensRead: p * b,
        prefillAttentionPairs: (b * p * (p + 1)) / 2,
      },
      seconds: r.promptSeconds,
    });
    out.push({
      batch: { prefillTokens: 0, decodeSeqs: b, kvTokensRead: b * (p + r.outputTokens / 2 + 1) },
      seconds: r.tokenSeconds,
    });
  }
  return out;
}

/** DistServe's fitted profile of one model and TP degree (times in ms, as in the JSON). */
export interface DistServeProfile {
  /** prefill_ms = a + b·ΣL + c·ΣL². */
  readonly prefill: readonly [number, number, number];
  /** decode_ms = a + b·Σctx + c·batch, below the threshold batch size. */
  readonly decodingSmallBatch: readonly [number, number, number];
  /** Same form at or above the threshold. */
  readonly decodingLargeBatch: readonly [number, number, number];
  readonly largeBatchThreshold: number;
}

/** Reads one model/TP entry of DistServe's `profiler-*.json` (simdistserve/estimators/profile_data). */
export function parseDistServeProfile(text: string, model: string, tensorParallel: number): DistServeProfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MemlensError(
      "malformed-file",
      `DistServe profile is not valid JSON: ${(e as Error).message}`,
      "(json)",
    );
  }
  const models = json as Record<string, Record<string, Record<string, unknown>>>;
  const entry = models[model]?.[String(tensorParallel)];
  if (!entry)
    throw new MemlensError(
      "invalid-value",
      `DistServe profile has no ${model} at tp ${tensorParallel}`,
      "model",
      Object.keys(models),
    );
  const triple = (k: string): [number, number, number] => {
    const v = entry[k];
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== "number"))
      throw new MemlensError("malformed-file", `DistServe profile field "${k}" must be three numbers`, k);
    return [v[0], v[1], v[2]];
  };
  return {
    prefill: triple("prefill"),
    decodingSmallBatch: triple("decoding_smallbs"),
    decodingLargeBatch: triple("decoding_largebs"),
    largeBatchThreshold: Number(entry["decoding_large_small_bs_threshold"] ?? 0),
  };
}

/**
 * DistServe's fit as our linear coefficients: a, c, d from the decode fit, b from the prefill fit's
 * ΣL term and e = 2·c_prefill (one prompt of L has L(L+1)/2 query·key pairs ≈ L²/2).
 */
export function distServeCoefficients(p: DistServeProfile, largeBatch: boolean): LinearStepCoefficients {
  const [da, db, dc] = largeBatch ? p.decodingLargeBatch : p.decodingSmallBatch;
  return { a: da / 1000, b: p.prefill[1] / 1000, c: dc / 1000, d: db / 1000, e: (2 * p.prefill[2]) / 1000 };
}

/**
 * DistServe's step time as it models it (simdistserve/estimators/time_estimator.py): a prefill-only
 * step uses the prefill fit (with its own intercept), any step with decodes the decode fit of its
 * batch-size regime plus the prefill tokens' ΣL and ΣL² terms.
 */
export function distServeStepTime(p: DistServeProfile): StepTimeModel {
  return (b: StepBatch) => {
    const sumL2 = Math.max(0, 2 * b.prefillAttentionPairs - b.prefillTokens);
    const prefillMs = p.prefill[1] * b.prefillTokens + p.prefill[2] * sumL2;
    if (b.decodeSeqs === 0) return (p.prefill[0] + prefillMs) / 1000;
    const [a, bb, c] = b.decodeSeqs >= p.largeBatchThreshold ? p.decodingLargeBatch : p.decodingSmallBatch;
    return (a + bb * b.decodeContextTokens + c * b.decodeSeqs + prefillMs) / 1000;
  };
}
