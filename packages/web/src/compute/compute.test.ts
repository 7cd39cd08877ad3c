/** The web's compute layer only orchestrates core: its figures must be core's. */
import {
  catalogModelSpec,
  estimate,
  findGpu,
  kvBytesPerToken,
  weightBytesForParameterCount,
} from "@memlens/core";
import { describe, expect, it } from "vitest";
import { catalogChoice } from "../lib/models.js";
import { attentionAt } from "./attention.js";
import { runContextWindow } from "./context-window.js";
import { growthSeries, recurrentModels } from "./growth.js";
import { hierarchyFor } from "./hierarchy.js";
import { attentionVariant, exemplars, kvHeadsFor, kvLayout, memoryKindOf, memoryKindsOf } from "./kv.js";
import { computePiles } from "./piles.js";
import { plan } from "./planner.js";
import { heldWithRecompute, recomputeProfile, trainingPeak, trainingScenario } from "./training.js";
import { workedFigures } from "./worked-figures.js";

const llama8 = catalogChoice("meta-llama/Llama-3.1-8B");
const rtx = findGpu("RTX-4090");
const h100 = findGpu("H100-SXM-80GB");

describe("seed 002 worked figures, reproduced by core", () => {
  const value = (topic: Parameters<typeof workedFigures>[0], id: string) =>
    workedFigures(topic).find((f) => f.id === id)!.value;
  it("weights, KV, attention, training, bandwidth", () => {
    expect(value("weights", "wf-7b")).toBe(14e9);
    expect(value("weights", "wf-70b")).toBe(140e9);
    expect(value("kv-cache", "wf-kv-token")).toBe(327_680);
    expect(Math.round(value("kv-cache", "wf-kv-batch") / 1e9)).toBe(43);
    expect(Math.round(value("attention", "wf-scores") / 1e9)).toBe(34);
    expect(value("training", "wf-train-total")).toBe(84e9);
    expect(value("training", "wf-train-master")).toBe(112e9);
    expect(Math.round(value("hardware", "wf-read"))).toBe(42);
    expect(Math.round(value("hardware", "wf-toks"))).toBe(24);
    expect(weightBytesForParameterCount(7e9, "fp16")).toBe(value("weights", "wf-7b"));
  });
});

describe("KV cache", () => {
  it("attention-kind overrides rewrite num_key_value_heads and core rebuilds the model", () => {
    const mha = attentionVariant(llama8, "mha")!;
    const mqa = attentionVariant(llama8, "mqa")!;
    const layout = kvLayout("bf16");
    // 2 (K, V) × 32 layers × heads × 128 head dim × 2 bytes
    expect(kvBytesPerToken(mha, layout)).toBe(2 * 32 * 32 * 128 * 2);
    expect(kvBytesPerToken(mqa, layout)).toBe(2 * 32 * 1 * 128 * 2);
    expect(kvBytesPerToken(attentionVariant(llama8, "published")!, layout)).toBe(2 * 32 * 8 * 128 * 2);
    expect(attentionVariant(catalogChoice("deepseek-ai/DeepSeek-V2-Lite"), "mha")).toBeNull();
    expect(kvHeadsFor("gqa", 40)).toBe(8);
    expect(kvHeadsFor("gqa", 12)).toBe(6);
  });

  it("memory kinds and one exemplar per kind from the catalog", () => {
    expect(memoryKindOf(catalogModelSpec("google/gemma-3-1b-it"))).toBe("swa");
    expect([...memoryKindsOf(catalogModelSpec("google/gemma-3-1b-it"))].sort()).toEqual(["mqa", "swa"]);
    const kinds = exemplars(8e9).map((e) => e.kind);
    for (const k of ["mha", "gqa", "mqa", "mla", "swa", "ssm"] as const) expect(kinds).toContain(k);
  });
});

describe("four piles", () => {
  it("inference is estimate(); training is core's training peak", () => {
    const r = computePiles({
      model: llama8,
      gpu: rtx,
      weights: undefined,
      contextLength: 4096,
      batch: 1,
      checkpointing: "none",
    });
    const e = estimate(
      { model: { id: llama8.key }, hardware: { gpu: rtx.id, count: 1 }, contextLength: 4096, batch: 1 },
      { modelSpec: llama8.spec },
    );
    expect(r.inference.ok && r.inference.value).toEqual(e.devices[0]!.bytes);
    const t = estimate(
      trainingScenario({
        model: llama8,
        gpu: rtx,
        gpuCount: 1,
        zeroStage: 0,
        checkpointing: "none",
        sequenceLength: 4096,
        microBatch: 1,
      }),
      {
        modelSpec: llama8.spec,
      },
    );
    expect(r.training.ok && r.training.value.perGpu).toEqual(t.devices[0]!.bytes);
  });

  it("ZeRO stages shrink per-GPU memory monotonically", () => {
    const totals = ([0, 1, 2, 3] as const).map((z) => {
      const p = trainingPeak({
        model: llama8,
        gpu: h100,
        gpuCount: 8,
        zeroStage: z,
        checkpointing: "full",
        sequenceLength: 2048,
        microBatch: 1,
      });
      if (!p.ok) throw new Error(p.message);
      return p.value.perGpu.total;
    });
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeLessThan(totals[i - 1]!);
  });

  it("recomputing layers trades activation memory away", () => {
    const p = recomputeProfile(llama8, h100, 2048, 1);
    expect(p.storedPerLayer).toHaveLength(32);
    const all = heldWithRecompute(p, 32);
    const none = heldWithRecompute(p, 0);
    expect(all).toBeLessThan(none / 5);
    expect(heldWithRecompute(p, 16)).toBeLessThan(none);
    expect(heldWithRecompute(p, 16)).toBeGreaterThan(all);
  });
});

describe("attention, hierarchy, growth, context window, planner", () => {
  it("eager scores grow with n², flash workspace with n", () => {
    const a = attentionAt(llama8.spec, 4096, 1, "eager");
    const b = attentionAt(llama8.spec, 8192, 1, "eager");
    expect(b.attentionScoresBytes / a.attentionScoresBytes).toBe(4);
    const f1 = attentionAt(llama8.spec, 4096, 1, "flash");
    const f2 = attentionAt(llama8.spec, 8192, 1, "flash");
    expect(f2.attentionBytes / f1.attentionBytes).toBe(2);
    expect(f1.attentionScoresBytes).toBe(0);
  });

  it("hierarchy: reading the weights once bounds batch-1 decode", () => {
    const h = hierarchyFor(llama8.spec, h100, undefined);
    expect(h.decodeCeilingTokensPerSecond).toBeGreaterThan(0);
    expect(h.tiers[0]!.weightsReadSeconds).toBeCloseTo(h.weightBytes / h100.bandwidthBytesPerSecond, 12);
    expect(h.offloadCeilingTokensPerSecond).toBeLessThan(h.decodeCeilingTokensPerSecond);
  });

  it("growth: a transformer's cache grows linearly, a hybrid's more slowly", () => {
    const [a, b] = growthSeries(llama8.spec, [1024, 2048]);
    expect(b!.totalBytes).toBe(2 * a!.totalBytes);
    const hybrid = recurrentModels()[0];
    expect(hybrid).toBeDefined();
    const [c, d] = growthSeries(catalogModelSpec(hybrid!), [1024, 2048]);
    expect(c!.stateBytes).toBeGreaterThan(0);
    expect(d!.stateBytes).toBe(c!.stateBytes);
    expect(d!.totalBytes / c!.totalBytes).toBeLessThan(2);
  });

  it("context window: a small budget forces compaction, tokens in = kept + summarized + evicted", () => {
    const sim = runContextWindow({
      turns: 20,
      policy: "sliding-window",
      budgetTokens: 300,
      kvBytesPerToken: 131_072,
      prefillTokensPerSecond: 10_000,
    });
    expect(sim.steps).toHaveLength(20);
    expect(sim.totals.tokensEvicted).toBeGreaterThan(0);
    expect(sim.totals.tokensSeen).toBe(
      sim.totals.turnTokensInContext + sim.totals.tokensSummarized + sim.totals.tokensEvicted,
    );
    const last = sim.steps[19]!;
    expect(last.cost?.kvBytes).toBe(last.tokensInContext * 131_072);
  });

  it("planner: estimate and ranked changes for a scenario that does not fit", () => {
    const r = plan(catalogChoice("meta-llama/Llama-3.1-70B"), {
      engine: "transformers",
      weights: "",
      kvCache: "auto",
      contextLength: 8192,
      batch: 1,
      gpuId: "RTX-4090",
      gpuCount: 1,
      tensorParallel: 1,
    });
    expect(r.estimate.ok && r.estimate.value.fits).toBe(false);
    expect(r.changes.ok).toBe(true);
  });
});
