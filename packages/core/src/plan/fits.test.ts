import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import { estimate } from "../estimate/estimate.js";
import { type FitsEntry, modelFamily, whatFits } from "./fits.js";

/** The scenario an entry stands for, as `estimate` reads it (SCENARIO.md). */
function scenarioOf(e: FitsEntry, gpu: string, contextLength: number, gpuLayers?: number) {
  return {
    model: { id: e.model },
    engine: e.engine,
    weights: e.weights,
    contextLength,
    batch: 1,
    hardware: { gpu, count: 1 },
    ...(gpuLayers !== undefined ? { engineOptions: { gpuLayers } } : {}),
  };
}

describe("whatFits", () => {
  it("Llama-3.1-8B Q4_K_M and Qwen3-32B Q4_K_M on an RTX 4090: the largest contexts estimate finds", () => {
    const r = whatFits({
      gpu: "RTX-4090",
      models: ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-32B"],
      weights: ["Q4_K_M"],
    });
    const llama = r.entries.find((e) => e.model === "meta-llama/Llama-3.1-8B")!;
    const qwen = r.entries.find((e) => e.model === "Qwen/Qwen3-32B")!;
    // Llama-3.1-8B: memory would hold more; its 131072 trained positions stop the search (estimate's note).
    expect(llama.maxContext).toBe(131072);
    expect(llama.maxContext).toBe(estimate(scenarioOf(llama, "RTX-4090", 4096)).maxContextLength);
    // Qwen3-32B Q4_K_M: memory binds at 19,456 tokens (76 × 256) in the 23.52 GiB CUDA reports for the
    // card (21,504 against the marketed 24 GiB): estimate's own search, to the token.
    expect(qwen.maxContext).toBe(19456);
    expect(qwen.maxContext).toBe(estimate(scenarioOf(qwen, "RTX-4090", 4096)).maxContextLength);
    expect(llama.gpuLayers).toBe(33); // 32 layers + the output layer: all on the GPU
    expect(llama.qualityCost).toBe(0.1754); // llama.cpp's quantize table, catalog/quality.ts
    // Ranked: the larger model first when both run at the context.
    expect(r.entries.map((e) => e.model)).toEqual(["Qwen/Qwen3-32B", "meta-llama/Llama-3.1-8B"]);
  });

  it("a 70B model on a 24 GiB card runs with part of its layers on the GPU, re-checked by estimate", () => {
    const r = whatFits({ gpu: "RTX-4090", models: ["meta-llama/Llama-3.1-70B"], weights: ["Q4_K_M"] });
    const e = r.entries[0]!;
    expect(e.maxContext).toBeNull();
    expect(e.fits).toBe(true);
    expect(e.totalLayers).toBe(81);
    expect(e.gpuLayers).toBeGreaterThan(0);
    expect(e.gpuLayers).toBeLessThan(81);
    expect(estimate(scenarioOf(e, "RTX-4090", 4096, e.gpuLayers!)).fits).toBe(true);
    expect(estimate(scenarioOf(e, "RTX-4090", 4096, e.gpuLayers! + 1)).fits).toBe(false);
    // The host's layers run at its DRAM bandwidth: slower than the whole model read from the GPU.
    const onGpu = estimate(scenarioOf(e, "RTX-4090", 4096)).performance.decodeTokensPerSecond;
    expect(e.decodeTokensPerSecond).toBeLessThan(onGpu);
    // The layers left off the GPU stay in RAM: most of the ~40 GiB Q4_K_M file's other 35 layers.
    expect(e.gpuLayers).toBe(45); // 46 against the marketed 24 GiB; 45 in the reported 23.52 GiB
    expect(e.hostBytes).toBeGreaterThan(15 * 2 ** 30);
  });

  it("every entry is what estimate says for the same scenario (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          "meta-llama/Llama-3.2-1B",
          "Qwen/Qwen3-8B",
          "google/gemma-2-9b",
          "mistralai/Mistral-7B-v0.3",
        ),
        fc.constantFrom("RTX-4060", "RTX-3060-12GB", "RTX-4090"),
        fc.constantFrom(2048, 8192, 32768),
        fc.subarray(["Q8_0", "Q4_K_M", "Q2_K"], { minLength: 1, maxLength: 2 }),
        (model, gpu, ctx, weights) => {
          const r = whatFits({ gpu, models: [model], weights, contextLength: ctx });
          for (const e of r.entries) {
            const all = e.gpuLayers === e.totalLayers;
            const est = estimate(scenarioOf(e, gpu, ctx, all ? undefined : e.gpuLayers!));
            expect(est.fits).toBe(e.fits);
            if (all) {
              // One sequence: llama.cpp's memory steps every 256 tokens, so the 256-step answer is estimate's.
              expect(est.maxContextLength).toBe(e.maxContext);
              expect(e.bytes).toBe(Math.max(...est.devices.map((d) => d.bytes.total)));
              expect(e.decodeTokensPerSecond).toBeCloseTo(est.performance.decodeTokensPerSecond, 9);
            } else expect(estimate(scenarioOf(e, gpu, ctx, e.gpuLayers! + 1)).fits).toBe(false);
          }
        },
      ),
      { numRuns: 6, seed: 18 },
    );
  }, 300_000);

  it("vLLM: formats it loads, the pool's longest context re-checked at the next token", () => {
    const r = whatFits({ gpu: "RTX-4090", engine: "vllm", models: ["Qwen/Qwen3-8B"] });
    expect(r.granularity).toBe(1);
    expect(r.entries.map((e) => e.weights).sort()).toEqual(["awq", "bf16", "fp8", "gptq"]);
    for (const e of r.entries) {
      expect(e.gpuLayers).toBeNull();
      const s = { ...scenarioOf(e, "RTX-4090", e.maxContext!), engine: "vllm" };
      expect(estimate(s).fits).toBe(true);
      if (e.maxContext! < 40960)
        expect(estimate({ ...s, contextLength: e.maxContext! + 1 }).fits).toBe(false);
    }
  });

  it("families are the name up to its size", () => {
    expect(modelFamily("meta-llama/Llama-3.1-8B")).toBe("Llama-3.1");
    expect(modelFamily("Qwen/Qwen3-30B-A3B")).toBe("Qwen3");
    expect(modelFamily("mistralai/Mixtral-8x7B-v0.1")).toBe("Mixtral");
    expect(modelFamily("allenai/OLMo-2-0325-32B")).toBe("OLMo-2");
    expect(modelFamily("deepseek-ai/DeepSeek-V3")).toBe("DeepSeek-V3");
  });

  it("refuses bad input with the field and the allowed values", () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as MemlensError;
      }
      throw new Error("no error");
    };
    const fam = err(() => whatFits({ gpu: "RTX-4090", family: "Nope" }));
    expect(fam).toBeInstanceOf(MemlensError);
    expect(fam.field).toBe("family");
    expect(fam.allowed).toContain("Llama-3.1");
    expect(err(() => whatFits({ gpu: "RTX-4090", engine: "tgi" })).allowed).toContain("llama.cpp");
    expect(err(() => whatFits({ gpu: "RTX-4090", contextLength: 0 })).field).toBe("ctx");
    expect(err(() => whatFits({ gpu: "RTX-4090", weights: ["awq"] })).field).toBe("weights");
    expect(err(() => whatFits({ gpu: "RTX-4090", host: "RTX-3090" })).field).toBe("host");
  });
});
