/**
 * TRL (SFTTrainer, DPOTrainer...) as a training framework: a subclass of the HF Trainer with PEFT, so
 * its memory mechanisms are transformers + PEFT's (engines/transformers/training.ts). Its config
 * defaults (SFTConfig's gradient checkpointing, packing, liger kernels) are scenario settings.
 */
import type { TrainingFramework } from "../training-framework.js";
import { transformersTraining } from "../transformers/training.js";

export const trlFramework: TrainingFramework = {
  ...transformersTraining,
  name: "trl",
  profile(t, sharding) {
    const base = transformersTraining.profile(t, sharding);
    return {
      ...base,
      engine: "trl",
      framework: base.framework.replace("HF Trainer", "TRL (HF Trainer)"),
      notes: [
        ...base.notes,
        "TRL trains through the HF Trainer and PEFT: its SFTConfig defaults (gradient checkpointing, packing, Liger) are not implied; set them in the scenario.",
      ],
    };
  },
};
