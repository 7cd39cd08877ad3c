import type { GpuSpec } from "../../../catalog/gpu-types.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import type { ModelSpec } from "../../../models/model-spec.js";
import { deepFreeze, OwnerMemo } from "../../../units/memo.js";
import { type Bytes, bytes, GIB, MIB } from "../../../units/units.js";
import type { EngineInput } from "../../estimate-types.js";
import type { KvDtype } from "../../kv-cache.js";
import { computeDtypeOf, weightFormatKey } from "../../weights.js";
import { reportedTotalBytes } from "../cuda-context.js";
import { vllmActivationPeak } from "./activations.js";
import { type VllmBehaviour, vllmBehaviour } from "./behaviour.js";
import {
  groupSizeOnStage,
  type VllmKvLayout,
  vllmBlocksPerRequest,
  vllmKvLayout,
  vllmKvTokens,
  vllmMaxConcurrency,
  vllmNumBlocks,
} from "./kv.js";
import { vllmRankWeights, vllmStageOfLayers } from "./weights.js";

/**
 * vLLM's start-up memory arithmetic, reproduced without a GPU:
 * vllm/v1/worker/gpu_worker.py Worker.determine_available_memory
 *   requested  = total_memory × gpu_memory_utilization
 *   available  = requested − (weights + torch peak increase + non-torch increase)
 *                [− estimated CUDA graph memory, from v0.21 on (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS)]
 * then vllm/v1/core/kv_cache_utils.py turns `available` into blocks, tokens and concurrency.
 * The torch peak is what GPUModelRunner.profile_run allocates: one forward pass over
 * max_num_batched_tokens dummy tokens, then the sampler over max_num_seqs rows of logits.
 */

// Tensor parallel on NVSwitch GPUs (NVLink 4 and later: H100/H200/B200 SXM) from 0.12: NCCL's
// NVLink SHARP (NVLS) buffers, set up by the first collective of the profile run, raise
// non-torch memory to 2.07–2.21 GiB per GPU (TP2/TP4 v0.19 H100 logs), 1.85 GiB above one GPU.
// Up to 0.11 the NCCL set-up lands before the init snapshot ("Now take memory snapshot after NCCL
// is initialized", gpu_worker.py): TP2 on H100 adds 0.41 GiB in llm-d-planner's v0.11 runs.
// NVLS communicator set-up is memory intensive (NVIDIA/JAX-Toolbox#383, NeMo-Framework-Launcher#127
// set NCCL_NVLS_ENABLE=0 "for memory saving"); GPUs without NVLS (PCIe cards, NVLink 3 A100s)
// keep the single-GPU term: an 8-GPU v0.10 log shows ~0.2 GiB (issue 16), V0 workers on RTX
// 3090s "non_torch_memory takes 0.20GiB" (vllm PR #14447, turn 42).
const NVLS_NON_TORCH_BYTES = Math.round(1.85 * GIB);

/** Whether NCCL sets up NVLS buffers on this GPU (NVLink 4+ / NVSwitch); unknown GPUs: yes. */
export function ncclUsesNvls(gpu: GpuSpec | undefined): boolean {
  if (!gpu) return true;
  const m = /^NVLink (\d+)/.exec(gpu.interconnect.kind);
  return m !== null && Number(m[1]) >= 4;
}
// Memory in use before vLLM's first snapshot (CUDA context; NCCL communicators with several
// GPUs): free 78.68 of 79.19 GiB on one H100, 77.64–77.66 GiB with TP2/TP4.
const CONTEXT_BYTES_ONE_GPU = Math.round(0.51 * GIB);
const CONTEXT_BYTES_MULTI_GPU = Math.round(1.54 * GIB);
// "Estimated CUDA graph memory" (gpu_model_runner.profile_cudagraph_memory) grows with the
// number of graph pieces (one per layer and capture size): 0.23 GiB + 19 MiB per layer fits the
// v0.19 H100 logs (0.55–1.92 GiB, 24–80 layers) to about ±20%.
const CUDA_GRAPH_BASE_BYTES = Math.round(0.23 * GIB);
const CUDA_GRAPH_PER_LAYER_BYTES = 19 * MIB;
/**
 * What `torch.cuda.mem_get_info()` reports as total memory: the board minus what the driver
 * keeps. Where the catalog has the total CUDA printed for the GPU (`reportedTotals`, "cuda", each
 * with its source: H100 79.19 GiB from vLLM logs, RTX 4090 from the recorded vLLM 0.19 run, T4 from
 * a TensorFlow device log), that figure; other GPUs keep the H100's 1% driver reserve. Give
 * `hardware.memoryBytes` for an exact figure.
 */
const DRIVER_RESERVE_FRACTION = 1 - 79.19 / 80;

/** Memory `torch.cuda.mem_get_info()` reports on a catalog GPU (`total_memory` in vLLM's logs). */
export function gpuVisibleMemory(gpu: GpuSpec): Bytes {
  return reportedTotalBytes(gpu) ?? bytes(Math.floor(gpu.memoryBytes * (1 - DRIVER_RESERVE_FRACTION)));
}

/** Device memory vLLM sees (`total_memory` in its logs). */
export function cudaVisibleMemory(input: EngineInput): Bytes {
  const hw = input.scenario.hardware;
  if (!("gpu" in hw)) return input.capacityBytes;
  return input.gpu
    ? gpuVisibleMemory(input.gpu)
    : bytes(Math.floor(input.capacityBytes * (1 - DRIVER_RESERVE_FRACTION)));
}

/** Memory in use before the engine's first snapshot (CUDA context, NCCL). */
export const cudaContextBytes = (worldSize: number): Bytes =>
  bytes(worldSize > 1 ? CONTEXT_BYTES_MULTI_GPU : CONTEXT_BYTES_ONE_GPU);

/**
 * Scheduler defaults (vllm/engine/arg_utils.py EngineArgs.get_batch_defaults, OpenAI server):
 * on GPUs with ≥ 70 GiB that are not A100s, max_num_batched_tokens 8192; otherwise 2048.
 */
export function defaultMaxNumBatchedTokens(gpu: GpuSpec | undefined, visibleBytes: number): number {
  const isA100 = gpu?.id.toLowerCase().startsWith("a100") ?? false;
  return visibleBytes >= 70 * GIB && !isA100 ? 8192 : 2048;
}

/**
 * `vllm serve`'s default max_num_seqs beside a max_num_batched_tokens (the same
 * get_batch_defaults tier): 1024 on the large-memory tier (8192 tokens), 256 otherwise. The V0
 * engine has no tiers: SchedulerConfig.max_num_seqs = 256 (vllm/config.py).
 */
export const defaultMaxNumSeqs = (maxNumBatchedTokens: number, engine: "v0" | "v1" = "v1"): number =>
  engine === "v0" ? V0_MAX_NUM_SEQS : maxNumBatchedTokens >= 8192 ? 1024 : 256;

/** The V0 engine's SchedulerConfig.max_num_seqs default. */
export const V0_MAX_NUM_SEQS = 256;

/** vLLM's default block size (tokens per KV block, --block-size). */
export const VLLM_BLOCK_SIZE = 16;

/** --kv-cache-dtype values vLLM (and SGLang) accept, as scenario.kvCache names. */
export const VLLM_KV_DTYPES: readonly string[] = ["auto", "fp16", "bf16", "fp8"];

/** KV cache dtype as vLLM's --kv-cache-dtype: auto (model dtype), fp8 (e4m3), or the model's. */
export function vllmKvDtype(input: EngineInput): KvDtype {
  const model = computeDtypeOf(input.format, input.spec);
  const r = input.scenario.kvCache;
  // SGLang's --kv-cache-dtype takes the same names; say which engine refused.
  const engine = input.scenario.engine;
  const flag = engine === "sglang" ? "SGLang" : "vLLM";
  if (!VLLM_KV_DTYPES.includes(r))
    throw new MemlensError(
      "invalid-value",
      `kvCache "${r}" is not a ${flag} --kv-cache-dtype; allowed with engine ${engine}: ${VLLM_KV_DTYPES.join(", ")}`,
      "kvCache",
      VLLM_KV_DTYPES,
    );
  // get_kv_cache_torch_dtype("auto", model_dtype) returns the model dtype itself, float32
  // included (vllm/utils/torch_utils.py @ 0024350b5da3ad174435e62a15273c0d3caba57b); SGLang's
  // ModelRunner likewise sets kv_cache_dtype = self.dtype for "auto".
  if (r === "auto") return model;
  return r as KvDtype;
}

const kvDtypeBytes = (d: KvDtype): number => (d === "fp8" ? 1 : d === "fp32" ? 4 : 2);

/** Everything vLLM decides and prints at start-up, for one (max_model_len, max_num_seqs). */
export interface VllmStartup {
  readonly behaviour: VllmBehaviour;
  readonly visibleMemoryBytes: number;
  readonly gpuMemoryUtilization: number;
  readonly requestedMemoryBytes: number;
  readonly blockSize: number;
  readonly maxNumBatchedTokens: number;
  readonly maxNumSeqs: number;
  readonly kvDtype: KvDtype;
  readonly layout: VllmKvLayout;
  /** Per pipeline stage (ranks within a stage are identical). */
  readonly stages: readonly {
    readonly weightsBytes: number;
    readonly activationPeakBytes: number;
    readonly nonTorchBytes: number;
    readonly cudaGraphBytes: number;
    readonly availableKvBytes: number;
    readonly groupSize: number;
    readonly poolBytes: number;
  }[];
  readonly numGpuBlocks: number;
  readonly kvCacheTokens: number;
  readonly maxConcurrency: number;
  /** Why vLLM would refuse to start, or null. */
  readonly refusal: string | null;
}

/** What vLLM's start-up decides before it looks at max_model_len (all but the per-request checks). */
type StartupBase = Omit<VllmStartup, "maxConcurrency" | "refusal" | "maxNumSeqs"> & {
  /** gpu_memory_utilization × total, unrounded (what the free-memory check compares). */
  readonly requestedMemoryBytesExact: number;
  /** Free memory when vLLM starts: total less the CUDA context (and NCCL). */
  readonly freeBytes: number;
};

// The profile run and the pool do not depend on max_model_len (V1 budgets max_num_batched_tokens
// whatever it is): the context search's probes, and later estimates of the same deployment at
// other contexts, share them. Memoised per model (specs are read-only) and startupKey.
const bases = new OwnerMemo<ModelSpec, StartupBase>(256);

/** Everything startupBase reads besides the model: format, KV dtype, split, GPU, engine options. */
function startupKey(input: EngineInput, mnbt: number, maxNumSeqs: number): string {
  const sc = input.scenario;
  const eo = sc.engineOptions;
  return `${weightFormatKey(input.format)}|${sc.kvCache}|${sc.engine}|${sc.parallel.tensor}|${sc.parallel.pipeline}|${input.gpu?.id}|${"gpu" in sc.hardware}|${input.capacityBytes}|${eo.engineVersion}|${eo.gpuMemoryUtilization}|${eo.blockSize}|${eo.enforceEager}|${mnbt}|${maxNumSeqs}`;
}

/** vLLM's start-up for a scenario at `maxModelLen` tokens and `maxNumSeqs` sequences. */
export function vllmStartup(input: EngineInput, maxModelLen: number, maxNumSeqs: number): VllmStartup {
  const eo = input.scenario.engineOptions;
  const behaviour = vllmBehaviour(eo.engineVersion);
  const visible = cudaVisibleMemory(input);
  // V0 without chunked prefill budgets a whole max_model_len prompt (SchedulerConfig).
  const mnbt =
    eo.maxNumBatchedTokens ??
    (behaviour.engine === "v0"
      ? Math.max(maxModelLen, 2048)
      : defaultMaxNumBatchedTokens(input.gpu, visible));
  // Shared by every answer with this key: frozen, so no caller can change another's.
  const base = bases.get(input.spec, startupKey(input, mnbt, maxNumSeqs), () =>
    deepFreeze(startupBase(input, behaviour, visible, mnbt, maxNumSeqs)),
  );
  const { spec } = input;
  const { layout, stages, numGpuBlocks: numBlocks, blockSize } = base;
  const blocksPerRequest = vllmBlocksPerRequest(layout, maxModelLen, mnbt);

  let refusal: string | null = null;
  if (base.freeBytes < base.requestedMemoryBytesExact)
    refusal = `free memory on device (${(base.freeBytes / GIB).toFixed(2)} GiB) is less than gpu_memory_utilization × total (${(base.requestedMemoryBytesExact / GIB).toFixed(2)} GiB)`;
  else if (stages.some((st) => st.availableKvBytes <= 0))
    refusal =
      "No available memory for the cache blocks (weights and activations exceed gpu_memory_utilization)";
  else if (stages.some((st) => st.groupSize * layout.pageBytes * blocksPerRequest > st.availableKvBytes))
    refusal = `one request of max_model_len ${maxModelLen} needs more KV cache than is available`;
  else if (spec.maxPositionEmbeddings !== null && maxModelLen > spec.maxPositionEmbeddings)
    refusal = `max_model_len ${maxModelLen} is greater than the model's max_position_embeddings ${spec.maxPositionEmbeddings}`;

  // V0 worker.py: num_gpu_blocks × block_size / max_model_len.
  const concurrency =
    behaviour.engine === "v0"
      ? (numBlocks * blockSize) / maxModelLen
      : vllmMaxConcurrency(layout, numBlocks, maxModelLen, mnbt);
  return {
    behaviour: base.behaviour,
    visibleMemoryBytes: base.visibleMemoryBytes,
    gpuMemoryUtilization: base.gpuMemoryUtilization,
    requestedMemoryBytes: base.requestedMemoryBytes,
    blockSize,
    maxNumBatchedTokens: mnbt,
    maxNumSeqs,
    kvDtype: base.kvDtype,
    layout,
    stages,
    numGpuBlocks: numBlocks,
    kvCacheTokens: base.kvCacheTokens,
    maxConcurrency: concurrency,
    refusal,
  };
}

function startupBase(
  input: EngineInput,
  behaviour: VllmBehaviour,
  visible: Bytes,
  mnbt: number,
  maxNumSeqs: number,
): StartupBase {
  const { spec, scenario } = input;
  const eo = scenario.engineOptions;
  const tp = scenario.parallel.tensor;
  const pp = scenario.parallel.pipeline;
  const world = tp * pp;
  const gmu = eo.gpuMemoryUtilization ?? 0.9;
  const requested = visible * gmu;
  const blockSize = eo.blockSize ?? VLLM_BLOCK_SIZE;
  const kvDtype = vllmKvDtype(input);
  const modelDtype = computeDtypeOf(input.format, spec);
  const dtypeBytes = modelDtype === "fp32" ? 4 : 2;
  const requests = Math.min(maxNumSeqs, mnbt);
  const weights = vllmRankWeights(spec, input.format, tp, pp);
  const stageOf = vllmStageOfLayers(spec.numLayers, pp);
  const layout = vllmKvLayout(spec, {
    blockSize,
    dtypeBytes: kvDtypeBytes(kvDtype),
    tensorParallel: tp,
    chunkedLocal: spec.architecture.startsWith("llama4"),
    modelDtypeBytes: dtypeBytes,
  });
  const nonTorch =
    (behaviour.chargesCudaContext ? cudaContextBytes(world) : behaviour.nonTorchBytes) +
    // NVLS serves the tensor-parallel all-reduce; pipeline stages only send/recv (0.07 GiB
    // non-torch increase per stage in the llm-d PP2/PP4 H100 v0.19 logs).
    (tp > 1 && behaviour.family === "0.12+" && ncclUsesNvls(input.gpu) ? NVLS_NON_TORCH_BYTES : 0);
  const graphsOn = eo.enforceEager !== true && behaviour.engine === "v1";

  const stages = [];
  for (let s = 0; s < pp; s++) {
    const layers = spec.layers.filter((l) => stageOf[l.index] === s).map((l) => l.index);
    const act = vllmActivationPeak(spec, {
      tokens: mnbt,
      requests,
      tp,
      layers,
      dtypeBytes,
      samplerBytesPerLogit: behaviour.samplerBytesPerLogit,
      firstStage: s === 0,
      lastStage: s === pp - 1,
      engine: behaviour.engine,
    });
    const cudaGraph = graphsOn ? CUDA_GRAPH_BASE_BYTES + CUDA_GRAPH_PER_LAYER_BYTES * layers.length : 0;
    const w = weights.loadedBytes[s] ?? 0;
    const available =
      requested - w - act.peakBytes - nonTorch - (behaviour.subtractsCudaGraphs ? cudaGraph : 0);
    stages.push({
      weightsBytes: w,
      activationPeakBytes: act.peakBytes,
      nonTorchBytes: Math.round(nonTorch),
      cudaGraphBytes: Math.round(cudaGraph),
      availableKvBytes: Math.floor(available),
      groupSize: groupSizeOnStage(layout, stageOf, s),
    });
  }
  // get_kv_cache_configs: every worker gets the smallest number of blocks of any worker.
  let numBlocks = Number.POSITIVE_INFINITY;
  for (const st of stages)
    numBlocks = Math.min(numBlocks, vllmNumBlocks(st.availableKvBytes, layout.pageBytes, st.groupSize));
  if (!Number.isFinite(numBlocks)) numBlocks = 0;

  const tokens = behaviour.engine === "v0" ? numBlocks * blockSize : vllmKvTokens(layout, numBlocks);
  return {
    behaviour,
    visibleMemoryBytes: visible,
    gpuMemoryUtilization: gmu,
    requestedMemoryBytes: Math.floor(requested),
    requestedMemoryBytesExact: requested,
    freeBytes: visible - cudaContextBytes(world),
    blockSize,
    maxNumBatchedTokens: mnbt,
    kvDtype,
    layout,
    stages: stages.map((st) => ({ ...st, poolBytes: numBlocks * layout.pageBytes * st.groupSize })),
    numGpuBlocks: numBlocks,
    kvCacheTokens: tokens,
  };
}
