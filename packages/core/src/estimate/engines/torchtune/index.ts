/** torchtune as a training framework: one training dtype (no AMP), FSDP2 sharding. */
import {
  FSDP_CHOICES,
  isMixedPrecision,
  precisionBytes,
  type TrainingFramework,
} from "../training-framework.js";

export const torchtuneFramework: TrainingFramework = {
  name: "torchtune",
  shardsWith: "FSDP2 (set training.fsdp: true)",
  accepts: { zero: false, fsdp: true },
  trainFitChoices: [
    { sharding: "none", offload: "none", zeroStage: 0, fsdp: false },
    { sharding: "none", offload: "optimizer-cpu", zeroStage: 0, fsdp: false },
    ...FSDP_CHOICES,
  ],
  profile(t, sharding) {
    const c = precisionBytes(t.precision);
    const notes: string[] = [];
    // torchtune recipes train in one dtype (`dtype: bf16 | fp32`), no AMP; LoRA adapters take the
    // model dtype; QLoRA keeps non-NF4 params in bf16 (torchao NF4Tensor only wraps linears).
    if (isMixedPrecision(t.precision))
      notes.push(
        `torchtune has no AMP: "${t.precision}" is modelled as its dtype=${t.precision === "fp16-mixed" ? "fp16" : "bf16"} (pure 16-bit params, grads and AdamW moments).`,
      );
    return {
      engine: "torchtune",
      paramBytes: c,
      gradientBytes: c,
      masterBytes: 0,
      momentBytes: c,
      fusedOptimizer: false,
      adapterBytes: c,
      adapterCastsInput: false,
      adapterDropout: 0,
      frozenBytes: c,
      unquantizedBytes: c,
      computeBytes: c,
      autocast: false,
      normUpcast: true,
      loss: "materialized",
      lossUpcast: true,
      lossChunkTokens: 0,
      headQuantized: false,
      nf4DoubleQuant: true,
      checkpointsOffloaded: false,
      quantizesAdaptedOnly: true,
      quantizedSavesInput: false,
      fusedSwiGlu: false,
      // torchtune's attention repeats K/V heads before SDPA (expands GQA).
      sdpaExpandsKv: true,
      deepspeedDefaults: false,
      framework: sharding.kind === "fsdp" ? "torchtune (FSDP2)" : "torchtune",
      notes,
    };
  },
};
