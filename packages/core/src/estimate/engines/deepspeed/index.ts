/** DeepSpeed as a training framework: ZeRO sharding, FP32 master weights, FusedAdam. */
import type { TrainingEngine, TrainingOptions } from "../../../scenario/scenario.js";
import {
  precisionBytes,
  type TrainingFramework,
  type TrainingProfile,
  ZERO_CHOICES,
} from "../training-framework.js";

/**
 * The dtype profile of a DeepSpeed run, for engine "deepspeed" and for HF Trainer handing the model
 * to DeepSpeed (engine "transformers" with a ZeRO stage; `framework` names which).
 */
export function deepspeedProfile(
  engine: TrainingEngine,
  t: TrainingOptions,
  framework: string,
): TrainingProfile {
  const c = precisionBytes(t.precision);
  const notes: string[] = [];
  // DeepSpeed fp16/bf16: the module is cast to 16 bit (engine._configure_distributed_model
  // .half()/.bfloat16()); the ZeRO optimizer keeps FP32 master weights + Adam moments
  // (ZeRO paper §3: K = 12 bytes/param), FusedAdam steps in place.
  if (t.precision === "bf16")
    notes.push(
      'DeepSpeed "bf16" keeps FP32 master weights and FP32 moments (BF16_Optimizer / ZeRO), so pure bf16 costs the same as bf16-mixed.',
    );
  const half = t.precision !== "fp32";
  return {
    engine,
    paramBytes: half ? 2 : 4,
    gradientBytes: half ? 2 : 4,
    masterBytes: half ? 4 : 0,
    momentBytes: 4,
    fusedOptimizer: true,
    adapterBytes: half ? 2 : 4,
    adapterCastsInput: false,
    adapterDropout: 0,
    frozenBytes: half ? 2 : 4,
    unquantizedBytes: half ? 2 : 4,
    computeBytes: c,
    autocast: false,
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
    deepspeedDefaults: engine === "deepspeed",
    framework,
    notes,
  };
}

export const deepspeedFramework: TrainingFramework = {
  name: "deepspeed",
  shardsWith: "ZeRO (training.zeroStage)",
  accepts: { zero: true, fsdp: false },
  trainFitChoices: ZERO_CHOICES,
  profile: (t) => deepspeedProfile("deepspeed", t, "DeepSpeed"),
};
