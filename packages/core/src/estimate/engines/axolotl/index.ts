/**
 * axolotl as a training framework: YAML over the HF Trainer, PEFT, bitsandbytes and DeepSpeed/FSDP,
 * so its memory mechanisms are transformers + PEFT's (engines/transformers/training.ts). Its YAML
 * options (gradient_checkpointing, sample_packing, flash_attention, liger) are scenario settings.
 */
import type { TrainingFramework } from "../training-framework.js";
import { transformersTraining } from "../transformers/training.js";

export const axolotlFramework: TrainingFramework = {
  ...transformersTraining,
  name: "axolotl",
  profile(t, sharding) {
    const base = transformersTraining.profile(t, sharding);
    return {
      ...base,
      engine: "axolotl",
      framework: base.framework.replace("HF Trainer", "axolotl (HF Trainer)"),
      notes: [
        ...base.notes,
        "axolotl trains through the HF Trainer, PEFT and DeepSpeed/FSDP: its YAML options (gradient_checkpointing, sample_packing, flash_attention) are not implied; set them in the scenario.",
      ],
    };
  },
};
