/**
 * The serving-capacity page's setup: core's vLLM start-up estimate sizes the KV block pool
 * (`engine.numGpuBlocks`), core's roofline step model times each engine step, and a seeded
 * generated workload supplies the requests. The result is a `ServingJob` (plain data) that the
 * simulator worker runs; nothing here simulates.
 */
import {
  countElements,
  DEFAULT_EFFICIENCY,
  type Estimate,
  estimate,
  estimateWeights,
  type GpuSpec,
  type KvLayoutOptions,
  kvBytesPerToken,
  kvShareOfRank,
  type ModelSpec,
  parseWeightFormat,
  type WeightFormat,
} from "@memlens/core";
import type { GeneratedWorkload, LengthDistribution, RooflineStepParams } from "@memlens/core/sim";
import type { ModelChoice } from "../lib/models.js";
import type { ServingJob } from "../worker/sim-job.js";
import { attempt, inferenceScenario, type Outcome } from "./scenario.js";

/** vLLM `--kv-cache-dtype` choices the page offers. */
export const SERVING_KV_DTYPES = ["auto", "fp8"] as const;
export type ServingKvDtype = (typeof SERVING_KV_DTYPES)[number];

/** How spread out request lengths are around their median. */
export const LENGTH_SPREADS = ["fixed", "lognormal-0.5", "lognormal-1"] as const;
export type LengthSpread = (typeof LENGTH_SPREADS)[number];

/** Shared system prompts: requests start with one of this many distinct prefixes. */
export const SHARED_PREFIX_GROUPS = 4;

/** Arrival rate multiples of the chosen rate that the capacity sweep simulates. */
export const SWEEP_FACTORS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4] as const;

export interface ServingInput {
  readonly model: ModelChoice;
  readonly gpu: GpuSpec;
  /** GPUs of one vLLM instance, all tensor parallel. */
  readonly tensorParallel: number;
  readonly kvCache: ServingKvDtype;
  readonly maxNumSeqs: number;
  readonly maxModelLen: number;
  readonly blockSize: number;
  readonly enablePrefixCaching: boolean;
  readonly requests: number;
  readonly ratePerSecond: number;
  readonly promptMedianTokens: number;
  readonly outputMedianTokens: number;
  readonly lengthSpread: LengthSpread;
  /** Tokens of shared system prompt at the start of every request (0 = unique prompts). */
  readonly sharedPrefixTokens: number;
  readonly seed: number;
}

export interface ServingSetup {
  /** The SCENARIO.md object sent to `estimate()` (engine vllm). */
  readonly scenario: Record<string, unknown>;
  readonly estimate: Estimate;
  /** vLLM's num_gpu_blocks from core's start-up estimate. */
  readonly numGpuBlocks: number;
  readonly maxNumBatchedTokens: number;
  readonly job: ServingJob;
}

/** The vLLM scenario for the page's engine settings (max_model_len = context, max_num_seqs = batch). */
export function servingScenario(i: ServingInput): Record<string, unknown> {
  return {
    ...inferenceScenario({
      model: i.model,
      gpuId: i.gpu.id,
      gpuCount: i.tensorParallel,
      tensorParallel: i.tensorParallel,
      engine: "vllm",
      kvCache: i.kvCache,
      contextLength: i.maxModelLen,
      batch: i.maxNumSeqs,
    }),
    engineOptions: { blockSize: i.blockSize, enablePrefixCaching: i.enablePrefixCaching },
  };
}

/** Lengths around `median`, clamped to [1, max]. */
export function lengthDistribution(median: number, spread: LengthSpread, max: number): LengthDistribution {
  switch (spread) {
    case "fixed":
      return { kind: "fixed", tokens: Math.min(median, max) };
    case "lognormal-0.5":
      return { kind: "lognormal", median: Math.min(median, max), sigma: 0.5, min: 1, max };
    case "lognormal-1":
      return { kind: "lognormal", median: Math.min(median, max), sigma: 1, min: 1, max };
  }
}

/**
 * The generated workload. Output lengths are capped at a quarter of max_model_len and prompts at
 * the rest, so no request is refused at intake and every configured request completes.
 */
export function servingWorkload(i: ServingInput): GeneratedWorkload {
  const outputMax = Math.max(1, Math.floor(i.maxModelLen / 4));
  const promptMax = i.maxModelLen - outputMax;
  return {
    requests: i.requests,
    arrival: { kind: "poisson", ratePerSecond: i.ratePerSecond },
    promptTokens: lengthDistribution(i.promptMedianTokens, i.lengthSpread, promptMax),
    outputTokens: lengthDistribution(i.outputMedianTokens, i.lengthSpread, outputMax),
    seed: i.seed,
    ...(i.sharedPrefixTokens > 0
      ? { sharedPrefix: { tokens: i.sharedPrefixTokens, groups: SHARED_PREFIX_GROUPS } }
      : {}),
  };
}

/**
 * Attention FLOPs per query·key pair over all layers: QKᵀ and AV, 2 FLOPs per multiply-add
 * (the same count as core's perf/roofline.ts attentionFlopsPerToken; sliding windows ignored).
 * TODO(core): core's sim has no "step parameters from a ModelSpec" helper yet; move this there.
 */
export function attentionFlopsPerPair(spec: ModelSpec): number {
  let f = 0;
  for (const l of spec.layers) {
    const m = l.mixer;
    if (m.kind === "attention") f += 2 * m.numHeads * (m.headDim + m.valueHeadDim);
    else if (m.kind === "mla") f += 2 * m.numHeads * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.valueHeadDim);
  }
  return f;
}

const layoutOf = (dtype: "bf16" | "fp8"): KvLayoutOptions => ({
  kDtype: dtype,
  vDtype: dtype,
  mla: "latent",
  recurrent: "hf",
  recurrentDtypeBytes: 2,
});

/** KV bytes per token on one tensor-parallel rank, all layers (core's kv-cache sizes and TP share). */
export function kvBytesPerTokenPerGpu(
  spec: ModelSpec,
  tensorParallel: number,
  dtype: "bf16" | "fp8",
): number {
  return kvBytesPerToken(spec, layoutOf(dtype)) * kvShareOfRank(spec, tensorParallel);
}

/** Peak FLOP/s of the dtype the weights compute in (as core's perf/roofline.ts computeDtypeOf). */
function peakFlopsPerSecond(format: WeightFormat, gpu: GpuSpec): number {
  const f = gpu.flopsPerSecond;
  const half = f.bf16 ?? f.fp16 ?? f.fp32 ?? 0;
  if (format.kind === "dense" && format.dtype === "fp32") return f.tf32 ?? f.fp32 ?? half;
  if (format.kind === "fp8" && f.fp8) return f.fp8;
  if (format.kind === "int8" && format.method === "w8a8" && f.int8) return f.int8;
  return half;
}

/**
 * Roofline step parameters per GPU for the checkpoint as published: weights from core's vLLM
 * rank weights less an untied input embedding (read one row per token), 2 FLOPs per active
 * non-embedding parameter per token (Kaplan et al. 2020), attention FLOPs per pair, KV bytes per
 * token in the stored dtype, the GPU's peak FLOP/s and bandwidth at core's default efficiency.
 * MoE steps are charged every expert (an upper bound at small batches).
 */
export function servingStepParams(i: ServingInput, e: Estimate): RooflineStepParams {
  const spec = i.model.spec;
  const tp = i.tensorParallel;
  const format = parseWeightFormat(undefined, spec);
  let embeddingElements = 0;
  for (const t of spec.tensors)
    if (t.role === "embedding" || t.role === "position-embedding")
      embeddingElements += countElements(t.shape);
  const lookupOnly = spec.tiedEmbeddings ? 0 : embeddingElements;
  const embeddingUnread = spec.tiedEmbeddings ? 0 : estimateWeights(spec, format).embeddingBytes / tp;
  return {
    weightBytes: Math.max(0, (e.devices[0]?.bytes.weights ?? 0) - embeddingUnread),
    flopsPerToken: (2 * (spec.activeParameters - lookupOnly)) / tp,
    attentionFlopsPerPair: attentionFlopsPerPair(spec) / tp,
    kvBytesPerToken: kvBytesPerTokenPerGpu(spec, tp, i.kvCache === "fp8" ? "fp8" : "bf16"),
    bandwidthBytesPerSecond: i.gpu.bandwidthBytesPerSecond,
    flopsPerSecond: peakFlopsPerSecond(format, i.gpu),
    computeEfficiency: DEFAULT_EFFICIENCY.compute,
    memoryEfficiency: DEFAULT_EFFICIENCY.memory,
  };
}

const REFUSAL = "vLLM would not start: ";

/** The setup for the simulator, or why there is none (bad input, or vLLM would not start). */
export function servingSetup(i: ServingInput): Outcome<ServingSetup> {
  const scenario = servingScenario(i);
  const r = attempt(() => estimate(scenario, { modelSpec: i.model.spec }));
  if (!r.ok) return r;
  const e = r.value;
  const numGpuBlocks = Number(e.engine.numGpuBlocks ?? 0);
  const refusal = e.notes.find((n) => n.startsWith(REFUSAL));
  if (refusal || numGpuBlocks < 2)
    return {
      ok: false,
      code: "does-not-fit",
      message: refusal ?? `core's vLLM estimate leaves ${numGpuBlocks} KV blocks: nothing to serve with.`,
    };
  const maxNumBatchedTokens = Number(e.engine.maxNumBatchedTokens);
  // The simulator takes the 16-bit size and applies the storage format itself (kv-policy.ts).
  const kv16 = kvBytesPerTokenPerGpu(i.model.spec, i.tensorParallel, "bf16");
  const job: ServingJob = {
    workload: servingWorkload(i),
    step: servingStepParams(i, e),
    serving: {
      scheduler: "vllm",
      maxNumSeqs: i.maxNumSeqs,
      maxNumBatchedTokens,
      maxModelLen: i.maxModelLen,
      kvCache: {
        manager: "paged",
        numGpuBlocks,
        blockSize: i.blockSize,
        bytesPerToken: kv16,
        enablePrefixCaching: i.enablePrefixCaching,
        storage: { kind: i.kvCache === "fp8" ? "fp8" : "bf16" },
      },
      timeSeriesPoints: 200,
    },
  };
  return { ok: true, value: { scenario, estimate: e, numGpuBlocks, maxNumBatchedTokens, job } };
}

/** The capacity sweep's arrival rates: the chosen rate times SWEEP_FACTORS. */
export function sweepRates(ratePerSecond: number): number[] {
  return SWEEP_FACTORS.map((k) => k * ratePerSecond);
}
