import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogModelSpec, findModelRow } from "../catalog/models.js";
import { modelSpecFromHfConfig } from "../models/from-hf-config.js";
import type { ModelSpec } from "../models/model-spec.js";
import { parseScenario } from "../scenario/scenario.js";
import { BoundedLru } from "../units/memo.js";
import { transformersKvLayout } from "./engines/transformers/inference.js";
import { estimate, estimateWithReport, resolveEngineInput } from "./estimate.js";
import { clearEstimateMemo } from "./estimate-memo.js";
import { estimateKvCache } from "./kv-cache.js";

// Architectures whose memoised paths differ: dense GQA, sliding windows (gemma-2), MoE, MLA
// (DeepSeek-V3), hybrid linear attention (Qwen3-Next), MXFP4 experts (gpt-oss), Mamba, a
// pre-quantized checkpoint (FP8 with exclusions), learned positions (gpt2).
const MODELS = [
  "meta-llama/Llama-3.1-8B",
  "google/gemma-2-9b",
  "Qwen/Qwen3-30B-A3B",
  "deepseek-ai/DeepSeek-V3",
  "Qwen/Qwen3-Next-80B-A3B-Thinking",
  "openai/gpt-oss-20b",
  "tiiuae/falcon-mamba-7b",
  "Qwen/Qwen3-32B-FP8",
  "openai-community/gpt2",
] as const;

/** The catalog's spec built afresh: a new object, so every per-model memo starts empty. */
function freshSpec(id: string): ModelSpec {
  const row = findModelRow(id)!;
  return modelSpecFromHfConfig(row.config, row.id, { hfQuantConfig: row.hfQuantConfig });
}

const scenarioArb = fc.record(
  {
    model: fc.constantFrom(...MODELS).map((id) => ({ id })),
    engine: fc.constantFrom("transformers", "vllm"),
    hardware: fc.oneof(
      fc.record({
        gpu: fc.constantFrom("RTX-4090", "H100-SXM-80GB", "A100-80GB", "L4", "B200"),
        count: fc.constantFrom(1, 2, 4, 8),
      }),
      fc.record({
        memoryBytes: fc.constantFrom(16, 48, 80, 192).map((g) => g * 2 ** 30),
        count: fc.constantFrom(1, 2),
      }),
    ),
    contextLength: fc.integer({ min: 1, max: 262_144 }),
    batch: fc.integer({ min: 1, max: 64 }),
    weights: fc.constantFrom("bf16", "fp16", "fp8", "int8", "awq", "nf4"),
    kvCache: fc.constantFrom("auto", "fp8", "fp32"),
  },
  { requiredKeys: ["model", "engine", "hardware"] },
);

/** The answer or the error's message (a scenario the engine refuses must refuse alike). */
function outcome(f: () => unknown): unknown {
  try {
    return { answer: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** An answer as a caller that ignores `readonly` sees it. */
interface Writable {
  notes: string[];
  devices: { bytes: { total: number } }[];
  scenario: Record<string, unknown>;
  engine: Record<string, unknown>;
  performance: { decodeTokensPerSecond: number };
  maxContextLength: number | null;
}

describe("estimate() memo", () => {
  it("cached, uncached and cold-cache answers are identical, key order included (fast-check)", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        clearEstimateMemo();
        const cold = outcome(() => estimate(s, { modelSpec: freshSpec(s.model.id) }));
        const first = outcome(() => estimate(s));
        const hit = outcome(() => estimate(s));
        const report = outcome(() => estimateWithReport(s).estimate);
        expect(JSON.stringify(first)).toBe(JSON.stringify(report));
        expect(JSON.stringify(hit)).toBe(JSON.stringify(report));
        expect(JSON.stringify(cold)).toBe(JSON.stringify(report));
        expect(hit).toEqual(report);
      }),
      { numRuns: 60, seed: 18 },
    );
  });

  it("transformers' KV per device equals the layer-by-layer sum of estimateKvCache on one GPU", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MODELS),
        fc.integer({ min: 1, max: 1 << 20 }),
        fc.integer({ min: 1, max: 256 }),
        (id, contextLength, batch) => {
          const s = {
            model: { id },
            engine: "transformers",
            hardware: { memoryBytes: 2 ** 50, count: 1 },
            contextLength,
            batch,
          };
          const e = estimate(s);
          const input = resolveEngineInput(parseScenario(s), catalogModelSpec(id));
          const kv = estimateKvCache(input.spec, contextLength, batch, transformersKvLayout(input));
          expect(e.devices[0]!.bytes.kvCache).toBe(Math.ceil(kv.totalBytes));
        },
      ),
      { numRuns: 80, seed: 7 },
    );
  });

  it("a caller changing its answer changes no later answer", () => {
    clearEstimateMemo();
    const s = {
      model: { id: "meta-llama/Llama-3.1-8B" },
      engine: "vllm",
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
      contextLength: 8192,
    };
    const expected = JSON.stringify(estimateWithReport(s).estimate);
    for (let i = 0; i < 3; i++) {
      // The first call computes (and stores a copy); the others are memo hits.
      const e = estimate(s) as unknown as Writable;
      expect(JSON.stringify(e)).toBe(expected);
      e.notes.push("changed");
      e.notes[0] = "changed";
      e.devices[0]!.bytes.total = -1;
      e.devices.pop();
      e.scenario.contextLength = 1;
      e.engine.weightsBytes = 0;
      e.performance.decodeTokensPerSecond = 0;
      e.maxContextLength = 0;
    }
    expect(JSON.stringify(estimate(s))).toBe(expected);
    expect(JSON.stringify(estimateWithReport(s).estimate)).toBe(expected);
  });

  it("options that change the answer are part of the key", () => {
    clearEstimateMemo();
    const s = {
      model: { id: "meta-llama/Llama-3.1-8B" },
      hardware: { gpu: "RTX-4090", count: 1 },
      contextLength: 8192,
    };
    const plain = estimate(s);
    const slow = estimate(s, { efficiency: { compute: 0.35, memory: 0.45 } });
    // Half the memory efficiency: half the memory-bound decode speed.
    expect(slow.performance.decodeTokensPerSecond).toBeCloseTo(
      plain.performance.decodeTokensPerSecond / 2,
      6,
    );
    const shortPrompt = estimate(s, { promptTokens: 512 });
    expect(shortPrompt.performance.timeToFirstTokenSeconds).toBeLessThan(
      plain.performance.timeToFirstTokenSeconds,
    );
    // A caller's own ModelSpec is keyed by identity: another spec is another question.
    const other = catalogModelSpec("meta-llama/Llama-3.2-1B");
    expect(estimate(s, { modelSpec: other }).model.name).toBe("meta-llama/Llama-3.2-1B");
    expect(estimate(s).model.name).toBe("meta-llama/Llama-3.1-8B");
    // Speculative decoding adds its block; the same scenario without it has none, and another
    // acceptance rate is another question (Leviathan et al. eq. 1: k = 3, a = 0.8 → 2.952 tokens).
    const spec3 = estimate(s, {
      speculative: { method: "ngram", numSpeculativeTokens: 3, acceptanceRate: 0.8 },
    });
    expect(spec3.speculative?.expectedTokensPerStep).toBeCloseTo(2.952, 3);
    expect(estimate(s).speculative).toBeUndefined();
    const spec3low = estimate(s, {
      speculative: { method: "ngram", numSpeculativeTokens: 3, acceptanceRate: 0.5 },
    });
    expect(spec3low.speculative?.expectedTokensPerStep).toBeCloseTo(1.875, 3);
  });
});

describe("BoundedLru", () => {
  it("keeps at most its capacity, dropping the least recently used", () => {
    const lru = new BoundedLru<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1); // a is now the most recent
    lru.set("c", 3);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe(1);
    expect(lru.get("c")).toBe(3);
  });
});
