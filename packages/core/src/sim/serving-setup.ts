/**
 * From a vLLM serving configuration to the simulator's inputs, once for the CLI (`memlens
 * simulate`) and the web serving page: core's vLLM start-up estimate sizes the KV block pool and
 * the scheduler's token budget, `modelStep` gives the roofline step-time inputs per GPU, and the
 * KV storage format decides the bytes per token. Plain data, so a Web Worker can receive it.
 */
import { findGpu } from "../catalog/gpu-lookup.js";
import { kvShareOfRank } from "../estimate/devices.js";
import { type VllmStartup, vllmEngine, vllmStartup } from "../estimate/engines/vllm/index.js";
import { estimate } from "../estimate/estimate.js";
import type { EngineInput, Estimate } from "../estimate/estimate-types.js";
import { kvBytesPerToken, uniformKvLayout } from "../estimate/kv-cache.js";
import { parseWeightFormat } from "../estimate/weights.js";
import type { ModelSpec } from "../models/model-spec.js";
import { type ModelStep, modelStep } from "../perf/model-step.js";
import { parseScenario } from "../scenario/scenario.js";
import {
  type KvEviction,
  type KvStorage,
  type KvStorageDtype,
  kvBitsPerElement,
  kvStorageOfDtype,
} from "./kv-policy.js";
import type { KvCacheOptions } from "./simulate-serving.js";

/** Whether vLLM takes `dtype` as its `--kv-cache-dtype` (else the pool is its 16-bit memory re-cut). */
export function vllmAcceptsKvDtype(dtype: string): boolean {
  return vllmEngine.kvDtypes.includes(dtype);
}

/** A vLLM serving configuration, as `vllm serve` flags and the model it serves. */
export interface ServingSetupInput {
  /** SCENARIO.md model reference (`{ id }`, `{ hfConfig }`...) and its ModelSpec (core reads no files). */
  readonly model: unknown;
  readonly spec: ModelSpec;
  /** Catalog GPU id. */
  readonly gpu: string;
  /** GPUs of one vLLM instance, all tensor parallel. */
  readonly tensorParallel: number;
  readonly maxModelLen: number;
  readonly maxNumSeqs: number;
  /** `--block-size` (default 16). */
  readonly blockSize?: number;
  /** `--enable-prefix-caching` (default true, as vLLM v1). */
  readonly enablePrefixCaching?: boolean;
  /** The simulator's KV storage by name (default auto); vLLM's own dtypes size the pool directly. */
  readonly kvDtype?: KvStorageDtype;
  /** The storage format in full (group size, KIVI residual); default `kvStorageOfDtype(kvDtype)`. */
  readonly kvStorage?: KvStorage;
  readonly kvManager?: KvCacheOptions["manager"];
  readonly kvEviction?: KvEviction;
  /** Weight format name (default: the checkpoint's). */
  readonly weights?: string;
  readonly gpuMemoryUtilization?: number;
  /** `--max-num-batched-tokens` (default: vLLM's for the GPU). */
  readonly maxNumBatchedTokens?: number;
  readonly engineVersion?: string;
  /** Blocks in the pool instead of the start-up estimate's (`--num-gpu-blocks`). */
  readonly numGpuBlocks?: number;
}

/** The simulator's inputs for a vLLM configuration, and what core's start-up estimate said. */
export interface ServingSetup {
  /** The SCENARIO.md object sent to `estimate()` (engine vllm). */
  readonly scenario: Record<string, unknown>;
  readonly estimate: Estimate;
  /** vLLM's start-up for the configuration (pool, token budget, weights per rank). */
  readonly startup: VllmStartup;
  /** Why vLLM would not start, or null (`startup.refusal`). */
  readonly refusal: string | null;
  readonly kvDtype: KvStorageDtype;
  readonly kvStorage: KvStorage;
  /** False when `kvDtype` is not a vLLM `--kv-cache-dtype`: the pool is vLLM's 16-bit KV memory re-cut in it. */
  readonly vllmKvDtype: boolean;
  /** Where the pool's size came from. */
  readonly poolSource: "estimate" | "numGpuBlocks";
  readonly maxNumBatchedTokens: number;
  /** KV bytes per token at 16 bits on one GPU: all layers, this rank's share of the KV heads. */
  readonly kvBytesPerTokenPerGpu16: number;
  /** The simulator's KV pool (`simulateServing`'s kvCache). */
  readonly kvCache: KvCacheOptions;
  /** Roofline step-time inputs per GPU (`modelStepTime` builds the function). */
  readonly step: ModelStep;
}

/** The estimate → simulator setup of a vLLM configuration (throws MemlensError on a bad scenario). */
export function servingSetup(i: ServingSetupInput): ServingSetup {
  const kvDtype = i.kvDtype ?? "auto";
  const kvStorage = i.kvStorage ?? kvStorageOfDtype(kvDtype);
  const vllmKvDtype = vllmAcceptsKvDtype(kvDtype);
  const blockSize = i.blockSize ?? 16;
  const enablePrefixCaching = i.enablePrefixCaching ?? true;
  const tp = i.tensorParallel;
  // The KV pool: core's vLLM start-up estimate for these settings (batch is max_num_seqs).
  const scenario = {
    model: i.model,
    engine: "vllm",
    hardware: { gpu: i.gpu, count: tp },
    parallel: { tensor: tp },
    contextLength: i.maxModelLen,
    batch: i.maxNumSeqs,
    kvCache: vllmKvDtype ? kvDtype : "auto",
    ...(i.weights !== undefined ? { weights: i.weights } : {}),
    engineOptions: {
      ...(i.gpuMemoryUtilization !== undefined ? { gpuMemoryUtilization: i.gpuMemoryUtilization } : {}),
      blockSize,
      enablePrefixCaching,
      ...(i.maxNumBatchedTokens !== undefined ? { maxNumBatchedTokens: i.maxNumBatchedTokens } : {}),
      ...(i.engineVersion !== undefined ? { engineVersion: i.engineVersion } : {}),
    },
  };
  const est = estimate(scenario, { modelSpec: i.spec });
  const gpu = findGpu(i.gpu);
  const format = parseWeightFormat(i.weights, i.spec, "weights");
  const input: EngineInput = {
    scenario: parseScenario(scenario),
    spec: i.spec,
    format,
    capacityBytes: gpu.memoryBytes,
    gpu,
    deviceCount: tp,
  };
  const startup = vllmStartup(input, i.maxModelLen, i.maxNumSeqs);
  const first = startup.stages[0];
  const kv16 = kvBytesPerToken(i.spec, uniformKvLayout("bf16")) * kvShareOfRank(i.spec, tp);
  // Not a vLLM dtype: the same pool memory, cut into blocks of the smaller format by the simulator.
  const pool: Pick<KvCacheOptions, "numGpuBlocks" | "memoryBytes"> =
    i.numGpuBlocks !== undefined
      ? { numGpuBlocks: i.numGpuBlocks }
      : vllmKvDtype
        ? { numGpuBlocks: startup.numGpuBlocks }
        : { memoryBytes: Math.max(0, first?.availableKvBytes ?? 0) };
  return {
    scenario,
    estimate: est,
    startup,
    refusal: startup.refusal,
    kvDtype,
    kvStorage,
    vllmKvDtype,
    poolSource: i.numGpuBlocks !== undefined ? "numGpuBlocks" : "estimate",
    maxNumBatchedTokens: startup.maxNumBatchedTokens,
    kvBytesPerTokenPerGpu16: kv16,
    kvCache: {
      manager: i.kvManager ?? "paged",
      ...pool,
      bytesPerToken: kv16,
      blockSize,
      enablePrefixCaching,
      storage: kvStorage,
      ...(i.kvEviction !== undefined ? { eviction: i.kvEviction } : {}),
    },
    step: modelStep({
      spec: i.spec,
      gpu,
      format,
      weightBytesPerGpu: first?.weightsBytes ?? 0,
      kvBytesPerTokenPerGpu: (kv16 * kvBitsPerElement(kvStorage)) / 16,
      tensorParallel: tp,
    }),
  };
}
