import { MemlensError } from "../../errors/memlens-error.js";
import type { ModelSpec } from "../../models/model-spec.js";
import { GIB, MIB } from "../../units/units.js";
import type { DeviceBytes, EngineInput, EngineMemory, EngineModel } from "../estimate-types.js";
import type { KvDtype, KvLayoutOptions } from "../kv-cache.js";
import { computeDtypeOf } from "../weights.js";
import {
  groupSizeOnStage,
  type VllmKvLayout,
  vllmBlocksPerRequest,
  vllmKvLayout,
  vllmKvTokens,
  vllmMaxConcurrency,
  vllmNumBlocks,
} from "./vllm-kv.js";
import { vllmRankWeights, vllmStageOfLayers } from "./vllm-weights.js";

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

/** Version-dependent behaviour of the start-up profiler. */
export interface VllmBehaviour {
  readonly version: string;
  /** "v0": the legacy engine (vllm/worker/worker.py), "v1": vllm/v1/worker/gpu_worker.py. */
  readonly engine: "v0" | "v1";
  /** Bytes the dummy sampler run holds per (request × vocabulary entry). */
  readonly samplerBytesPerLogit: number;
  /** Non-torch memory (cuBLAS/NCCL handles, CUDA graphs pools) the profile run adds on one GPU. */
  readonly nonTorchBytes: number;
  /** Whether the estimated CUDA graph memory is taken out of the KV budget. */
  readonly subtractsCudaGraphs: boolean;
}

/** The version assumed when the scenario names none: the current start-up arithmetic. */
export const DEFAULT_VLLM_VERSION = "0.21.0";

function parseVersion(v: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

const atLeast = (v: readonly number[], major: number, minor: number): boolean =>
  (v[0] ?? 0) > major || ((v[0] ?? 0) === major && (v[1] ?? 0) >= minor);

/**
 * Start-up behaviour of a vLLM version ("0.19.0", "v0.15", or "v0" for the legacy engine).
 * Constants are read off vLLM's own start-up logs (shared/fixtures/measured/public.jsonl, llm-d
 * planner sweeps on H100): they describe mechanisms, not single models.
 */
export function vllmBehaviour(version: string | undefined): VllmBehaviour {
  const name = version ?? DEFAULT_VLLM_VERSION;
  if (name.trim().toLowerCase() === "v0")
    return {
      version: name,
      engine: "v0",
      samplerBytesPerLogit: 0,
      nonTorchBytes: V0_NON_TORCH_BYTES,
      subtractsCudaGraphs: false,
    };
  const v = parseVersion(name);
  if (!v)
    throw new MemlensError(
      "invalid-value",
      `engineOptions.engineVersion "${name}" is not a vLLM version such as 0.19.0 (or "v0" for the legacy engine)`,
      "engineOptions.engineVersion",
    );
  if (!atLeast(v, 0, 8))
    return {
      version: name,
      engine: "v0",
      samplerBytesPerLogit: 0,
      nonTorchBytes: V0_NON_TORCH_BYTES,
      subtractsCudaGraphs: false,
    };
  return {
    version: name,
    engine: "v1",
    samplerBytesPerLogit: atLeast(v, 0, 17) ? SAMPLER_BYTES_TRITON : SAMPLER_BYTES_SORT,
    // non_torch_forward_increase on one H100: 0.13 GiB in v0.15–v0.17 runs, 0.24–0.26 GiB from v0.18.
    nonTorchBytes: atLeast(v, 0, 18) ? Math.round(0.25 * GIB) : Math.round(0.13 * GIB),
    // "CUDA graph memory profiling is enabled (default since v0.21.0)" (vLLM gpu_worker.py log).
    subtractsCudaGraphs: atLeast(v, 0, 21),
  };
}

// gpu_model_runner._dummy_sampler_run: logits [max_num_seqs, vocab] in the model dtype (2 B), the
// sampler's FP32 copy (4 B), softmax probabilities (4 B) and the exponential noise of
// random_sample (4 B), plus the Triton top-k/top-p kernel's scratch: 14.5 B per logit, the slope
// of torch peak against vocab × max_num_seqs over the v0.19 H100 logs (vocab 51k–262k).
const SAMPLER_BYTES_TRITON = 14.5;
// Before v0.17 top-k/top-p sorted the logits (values 4 B + int64 indices 8 B, masks, sorted
// probabilities, the scattered result): 38 B per logit fits Qwen3-14B's 5.64 GiB peak in v0.15/16.
const SAMPLER_BYTES_SORT = 38;
// Intercept of the same fit: workspaces the first forward pass allocates (cuBLAS, attention
// backends) regardless of the model.
const FIRST_FORWARD_BYTES = 44 * MIB;
// Legacy engine: "non_torch_memory takes 0.04GiB / 0.10GiB" in the two V0 logs.
const V0_NON_TORCH_BYTES = Math.round(0.07 * GIB);
// Tensor/pipeline parallel: NCCL and custom all-reduce buffers raise non-torch memory to
// 2.07–2.21 GiB per GPU (TP2/TP4 v0.19 logs), 1.85 GiB above one GPU.
const MULTI_GPU_NON_TORCH_BYTES = Math.round(1.85 * GIB);
// Memory in use before vLLM's first snapshot (CUDA context; NCCL communicators with several
// GPUs): free 78.68 of 79.19 GiB on one H100, 77.64–77.66 GiB with TP2/TP4.
const CONTEXT_BYTES_ONE_GPU = Math.round(0.51 * GIB);
const CONTEXT_BYTES_MULTI_GPU = Math.round(1.54 * GIB);
// "Estimated CUDA graph memory" (gpu_model_runner.profile_cudagraph_memory) grows with the
// number of graph pieces (one per layer and capture size): 0.23 GiB + 19 MiB per layer fits the
// v0.19 H100 logs (0.55–1.92 GiB, 24–80 layers) to about ±20%.
const CUDA_GRAPH_BASE_BYTES = Math.round(0.23 * GIB);
const CUDA_GRAPH_PER_LAYER_BYTES = 19 * MIB;
// fused_moe chunking (VLLM_FUSED_MOE_CHUNK_SIZE): workspaces never exceed this many tokens.
const FUSED_MOE_CHUNK_TOKENS = 32768;

/**
 * What `torch.cuda.mem_get_info()` reports as total memory: the board minus what the driver
 * keeps. Measured: an H100 80GB reports 79.19 GiB (vLLM logs, llm-d planner sweeps), an RTX 4090
 * 23.52 GiB (the recorded run below). Other catalog GPUs get the same 1% reserve; give
 * `hardware.memoryBytes` for an exact figure.
 */
const VISIBLE_MEMORY_BYTES: Readonly<Record<string, number>> = {
  "H100-SXM-80GB": Math.round(79.19 * GIB),
  "H100-PCIE-80GB": Math.round(79.19 * GIB),
  // torch.cuda.get_device_properties(0).total_memory on an RTX 4090 (hardware.device_total_memory_bytes
  // in the recorded vLLM 0.19.0 run, shared/fixtures/traces/vllm-runs/RTX4090/Llama-3.1-8B/vllm/meta.json).
  "RTX-4090": 25250627584,
};
const DRIVER_RESERVE_FRACTION = 1 - 79.19 / 80;

/** Device memory vLLM sees (`total_memory` in its logs). */
export function cudaVisibleMemory(input: EngineInput): number {
  const hw = input.scenario.hardware;
  if (!("gpu" in hw)) return input.capacityBytes;
  const id = input.gpu?.id;
  const known = id ? VISIBLE_MEMORY_BYTES[id] : undefined;
  return Math.floor(known ?? input.capacityBytes * (1 - DRIVER_RESERVE_FRACTION));
}

/** Memory in use before the engine's first snapshot (CUDA context, NCCL). */
export const cudaContextBytes = (worldSize: number): number =>
  worldSize > 1 ? CONTEXT_BYTES_MULTI_GPU : CONTEXT_BYTES_ONE_GPU;

/**
 * Scheduler defaults (vllm/engine/arg_utils.py EngineArgs.get_batch_defaults, OpenAI server):
 * on GPUs with ≥ 70 GiB that are not A100s, max_num_batched_tokens 8192; otherwise 2048.
 */
export function defaultMaxNumBatchedTokens(input: EngineInput, visibleBytes: number): number {
  const isA100 = input.gpu?.id.toLowerCase().startsWith("a100") ?? false;
  return visibleBytes >= 70 * GIB && !isA100 ? 8192 : 2048;
}

const VLLM_KV_DTYPES: readonly string[] = ["auto", "fp16", "bf16", "fp8"];

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
  if (r === "auto") return model === "fp32" ? "fp16" : model;
  return r as KvDtype;
}

const kvDtypeBytes = (d: KvDtype): number => (d === "fp8" ? 1 : d === "fp32" ? 4 : 2);

/** The torch peak increase of the profile run on one GPU of a pipeline stage. */
export interface VllmActivationParts {
  readonly firstForwardBytes: number;
  /** Fused-MoE workspaces (kept by the workspace manager) and the multimodal encoder cache. */
  readonly persistentBytes: number;
  /** Largest layer's transient during the forward pass over max_num_batched_tokens. */
  readonly forwardBytes: number;
  /** Hidden states kept for the sampler plus the sampler's logits (last stage only). */
  readonly samplerBytes: number;
  readonly peakBytes: number;
}

/**
 * profile_run's torch peak on one GPU: the dummy forward pass at `tokens` tokens, then (last
 * stage) the sampler over `requests` rows while the forward's hidden states are still alive.
 */
export function vllmActivationPeak(
  spec: ModelSpec,
  o: {
    readonly tokens: number;
    readonly requests: number;
    readonly tp: number;
    readonly layers: readonly number[];
    readonly dtypeBytes: number;
    readonly samplerBytesPerLogit: number;
    readonly firstStage: boolean;
    readonly lastStage: boolean;
    readonly engine: "v0" | "v1";
  },
): VllmActivationParts {
  const T = o.tokens;
  const h = spec.hiddenSize;
  const b = o.dtypeBytes;
  let widest = 0;
  let moeWorkspace = 0;
  for (const i of o.layers) {
    const l = spec.layers[i];
    if (!l) continue;
    let attn = 0;
    const m = l.mixer;
    if (m.kind === "attention")
      // QKV output plus the attention output, per rank.
      attn = ((m.numHeads + 2 * m.numKvHeads) * m.headDim + m.numHeads * m.valueHeadDim) / o.tp;
    else if (m.kind === "mla")
      // q, the kv_b_proj expansion of the latent for the prefill, and the attention output.
      attn = (m.numHeads * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.qkNopeHeadDim + 2 * m.valueHeadDim)) / o.tp;
    else if (m.kind === "mamba") attn = (3 * m.dInner) / o.tp;
    else attn = (3 * (m.numKeyHeads * m.keyHeadDim + m.numValueHeads * m.valueHeadDim)) / o.tp;
    let ffn = 0;
    const f = l.ffn;
    if (f.kind === "dense")
      // gate_up (2I) and the activation output (I) for gated MLPs, fc1 and GELU (2I) otherwise.
      ffn = ((f.gated ? 3 : 2) * f.intermediateSize) / o.tp;
    else if (f.kind === "moe") {
      ffn = (3 * f.sharedIntermediateSize) / o.tp + f.numExperts;
      // fused_moe TritonExperts.workspace_shapes: workspace13 [M, topk, max(2I, h)], workspace2
      // [M, topk, I] and the output [M, h], I per rank; persistent in the workspace manager.
      const M = Math.min(T, FUSED_MOE_CHUNK_TOKENS);
      const I = Math.ceil(f.expertIntermediateSize / o.tp);
      moeWorkspace = Math.max(moeWorkspace, M * (f.expertsPerToken * (Math.max(2 * I, h) + I) + h) * b);
    }
    // hidden states, residual and the layer's output around the widest block.
    widest = Math.max(widest, 3 * h + Math.max(attn, ffn));
  }
  const forward = T * widest * b + (o.firstStage ? 0 : 2 * T * h * b);
  const vision = o.firstStage && spec.tensors.some((t) => t.role === "vision");
  // profile_run keeps the dummy encoder outputs (encoder cache, ~max_num_batched_tokens
  // embeddings) until the sampler has run.
  const persistent = moeWorkspace + (vision && o.engine === "v1" ? T * h * b : 0);
  let sampler = 0;
  if (o.lastStage) {
    if (o.engine === "v1")
      sampler = T * h * b + 2 * o.requests * h * b + o.requests * spec.vocabSize * o.samplerBytesPerLogit;
    else sampler = o.requests * spec.vocabSize * (b + 4); // V0: one row of logits per dummy sequence
  }
  const peak = FIRST_FORWARD_BYTES + persistent + Math.max(forward, sampler);
  return {
    firstForwardBytes: FIRST_FORWARD_BYTES,
    persistentBytes: persistent,
    forwardBytes: forward,
    samplerBytes: sampler,
    peakBytes: Math.ceil(peak),
  };
}

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

/** vLLM's start-up for a scenario at `maxModelLen` tokens and `maxNumSeqs` sequences. */
export function vllmStartup(input: EngineInput, maxModelLen: number, maxNumSeqs: number): VllmStartup {
  const { spec, scenario } = input;
  const eo = scenario.engineOptions;
  const behaviour = vllmBehaviour(eo.engineVersion);
  const tp = scenario.parallel.tensor;
  const pp = scenario.parallel.pipeline;
  const world = tp * pp;
  const visible = cudaVisibleMemory(input);
  const gmu = eo.gpuMemoryUtilization ?? 0.9;
  const requested = visible * gmu;
  const blockSize = eo.blockSize ?? 16;
  const kvDtype = vllmKvDtype(input);
  const modelDtype = computeDtypeOf(input.format, spec);
  const dtypeBytes = modelDtype === "fp32" ? 4 : 2;
  // V0 without chunked prefill budgets a whole max_model_len prompt (SchedulerConfig).
  const mnbt =
    eo.maxNumBatchedTokens ??
    (behaviour.engine === "v0" ? Math.max(maxModelLen, 2048) : defaultMaxNumBatchedTokens(input, visible));
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
  const nonTorch = behaviour.nonTorchBytes + (world > 1 ? MULTI_GPU_NON_TORCH_BYTES : 0);
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
  const blocksPerRequest = vllmBlocksPerRequest(layout, maxModelLen, mnbt);

  let refusal: string | null = null;
  const free = visible - cudaContextBytes(world);
  if (free < requested)
    refusal = `free memory on device (${(free / GIB).toFixed(2)} GiB) is less than gpu_memory_utilization × total (${(requested / GIB).toFixed(2)} GiB)`;
  else if (stages.some((st) => st.availableKvBytes <= 0))
    refusal =
      "No available memory for the cache blocks (weights and activations exceed gpu_memory_utilization)";
  else if (stages.some((st) => st.groupSize * layout.pageBytes * blocksPerRequest > st.availableKvBytes))
    refusal = `one request of max_model_len ${maxModelLen} needs more KV cache than is available`;
  else if (spec.maxPositionEmbeddings !== null && maxModelLen > spec.maxPositionEmbeddings)
    refusal = `max_model_len ${maxModelLen} is greater than the model's max_position_embeddings ${spec.maxPositionEmbeddings}`;

  const tokens = behaviour.engine === "v0" ? numBlocks * blockSize : vllmKvTokens(layout, numBlocks);
  // V0 worker.py: num_gpu_blocks × block_size / max_model_len.
  const concurrency =
    behaviour.engine === "v0"
      ? (numBlocks * blockSize) / maxModelLen
      : vllmMaxConcurrency(layout, numBlocks, maxModelLen, mnbt);
  return {
    behaviour,
    visibleMemoryBytes: visible,
    gpuMemoryUtilization: gmu,
    requestedMemoryBytes: Math.floor(requested),
    blockSize,
    maxNumBatchedTokens: mnbt,
    maxNumSeqs,
    kvDtype,
    layout,
    stages: stages.map((st) => ({ ...st, poolBytes: numBlocks * layout.pageBytes * st.groupSize })),
    numGpuBlocks: numBlocks,
    kvCacheTokens: tokens,
    maxConcurrency: concurrency,
    refusal,
  };
}

/**
 * vLLM (v1 engine): weights as loaded per GPU, the profile run's activation peak, non-torch
 * memory and CUDA graphs, and a paged KV pool that fills the rest of
 * gpu_memory_utilization × total memory. `contextLength` is max_model_len, `batch` max_num_seqs.
 * The scenario fits when the pool holds one max_model_len request (vLLM refuses to start
 * otherwise); `kvPoolTokens` is how many tokens of such requests it holds.
 */
export const vllmEngine: EngineModel = {
  memory(input: EngineInput, contextLength: number, batch: number): EngineMemory {
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
    const first = s.stages[0]!;
    const notes: string[] = [
      `vLLM ${s.behaviour.engine === "v0" ? "V0 engine" : `v${s.behaviour.version.replace(/^v/, "")}`} start-up: requested = ${(s.visibleMemoryBytes / GIB).toFixed(2)} GiB × gpu_memory_utilization ${s.gpuMemoryUtilization}; KV cache = requested − weights − activation peak − non-torch${s.behaviour.subtractsCudaGraphs ? " − CUDA graphs" : ""}.`,
      `Activation peak = profile run over max_num_batched_tokens ${s.maxNumBatchedTokens} plus the sampler over max_num_seqs ${Math.min(batch, s.maxNumBatchedTokens)} (scenario batch); a default \`vllm serve\` uses max_num_seqs ${s.maxNumBatchedTokens >= 8192 ? 1024 : 256} here.`,
    ];
    if (s.layout.groups.length > 1)
      notes.push(
        `Hybrid KV cache: ${s.layout.groups.length} groups of ${Math.max(...s.layout.groups.map((g) => g.layers.length))} layers sharing one pool (kv_cache_utils).`,
      );
    if (s.refusal) notes.push(`vLLM would not start: ${s.refusal}.`);
    const kvLayout: KvLayoutOptions = {
      kDtype: s.kvDtype,
      vDtype: s.kvDtype,
      mla: "latent",
      recurrent: "hf",
      recurrentDtypeBytes: 2,
    };
    return {
      devices,
      engine: {
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
        maxConcurrency: Math.round(s.maxConcurrency * 100) / 100,
        blockSize: s.blockSize,
        maxNumBatchedTokens: s.maxNumBatchedTokens,
        kvCacheGroups: s.layout.groups.length,
      },
      kvLayout,
      notes,
      kvPoolTokens: s.refusal ? 0 : Math.floor(s.maxConcurrency * contextLength),
    };
  },
};
