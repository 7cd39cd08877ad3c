/**
 * unsloth as a training framework: PEFT on top of transformers, with its own kernels
 * (unslothai/unsloth @ e3162dc5bf88bf4c2b598c74cbcaba0706c4067b: README "Context length benchmarks",
 * unsloth/kernels/{cross_entropy_loss,rms_layernorm,fast_lora}.py, use_gradient_checkpointing="unsloth").
 */
import type { TrainingFramework } from "../training-framework.js";
import { transformersTraining } from "../transformers/training.js";

export const unslothFramework: TrainingFramework = {
  name: "unsloth",
  shardsWith: "no sharding (single-GPU trainer)",
  accepts: { zero: false, fsdp: false },
  trainFitChoices: [{ sharding: "none", offload: "none", zeroStage: 0, fsdp: false }],
  profile(t, sharding) {
    const base = transformersTraining.profile(t, sharding);
    return {
      ...base,
      engine: "unsloth",
      // Fused cross-entropy without [tokens × vocab] logits, fused RMSNorm saving its 16-bit input,
      // LoRA MLP kernels saving gate and up outputs only; unquantized tensors kept 16-bit.
      loss: "fused",
      normUpcast: false,
      unquantizedBytes: 2,
      adapterCastsInput: false,
      fusedSwiGlu: true,
      quantizedSavesInput: false,
      // Gradient checkpointing "unsloth" moves each checkpointed layer input to host memory.
      checkpointsOffloaded: true,
      framework: "unsloth",
      notes: [
        ...base.notes,
        'unsloth: fused cross-entropy, RMSNorm and LoRA MLP kernels; with activation checkpointing its "unsloth" mode keeps layer inputs in host memory.',
      ],
    };
  },
};
