import { describe, expect, it } from "vitest";
import { findGpu } from "../catalog/gpu-lookup.js";
import { catalogModelSpec } from "../catalog/models.js";
import { estimateWeights, parseWeightFormat } from "../estimate/weights.js";
import { countElements } from "../models/model-spec.js";
import { stepBatch } from "../testing/step-batch.js";
import { modelStep, modelStepTime } from "./model-step.js";
import { rooflineStepTime } from "./roofline.js";

const gpu = findGpu("H100-SXM-80GB");
const decode = (seqs: number) =>
  stepBatch({
    decodeSeqs: seqs,
    decodeContextTokens: seqs * 1000,
    contextTokens: seqs * 1000,
    kvTokensRead: seqs * 1000,
  });

/** A catalog model in its default weight format on H100s, its weights split over `tensorParallel`. */
function h100Step(model: string, kvBytesPerTokenPerGpu: number, tensorParallel = 1) {
  const spec = catalogModelSpec(model);
  const format = parseWeightFormat(undefined, spec);
  const w = estimateWeights(spec, format);
  const s = modelStep({
    spec,
    gpu,
    format,
    weightBytesPerGpu: w.totalBytes / tensorParallel,
    kvBytesPerTokenPerGpu,
    tensorParallel,
  });
  return { spec, w, s };
}

describe("modelStep: roofline step terms per GPU for a catalog model", () => {
  it("Llama-3.1-8B: hand-derived FLOPs per token and per attention pair, embedding not read whole", () => {
    const { w, s } = h100Step("meta-llama/Llama-3.1-8B", 131072);
    // 8,030,261,248 parameters, untied 128,256 × 4,096 input embedding is a lookup: 2 FLOPs per other weight.
    expect(s.params.flopsPerToken).toBe(2 * (8_030_261_248 - 128_256 * 4096));
    // 32 layers × 2 × 32 heads × (128 + 128): QKᵀ and AV per query·key pair.
    expect(s.params.attentionFlopsPerPair).toBe(32 * 2 * 32 * 256);
    expect(s.params.weightBytes).toBe(w.totalBytes - 128_256 * 4096 * 2);
    expect(s.moe).toBeNull();
    expect(s.computeDtype).toBe("bf16");
    // Tensor parallelism splits FLOPs; the dense step is core's plain roofline.
    const tp2 = h100Step("meta-llama/Llama-3.1-8B", 65536, 2).s;
    expect(tp2.params.flopsPerToken).toBe(s.params.flopsPerToken / 2);
    expect(modelStepTime(s)(decode(8))).toBe(rooflineStepTime(s.params)(decode(8)));
  });

  it("Qwen3-30B-A3B: a one-token step reads 8 of 128 experts; a large batch reads nearly all", () => {
    const { spec, w, s } = h100Step("Qwen/Qwen3-30B-A3B", 98304);
    expect(s.moe).toEqual({ expertsPerToken: 8, numExperts: 128 });
    expect(s.expertBytesPerGpu).toBe(w.expertBytes);
    let embedding = 0;
    for (const t of spec.tensors) if (t.role === "embedding") embedding += countElements(t.shape);
    expect(s.params.flopsPerToken).toBe(2 * (spec.activeParameters - embedding));
    const dense = s.params.weightBytes - s.expertBytesPerGpu;
    const step = modelStepTime(s);
    // Memory-bound single decode: (dense + 8/128 of the experts) / (bandwidth × 0.9), KV read 0 here.
    const one = step(decode(1));
    const expected =
      (dense + (s.expertBytesPerGpu * Math.round((8 / 128) * 1000)) / 1000) /
      (gpu.bandwidthBytesPerSecond * 0.9);
    expect(Math.abs(one / expected - 1)).toBeLessThan(0.05);
    expect(one).toBeLessThan(rooflineStepTime(s.params)(decode(1)));
    expect(step(decode(256)) / rooflineStepTime(s.params)(decode(256))).toBeGreaterThan(0.99);
  });
});
