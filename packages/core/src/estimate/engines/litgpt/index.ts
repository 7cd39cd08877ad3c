/**
 * LitGPT as a training framework (Lightning-AI/litgpt @ 00af8b0d9b43eaa3f8c812e3e8bd53ef38cbb49d,
 * litgpt/finetune/{full,lora}.py, litgpt/model.py, litgpt/utils.py).
 */
import {
  FSDP_CHOICES,
  isMixedPrecision,
  precisionBytes,
  type TrainingFramework,
} from "../training-framework.js";

export const litgptFramework: TrainingFramework = {
  name: "litgpt",
  shardsWith: "FSDP (Lightning FSDPStrategy, set training.fsdp: true)",
  accepts: { zero: false, fsdp: true },
  trainFitChoices: [{ sharding: "none", offload: "none", zeroStage: 0, fsdp: false }, ...FSDP_CHOICES],
  profile(t, sharding) {
    const c = precisionBytes(t.precision);
    const amp = isMixedPrecision(t.precision);
    const notes: string[] = [];
    // "bf16-true" (scenario "bf16"): Fabric casts the module to bf16, AdamW keeps its moments in
    // the parameters' dtype, no FP32 master copy. "bf16-mixed": FP32 parameters under autocast.
    if (!amp && c === 2)
      notes.push(
        "LitGPT bf16-true: parameters, gradients, AdamW moments and LoRA adapters all in bf16 (no FP32 master weights).",
      );
    if (t.method === "qlora")
      notes.push(
        'LitGPT --quantize bnb.nf4: BitsandbytesPrecision converts every nn.Linear, lm_head included, to NF4 without double quantization ("bnb.nf4-dq" adds it).',
      );
    notes.push(
      "LitGPT computes the head and the cross-entropy per 128-token chunk (lm_head_chunk_size=128, chunked_cross_entropy) on bf16 logits, without an FP32 upcast.",
    );
    return {
      engine: "litgpt",
      paramBytes: amp ? 4 : c,
      gradientBytes: amp ? 4 : c,
      masterBytes: 0,
      momentBytes: amp ? 4 : c,
      fusedOptimizer: false,
      adapterBytes: amp ? 4 : c,
      adapterCastsInput: false,
      adapterDropout: 0.05,
      frozenBytes: c,
      unquantizedBytes: c,
      computeBytes: c,
      autocast: amp,
      // litgpt/model.py RMSNorm: x.float() before the mean of squares.
      normUpcast: true,
      loss: "materialized",
      lossUpcast: false,
      lossChunkTokens: 128,
      headQuantized: true,
      nf4DoubleQuant: false,
      checkpointsOffloaded: false,
      quantizesAdaptedOnly: false,
      quantizedSavesInput: true,
      fusedSwiGlu: false,
      // CausalSelfAttention expands K/V to every query head before SDPA (model.py, k.expand(...)).
      sdpaExpandsKv: true,
      deepspeedDefaults: false,
      framework: sharding.kind === "fsdp" ? "LitGPT (FSDP)" : "LitGPT",
      notes,
    };
  },
};
