import { describe, expect, it } from "vitest";
import { catalogModelSpec } from "../catalog/models.js";
import { estimate } from "../estimate/estimate.js";
import { uniformKvLayout } from "../estimate/kv-cache.js";
import { kvReadBytesPerContextToken, kvReadProfile } from "../perf/step-cost.js";
import { KV_STORAGE_DTYPES } from "./kv-policy.js";
import { servingSetup, vllmAcceptsKvDtype } from "./serving-setup.js";

const L8 = "meta-llama/Llama-3.1-8B";
const base = {
  model: { id: L8 },
  spec: catalogModelSpec(L8),
  gpu: "RTX-4090",
  tensorParallel: 1,
  maxModelLen: 8192,
  maxNumSeqs: 64,
};

describe("servingSetup: the estimate → simulator setup of a vLLM configuration", () => {
  it("sizes the pool with core's vLLM start-up estimate, typed", () => {
    const s = servingSetup(base);
    const e = estimate({
      model: { id: L8 },
      engine: "vllm",
      hardware: { gpu: "RTX-4090", count: 1 },
      contextLength: 8192,
      batch: 64,
      engineOptions: { blockSize: 16, enablePrefixCaching: true },
    });
    expect(s.startup.numGpuBlocks).toBe(e.engine.numGpuBlocks);
    expect(s.kvCache.numGpuBlocks).toBe(s.startup.numGpuBlocks);
    expect(s.maxNumBatchedTokens).toBe(e.engine.maxNumBatchedTokens);
    // Weights per GPU as vLLM loads them, less the input embedding a step reads one row of.
    expect(s.step.params.weightBytes).toBeLessThan(Number(e.engine.weightsBytes));
    expect(s.step.params.weightBytes).toBeGreaterThan(0.9 * Number(e.engine.weightsBytes));
    expect(s.refusal).toBeNull();
    expect(s.poolSource).toBe("estimate");
  });

  it("a storage format vLLM does not take re-cuts vLLM's 16-bit KV memory", () => {
    const s = servingSetup({ ...base, kvDtype: "int4" });
    expect(s.vllmKvDtype).toBe(false);
    expect(s.kvCache.numGpuBlocks).toBeUndefined();
    expect(s.kvCache.memoryBytes).toBeGreaterThan(0);
    expect(s.step.params.kvBytesPerToken).toBeLessThan(servingSetup(base).step.params.kvBytesPerToken / 3);
  });

  it("the refusal is data: a 70B model on one 24 GB card", () => {
    const s = servingSetup({
      ...base,
      model: { id: "meta-llama/Llama-3.1-70B" },
      spec: catalogModelSpec("meta-llama/Llama-3.1-70B"),
    });
    expect(s.refusal).not.toBeNull();
    expect(s.estimate.notes).toContain(`vLLM would not start: ${s.refusal}.`);
  });

  it("vLLM takes the 16-bit dtypes and fp8 of the simulator's formats", () => {
    expect(KV_STORAGE_DTYPES.filter(vllmAcceptsKvDtype)).toEqual(["auto", "bf16", "fp16", "fp8"]);
  });
});

describe("KV a decode step reads: sliding-window layers read their window", () => {
  it("gemma-2-9b at 8192 tokens reads 3/4 of a full-attention model's KV (half its layers keep 4096)", () => {
    const spec = catalogModelSpec("google/gemma-2-9b");
    const layout = uniformKvLayout("bf16");
    const p = kvReadProfile(spec, layout);
    const full = p.reduce((s, l) => s + l.bytesPerToken, 0);
    expect(kvReadBytesPerContextToken(p, 8192) / full).toBeCloseTo(0.75, 10);
    expect(kvReadBytesPerContextToken(p, 4096)).toBeCloseTo(full, 6);
  });
});
