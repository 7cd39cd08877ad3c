import { describe, expect, it } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import { parseScenario } from "./scenario.js";

const base = { model: { id: "meta-llama/Llama-3.1-8B" }, hardware: { gpu: "RTX-4090", count: 1 } };

function refusal(raw: unknown): MemlensError {
  try {
    parseScenario(raw);
  } catch (e) {
    if (e instanceof MemlensError) return e;
    throw e;
  }
  throw new Error("parseScenario accepted the scenario");
}

describe("parseScenario refuses what it would otherwise ignore", () => {
  it.each([
    [{ ...base, contxtLength: 8192 }, "contxtLength", "contextLength"],
    [{ ...base, hardware: { gpu: "RTX-4090", cnt: 2 } }, "hardware.cnt", "count"],
    [{ ...base, parallel: { tensr: 2 } }, "parallel.tensr", "tensor"],
    [{ ...base, engineOptions: { gpuMemUtil: 0.8 } }, "engineOptions.gpuMemUtil", "gpuMemoryUtilization"],
    [{ ...base, task: "training", training: { microbatch: 4 } }, "training.microbatch", "microBatch"],
    [{ ...base, task: "training", training: { sharding: { zero: 1 } } }, "training.sharding", "zeroStage"],
    [
      { ...base, task: "training", training: { method: "lora", lora: { rnk: 8 } } },
      "training.lora.rnk",
      "rank",
    ],
  ])("%j: names %s and lists %s among the allowed keys", (raw, field, allowedKey) => {
    const e = refusal(raw);
    expect(e.code).toBe("invalid-value");
    expect(e.field).toBe(field);
    expect(e.allowed).toContain(allowedKey);
    expect(e.message).toMatch(/unknown (field|option); allowed:/);
  });

  it.each([-1, 0, "32", Number.NaN])("training.lora.alpha %j is an error, not the default", (alpha) => {
    const e = refusal({ ...base, task: "training", training: { method: "lora", lora: { alpha } } });
    expect(e.field).toBe("training.lora.alpha");
  });

  it("every key SCENARIO.md lists is accepted", () => {
    const s = parseScenario({
      ...base,
      engine: "transformers",
      task: "training",
      weights: "bf16",
      kvCache: "auto",
      contextLength: 4096,
      batch: 1,
      parallel: { tensor: 1, pipeline: 1, data: 1, expert: 1 },
      engineOptions: {},
      training: {
        method: "lora",
        optimizer: "adamw",
        precision: "bf16-mixed",
        microBatch: 2,
        sequenceLength: 1024,
        gradientAccumulation: 4,
        activationCheckpointing: "full",
        zeroStage: 0,
        fsdp: false,
        offload: "none",
        activationOffloading: false,
        optimizerInBackward: false,
        lossChunks: 1,
        packed: false,
        lora: { rank: 8, alpha: 16, targets: ["q_proj", "v_proj"] },
      },
    });
    expect(s.training?.microBatch).toBe(2);
    expect(s.training?.lora.alpha).toBe(16);
    expect(
      parseScenario({ model: { id: "x" }, hardware: { memoryBytes: 2 ** 34, count: 2 } }).hardware,
    ).toEqual({
      memoryBytes: 2 ** 34,
      count: 2,
    });
  });
});
