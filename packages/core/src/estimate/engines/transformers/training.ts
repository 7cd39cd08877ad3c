/** transformers as a training framework: HF Trainer (+ PEFT), FSDP through accelerate, or DeepSpeed. */
import { deepspeedProfile } from "../deepspeed/index.js";
import {
  FSDP_CHOICES,
  isMixedPrecision,
  precisionBytes,
  type TrainingFramework,
  ZERO_CHOICES,
} from "../training-framework.js";

export const transformersTraining: TrainingFramework = {
  name: "transformers",
  shardsWith: "ZeRO (training.zeroStage, through DeepSpeed) or FSDP (training.fsdp, through accelerate)",
  accepts: { zero: true, fsdp: true },
  trainFitChoices: [...ZERO_CHOICES, ...FSDP_CHOICES],
  profile(t, sharding) {
    // With a ZeRO stage the HF Trainer hands the model to DeepSpeed.
    if (sharding.kind === "zero") return deepspeedProfile("transformers", t, "HF Trainer + DeepSpeed");
    const c = precisionBytes(t.precision);
    const notes: string[] = [];
    const amp = isMixedPrecision(t.precision);
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
      engine: "transformers",
      paramBytes: amp ? 4 : c,
      gradientBytes: amp ? 4 : c,
      masterBytes: 0,
      momentBytes: amp ? 4 : c,
      fusedOptimizer: false,
      adapterBytes: 4,
      adapterCastsInput: true,
      adapterDropout: 0,
      frozenBytes: c,
      unquantizedBytes: qlora ? 4 : c,
      computeBytes: c,
      autocast: amp,
      normUpcast: true,
      loss: "materialized",
      lossUpcast: true,
      lossChunkTokens: 0,
      headQuantized: false,
      nf4DoubleQuant: true,
      checkpointsOffloaded: false,
      quantizesAdaptedOnly: false,
      quantizedSavesInput: false,
      fusedSwiGlu: false,
      sdpaExpandsKv: false,
      deepspeedDefaults: false,
      framework:
        sharding.kind === "fsdp"
          ? "HF Trainer + FSDP"
          : t.method === "full"
            ? "HF Trainer"
            : "HF Trainer + PEFT",
      notes,
    };
  },
};
