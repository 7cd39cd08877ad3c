import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findGpu } from "../catalog/gpu-lookup.js";
import { catalogModelSpec } from "../catalog/models.js";
import { kvBytesPerToken, uniformKvLayout } from "../estimate/kv-cache.js";
import { estimateWeights, parseWeightFormat } from "../estimate/weights.js";
import { countElements } from "../models/model-spec.js";
import { DEFAULT_EFFICIENCY, estimatePerformance, type RooflineInput } from "./roofline.js";
import { draftMemory, expectedTokensPerStep, speculativePerformance } from "./speculative.js";

/** Llama-3.1-8B, bf16, one H100, `batch` sequences at a 1,000-token context. */
function llama8(batch: number): RooflineInput {
  const spec = catalogModelSpec("meta-llama/Llama-3.1-8B");
  const format = parseWeightFormat(undefined, spec);
  const w = estimateWeights(spec, format);
  return {
    spec,
    gpu: findGpu("H100-SXM-80GB"),
    format,
    weightBytes: w.totalBytes,
    expertBytes: w.expertBytes,
    embeddingBytes: w.embeddingBytes,
    kvBytesPerToken: kvBytesPerToken(spec, uniformKvLayout("bf16")),
    batch,
    contextTokens: 1000,
    promptTokens: 1000,
    tensorParallel: 1,
    efficiency: DEFAULT_EFFICIENCY,
  };
}

describe("speculative decoding (Leviathan et al. 2023, arXiv:2211.17192, eq. 1)", () => {
  it("expected tokens per step: (1 − a^(k+1)) / (1 − a)", () => {
    expect(expectedTokensPerStep(0.8, 3)).toBeCloseTo(2.952, 12); // (1 − 0.4096) / 0.2
    expect(expectedTokensPerStep(0, 5)).toBe(1);
    expect(expectedTokensPerStep(1, 5)).toBe(6);
  });

  it("between 1 and k + 1, and never falls as a or k grows", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 15 }), (a, k) => {
        const e = expectedTokensPerStep(a, k);
        expect(e).toBeGreaterThanOrEqual(1 - 1e-12);
        expect(e).toBeLessThanOrEqual(k + 1 + 1e-12);
        expect(expectedTokensPerStep(a, k + 1)).toBeGreaterThanOrEqual(e - 1e-12);
        expect(expectedTokensPerStep(Math.min(1, a + 0.01), k)).toBeGreaterThanOrEqual(e - 1e-12);
      }),
    );
  });

  it("a memory-bound batch of 1 with every draft accepted: almost k + 1 times the tokens (the verify pass reads the same weights)", () => {
    const plain = estimatePerformance(llama8(1)).decodeTokensPerSecond;
    const s = speculativePerformance(llama8(1), {
      method: "ngram",
      numSpeculativeTokens: 3,
      acceptanceRate: 1,
    });
    expect(s.expectedTokensPerStep).toBe(4);
    expect(s.draftSeconds).toBe(0);
    const speedup = s.decodeTokensPerSecond / plain;
    expect(speedup).toBeGreaterThan(3.95);
    expect(speedup).toBeLessThanOrEqual(4);
  });

  it("no draft ever accepted: slower than plain decoding (the verify pass and the drafts cost more than one step)", () => {
    const plain = estimatePerformance(llama8(64)).decodeTokensPerSecond;
    const draft = catalogModelSpec("meta-llama/Llama-3.2-1B");
    const s = speculativePerformance(llama8(64), {
      method: "draft",
      draft,
      numSpeculativeTokens: 4,
      acceptanceRate: 0,
    });
    expect(s.decodeTokensPerSecond).toBeLessThan(plain);
  });

  it("a draft model's memory: Llama-3.2-1B in bf16, 1,235,814,400 × 2 B; KV 16 layers × 8 heads × 64 × 2 × 2 B", () => {
    const target = catalogModelSpec("meta-llama/Llama-3.1-8B");
    const m = draftMemory(target, {
      method: "draft",
      draft: catalogModelSpec("meta-llama/Llama-3.2-1B"),
      numSpeculativeTokens: 4,
      acceptanceRate: 0.7,
    });
    expect(m.weightBytes).toBe(2_471_628_800);
    expect(m.kvBytesPerToken).toBe(32768);
  });

  it("EAGLE: one target layer (Llama-3.1-8B: 218,112,000 × 2 B) and one layer's KV (8 × 128 × 2 × 2 B)", () => {
    const target = catalogModelSpec("meta-llama/Llama-3.1-8B");
    const m = draftMemory(target, { method: "eagle", numSpeculativeTokens: 3, acceptanceRate: 0.7 });
    // A Llama-3.1-8B layer: q 4096², k and v 4096 × 1024 each, o 4096², MLP 3 × 4096 × 14336, 2 norms.
    expect(m.weightBytes).toBe((2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096) * 2);
    expect(m.kvBytesPerToken).toBe(4096);
  });

  it("MTP: the checkpoint's own module, and a clear refusal where there is none", () => {
    const qwen35 = catalogModelSpec("Qwen/Qwen3.5-27B");
    let mtp = 0;
    for (const t of qwen35.tensors) if (t.mtp) mtp += countElements(t.shape);
    expect(mtp).toBeGreaterThan(0);
    expect(
      draftMemory(qwen35, { method: "mtp", numSpeculativeTokens: 1, acceptanceRate: 0.8 }).weightBytes,
    ).toBe(mtp * 2);
    expect(() =>
      draftMemory(catalogModelSpec("meta-llama/Llama-3.1-8B"), {
        method: "mtp",
        numSpeculativeTokens: 1,
        acceptanceRate: 0.8,
      }),
    ).toThrow("ships no multi-token-prediction module");
  });

  it("bad options name the field and the allowed values", () => {
    const x = llama8(1);
    expect(() =>
      speculativePerformance(x, { method: "ngram", numSpeculativeTokens: 0, acceptanceRate: 0.5 }),
    ).toThrow("numSpeculativeTokens must be a whole number from 1 to 16, got 0");
    expect(() =>
      speculativePerformance(x, { method: "ngram", numSpeculativeTokens: 2, acceptanceRate: 1.5 }),
    ).toThrow("acceptanceRate must be from 0 to 1, got 1.5");
    expect(() =>
      speculativePerformance(x, { method: "draft", numSpeculativeTokens: 2, acceptanceRate: 0.5 }),
    ).toThrow("draft:ID");
  });
});
