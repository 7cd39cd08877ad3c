/**
 * Speculative decoding on the roofline: a drafter proposes k tokens per sequence, the target
 * verifies them in one forward pass, and a step yields (1 − a^(k+1)) / (1 − a) tokens per sequence
 * in expectation when each draft token is accepted with probability a independently (Leviathan,
 * Kalman, Matias, "Fast Inference from Transformers via Speculative Decoding", ICML 2023,
 * arXiv:2211.17192, eq. 1). What the drafter costs, per method:
 *
 * - `draft`: a smaller model run k times autoregressively (its weights and its KV cache);
 * - `eagle`: a one-decoder-layer head over the target's features (Li et al., "EAGLE", ICML 2024,
 *   arXiv:2401.15077), costed as one of the target's layers, weights and KV, per draft token;
 * - `mtp`: the checkpoint's own multi-token-prediction module (the `mtp` tensors), per draft token,
 *   with one layer's KV;
 * - `ngram`: prompt lookup on the CPU, nothing on the GPU.
 */
import { MemlensError } from "../errors/memlens-error.js";
import { kvBytesPerToken, uniformKvLayout } from "../estimate/kv-cache.js";
import { estimateWeights, parseWeightFormat } from "../estimate/weights.js";
import { countElements, type ModelSpec } from "../models/model-spec.js";
import { communicationSeconds } from "./communication.js";
import {
  effectiveRoof,
  IDEAL_EFFICIENCY,
  type RooflineInput,
  rooflineSeconds,
  rooflineTermsOf,
} from "./roofline.js";
import { attentionFlopsPerToken, decodeStepCost, matmulFlopsPerToken, weightBytesRead } from "./step-cost.js";

export const SPECULATIVE_METHODS = ["draft", "eagle", "mtp", "ngram"] as const;
export type SpeculativeMethod = (typeof SPECULATIVE_METHODS)[number];

export interface SpeculativeOptions {
  readonly method: SpeculativeMethod;
  /** Draft tokens proposed per step (vLLM `num_speculative_tokens`), 1–16. */
  readonly numSpeculativeTokens: number;
  /** Probability that each draft token is accepted, in [0, 1]. */
  readonly acceptanceRate: number;
  /** The draft model (`method: "draft"` only). */
  readonly draft?: ModelSpec;
}

/** Expected tokens a step emits per sequence: (1 − a^(k+1)) / (1 − a); k + 1 when a = 1. */
export function expectedTokensPerStep(acceptanceRate: number, k: number): number {
  const a = acceptanceRate;
  if (a >= 1) return k + 1;
  return (1 - a ** (k + 1)) / (1 - a);
}

/** What the drafter keeps in GPU memory (one copy; split by tensor parallelism like the target). */
export interface DraftMemory {
  readonly weightBytes: number;
  /** KV bytes the drafter stores per token of context (16-bit). */
  readonly kvBytesPerToken: number;
}

const dtypeBytes = (spec: ModelSpec) => (spec.checkpointDtype === "fp32" ? 4 : 2);

/** The drafter's weights and KV per token, for `spec` as the target. */
export function draftMemory(spec: ModelSpec, s: SpeculativeOptions): DraftMemory {
  const layerKv = kvBytesPerToken(spec, uniformKvLayout("bf16")) / Math.max(1, spec.numLayers);
  switch (s.method) {
    case "ngram":
      return { weightBytes: 0, kvBytesPerToken: 0 };
    case "draft": {
      const d = s.draft;
      if (!d)
        throw new MemlensError("missing-field", "speculative draft needs the draft model", "speculative");
      return {
        weightBytes: estimateWeights(d, parseWeightFormat(undefined, d)).totalBytes,
        kvBytesPerToken: kvBytesPerToken(d, uniformKvLayout("bf16")),
      };
    }
    case "eagle": {
      const w = estimateWeights(spec, parseWeightFormat(undefined, spec));
      const layers = w.layerBytes.reduce((a, b) => a + b, 0);
      return { weightBytes: layers / Math.max(1, spec.numLayers), kvBytesPerToken: layerKv };
    }
    case "mtp": {
      let elements = 0;
      for (const t of spec.tensors) if (t.mtp) elements += countElements(t.shape);
      if (elements === 0)
        throw new MemlensError(
          "invalid-value",
          `speculative mtp: ${spec.id} ships no multi-token-prediction module; use eagle, ngram or draft:ID`,
          "speculative",
          ["draft", "eagle", "ngram"],
        );
      return { weightBytes: elements * dtypeBytes(spec), kvBytesPerToken: layerKv };
    }
  }
}

export interface SpeculativeEstimate {
  readonly method: SpeculativeMethod;
  readonly numSpeculativeTokens: number;
  readonly acceptanceRate: number;
  /** Tokens per sequence per step, in expectation (Leviathan et al. 2023, eq. 1). */
  readonly expectedTokensPerStep: number;
  /** The target's verify pass over k + 1 tokens per sequence. */
  readonly verifyStepSeconds: number;
  /** The k draft passes of one step. */
  readonly draftSeconds: number;
  /** Generated tokens per second, all sequences together, with speculation. */
  readonly decodeTokensPerSecond: number;
  readonly draftWeightBytes: number;
  readonly draftKvBytesPerToken: number;
}

/** Checks the options: a known method, k in 1–16, a in [0, 1], a draft model only with `draft`. */
export function checkSpeculative(s: SpeculativeOptions, field = "speculative"): SpeculativeOptions {
  if (!SPECULATIVE_METHODS.includes(s.method))
    throw new MemlensError(
      "invalid-value",
      `${field} must be one of draft:ID, eagle, mtp, ngram, got ${String(s.method)}`,
      field,
      [...SPECULATIVE_METHODS],
    );
  const k = s.numSpeculativeTokens;
  if (!Number.isInteger(k) || k < 1 || k > 16)
    throw new MemlensError(
      "invalid-value",
      `numSpeculativeTokens must be a whole number from 1 to 16, got ${k}`,
      "numSpeculativeTokens",
    );
  const a = s.acceptanceRate;
  if (!(a >= 0 && a <= 1))
    throw new MemlensError("invalid-value", `acceptanceRate must be from 0 to 1, got ${a}`, "acceptanceRate");
  if (s.method === "draft" && !s.draft)
    throw new MemlensError("missing-field", `${field} draft needs a model: draft:ID`, field);
  return s;
}

/**
 * Decode speed with speculation at `x.batch` sequences of `x.contextTokens`: per step, k draft
 * passes and one target pass over batch · (k + 1) tokens (weights read once, each sequence's KV
 * read once, FLOPs and all-reduces for every token), emitting batch · E[tokens] tokens.
 */
export function speculativePerformance(x: RooflineInput, s: SpeculativeOptions): SpeculativeEstimate {
  checkSpeculative(s);
  const k = s.numSpeculativeTokens;
  const roof = effectiveRoof(x.gpu, x.format, x.tensorParallel, x.efficiency);
  const tokens = x.batch * (k + 1);
  const verify = {
    bytes: weightBytesRead(x, tokens) + x.batch * x.contextTokens * x.kvBytesPerToken,
    flops: tokens * (matmulFlopsPerToken(x.spec) + attentionFlopsPerToken(x.spec, x.contextTokens)),
  };
  const comm = (n: number) => (x.communication ? communicationSeconds(x.communication, n) : 0);
  const verifyStepSeconds = rooflineSeconds(rooflineTermsOf(verify, roof), IDEAL_EFFICIENCY) + comm(tokens);
  const mem = draftMemory(x.spec, s);
  let draftPass = 0;
  if (s.method === "draft" && s.draft) {
    const d = s.draft;
    const w = estimateWeights(d, parseWeightFormat(undefined, d));
    const cost = decodeStepCost(
      {
        spec: d,
        weightBytes: w.totalBytes,
        expertBytes: w.expertBytes,
        embeddingBytes: w.embeddingBytes,
        kvBytesPerToken: mem.kvBytesPerToken,
      },
      x.batch,
      x.contextTokens,
    );
    draftPass = rooflineSeconds(rooflineTermsOf(cost, roof), IDEAL_EFFICIENCY) + comm(x.batch);
  } else if (s.method !== "ngram") {
    // One layer's weights and KV, and a layer's share of the target's FLOPs per token.
    const cost = {
      bytes: mem.weightBytes + x.batch * x.contextTokens * mem.kvBytesPerToken,
      flops:
        (x.batch * (matmulFlopsPerToken(x.spec) + attentionFlopsPerToken(x.spec, x.contextTokens))) /
        Math.max(1, x.spec.numLayers),
    };
    draftPass = rooflineSeconds(rooflineTermsOf(cost, roof), IDEAL_EFFICIENCY);
  }
  const draftSeconds = k * draftPass;
  const e = expectedTokensPerStep(s.acceptanceRate, k);
  return {
    method: s.method,
    numSpeculativeTokens: k,
    acceptanceRate: s.acceptanceRate,
    expectedTokensPerStep: e,
    verifyStepSeconds,
    draftSeconds,
    decodeTokensPerSecond: (x.batch * e) / (verifyStepSeconds + draftSeconds),
    draftWeightBytes: mem.weightBytes,
    draftKvBytesPerToken: mem.kvBytesPerToken,
  };
}
