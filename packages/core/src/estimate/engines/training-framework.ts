/**
 * The contract every training framework implements (engines/<framework>/ exports one): the
 * sharding it runs, the settings train-fit may search, and the dtype profile it contributes.
 * Generic training code (training-profile.ts, training.ts, training-states.ts, train-fit.ts)
 * reads these and never branches on the engine's name.
 */
import type { TrainingEngine, TrainingOptions } from "../../scenario/scenario.js";

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
  | "fused"
  /**
   * torch.compile'd cross-entropy: Inductor fuses log_softmax + nll and AOTAutograd's min-cut
   * partitioner saves the 16-bit logits and a per-token log-sum-exp instead of FP32 log-probs
   * (torch/_functorch/partitioners.py min_cut_rematerialization_partition; torchtune compile_loss).
   */
  | "compiled";

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
  /** LoRA dropout the framework applies by default (LitGPT finetune/lora.py lora_dropout=0.05;
   * PEFT LoraConfig lora_dropout=0.0). */
  readonly adapterDropout: number;
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
  /** Logits upcast to FP32 before log_softmax (HF ForCausalLMLoss `logits.float()`, torchtune
   * CEWithChunkedOutputLoss); false: F.cross_entropy on 16-bit logits (LitGPT chunked_cross_entropy). */
  readonly lossUpcast: boolean;
  /** The LM head and loss run over fixed token chunks (LitGPT `lm_head_chunk_size=128`); 0 = none. */
  readonly lossChunkTokens: number;
  /** The 4-bit base quantizes the LM head too (Lightning's BitsandbytesPrecision replaces every
   * nn.Linear; PEFT/transformers skip lm_head through llm_int8_skip_modules). */
  readonly headQuantized: boolean;
  /** NF4 with double quantization of the absmax constants (bitsandbytes compress_statistics). */
  readonly nf4DoubleQuant: boolean;
  /** A 4-bit frozen linear saves its input for backward (bitsandbytes MatMul4Bit keeps
   * ctx.tensors = (A, B); torchao NF4 and unsloth's fused LoRA kernels do not add one). */
  readonly quantizedSavesInput: boolean;
  /** Only linears that carry an adapter are stored 4-bit (torchtune's QLoRA builders quantize the
   * base weight of each LoRALinear; k_proj without LoRA stays bf16). */
  readonly quantizesAdaptedOnly: boolean;
  /** Activation checkpointing keeps each layer's input in host memory (unsloth's
   * use_gradient_checkpointing="unsloth"). */
  readonly checkpointsOffloaded: boolean;
  /** SwiGLU fused into one autograd function that saves only gate and up outputs and recomputes
   * act(gate)·up in backward (Liger LigerSiLUMulFunction, unsloth LoRA_MLP). */
  readonly fusedSwiGlu: boolean;
  /** torchtune's attention expands K/V heads to the query heads before SDPA, whatever the batch. */
  readonly sdpaExpandsKv: boolean;
  /**
   * The run uses DeepSpeed's own config defaults (engine "deepspeed"): its ZeRO optimizer wraps
   * every precision and reduce_bucket_size is DeepSpeed's 5e8 elements. HF Trainer's DeepSpeed
   * integration writes "auto" values instead (reduce_bucket_size = hidden_size²).
   */
  readonly deepspeedDefaults: boolean;
  /** Framework a scenario maps to, for notes. */
  readonly framework: string;
  readonly notes: readonly string[];
}

/** One sharding × offload setting a framework can run (train-fit searches these). */
export interface TrainChoice {
  readonly sharding: "none" | "zero-1" | "zero-2" | "zero-3" | "fsdp-shard-grad-op" | "fsdp-full-shard";
  readonly offload: TrainingOptions["offload"];
  readonly zeroStage: 0 | 1 | 2 | 3;
  readonly fsdp: boolean;
}

/** DeepSpeed ZeRO settings (stage × offload, as checkOffload allows them). */
export const ZERO_CHOICES: readonly TrainChoice[] = [
  { sharding: "none", offload: "none", zeroStage: 0, fsdp: false },
  { sharding: "zero-1", offload: "none", zeroStage: 1, fsdp: false },
  { sharding: "zero-1", offload: "optimizer-cpu", zeroStage: 1, fsdp: false },
  { sharding: "zero-2", offload: "none", zeroStage: 2, fsdp: false },
  { sharding: "zero-2", offload: "optimizer-cpu", zeroStage: 2, fsdp: false },
  { sharding: "zero-3", offload: "none", zeroStage: 3, fsdp: false },
  { sharding: "zero-3", offload: "optimizer-cpu", zeroStage: 3, fsdp: false },
  { sharding: "zero-3", offload: "all-cpu", zeroStage: 3, fsdp: false },
  { sharding: "zero-3", offload: "nvme", zeroStage: 3, fsdp: false },
];

/** PyTorch FSDP settings (SHARD_GRAD_OP, FULL_SHARD, FULL_SHARD with CPUOffload). */
export const FSDP_CHOICES: readonly TrainChoice[] = [
  { sharding: "fsdp-shard-grad-op", offload: "none", zeroStage: 2, fsdp: true },
  { sharding: "fsdp-full-shard", offload: "none", zeroStage: 3, fsdp: true },
  { sharding: "fsdp-full-shard", offload: "all-cpu", zeroStage: 3, fsdp: true },
];

export interface TrainingFramework {
  readonly name: TrainingEngine;
  /** How the framework shards model states, in words for errors ("ZeRO (training.zeroStage)"). */
  readonly shardsWith: string;
  /** Which sharding families it runs: DeepSpeed ZeRO stages, PyTorch FSDP. */
  readonly accepts: { readonly zero: boolean; readonly fsdp: boolean };
  /** Sharding × offload settings train-fit searches for this framework. */
  readonly trainFitChoices: readonly TrainChoice[];
  /** The dtype profile of a run (what the framework keeps, bytes per element). */
  profile(t: TrainingOptions, sharding: Sharding): TrainingProfile;
}

/** Bytes per element of the precision's compute dtype. */
export const precisionBytes = (p: TrainingOptions["precision"]): 2 | 4 => (p === "fp32" ? 4 : 2);
/** torch AMP: 16-bit compute over FP32 parameters. */
export const isMixedPrecision = (p: TrainingOptions["precision"]): boolean =>
  p === "bf16-mixed" || p === "fp16-mixed";
