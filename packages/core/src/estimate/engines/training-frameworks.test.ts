import { describe, expect, it } from "vitest";
import { parseScenario, TRAINING_ENGINES, type TrainingOptions } from "../../scenario/scenario.js";
import { shardingOf, trainingProfile } from "../training-profile.js";
import { TRAINING_FRAMEWORKS } from "./training-frameworks.js";

const training = (t: Record<string, unknown>): TrainingOptions =>
  parseScenario({
    model: { id: "meta-llama/Llama-3.1-8B" },
    task: "training",
    hardware: { gpu: "H100-SXM-80GB", count: 8 },
    training: { method: "full", precision: "bf16-mixed", optimizer: "adamw", ...t },
  }).training!;

describe("training frameworks", () => {
  it("one framework per training engine, and its profile names it", () => {
    expect(Object.keys(TRAINING_FRAMEWORKS).sort()).toEqual([...TRAINING_ENGINES].sort());
    for (const e of TRAINING_ENGINES) {
      expect(TRAINING_FRAMEWORKS[e].name).toBe(e);
      expect(trainingProfile(e, training({}), { kind: "none" }).engine).toBe(e);
    }
  });

  it("refuses a sharding family the framework does not run, naming what it runs instead", () => {
    expect(() => shardingOf("deepspeed", training({ fsdp: true }))).toThrow(
      'training.fsdp: engine "deepspeed" shards with ZeRO (training.zeroStage), not FSDP; use engine "transformers" or "torchtune" or "litgpt" or "trl" or "axolotl" for FSDP',
    );
    expect(() => shardingOf("unsloth", training({ zeroStage: 2 }))).toThrow(
      "training.zeroStage: unsloth shards with no sharding (single-GPU trainer), not DeepSpeed ZeRO",
    );
    expect(() => shardingOf("torchtune", training({ zeroStage: 2 }))).toThrow(
      "training.zeroStage: torchtune shards with FSDP2 (set training.fsdp: true), not DeepSpeed ZeRO",
    );
    expect(shardingOf("transformers", training({ zeroStage: 2 }))).toEqual({ kind: "zero", stage: 2 });
  });

  it("HF Trainer with a ZeRO stage keeps DeepSpeed's profile, under its own name", () => {
    const p = trainingProfile("transformers", training({ zeroStage: 3 }), { kind: "zero", stage: 3 });
    expect(p.framework).toBe("HF Trainer + DeepSpeed");
    expect(p.masterBytes).toBe(4);
    expect(p.deepspeedDefaults).toBe(false);
    expect(
      trainingProfile("deepspeed", training({ zeroStage: 3 }), { kind: "zero", stage: 3 }).deepspeedDefaults,
    ).toBe(true);
  });

  it("framework defaults as mechanisms: LitGPT bf16-true without double quantization, torchtune quantizes adapted linears only", () => {
    const lit = trainingProfile("litgpt", training({ precision: "bf16", method: "qlora" }), { kind: "none" });
    expect([lit.paramBytes, lit.momentBytes, lit.adapterBytes, lit.masterBytes]).toEqual([2, 2, 2, 0]);
    expect([lit.nf4DoubleQuant, lit.headQuantized, lit.lossUpcast, lit.lossChunkTokens]).toEqual([
      false,
      true,
      false,
      128,
    ]);
    const tt = trainingProfile("torchtune", training({ method: "qlora" }), { kind: "none" });
    expect([tt.quantizesAdaptedOnly, tt.quantizedSavesInput, tt.nf4DoubleQuant]).toEqual([true, false, true]);
    const us = trainingProfile("unsloth", training({ method: "qlora" }), { kind: "none" });
    expect([us.loss, us.checkpointsOffloaded, us.fusedSwiGlu]).toEqual(["fused", true, true]);
    // TRL and axolotl run the HF Trainer + PEFT: the same bytes per element under their own names.
    const hf = trainingProfile("transformers", training({ method: "lora" }), { kind: "none" });
    for (const e of ["trl", "axolotl"] as const) {
      const p = trainingProfile(e, training({ method: "lora" }), { kind: "none" });
      expect({ ...p, engine: "transformers", framework: "", notes: [] }).toEqual({
        ...hf,
        framework: "",
        notes: [],
      });
    }
  });

  it("train-fit searches only settings the framework runs", () => {
    for (const f of Object.values(TRAINING_FRAMEWORKS))
      for (const c of f.trainFitChoices) {
        if (c.fsdp) expect(f.accepts.fsdp).toBe(true);
        if (!c.fsdp && c.zeroStage > 0) expect(f.accepts.zero).toBe(true);
      }
  });
});
