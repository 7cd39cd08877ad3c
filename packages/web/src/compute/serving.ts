/**
 * The serving-capacity page's setup: core's vLLM start-up estimate sizes the KV block pool
 * (`engine.numGpuBlocks`), core's roofline step model times each engine step, and a seeded
 * generated workload supplies the requests. The result is a `ServingJob` (plain data) that the
 * simulator worker runs; nothing here simulates.
 */
import {
  type Estimate,
  estimate,
  type GpuSpec,
  type KvLayoutOptions,
  kvBytesPerToken,
  kvShareOfRank,
  type ModelSpec,
  parseWeightFormat,
} from "@memlens/core";
import {
  type GeneratedWorkload,
  type LengthDistribution,
  type ModelStep,
  modelStep,
} from "@memlens/core/sim";
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

/**
 * Step-time inputs per GPU for the checkpoint as published: core's `modelStep` over the vLLM rank
 * weights of the estimate and the KV bytes per token in the stored dtype (MoE steps read the
 * experts their tokens touch).
 */
export function servingStep(i: ServingInput, e: Estimate): ModelStep {
  const spec = i.model.spec;
  return modelStep({
    spec,
    gpu: i.gpu,
    format: parseWeightFormat(undefined, spec),
    weightBytesPerGpu: e.devices[0]?.bytes.weights ?? 0,
    kvBytesPerTokenPerGpu: kvBytesPerTokenPerGpu(
      spec,
      i.tensorParallel,
      i.kvCache === "fp8" ? "fp8" : "bf16",
    ),
    tensorParallel: i.tensorParallel,
  });
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
    step: servingStep(i, e),
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
