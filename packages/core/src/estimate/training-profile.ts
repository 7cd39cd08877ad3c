import { MemlensError } from "../errors/memlens-error.js";
import type { ModelSpec } from "../models/model-spec.js";
import type { TrainingEngine, TrainingOptions } from "../scenario/scenario.js";
import type { Sharding, TrainingProfile } from "./engines/training-framework.js";
import { TRAINING_FRAMEWORKS, trainingFrameworkOf } from "./engines/training-frameworks.js";
import type { WeightFormat } from "./weights.js";

export type { LossKind, Sharding, TrainingProfile } from "./engines/training-framework.js";

/** The sharding a scenario asks for, checked against what the engine's framework can do. */
export function shardingOf(engine: TrainingEngine, t: TrainingOptions): Sharding {
  const framework = trainingFrameworkOf(engine);
  if (t.fsdp) {
    if (!framework.accepts.fsdp) {
      const fsdp = Object.values(TRAINING_FRAMEWORKS).filter((f) => f.accepts.fsdp);
      throw new MemlensError(
        "invalid-value",
        `training.fsdp: engine "${engine}" shards with ${framework.shardsWith}, not FSDP; use engine ${fsdp.map((f) => `"${f.name}"`).join(" or ")} for FSDP`,
        "training.fsdp",
        ["false"],
      );
    }
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
  if (!framework.accepts.zero)
    throw new MemlensError(
      "invalid-value",
      `training.zeroStage: ${engine} shards with ${framework.shardsWith}, not DeepSpeed ZeRO`,
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
 * The dtype profile of a training run, as the engine's framework keeps it (engines/deepspeed,
 * engines/torchtune, engines/transformers/training.ts). DeepSpeed (engine "deepspeed", or
 * "transformers" with a ZeRO stage: the HF Trainer hands the model to DeepSpeed) keeps 16-bit
 * params and grads plus an FP32 master and FP32 moments; torch AMP (HF Trainer `bf16=True`) keeps
 * FP32 params and grads and autocasts; pure bf16 keeps everything in bf16 including AdamW moments.
 */
export function trainingProfile(
  engine: TrainingEngine,
  t: TrainingOptions,
  sharding: Sharding,
): TrainingProfile {
  return trainingFrameworkOf(engine).profile(t, sharding);
}

/**
 * What torch.compile changes in a framework's profile: Inductor fuses the RMSNorm upcast and the
 * SiLU·mul product, and the min-cut partitioner (torch/_functorch/partitioners.py) recomputes cheap
 * pointwise results in backward instead of saving them; a compiled loss keeps 16-bit logits and a
 * log-sum-exp (torchtune compile_model + compile_loss).
 */
export function compiledProfile(p: TrainingProfile): TrainingProfile {
  return {
    ...p,
    normUpcast: false,
    fusedSwiGlu: true,
    loss: p.loss === "materialized" ? "compiled" : p.loss,
  };
}

/** A 4-bit LM head is dequantized to the compute dtype for each head matmul (bitsandbytes
 * Linear4bit → dequantize_4bit): a [vocab, hidden] transient next to the logits. */
export function headDequantBytes(
  profile: TrainingProfile,
  frozenFormat: WeightFormat | null,
  spec: ModelSpec,
  tensorParallel: number,
): number {
  if (!profile.headQuantized || frozenFormat?.kind !== "nf4") return 0;
  const head = spec.tensors.find((x) => x.role === "output");
  if (!head) return 0;
  return Math.ceil(((head.shape[0] ?? 0) * (head.shape[1] ?? 0) * profile.computeBytes) / tensorParallel);
}
