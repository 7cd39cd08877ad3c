/** The training frameworks memlens models, by scenario engine name (task "training"). */
import type { TrainingEngine } from "../../scenario/scenario.js";
import { deepspeedFramework } from "./deepspeed/index.js";
import { torchtuneFramework } from "./torchtune/index.js";
import type { TrainingFramework } from "./training-framework.js";
import { transformersTraining } from "./transformers/training.js";

export const TRAINING_FRAMEWORKS: Readonly<Record<TrainingEngine, TrainingFramework>> = {
  transformers: transformersTraining,
  torchtune: torchtuneFramework,
  deepspeed: deepspeedFramework,
};

export const trainingFrameworkOf = (engine: TrainingEngine): TrainingFramework => TRAINING_FRAMEWORKS[engine];
