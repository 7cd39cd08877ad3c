import { describe, expect, it } from "vitest";
import { findGpu } from "../catalog/gpu-lookup.js";
import { catalogModelSpec } from "../catalog/models.js";
import { estimatePerformance, IDEAL_EFFICIENCY } from "../perf/roofline.js";
import { estimateInferenceActivations } from "./activations.js";
import { estimateKvCache, kvBytesPerToken, uniformKvLayout } from "./kv-cache.js";
import { estimateWeights, weightBytesForParameterCount } from "./weights.js";

// Worked figures from seed 002 ("Why Memory Systems Matter in LLMs"), reproduced by the engine.
describe("seed 002 worked figures", () => {
  it("7B at FP16 is 14 GB and 70B at FP16 is 140 GB (exact arithmetic)", () => {
    expect(weightBytesForParameterCount(7e9, "fp16")).toBe(14e9);
    expect(weightBytesForParameterCount(70e9, "fp16")).toBe(140e9);
    expect(weightBytesForParameterCount(405e9, "fp16")).toBe(810e9);
  });

  it("real 7B and 70B checkpoints at FP16 land on the rounded figures (±5%)", () => {
    const w7 = estimateWeights(catalogModelSpec("meta-llama/Llama-2-7b-hf"), {
      kind: "dense",
      dtype: "fp16",
    }).totalBytes;
    const w70 = estimateWeights(catalogModelSpec("meta-llama/Llama-2-70b-hf"), {
      kind: "dense",
      dtype: "fp16",
    }).totalBytes;
    expect(w7).toBe(6_738_415_616 * 2); // 13.48 GB
    expect(Math.abs(w7 / 14e9 - 1)).toBeLessThan(0.05);
    expect(Math.abs(w70 / 140e9 - 1)).toBeLessThan(0.05);
  });

  it("70B GQA KV: 327,680 bytes per token, 43 GB at batch 32 × 4096", () => {
    const spec = catalogModelSpec("meta-llama/Llama-2-70b-hf");
    const layout = uniformKvLayout("fp16");
    expect(kvBytesPerToken(spec, layout)).toBe(327_680);
    const total = estimateKvCache(spec, 4096, 32, layout).totalBytes;
    expect(total).toBe(42_949_672_960);
    expect(Math.round(total / 1e9)).toBe(43);
  });

  it("naive attention scores for batch 32, 32 heads, 4096 tokens at FP16: 34 GB", () => {
    // Llama-2-7B has 32 heads; eager attention materialises [32, 32, 4096, 4096] in fp16.
    const act = estimateInferenceActivations(catalogModelSpec("meta-llama/Llama-2-7b-hf"), {
      batch: 32,
      queryTokens: 4096,
      keyTokens: 4096,
      attention: "eager",
      dtypeBytes: 2,
      logitPositions: 1,
      mlaExpanded: true,
    });
    expect(act.attentionScoresBytes).toBe(32 * 32 * 4096 * 4096 * 2);
    expect(Math.round(act.attentionScoresBytes / 1e9)).toBe(34);
    const flash = estimateInferenceActivations(catalogModelSpec("meta-llama/Llama-2-7b-hf"), {
      batch: 32,
      queryTokens: 4096,
      keyTokens: 4096,
      attention: "flash",
      dtypeBytes: 2,
      logitPositions: 1,
      mlaExpanded: true,
    });
    expect(flash.attentionScoresBytes).toBe(0);
    expect(flash.peakBytes).toBeLessThan(act.peakBytes / 10);
  });

  it("reading 140 GB at 3.35 TB/s takes 42 ms: about 24 tokens/s at batch 1", () => {
    const h100 = findGpu("H100-SXM-80GB");
    expect(h100.bandwidthBytesPerSecond).toBe(3.35e12);
    const p = estimatePerformance({
      spec: catalogModelSpec("meta-llama/Llama-2-70b-hf"),
      gpu: h100,
      format: { kind: "dense", dtype: "fp16" },
      weightBytes: 140e9,
      expertBytes: 0,
      embeddingBytes: 0,
      kvBytesPerToken: 327_680,
      batch: 1,
      contextTokens: 0,
      promptTokens: 1,
      tensorParallel: 1,
      efficiency: IDEAL_EFFICIENCY,
    });
    expect(p.decodeStepSeconds).toBeCloseTo(140e9 / 3.35e12, 12);
    expect(Math.round(p.decodeStepSeconds * 1000)).toBe(42);
    expect(Math.round(p.decodeTokensPerSecond)).toBe(24);
    expect(p.bound).toBe("memory");
  });
});
