import { describe, expect, test } from "vitest";
import { findGpu } from "../../../catalog/gpu-lookup.js";
import { catalogModelSpec } from "../../../catalog/models.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import { parseScenario } from "../../../scenario/scenario.js";
import { estimate } from "../../estimate.js";
import type { EngineInput } from "../../estimate-types.js";
import { parseWeightFormat } from "../../weights.js";
import { issueText } from "../index.js";
import { LLAMA_MAX_SEQ, llamaCppCacheType, llamaCppEngine } from "./index.js";

const ID = "meta-llama/Llama-3.1-8B";

function inputOf(batch: number): EngineInput {
  const scenario = parseScenario({
    model: { id: ID },
    engine: "llama.cpp",
    weights: "Q4_K_M",
    contextLength: 4096,
    batch,
    hardware: { gpu: "RTX-4090", count: 1 },
  });
  const spec = catalogModelSpec(ID);
  const gpu = findGpu("RTX-4090");
  return {
    scenario,
    spec,
    format: parseWeightFormat("Q4_K_M", spec),
    capacityBytes: gpu.memoryBytes,
    gpu,
    deviceCount: 1,
  };
}

describe("llamaCppEngine (the Engine contract)", () => {
  test("capabilities: every KV dtype is a cache type, the search lists are subsets", () => {
    expect(llamaCppEngine.name).toBe("llama.cpp");
    expect(llamaCppEngine.kvDtypes[0]).toBe("auto");
    for (const k of llamaCppEngine.kvDtypes) expect(() => llamaCppCacheType(k, "kvCache")).not.toThrow();
    for (const k of llamaCppEngine.searchKvDtypes) expect(llamaCppEngine.kvDtypes).toContain(k);
    for (const w of llamaCppEngine.searchWeights) expect(llamaCppEngine.acceptsWeights(w)).toBe(true);
    expect(llamaCppEngine.acceptsWeights("q4_k_m")).toBe(true);
    expect(llamaCppEngine.acceptsWeights("bf16")).toBe(true);
    expect(llamaCppEngine.acceptsWeights("awq")).toBe(false);
    expect(llamaCppEngine.maxSequences).toBe(LLAMA_MAX_SEQ);
  });

  test("toJson of the report is estimate()'s engine record", () => {
    const input = inputOf(2);
    const r = llamaCppEngine.memory(input, 4096, 2);
    expect(r.issues).toEqual([]);
    expect(r.report.memory).not.toBeNull();
    const e = estimate({
      model: { id: ID },
      engine: "llama.cpp",
      weights: "Q4_K_M",
      contextLength: 4096,
      batch: 2,
      hardware: { gpu: "RTX-4090", count: 1 },
    });
    expect(JSON.stringify(llamaCppEngine.toJson(r.report))).toBe(JSON.stringify(e.engine));
  });

  test("past LLAMA_MAX_SEQ: a search probe gets the too-many-sequences issue, the scenario's own batch throws", () => {
    const probe = llamaCppEngine.memory(inputOf(1), 4096, LLAMA_MAX_SEQ + 1);
    expect(probe.issues).toEqual([
      {
        code: "too-many-sequences",
        engine: "llama.cpp",
        sequences: LLAMA_MAX_SEQ + 1,
        maxSequences: LLAMA_MAX_SEQ,
      },
    ]);
    expect(issueText(probe.issues[0]!)).toContain("at most 256 parallel sequences");
    expect(probe.devices.every((d) => d.total === Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(llamaCppEngine.toJson(probe.report)).toEqual({});
    expect(llamaCppEngine.lowerBound!(inputOf(1), 4096, LLAMA_MAX_SEQ + 1)).toEqual([]);
    expect(() => llamaCppEngine.memory(inputOf(LLAMA_MAX_SEQ + 1), 4096, LLAMA_MAX_SEQ + 1)).toThrow(
      MemlensError,
    );
  });
});
