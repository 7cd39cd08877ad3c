/**
 * vLLM as one Engine: what it accepts, its defaults, and its start-up (startup.ts) as a typed
 * report. The SCENARIO.md `engine` record is made only by `toJson`.
 */
import { GIB } from "../../../units/units.js";
import type { DeviceBytes, EngineInput } from "../../estimate-types.js";
import { type KvLayoutOptions, uniformKvLayout } from "../../kv-cache.js";
import { isCheckpointWeightName } from "../../weights.js";
import type { Engine, EngineCapabilities, EngineIssue, EngineJson, EngineResult } from "../engine.js";
import {
  cudaContextBytes,
  defaultMaxNumBatchedTokens,
  defaultMaxNumSeqs,
  gpuVisibleMemory,
  VLLM_BLOCK_SIZE,
  VLLM_KV_DTYPES,
  type VllmStartup,
  vllmStartup,
} from "./startup.js";

export * from "./activations.js";
export * from "./behaviour.js";
export * from "./kv.js";
export * from "./startup.js";
export * from "./weights.js";

/** What vLLM decided at start-up for one (max_model_len, max_num_seqs). */
export interface VllmReport {
  readonly engine: "vllm";
  readonly startup: VllmStartup;
}

/**
 * What vLLM loads and the planner searches. SGLang takes the same: its --kv-cache-dtype and
 * quantization names are vLLM's, and it too pre-allocates a KV pool from free memory.
 */
export const VLLM_CAPABILITIES: EngineCapabilities = {
  kvDtypes: VLLM_KV_DTYPES,
  acceptsWeights: isCheckpointWeightName,
  searchKvDtypes: ["auto", "fp8"],
  searchWeights: ["bf16", "fp8", "awq", "gptq"],
  maxSequences: null,
  kvPool: true,
};

/**
 * vLLM's memory() answer. Its prose is read once, by estimate(), and never by the searches'
 * probes, so `notes` is built on first read (a getter on the class: an object literal with a
 * getter costs as much to create as the sentences themselves).
 */
class VllmResult implements EngineResult<VllmReport> {
  #notes: string[] | undefined;
  constructor(
    readonly devices: readonly DeviceBytes[],
    readonly report: VllmReport,
    readonly issues: readonly EngineIssue[],
    readonly kvLayout: KvLayoutOptions,
    readonly kvPoolTokens: number,
    private readonly batch: number,
  ) {}

  get notes(): readonly string[] {
    this.#notes ??= vllmNotes(this.report.startup, this.batch);
    return this.#notes;
  }
}

/** What estimate() says about vLLM's start-up: the KV budget's terms and the profile run. */
function vllmNotes(s: VllmStartup, batch: number): string[] {
  const notes = [
    `vLLM ${s.behaviour.engine === "v0" ? "V0 engine" : `v${s.behaviour.version.replace(/^v/, "")}`} start-up: requested = ${(s.visibleMemoryBytes / GIB).toFixed(2)} GiB × gpu_memory_utilization ${s.gpuMemoryUtilization}; KV cache = requested − weights − activation peak − non-torch${s.behaviour.subtractsCudaGraphs ? " − CUDA graphs" : ""}.`,
    `Activation peak = profile run over max_num_batched_tokens ${s.maxNumBatchedTokens} plus the sampler over max_num_seqs ${Math.min(batch, s.maxNumBatchedTokens)} (scenario batch); a default \`vllm serve\` uses max_num_seqs ${defaultMaxNumSeqs(s.maxNumBatchedTokens, s.behaviour.engine)} here.`,
  ];
  if (s.layout.groups.length > 1)
    notes.push(
      `Hybrid KV cache: ${s.layout.groups.length} groups of ${Math.max(...s.layout.groups.map((g) => g.layers.length))} layers sharing one pool (kv_cache_utils).`,
    );
  return notes;
}

/** "Maximum concurrency for N tokens per request: X" as vLLM's log line prints X (2 decimals). */
export const vllmLoggedConcurrency = (s: VllmStartup): number => Math.round(s.maxConcurrency * 100) / 100;

/**
 * vLLM (v1 engine): weights as loaded per GPU, the profile run's activation peak, non-torch
 * memory and CUDA graphs, and a paged KV pool that fills the rest of
 * gpu_memory_utilization × total memory. `contextLength` is max_model_len, `batch` max_num_seqs.
 * The scenario fits when the pool holds one max_model_len request (vLLM refuses to start
 * otherwise); `kvPoolTokens` is how many tokens of such requests it holds.
 */
export const vllmEngine: Engine<VllmReport> = {
  name: "vllm",
  label: "vLLM",
  ...VLLM_CAPABILITIES,
  defaults(gpu, deviceCount) {
    const mnbt = gpu ? defaultMaxNumBatchedTokens(gpu, gpuVisibleMemory(gpu)) : 2048;
    return {
      maxNumSeqs: defaultMaxNumSeqs(mnbt),
      blockSize: VLLM_BLOCK_SIZE,
      contextBytes: cudaContextBytes(deviceCount),
    };
  },
  memory(input: EngineInput, contextLength: number, batch: number): EngineResult<VllmReport> {
    const s = vllmStartup(input, contextLength, batch);
    const tp = input.scenario.parallel.tensor;
    const world = tp * input.scenario.parallel.pipeline;
    const context = cudaContextBytes(world);
    const devices: DeviceBytes[] = [];
    for (const st of s.stages)
      for (let r = 0; r < tp; r++) {
        const overhead = context + st.nonTorchBytes + st.cudaGraphBytes;
        devices.push({
          weights: st.weightsBytes,
          kvCache: st.poolBytes,
          activations: st.activationPeakBytes,
          gradients: 0,
          optimizerStates: 0,
          overhead,
          total: st.weightsBytes + st.poolBytes + st.activationPeakBytes + overhead,
        });
      }
    const issues: EngineIssue[] = s.refusal
      ? [{ code: "engine-refuses", engine: "vllm", reason: s.refusal }]
      : [];
    return new VllmResult(
      devices,
      { engine: "vllm", startup: s },
      issues,
      uniformKvLayout(s.kvDtype),
      s.refusal ? 0 : Math.floor(s.maxConcurrency * contextLength),
      batch,
    );
  },
  toJson({ startup: s }: VllmReport): EngineJson {
    const first = s.stages[0]!;
    return {
      engineVersion: s.behaviour.version,
      gpuMemoryUtilization: s.gpuMemoryUtilization,
      totalMemoryBytes: s.visibleMemoryBytes,
      requestedMemoryBytes: s.requestedMemoryBytes,
      weightsBytes: first.weightsBytes,
      activationPeakBytes: first.activationPeakBytes,
      nonTorchBytes: first.nonTorchBytes,
      cudaGraphBytes: first.cudaGraphBytes,
      nonKvCacheBytes: first.weightsBytes + first.activationPeakBytes + first.nonTorchBytes,
      kvCacheBytes: Math.max(0, first.availableKvBytes),
      kvCacheTokens: s.kvCacheTokens,
      numGpuBlocks: s.numGpuBlocks,
      maxConcurrency: vllmLoggedConcurrency(s),
      blockSize: s.blockSize,
      maxNumBatchedTokens: s.maxNumBatchedTokens,
      kvCacheGroups: s.layout.groups.length,
    };
  },
};
