import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimate } from "../estimate/estimate.js";
import { suggestChanges } from "./changes.js";
import { paretoFront, planDeployment } from "./plan.js";

describe("planDeployment", () => {
  it("searches over 100,000 candidates and returns a non-dominated front that meets the goal", () => {
    const r = planDeployment({
      model: "meta-llama/Llama-3.1-8B",
      gpu: "RTX-4090",
      gpuCount: 2,
      goal: { kind: "longest-context", concurrency: 1 },
    });
    expect(r.candidatesEvaluated).toBeGreaterThan(10_000);
    expect(r.pareto.length).toBeGreaterThan(0);
    for (const a of r.pareto)
      for (const b of r.pareto)
        if (a !== b)
          expect(
            b.decodeTokensPerSecond >= a.decodeTokensPerSecond &&
              b.peakDeviceBytes <= a.peakDeviceBytes &&
              (b.perplexityDelta ?? 1e9) <= (a.perplexityDelta ?? 1e9) &&
              (b.decodeTokensPerSecond > a.decodeTokensPerSecond ||
                b.peakDeviceBytes < a.peakDeviceBytes ||
                (b.perplexityDelta ?? 1e9) < (a.perplexityDelta ?? 1e9)),
          ).toBe(false);
    expect(r.best).not.toBeNull();
    expect(r.bestEstimate?.fits).toBe(true);
  });

  // The planner prices decode with the step estimate() prices (perf/step-cost.ts decodeStepCost):
  // a batch's MoE experts, sliding windows and attention FLOPs included, so its best pick's speed
  // is the speed the re-checking estimate reports for that scenario.
  it.each([
    ["Qwen/Qwen3-30B-A3B", "H100-SXM-80GB"], // MoE: experts a batch touches
    ["google/gemma-2-9b", "L40S-48GB"], // sliding-window layers
  ])("%s on %s: the best pick's decode speed is its estimate's", (model, gpu) => {
    const r = planDeployment({
      model,
      gpu,
      gpuCount: 1,
      goal: { kind: "fastest-decode", contextLength: 8192, concurrency: 1 },
    });
    const planned = r.best?.decodeTokensPerSecond ?? 0;
    const estimated = r.bestEstimate?.performance.decodeTokensPerSecond ?? 0;
    expect(planned).toBeGreaterThan(0);
    expect(Math.abs(planned - estimated) / estimated).toBeLessThan(1e-9);
  });

  it("paretoFront drops a candidate beaten on every axis", () => {
    const c = {
      engine: "transformers",
      weights: "bf16",
      kvCache: "bf16",
      tensorParallel: 1,
      pipelineParallel: 1,
      contextLength: 1,
      batch: 1,
      fits: true,
    } as const;
    const front = paretoFront([
      { ...c, peakDeviceBytes: 10, decodeTokensPerSecond: 10, perplexityDelta: 0 },
      { ...c, peakDeviceBytes: 20, decodeTokensPerSecond: 5, perplexityDelta: 0.1 },
      { ...c, peakDeviceBytes: 5, decodeTokensPerSecond: 20, perplexityDelta: 0.5 },
    ]);
    expect(front.map((x) => x.peakDeviceBytes)).toEqual([5, 10]);
  });

  // Seed 002's case study: Llama 3 70B serving ~86 GB of FP16 KV (32 × 8,192 tokens) fits 4×H100 at
  // BF16 with TP=4; on 2×H100 it needs 4-bit weights, TP=2 and an 8-bit KV cache.
  it("reproduces seed 002's case study with vLLM", () => {
    const goal = { kind: "serve", contextLength: 8192, concurrency: 32 } as const;
    const four = planDeployment({
      model: "meta-llama/Llama-3.1-70B",
      gpu: "H100-SXM-80GB",
      gpuCount: 4,
      goal,
      engines: ["vllm"],
    });
    expect(four.best?.weights).toBe("bf16");
    expect(four.best?.tensorParallel).toBe(4);
    const two = planDeployment({
      model: "meta-llama/Llama-3.1-70B",
      gpu: "H100-SXM-80GB",
      gpuCount: 2,
      goal,
      engines: ["vllm"],
      weights: ["bf16", "fp8", "awq"],
    });
    expect(two.pareto.some((c) => c.weights === "bf16")).toBe(false);
    expect(two.best?.weights).toBe("awq");
    expect(two.best?.tensorParallel).toBe(2);
    const withFp8Kv = two.pareto.find(
      (c) => c.weights === "awq" && c.kvCache === "fp8" && c.tensorParallel === 2,
    );
    expect(withFp8Kv).toBeDefined();
  });
});

describe("planDeployment with llama.cpp", () => {
  // llama.cpp refuses more than 256 parallel sequences (LLAMA_MAX_SEQ): on 8 × H100 memory would
  // allow far more, and the plan must stop at the engine's limit instead of failing the re-check.
  it("never plans more sequences than llama.cpp serves", () => {
    const r = planDeployment({
      model: "meta-llama/Llama-3.1-70B",
      gpu: "H100-SXM-80GB",
      gpuCount: 8,
      engines: ["llama.cpp"],
      goal: { kind: "serve", contextLength: 8192, concurrency: 32 },
    });
    expect(r.best).not.toBeNull();
    expect(r.bestEstimate?.fits).toBe(true);
    expect(Math.max(...r.pareto.map((c) => c.batch))).toBeLessThanOrEqual(256);
  });
});

describe("suggestChanges", () => {
  it("70B on one 80 GB GPU: every suggestion fits when applied, and 4-bit weights are among them", () => {
    const s = {
      model: { id: "meta-llama/Llama-3.1-70B" },
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
      contextLength: 8192,
    };
    expect(estimate(s).fits).toBe(false);
    const changes = suggestChanges(s);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.some((c) => c.field === "weights" && c.value === "nf4")).toBe(true);
    for (const c of changes) {
      expect(c.estimate.fits).toBe(true);
      expect(c.description.length).toBeGreaterThan(20);
    }
  });

  it("property: each suggested change fits when applied (re-checked independently)", () => {
    const models = [
      "meta-llama/Llama-3.1-8B",
      "Qwen/Qwen3-14B",
      "google/gemma-2-9b",
      "mistralai/Mixtral-8x7B-v0.1",
    ];
    const gpus = ["RTX-4090", "L4-24GB", "A100-40GB", "RTX-3060-12GB"];
    fc.assert(
      fc.property(
        fc.constantFrom(...models),
        fc.constantFrom(...gpus),
        fc.integer({ min: 512, max: 65536 }),
        fc.integer({ min: 1, max: 8 }),
        (id, gpu, ctx, batch) => {
          const s = { model: { id }, hardware: { gpu, count: 1 }, contextLength: ctx, batch };
          for (const c of suggestChanges(s)) expect(estimate(c.scenario).fits).toBe(true);
        },
      ),
      { seed: 7, numRuns: 25 },
    );
  });
});
