/**
 * The serving simulator: discrete events, vLLM v1's scheduler and paged KV block pool (prefix
 * caching, preemption by recompute), static batching, disaggregated prefill/decode, contiguous and
 * radix KV managers, KV quantization and eviction policies, trace parsers and metrics. Pure and
 * deterministic; `simulateServing` is the entry point.
 */

export { type ModelStep, type ModelStepInput, modelStep, modelStepTime } from "../perf/model-step.js";
export {
  type RooflineStepParams,
  type RooflineTerms,
  rooflineStepTime,
  rooflineTerms,
} from "../perf/roofline.js";
export { blockHashesOfCoarseIds, blockHashesOfTokens, hashBlock } from "./block-hash.js";
export { BlockPool } from "./block-pool.js";
export {
  type DistServeProfile,
  distServeCoefficients,
  distServeStepTime,
  parseDistServeProfile,
  parseSplitwisePerfModel,
  type SplitwiseRow,
  splitwiseStepRecords,
} from "./calibration-data.js";
export { ContiguousKvManager, type ContiguousReservation } from "./contiguous-kv-manager.js";
export type { Engine, EngineHooks, KvCost } from "./engine.js";
export { EventQueue } from "./event-queue.js";
export {
  makeRouter,
  parseRouter,
  type ReplicaMetrics,
  ROUTERS,
  type Router,
  replicaMetrics,
} from "./fleet.js";
export type { AllocateOptions, KvManager, KvManagerStats } from "./kv-manager.js";
export {
  blocksForTokens,
  KV_STORAGE_DTYPES,
  type KvEviction,
  type KvStorage,
  type KvStorageDtype,
  type KvStorageSizes,
  kvBitsPerElement,
  kvBytesRead,
  kvStorageOfDtype,
  kvStorageSizes,
  residentTokens,
} from "./kv-policy.js";
export { type LatencySummary, percentileSorted, summarize } from "./metrics.js";
export {
  interpolate,
  LLAMA_PROFILE_ARCHITECTURE,
  type OperatorProfile,
  type ProfileArchitecture,
  type ProfileRecordLimits,
  parseOperatorProfile,
  stepRecordsFromOperatorProfile,
} from "./operator-profile.js";
export { PagedKvManager, type PagedKvOptions } from "./paged-kv-manager.js";
export {
  drawPagingPicture,
  type PagingCell,
  type PagingPicture,
  type PagingPictureOptions,
} from "./paging-picture.js";
export { RadixKvManager, type RadixKvOptions } from "./radix-kv-manager.js";
export { createSimRequest, type RequestContent, type SimRequest, type WorkloadRequest } from "./request.js";
export { createRng, type Rng } from "./rng.js";
export {
  type ServingSetup,
  type ServingSetupInput,
  servingSetup,
  vllmAcceptsKvDtype,
} from "./serving-setup.js";
export {
  type DisaggregationOptions,
  type KvCacheOptions,
  type RequestTiming,
  type ServingMetrics,
  type SimulateServingOptions,
  type SimulationResult,
  simulateServing,
} from "./simulate-serving.js";
export { StaticBatchEngine } from "./static-engine.js";
export {
  fitLinearStepTime,
  fitRooflineScales,
  type LinearStepCoefficients,
  type LinearStepFit,
  type LinearStepFitOptions,
  linearStepTime,
  type RooflineRecord,
  type RooflineScaleFit,
  type StepBatch,
  type StepRecord,
  type StepTimeModel,
  scaledRooflineStepTime,
} from "./step-time.js";
export * from "./trace-parsers.js";
export { VllmEngine, type VllmSchedulerConfig } from "./vllm-engine.js";
export {
  type ArrivalProcess,
  arrivalTimes,
  type GeneratedWorkload,
  generateWorkload,
  type LengthDistribution,
  MAX_REQUEST_TOKENS,
  sampleLength,
  withArrivals,
} from "./workload.js";
