import { quantizedMatrixBytes } from "../catalog/quant-schemes.js";
import { countElements, type ModelSpec, type TensorSpec } from "../models/model-spec.js";
import type { TrainingOptions } from "../scenario/scenario.js";
import { cudaReservedBytes } from "./cuda-allocator.js";
import { largestModuleParameters, type TrainableTensor } from "./lora.js";
import { optimizerStateBytes } from "./optimizer.js";
import type { Sharding, TrainingProfile } from "./training-profile.js";
import { computeDtypeOf, tensorBytes, type WeightFormat } from "./weights.js";

/** Bytes per parameter of the three model states (ZeRO paper §3.1: 2Ψ + 2Ψ + KΨ, K = 12 for Adam). */
export interface PerParameterStateBytes {
  readonly parameters: number;
  readonly gradients: number;
  /** Optimizer states including any FP32 master copy (the paper's K). */
  readonly optimizer: number;
}

export interface ModelStateBytes {
  readonly parameters: number;
  readonly gradients: number;
  readonly optimizer: number;
  readonly total: number;
}

/** Mixed-precision Adam (ZeRO paper §3.1): fp16 params and grads, FP32 master + momentum + variance. */
export const MIXED_PRECISION_ADAM: PerParameterStateBytes = { parameters: 2, gradients: 2, optimizer: 12 };

/**
 * Model-state bytes per data-parallel rank under ZeRO-DP, exactly the paper's analytical formulas
 * (Rajbhandari et al. 2020, §5 and Table 1): baseline (2+2+K)Ψ; P_os 2Ψ+2Ψ+KΨ/N_d;
 * P_os+g 2Ψ+(2+K)Ψ/N_d; P_os+g+p (2+2+K)Ψ/N_d. Buffers, fragmentation and activations are extra.
 * @example zeroModelStateBytes(7.5e9, MIXED_PRECISION_ADAM, 64, 1).total // 31_406_250_000 (31.4 GB)
 */
export function zeroModelStateBytes(
  parameters: number,
  perParameter: PerParameterStateBytes,
  dataParallel: number,
  stage: 0 | 1 | 2 | 3,
): ModelStateBytes {
  const n = dataParallel;
  const p = (parameters * perParameter.parameters) / (stage >= 3 ? n : 1);
  const g = (parameters * perParameter.gradients) / (stage >= 2 ? n : 1);
  const o = (parameters * perParameter.optimizer) / (stage >= 1 ? n : 1);
  const parametersBytes = Math.ceil(p);
  const gradientsBytes = Math.ceil(g);
  const optimizerBytes = Math.ceil(o);
  return {
    parameters: parametersBytes,
    gradients: gradientsBytes,
    optimizer: optimizerBytes,
    total: parametersBytes + gradientsBytes + optimizerBytes,
  };
}

/** DeepSpeed's ZeRO-2 estimator (stage_1_and_2.py estimate_zero2_model_states_mem_needs). */
export function deepspeedZero2Estimate(
  totalParams: number,
  gpusPerNode: number,
  nodes: number,
  cpuOffload: boolean,
  additionalBufferFactor = 1.5,
): { gpuBytes: number; cpuBytes: number } {
  const gpus = gpusPerNode * nodes;
  if (cpuOffload)
    return {
      gpuBytes: 2 * totalParams,
      cpuBytes: Math.trunc(totalParams * Math.max(4 * gpus, 16) * additionalBufferFactor),
    };
  // "2 = params_16bit, 18 = 2_grads_16bit + 4_grads_32bit + 4_params_32bit + 8_optimizer_states_32bit"
  return {
    gpuBytes: 2 * totalParams + Math.trunc((18 * totalParams) / gpus),
    cpuBytes: Math.trunc(totalParams * 4 * gpusPerNode * additionalBufferFactor),
  };
}

/** DeepSpeed's ZeRO-3 estimator (stage3.py estimate_zero3_model_states_mem_needs, zero_init=True). */
export function deepspeedZero3Estimate(
  totalParams: number,
  largestLayerParams: number,
  gpusPerNode: number,
  nodes: number,
  offload: "none" | "optimizer" | "all",
  additionalBufferFactor = 1.5,
): { gpuBytes: number; cpuBytes: number; largestLayerBytes: number } {
  const gpus = gpusPerNode * nodes;
  const largestLayerBytes = 4 * largestLayerParams;
  switch (offload) {
    case "all":
      return {
        gpuBytes: largestLayerBytes,
        cpuBytes: Math.trunc(((totalParams * 18) / nodes) * additionalBufferFactor),
        largestLayerBytes,
      };
    case "optimizer":
      return {
        gpuBytes: largestLayerBytes + Math.trunc((2 * totalParams) / gpus),
        cpuBytes: Math.trunc(((totalParams * 16) / nodes) * additionalBufferFactor),
        largestLayerBytes,
      };
    case "none":
      return {
        gpuBytes: largestLayerBytes + Math.trunc((18 * totalParams) / gpus),
        cpuBytes: Math.trunc(largestLayerParams * 4 * gpusPerNode * additionalBufferFactor),
        largestLayerBytes,
      };
  }
}

/** DeepSpeed defaults: reduce_bucket_size 5e8 elements (stage_1_and_2.py, stage3.py constructors). */
export const DEEPSPEED_REDUCE_BUCKET_ELEMENTS = 500_000_000;
/** DeepSpeed ZeRO-Infinity param swap pool: offload_param buffer_count 5 × buffer_size 1e8 (offload_config.py). */
export const DEEPSPEED_PARAM_SWAP_ELEMENTS = 5 * 100_000_000;
/** Optimizer swap: offload_optimizer buffer_count 4 (offload_config.py) × sub_group_size, assumed 1e9. */
export const DEEPSPEED_OPTIMIZER_SWAP_BUFFERS = 4;
export const DEEPSPEED_NVME_SUB_GROUP_ELEMENTS = 1_000_000_000;
/** DeepSpeed's estimators' `additional_buffer_factor` for host memory. */
export const DEEPSPEED_HOST_BUFFER_FACTOR = 1.5;
/** GPUs per node assumed when splitting a multi-GPU job into nodes (DGX/HGX nodes). */
export const GPUS_PER_NODE = 8;

/** Where one device sits in the job. */
export interface DevicePlacement {
  readonly dataParallel: number;
  readonly tensorParallel: number;
  readonly pipelineParallel: number;
  /** Pipeline stage of this device and the layers it holds. */
  readonly stage: number;
  readonly layers: ReadonlySet<number>;
  readonly gpusPerNode: number;
  readonly nodes: number;
}

export interface ModelStatesInput {
  readonly spec: ModelSpec;
  readonly training: TrainingOptions;
  readonly profile: TrainingProfile;
  readonly sharding: Sharding;
  readonly trainable: readonly TrainableTensor[];
  /** Frozen base format for LoRA / QLoRA; null for full fine-tuning. */
  readonly frozenFormat: WeightFormat | null;
  readonly placement: DevicePlacement;
}

/** Model states on one GPU, split by when they exist. */
export interface DeviceModelStates {
  /** Frozen base weights resident on the GPU. */
  readonly frozenWeightBytes: number;
  /** Trainable parameters resident during forward and backward. */
  readonly trainableParamBytes: number;
  /** Trainable parameters resident during the optimizer step (differs under SHARD_GRAD_OP). */
  readonly trainableParamStepBytes: number;
  /** Gradients once the whole backward has run (after any reduce-scatter). */
  readonly gradientBytes: number;
  /** Gradient bytes each decoder layer's backward adds, by layer index (this device's layers only). */
  readonly gradientBytesByLayer: ReadonlyMap<number, number>;
  /** Gradients of tensors outside the layers (lm_head at the loss, embeddings at the end). */
  readonly headGradientBytes: number;
  readonly embeddingGradientBytes: number;
  /** Optimizer moments + FP32 master weights resident on the GPU. */
  readonly optimizerBytes: number;
  readonly masterBytes: number;
  /** Extra GPU memory the optimizer step needs (foreach temporaries, FP32 gradient partition). */
  readonly stepTransientBytes: number;
  /** Persistent communication buffers (DDP buckets, ZeRO reduce bucket). */
  readonly bufferBytes: number;
  /** Parameters gathered for compute under ZeRO-3 / FSDP (transient during forward and backward). */
  readonly gatheredBytes: number;
  /** 16-bit copies of FP32 weights that autocast casts and saves for backward. */
  readonly autocastCopyBytes: number;
  /** Block-rounding slack of parameter, gradient and state tensors in the caching allocator. */
  readonly allocatorSlackBytes: number;
  readonly hostBytesPerNode: number;
  readonly nvmeBytes: number;
  readonly trainableParameters: number;
  readonly frozenParameters: number;
  readonly optimizerDescription: string;
  readonly notes: readonly string[];
}

const isLinearRole = (t: TensorSpec): boolean =>
  t.shape.length >= 2 && t.role !== "norm" && t.role !== "router";

/** Elements of a tensor held by one tensor-parallel rank (projections and vocab split, norms replicated). */
function tpShare(shape: readonly number[], role: TensorSpec["role"] | null, tp: number): number {
  const n = countElements(shape);
  if (tp === 1) return n;
  if (shape.length < 2 || role === "norm" || role === "router") return n;
  return n / tp;
}

/** Is a tensor (by layer index, or non-layer role) on this pipeline stage? */
function onStage(layer: number | null, role: TensorSpec["role"] | null, p: DevicePlacement): boolean {
  if (layer !== null) return p.layers.has(layer);
  if (p.pipelineParallel === 1) return true;
  const last = p.pipelineParallel - 1;
  if (role === "embedding" || role === "position-embedding" || role === "vision") return p.stage === 0;
  return p.stage === last; // final norm, lm_head
}

/**
 * Model states per GPU for a training run: what each framework allocates for parameters,
 * gradients, optimizer states and master weights, sharded over the data-parallel group by ZeRO or
 * FSDP, with what CPU/NVMe offload moves off the GPU and the host memory it needs.
 */
export function deviceModelStates(x: ModelStatesInput): DeviceModelStates {
  const { spec, training: t, profile: pr, sharding, placement: pl } = x;
  const n = pl.dataParallel;
  const tp = pl.tensorParallel;
  const notes: string[] = [];
  const full = t.method === "full";
  const roleOf = new Map(spec.tensors.map((s) => [s.name, s] as const));

  // Trainable tensors on this device (stage + tensor-parallel share).
  const mine: TrainableTensor[] = [];
  const layerElements = new Map<number, number>();
  let headElements = 0;
  let embeddingElements = 0;
  for (const tt of x.trainable) {
    const stem = tt.name.replace(/\.lora_[AB]$/, "");
    const base = roleOf.get(tt.name) ?? roleOf.get(`${stem}.weight`) ?? roleOf.get(stem);
    const role = base?.role ?? null;
    if (!onStage(tt.layer, role, pl)) continue;
    const elements = tpShare(tt.shape, full ? role : "attention", tp);
    mine.push({ ...tt, elements });
    if (tt.layer !== null) layerElements.set(tt.layer, (layerElements.get(tt.layer) ?? 0) + elements);
    else if (role === "embedding" || role === "position-embedding") embeddingElements += elements;
    else headElements += elements;
  }
  // Tied embeddings: one tensor, its gradient first appears at the loss (lm_head use).
  if (spec.tiedEmbeddings && full) {
    headElements += embeddingElements;
    embeddingElements = 0;
  }
  const trainableParameters = mine.reduce((s, m) => s + m.elements, 0);

  // Frozen base (LoRA / QLoRA) on this device.
  let frozenBytes = 0;
  let frozenParameters = 0;
  if (x.frozenFormat) {
    const fmt = x.frozenFormat;
    const adapted = new Set(x.trainable.map((tt) => tt.name.replace(/\.lora_[AB]$/, "")));
    const baseDtype = computeDtypeOf(fmt, spec);
    for (const s of spec.tensors) {
      if (!onStage(s.layer, s.role, pl)) continue;
      const share = tpShare(s.shape, s.role, tp) / countElements(s.shape);
      const elements = countElements(s.shape);
      frozenParameters += elements * share;
      let b: number;
      const dense = elements * (baseDtype === "fp32" ? 4 : 2);
      if (fmt.kind === "dense") b = elements * pr.frozenBytes;
      else if (pr.quantizesAdaptedOnly && isLinearRole(s) && !adapted.has(s.name.replace(/\.weight$/, "")))
        // torchtune QLoRA: a linear without an adapter keeps the model dtype.
        b =
          s.role === "embedding" || s.role === "position-embedding" ? elements * pr.unquantizedBytes : dense;
      else if (pr.headQuantized && fmt.kind === "nf4" && s.role === "output" && s.shape.length === 2)
        // Lightning BitsandbytesPrecision converts lm_head like every other nn.Linear.
        b = quantizedMatrixBytes("nf4", s.shape[0] ?? 1, s.shape[1] ?? 1, { doubleQuant: fmt.doubleQuant });
      else {
        const q = tensorBytes(s, fmt, baseDtype);
        // Tensors the quantizer leaves alone come back at their dense size: store them at the
        // profile's unquantized dtype instead (FP32 after prepare_model_for_kbit_training).
        b = q === dense ? elements * pr.unquantizedBytes : q;
      }
      frozenBytes += b * share;
    }
  }

  const paramBytesPer = full ? pr.paramBytes : pr.adapterBytes;
  const gradBytesPer = full ? pr.gradientBytes : pr.adapterBytes;
  const masterPer = full ? pr.masterBytes : pr.masterBytes > 0 ? 4 : 0;
  const momentBytes = full ? pr.momentBytes : pr.masterBytes > 0 ? 4 : pr.adapterBytes;
  const opt = optimizerStateBytes(t.optimizer, mine, momentBytes, pr.fusedOptimizer || t.optimizerInBackward);

  const stage = sharding.kind === "zero" ? sharding.stage : sharding.kind === "fsdp" ? 3 : 0;
  const shardOpt = stage >= 1 ? n : 1;
  const shardGrad = stage >= 2 || (sharding.kind === "fsdp" && n > 1) ? n : 1;
  const fsdpGradOp = sharding.kind === "fsdp" && sharding.strategy === "shard-grad-op";
  const shardParam = stage >= 3 && !fsdpGradOp ? n : 1;

  let trainableParamBytes = (trainableParameters * paramBytesPer) / shardParam;
  let trainableParamStepBytes = trainableParamBytes;
  if (fsdpGradOp) {
    // SHARD_GRAD_OP: sharded params outside fwd/bwd, unsharded compute copies from forward to backward.
    trainableParamStepBytes = (trainableParameters * paramBytesPer) / n;
    trainableParamBytes = trainableParamStepBytes + trainableParameters * pr.computeBytes;
  }
  let frozenWeightBytes = frozenBytes / (stage >= 3 && !fsdpGradOp ? n : 1);
  let gradientTotal = (trainableParameters * gradBytesPer) / shardGrad;
  const gradientBytesByLayer = new Map<number, number>();
  for (const [l, e] of layerElements) gradientBytesByLayer.set(l, (e * gradBytesPer) / shardGrad);
  let headGradientBytes = (headElements * gradBytesPer) / shardGrad;
  let embeddingGradientBytes = (embeddingElements * gradBytesPer) / shardGrad;
  let optimizerBytes = opt.stateBytes / shardOpt;
  let masterBytes = (trainableParameters * masterPer) / shardOpt;
  let stepTransient = opt.stepTransientBytes / shardOpt;
  if (masterPer > 0)
    // DeepSpeed upcasts this rank's gradient partition to FP32 for the step
    // (single_partition_of_fp32_groups[i].grad / fp32_partitioned_groups_flat[i].grad).
    stepTransient += (trainableParameters * 4) / shardOpt;

  // Communication buffers and gathered parameters.
  let bufferBytes = 0;
  let gatheredBytes = 0;
  const deepspeed = pr.masterBytes > 0 || pr.deepspeedDefaults;
  const reduceBucketElements = pr.deepspeedDefaults
    ? DEEPSPEED_REDUCE_BUCKET_ELEMENTS
    : // HF Trainer's DeepSpeed config "auto": reduce_bucket_size = hidden_size² (integrations/deepspeed.py).
      spec.hiddenSize * spec.hiddenSize;
  if (sharding.kind === "none" && n > 1 && !deepspeed) {
    // torch DDP: reducer buckets hold a second copy of every gradient unless
    // gradient_as_bucket_view=True ("saved memory size will be equal to the total gradients size").
    bufferBytes += trainableParameters * gradBytesPer;
    notes.push(
      "DDP gradient buckets are a second copy of the gradients (gradient_as_bucket_view=False, PyTorch's default).",
    );
  }
  if (deepspeed && n > 1) {
    // DeepSpeed reduces gradients through a flat bucket (reduce_bucket_size / allreduce_bucket_size).
    bufferBytes += Math.min(reduceBucketElements, trainableParameters) * gradBytesPer;
  }
  // What sharding the parameters saves; a gathered layer can never cost more than holding them all.
  const paramSavings = Math.max(
    0,
    Math.floor(trainableParameters * paramBytesPer + frozenBytes) -
      Math.ceil(trainableParamBytes) -
      Math.ceil(frozenWeightBytes),
  );
  if (sharding.kind === "zero" && sharding.stage === 3) {
    // DeepSpeed estimate_zero3_model_states_mem_needs: largest_layer_memory = 4 × largest_layer_params
    // (16-bit params and grads of the largest module), capped at what partitioning saves.
    gatheredBytes += Math.min(4 * largestModuleParameters(spec), paramSavings);
  }
  if (sharding.kind === "fsdp") {
    // FSDP wraps each decoder layer (transformer_auto_wrap_policy); the root unit holds embeddings and
    // lm_head. Two units unsharded at a time (backward_prefetch=BACKWARD_PRE) plus one unit's gradient.
    const layerParams = new Map<number, number>();
    let rootParams = 0;
    for (const s of spec.tensors) {
      const e = tpShare(s.shape, s.role, tp);
      if (s.layer === null) rootParams += e;
      else layerParams.set(s.layer, (layerParams.get(s.layer) ?? 0) + e);
    }
    const unit = Math.max(rootParams, ...layerParams.values());
    if (!fsdpGradOp) gatheredBytes += Math.min(2 * unit * pr.computeBytes, paramSavings);
    gatheredBytes += unit * pr.computeBytes;
  }
  // torch AMP keeps the 16-bit cast of every FP32 weight it multiplies (autocast weight cache, saved
  // for backward); frozen FP32 weights (QLoRA lm_head) are cast the same way.
  let autocastCopyBytes = 0;
  // FSDP mixed precision gathers parameters already cast (MixedPrecision.param_dtype): no copies.
  if (pr.autocast && sharding.kind !== "fsdp") {
    for (const s of spec.tensors) {
      if (!isLinearRole(s) || !onStage(s.layer, s.role, pl)) continue;
      if (s.role === "embedding" || s.role === "position-embedding") continue;
      const e = tpShare(s.shape, s.role, tp);
      const fp32Weight = full
        ? pr.paramBytes === 4
        : x.frozenFormat !== null && weightIsFp32(s, x.frozenFormat, pr);
      if (fp32Weight) autocastCopyBytes += e * pr.computeBytes;
    }
    if (full && spec.tiedEmbeddings) {
      const emb = spec.tensors.find((s) => s.role === "embedding");
      if (emb && onStage(null, "output", pl))
        autocastCopyBytes += tpShare(emb.shape, emb.role, tp) * pr.computeBytes;
    }
  }

  // Offload.
  let hostPerGpu = 0;
  let nvmeBytes = 0;
  let hostPerNode = 0;
  const totalParamsOnRank = trainableParameters + (x.frozenFormat ? frozenParameters : 0);
  const offloadedStates = optimizerBytes + masterBytes;
  if (t.offload === "optimizer-cpu") {
    hostPerGpu = offloadedStates + (trainableParameters * 4) / shardOpt;
    optimizerBytes = 0;
    masterBytes = 0;
    stepTransient = 0;
    if (deepspeed && stage >= 1) {
      // ZeRO-Offload streams reduced gradients to CPU: only the reduce bucket stays on the GPU.
      gradientTotal = 0;
      headGradientBytes = 0;
      embeddingGradientBytes = 0;
      for (const k of gradientBytesByLayer.keys()) gradientBytesByLayer.set(k, 0);
    }
    notes.push(
      "Optimizer offload: optimizer states, FP32 master weights and the FP32 gradient copy live in host memory; the step runs on the CPU.",
    );
  } else if (t.offload === "all-cpu" || t.offload === "nvme") {
    hostPerGpu =
      offloadedStates +
      trainableParamBytes +
      frozenWeightBytes +
      gradientTotal +
      (trainableParameters * 4) / shardOpt;
    if (t.offload === "nvme") {
      nvmeBytes = offloadedStates + trainableParamBytes + frozenWeightBytes;
      hostPerGpu =
        DEEPSPEED_PARAM_SWAP_ELEMENTS * pr.paramBytes +
        DEEPSPEED_OPTIMIZER_SWAP_BUFFERS *
          Math.min(DEEPSPEED_NVME_SUB_GROUP_ELEMENTS, trainableParameters / n) *
          4;
      notes.push(
        "NVMe offload (ZeRO-Infinity): parameters and optimizer states on NVMe; host memory holds the swap buffers (param pool 5 × 1e8 elements, optimizer 4 buffers × sub_group_size, assumed 1e9).",
      );
    } else
      notes.push(
        "Full CPU offload: parameters, gradients and optimizer states live in host memory; the GPU holds only the layers being computed.",
      );
    optimizerBytes = 0;
    masterBytes = 0;
    stepTransient = 0;
    trainableParamBytes = 0;
    trainableParamStepBytes = 0;
    frozenWeightBytes = 0;
    gradientTotal = 0;
    headGradientBytes = 0;
    embeddingGradientBytes = 0;
    for (const k of gradientBytesByLayer.keys()) gradientBytesByLayer.set(k, 0);
  }
  if (deepspeed) {
    // DeepSpeed's estimators, per node, with its additional_buffer_factor 1.5 (stage_1_and_2.py,
    // stage3.py): the CPU also stages the model at load time.
    const gpus = pl.gpusPerNode * pl.nodes;
    const psiT = trainableParameters * tp * pl.pipelineParallel;
    const psi = totalParamsOnRank * tp * pl.pipelineParallel;
    const f = DEEPSPEED_HOST_BUFFER_FACTOR;
    if (stage <= 2)
      hostPerNode =
        t.offload === "optimizer-cpu" ? psiT * Math.max(4 * gpus, 16) * f : psi * 4 * pl.gpusPerNode * f;
    else if (t.offload === "optimizer-cpu") hostPerNode = ((psiT * 16) / pl.nodes) * f;
    else if (t.offload === "all-cpu") hostPerNode = ((psiT * 16 + psi * 2) / pl.nodes) * f;
    else if (t.offload === "nvme") hostPerNode = hostPerGpu * pl.gpusPerNode;
    else hostPerNode = largestModuleParameters(spec) * 4 * pl.gpusPerNode * f;
  } else hostPerNode = hostPerGpu * pl.gpusPerNode;
  if (t.optimizerInBackward) {
    stepTransient = 0;
    notes.push(
      "Optimizer in backward: each gradient is applied and freed as soon as it is produced, so the full gradient set never exists.",
    );
  }

  // Allocator: torch engines allocate one block per parameter / grad / state tensor (2 MiB rounding);
  // DeepSpeed and FSDP use flat buffers.
  let allocatorSlackBytes = 0;
  if (!deepspeed && sharding.kind !== "fsdp") {
    for (const m of mine) {
      const p = m.elements * paramBytesPer;
      const copies =
        1 + (gradientTotal > 0 ? 1 : 0) + (optimizerBytes > 0 ? (t.optimizer === "sgd" ? 1 : 2) : 0);
      allocatorSlackBytes += copies * (cudaReservedBytes(p) - p);
    }
  }

  const round = Math.ceil;
  return {
    frozenWeightBytes: round(frozenWeightBytes),
    trainableParamBytes: round(trainableParamBytes),
    trainableParamStepBytes: round(trainableParamStepBytes),
    gradientBytes: round(gradientTotal),
    gradientBytesByLayer,
    headGradientBytes: round(headGradientBytes),
    embeddingGradientBytes: round(embeddingGradientBytes),
    optimizerBytes: round(optimizerBytes),
    masterBytes: round(masterBytes),
    stepTransientBytes: round(stepTransient),
    bufferBytes: round(bufferBytes),
    gatheredBytes: round(gatheredBytes),
    autocastCopyBytes: round(autocastCopyBytes),
    allocatorSlackBytes: round(allocatorSlackBytes),
    hostBytesPerNode: round(hostPerNode),
    nvmeBytes: round(nvmeBytes),
    trainableParameters: round(trainableParameters * tp * pl.pipelineParallel),
    frozenParameters: round(frozenParameters * tp * pl.pipelineParallel),
    optimizerDescription: opt.description,
    notes,
  };
}

/** A frozen tensor stored in FP32 (QLoRA's unquantized tensors after prepare_model_for_kbit_training). */
function weightIsFp32(s: TensorSpec, fmt: WeightFormat, pr: TrainingProfile): boolean {
  if (fmt.kind === "dense") return pr.frozenBytes === 4;
  if (s.role === "output") return pr.unquantizedBytes === 4;
  return false;
}
