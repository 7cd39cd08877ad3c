import { describe, expect, it } from "vitest";
import { catalogModelSpec } from "../catalog/models.js";
import { MemlensError } from "../errors/memlens-error.js";
import { largestModuleParameters, loraTensors, planLora } from "./lora.js";
import { optimizerStateBytes } from "./optimizer.js";

describe("LoRA adapters counted from real shapes", () => {
  const llama3b = catalogModelSpec("meta-llama/Llama-3.2-3B");

  // huggingface/peft method_comparison/MetaMathQA/results/*.json @ 5d602fdb: num_trainable_params.
  it.each([
    [32, ["q_proj", "v_proj"], 9_175_040],
    [64, ["q_proj", "v_proj"], 18_350_080],
    [10, ["up_proj", "gate_proj", "down_proj"], 9_461_760],
  ] as const)("rank %i on %j: %i trainable parameters, as PEFT reports", (rank, targets, expected) => {
    expect(planLora(llama3b, rank, targets).parameters).toBe(expected);
  });

  it("all-linear covers every projection but not the head", () => {
    const all = planLora(llama3b, 16, ["all-linear"]);
    const seven = planLora(llama3b, 16, [
      "q_proj",
      "k_proj",
      "v_proj",
      "o_proj",
      "gate_proj",
      "up_proj",
      "down_proj",
    ]);
    expect(all.parameters).toBe(seven.parameters);
  });

  it("stacked experts get one adapter pair per expert", () => {
    const moe = catalogModelSpec("Qwen/Qwen3-30B-A3B");
    const p = planLora(moe, 8, ["down_proj"]);
    // 48 layers × 128 experts × 8 · (768 + 2048)
    expect(p.parameters).toBe(48 * 128 * 8 * (768 + 2048));
    expect(loraTensors(p)[0]?.shape).toEqual([128, 8, 768]);
  });

  it("an unknown target is an input error naming the modules that exist", () => {
    try {
      planLora(llama3b, 8, ["query_key_value"]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MemlensError);
      expect((e as MemlensError).field).toBe("training.lora.targets");
      expect((e as Error).message).toContain("q_proj");
    }
  });

  it("DeepSpeed's largest layer: the embedding matrix for Llama-3.1-8B", () => {
    expect(largestModuleParameters(catalogModelSpec("meta-llama/Llama-3.1-8B"))).toBe(128256 * 4096);
  });
});

describe("optimizer states", () => {
  const t = (elements: number, shape: number[] = [elements]) => ({ name: "w", shape, elements, layer: 0 });
  it("AdamW: two moments per element; the foreach step adds one temporary", () => {
    const s = optimizerStateBytes("adamw", [t(1000)], 4, false);
    expect(s.stateBytes).toBe(8000);
    expect(s.stepTransientBytes).toBe(4000);
    expect(optimizerStateBytes("adamw", [t(1000)], 4, true).stepTransientBytes).toBe(0);
  });
  it("8-bit AdamW: 2 bytes + FP32 absmax per 2048 elements; small tensors stay FP32", () => {
    expect(optimizerStateBytes("adamw-8bit", [t(4096 * 2)], 4, false).stateBytes).toBe(2 * (8192 + 4 * 4));
    expect(optimizerStateBytes("adamw-8bit", [t(100)], 4, false).stateBytes).toBe(800);
  });
  it("Adafactor: row + column factors for matrices, full second moment for vectors", () => {
    expect(optimizerStateBytes("adafactor", [t(4096 * 1024, [4096, 1024]), t(10)], 2, false).stateBytes).toBe(
      4 * (4096 + 1024) + 40,
    );
  });
  it("SGD with momentum: one buffer", () => {
    expect(optimizerStateBytes("sgd", [t(10)], 2, false).stateBytes).toBe(20);
  });
});
