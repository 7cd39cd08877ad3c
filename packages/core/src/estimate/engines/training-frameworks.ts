/** The training frameworks memlens models, by scenario engine name (task "training"). */
import type { TrainingEngine } from "../../scenario/scenario.js";
import { axolotlFramework } from "./axolotl/index.js";
import { deepspeedFramework } from "./deepspeed/index.js";
import { litgptFramework } from "./litgpt/index.js";
import { torchtuneFramework } from "./torchtune/index.js";
import type { TrainingFramework } from "./training-framework.js";
import { transformersTraining } from "./transformers/training.js";
import { trlFramework } from "./trl/index.js";
import { unslothFramework } from "./unsloth/index.js";

export const TRAINING_FRAMEWORKS: Readonly<Record<TrainingEngine, TrainingFramework>> = {
  transformers: transformersTraining,
  torchtune: torchtuneFramework,
  deepspeed: deepspeedFramework,
  litgpt: litgptFramework,
  unsloth: unslothFramework,
  trl: trlFramework,
  axolotl: axolotlFramework,
};

export const trainingFrameworkOf = (engine: TrainingEngine): TrainingFramework => TRAINING_FRAMEWORKS[engine];
