import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import { estimate } from "./estimate.js";

const base = {
  model: { id: "meta-llama/Llama-3.1-8B" },
  hardware: { gpu: "RTX-4090", count: 1 },
  contextLength: 8192,
};

describe("estimate (transformers engine)", () => {
  it("Llama-3.1-8B on an RTX 4090 at 8k: exact weights and KV, fits", () => {
    const e = estimate(base);
    const d = e.devices[0]!;
    expect(e.model.parameters).toBe(8_030_261_248);
    expect(d.bytes.weights).toBe(8_030_261_248 * 2);
    expect(d.bytes.kvCache).toBe(131_072 * 8192);
    // transformers fits into the total CUDA reports for the card (catalog reportedTotals: 23.52 GiB),
    // not its marketed 24 GiB.
    expect(d.capacityBytes).toBe(25_250_627_584);
    expect(d.bytes.total).toBe(d.bytes.weights + d.bytes.kvCache + d.bytes.activations + d.bytes.overhead);
    expect(e.fits).toBe(true);
    expect(e.maxContextLength).toBeGreaterThan(8192);
    expect(e.performance.bound).toBe("memory");
    expect(e.performance.decodeTokensPerSecond).toBeGreaterThan(0);
  });

  it("70B at bf16 does not fit one H100, and the answer is data, not an exception", () => {
    const e = estimate({
      ...base,
      model: { id: "meta-llama/Llama-3.1-70B" },
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
    });
    expect(e.fits).toBe(false);
    expect(e.maxContextLength).toBeNull();
    expect(e.maxConcurrentSequences).toBe(0);
  });

  it("several GPUs split the layers; every device carries weight", () => {
    const e = estimate({
      ...base,
      model: { id: "meta-llama/Llama-3.1-70B" },
      hardware: { gpu: "H100-SXM-80GB", count: 2 },
    });
    expect(e.devices).toHaveLength(2);
    expect(e.devices.every((d) => d.bytes.weights > 30e9)).toBe(true);
    expect(e.fits).toBe(true);
  });

  it("tensor parallelism halves the sharded weights", () => {
    const one = estimate(base).devices[0]!.bytes.weights;
    const two = estimate({ ...base, hardware: { gpu: "RTX-4090", count: 2 }, parallel: { tensor: 2 } })
      .devices[0]!.bytes.weights;
    expect(two).toBeLessThan(one * 0.51);
    expect(two).toBeGreaterThan(one * 0.49);
  });

  it.each([
    [{ ...base, model: { id: "no/such-model" } }, "model.id", "unknown-model"],
    [{ ...base, hardware: { gpu: "GTX-9999", count: 1 } }, "hardware.gpu", "unknown-gpu"],
    [{ ...base, weights: "fp7" }, "weights", "unknown-dtype"],
    [{ ...base, contextLength: -5 }, "contextLength", "invalid-value"],
    [{ ...base, contextLength: "lots" }, "contextLength", "invalid-value"],
    [{ ...base, batch: 0 }, "batch", "invalid-value"],
    [{ ...base, kvCache: "fp8" }, "kvCache", "invalid-value"],
    [{ ...base, engine: "tgi" }, "engine", "invalid-value"],
    [{ ...base, model: { hfConfig: { model_type: "llama" } } }, "config.hidden_size", "malformed-config"],
    [
      { ...base, model: { hfConfig: { model_type: "bert", hidden_size: 768 } } },
      "config.model_type",
      "unsupported-architecture",
    ],
    [{ ...base, extra: 1 }, "extra", "invalid-value"],
  ])("bad input %# names its field", (scenario, field, code) => {
    try {
      estimate(scenario);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MemlensError);
      expect((e as MemlensError).field).toBe(field);
      expect((e as MemlensError).code).toBe(code);
    }
  });
});

describe("memory never falls as context, batch or precision grows (property)", () => {
  const models = [
    "meta-llama/Llama-3.1-8B",
    "google/gemma-2-2b",
    "Qwen/Qwen3-30B-A3B",
    "deepseek-ai/DeepSeek-V2-Lite",
    "Qwen/Qwen3-Next-80B-A3B-Thinking",
  ];
  const precisions = ["gptq", "nf4", "fp8", "int8", "bf16", "fp32"]; // ascending bytes per weight
  it("holds for random scenarios", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...models),
        fc.integer({ min: 1, max: 65536 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: precisions.length - 2 }),
        fc.constantFrom("eager", "sdpa", "flash"),
        (id, ctx, batch, p, attention) => {
          const s = {
            model: { id },
            hardware: { memoryBytes: 2 ** 45, count: 1 },
            engineOptions: { attention },
          };
          const at = (c: number, b: number, w: string) =>
            estimate({ ...s, contextLength: c, batch: b, weights: w }).devices[0]!.bytes.total;
          const w = precisions[p]!;
          const t = at(ctx, batch, w);
          expect(at(ctx + 1 + (ctx >> 1), batch, w)).toBeGreaterThanOrEqual(t);
          expect(at(ctx, batch + 1, w)).toBeGreaterThanOrEqual(t);
          expect(at(ctx, batch, precisions[p + 1]!)).toBeGreaterThanOrEqual(t);
        },
      ),
      { seed: 20261123, numRuns: 60 },
    );
  });
});
