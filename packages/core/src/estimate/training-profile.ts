import { MemlensError } from "../errors/memlens-error.js";
import type { TrainingEngine, TrainingOptions } from "../scenario/scenario.js";

/** How model states are sharded over the data-parallel group. */
export type Sharding =
  | { readonly kind: "none" }
  /** DeepSpeed ZeRO (Rajbhandari et al. 2020): 1 = optimizer states, 2 = + gradients, 3 = + parameters. */
  | { readonly kind: "zero"; readonly stage: 1 | 2 | 3 }
  /** PyTorch FSDP: FULL_SHARD (≈ ZeRO-3) or SHARD_GRAD_OP (≈ ZeRO-2, parameters kept between fwd and bwd). */
  | { readonly kind: "fsdp"; readonly strategy: "full-shard" | "shard-grad-op" };

/** How the cross-entropy over the vocabulary is computed. */
export type LossKind =
  /** Logits materialised, upcast to FP32, log_softmax saved (transformers ForCausalLMLoss, torchtune). */
  | "materialized"
  /** Fused linear + cross-entropy that never materialises [tokens, vocab] (Liger, Apple CCE). */
  | "fused";

/**
 * Bytes per element of everything a training framework keeps, for one engine × method ×
 * precision. Every field is a mechanism of the named framework, cited where it is set.
 */
export interface TrainingProfile {
  readonly engine: TrainingEngine;
  /** Trainable parameters as the training loop holds them (FP32 under torch AMP). */
  readonly paramBytes: number;
  readonly gradientBytes: number;
  /** FP32 master copy held by the optimizer wrapper (DeepSpeed); 0 when params are the master. */
  readonly masterBytes: number;
  /** Optimizer moments (AdamW/SGD) bytes per element. */
  readonly momentBytes: number;
  /** The optimizer step is fused (DeepSpeed FusedAdam / CPU Adam): no foreach temporaries. */
  readonly fusedOptimizer: boolean;
  /** LoRA adapter weights, their gradients and moments. */
  readonly adapterBytes: number;
  /** Adapters cast their input to the adapter dtype before lora_A (PEFT `_cast_input_dtype`). */
  readonly adapterCastsInput: boolean;
  /** Frozen dense base weights (LoRA). */
  readonly frozenBytes: number;
  /** Tensors a 4-bit base leaves unquantized (embeddings, norms, lm_head). */
  readonly unquantizedBytes: number;
  /** Compute dtype of matmuls and attention. */
  readonly computeBytes: number;
  /** torch.autocast active (each linear saves its own cast copy of an input of another dtype). */
  readonly autocast: boolean;
  /** Norm implementation saves an FP32 copy of its input (HF / torchtune RMSNorm `x.float()`). */
  readonly normUpcast: boolean;
  readonly loss: LossKind;
  /** SwiGLU fused into one autograd function that saves only gate and up outputs and recomputes
   * act(gate)·up in backward (Liger LigerSiLUMulFunction, unsloth LoRA_MLP). */
  readonly fusedSwiGlu: boolean;
  /** Framework a scenario maps to, for notes. */
  readonly framework: string;
  readonly notes: readonly string[];
}

const bytesOf = (p: TrainingOptions["precision"]): 2 | 4 => (p === "fp32" ? 4 : 2);
const mixed = (p: TrainingOptions["precision"]): boolean => p === "bf16-mixed" || p === "fp16-mixed";

/** The sharding a scenario asks for, checked against what the engine can do. */
export function shardingOf(engine: TrainingEngine, t: TrainingOptions): Sharding {
  if (t.fsdp) {
    if (engine === "deepspeed")
      throw new MemlensError(
        "invalid-value",
        'training.fsdp: engine "deepspeed" shards with ZeRO (training.zeroStage), not FSDP; use engine "transformers" or "torchtune" for FSDP',
        "training.fsdp",
        ["false"],
      );
    if (t.zeroStage === 1)
      throw new MemlensError(
        "invalid-value",
        "training.zeroStage: FSDP has no optimizer-only sharding; with fsdp use zeroStage 0 or 3 (FULL_SHARD) or 2 (SHARD_GRAD_OP)",
        "training.zeroStage",
        ["0", "2", "3"],
      );
    return { kind: "fsdp", strategy: t.zeroStage === 2 ? "shard-grad-op" : "full-shard" };
  }
  if (t.zeroStage === 0) return { kind: "none" };
  if (engine === "torchtune")
    throw new MemlensError(
      "invalid-value",
      "training.zeroStage: torchtune shards with FSDP2 (set training.fsdp: true), not DeepSpeed ZeRO",
      "training.zeroStage",
      ["0"],
    );
  return { kind: "zero", stage: t.zeroStage };
}

/** Offload settings the framework supports; parameter offload needs fully sharded parameters. */
export function checkOffload(t: TrainingOptions, sharding: Sharding): void {
  const paramsSharded =
    (sharding.kind === "zero" && sharding.stage === 3) ||
    (sharding.kind === "fsdp" && sharding.strategy === "full-shard");
  if ((t.offload === "all-cpu" || t.offload === "nvme") && !paramsSharded)
    throw new MemlensError(
      "invalid-value",
      `training.offload: "${t.offload}" moves parameters off the GPU, which needs zeroStage 3 (DeepSpeed offload_param is "valid only with stage 3") or fsdp FULL_SHARD`,
      "training.offload",
      ["none", "optimizer-cpu"],
    );
  if (t.offload === "nvme" && sharding.kind === "fsdp")
    throw new MemlensError(
      "invalid-value",
      'training.offload: "nvme" is DeepSpeed ZeRO-Infinity; FSDP offloads to CPU only (use "all-cpu")',
      "training.offload",
      ["none", "all-cpu"],
    );
  if (t.offload === "optimizer-cpu" && sharding.kind === "fsdp")
    throw new MemlensError(
      "invalid-value",
      'training.offload: FSDP CPUOffload moves parameters, gradients and optimizer together; use "all-cpu" with fsdp',
      "training.offload",
      ["none", "all-cpu"],
    );
}

/**
 * The dtype profile of a training run. DeepSpeed (engine "deepspeed", or "transformers" with a
 * ZeRO stage: the HF Trainer hands the model to DeepSpeed) keeps 16-bit params and grads plus an
 * FP32 master and FP32 moments; torch AMP (HF Trainer `bf16=True`) keeps FP32 params and grads and
 * autocasts; pure bf16 keeps everything in bf16 including AdamW moments (zeros_like(p)).
 */
export function trainingProfile(
  engine: TrainingEngine,
  t: TrainingOptions,
  sharding: Sharding,
): TrainingProfile {
  const c = bytesOf(t.precision);
  const notes: string[] = [];
  const deepspeed = engine === "deepspeed" || (engine === "transformers" && sharding.kind === "zero");
  if (deepspeed) {
    // DeepSpeed fp16/bf16: the module is cast to 16 bit (engine._configure_distributed_model
    // .half()/.bfloat16()); the ZeRO optimizer keeps FP32 master weights + Adam moments
    // (ZeRO paper §3: K = 12 bytes/param), FusedAdam steps in place.
    if (t.precision === "bf16")
      notes.push(
        'DeepSpeed "bf16" keeps FP32 master weights and FP32 moments (BF16_Optimizer / ZeRO), so pure bf16 costs the same as bf16-mixed.',
      );
    const half = t.precision !== "fp32";
    return {
      engine,
      paramBytes: half ? 2 : 4,
      gradientBytes: half ? 2 : 4,
      masterBytes: half ? 4 : 0,
      momentBytes: 4,
      fusedOptimizer: true,
      adapterBytes: half ? 2 : 4,
      adapterCastsInput: false,
      frozenBytes: half ? 2 : 4,
      unquantizedBytes: half ? 2 : 4,
      computeBytes: c,
      autocast: false,
      normUpcast: true,
      loss: "materialized",
      fusedSwiGlu: false,
      framework: engine === "deepspeed" ? "DeepSpeed" : "HF Trainer + DeepSpeed",
      notes,
    };
  }
  if (engine === "torchtune") {
    // torchtune recipes train in one dtype (`dtype: bf16 | fp32`), no AMP; LoRA adapters take the
    // model dtype; QLoRA keeps non-NF4 params in bf16 (torchao NF4Tensor only wraps linears).
    if (mixed(t.precision))
      notes.push(
        `torchtune has no AMP: "${t.precision}" is modelled as its dtype=${t.precision === "fp16-mixed" ? "fp16" : "bf16"} (pure 16-bit params, grads and AdamW moments).`,
      );
    return {
      engine,
      paramBytes: c,
      gradientBytes: c,
      masterBytes: 0,
      momentBytes: c,
      fusedOptimizer: false,
      adapterBytes: c,
      adapterCastsInput: false,
      frozenBytes: c,
      unquantizedBytes: c,
      computeBytes: c,
      autocast: false,
      normUpcast: true,
      loss: "materialized",
      fusedSwiGlu: false,
      framework: sharding.kind === "fsdp" ? "torchtune (FSDP2)" : "torchtune",
      notes,
    };
  }
  // transformers: HF Trainer (+ PEFT), optionally FSDP through accelerate.
  const amp = mixed(t.precision);
  const qlora = t.method === "qlora";
  if (qlora)
    notes.push(
      "QLoRA with PEFT prepare_model_for_kbit_training: every non-quantized parameter (embeddings, norms, lm_head) is cast to FP32.",
    );
  if (t.method !== "full")
    notes.push(
      "PEFT keeps LoRA adapters in FP32 (get_peft_model autocast_adapter_dtype=True) and casts each adapter's input to FP32.",
    );
  if (amp && t.method === "full")
    notes.push(
      "HF Trainer mixed precision keeps FP32 parameters and gradients and autocasts matmuls to 16 bit (16 bytes/param with AdamW, plus the 16-bit weight copies autocast saves for backward).",
    );
  return {
    engine,
    paramBytes: amp ? 4 : c,
    gradientBytes: amp ? 4 : c,
    masterBytes: 0,
    momentBytes: amp ? 4 : c,
    fusedOptimizer: false,
    adapterBytes: 4,
    adapterCastsInput: true,
    frozenBytes: c,
    unquantizedBytes: qlora ? 4 : c,
    computeBytes: c,
    autocast: amp,
    normUpcast: true,
    loss: "materialized",
    fusedSwiGlu: false,
    framework:
      sharding.kind === "fsdp"
        ? "HF Trainer + FSDP"
        : t.method === "full"
          ? "HF Trainer"
          : "HF Trainer + PEFT",
    notes,
  };
}
