/**
 * The serving-capacity page's setup: core's `servingSetup` (the same one `memlens simulate`
 * calls) sizes the KV block pool from its vLLM start-up estimate and gives the roofline step
 * inputs, and a seeded generated workload supplies the requests. The result is a `ServingJob`
 * (plain data) that the simulator worker runs; nothing here simulates.
 */
import { type Estimate, type GpuSpec, issueText, type VllmStartup } from "@memlens/core";
import {
  type GeneratedWorkload,
  KV_STORAGE_DTYPES,
  type KvStorageDtype,
  type LengthDistribution,
  vllmAcceptsKvDtype,
  servingSetup as vllmServingSetup,
} from "@memlens/core/sim";
import type { ModelChoice } from "../lib/models.js";
import type { ServingJob } from "../worker/sim-job.js";
import { attempt, modelRef, type Outcome } from "./scenario.js";

/** KV storage choices the page offers: the simulator's formats vLLM takes as `--kv-cache-dtype`. */
export const SERVING_KV_DTYPES: readonly KvStorageDtype[] = KV_STORAGE_DTYPES.filter(vllmAcceptsKvDtype);
export type ServingKvDtype = KvStorageDtype;

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
  /** vLLM's start-up as core's typed report (KV tokens, concurrency, per-stage memory). */
  readonly startup: VllmStartup;
  /** vLLM's num_gpu_blocks from core's start-up estimate. */
  readonly numGpuBlocks: number;
  readonly maxNumBatchedTokens: number;
  readonly job: ServingJob;
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

/** The setup for the simulator, or why there is none (bad input, or vLLM would not start). */
export function servingSetup(i: ServingInput): Outcome<ServingSetup> {
  const r = attempt(() =>
    vllmServingSetup({
      model: modelRef(i.model),
      spec: i.model.spec,
      gpu: i.gpu.id,
      tensorParallel: i.tensorParallel,
      maxModelLen: i.maxModelLen,
      maxNumSeqs: i.maxNumSeqs,
      blockSize: i.blockSize,
      enablePrefixCaching: i.enablePrefixCaching,
      kvDtype: i.kvCache,
    }),
  );
  if (!r.ok) return r;
  const { refusal, startup, kvCache, maxNumBatchedTokens } = r.value;
  const numGpuBlocks = startup.numGpuBlocks;
  if (refusal !== null || numGpuBlocks < 2)
    return {
      ok: false,
      code: "does-not-fit",
      message:
        refusal !== null
          ? issueText({ code: "engine-refuses", engine: "vllm", reason: refusal })
          : `core's vLLM estimate leaves ${numGpuBlocks} KV blocks: nothing to serve with.`,
    };
  const job: ServingJob = {
    workload: servingWorkload(i),
    step: r.value.step,
    serving: {
      scheduler: "vllm",
      maxNumSeqs: i.maxNumSeqs,
      maxNumBatchedTokens,
      maxModelLen: i.maxModelLen,
      kvCache,
      timeSeriesPoints: 200,
    },
  };
  return {
    ok: true,
    value: {
      scenario: r.value.scenario,
      estimate: r.value.estimate,
      startup,
      numGpuBlocks,
      maxNumBatchedTokens,
      job,
    },
  };
}

/** The capacity sweep's arrival rates: the chosen rate times SWEEP_FACTORS. */
export function sweepRates(ratePerSecond: number): number[] {
  return SWEEP_FACTORS.map((k) => k * ratePerSecond);
}
