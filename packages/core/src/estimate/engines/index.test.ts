import { describe, expect, it } from "vitest";
import { findGpu } from "../../catalog/gpu-lookup.js";
import { MemlensError } from "../../errors/memlens-error.js";
import { INFERENCE_ENGINES } from "../../scenario/scenario.js";
import { estimateWithReport } from "../estimate.js";
import { ENGINES, engineNames, engineOf, issueText } from "./index.js";

const scenario = (engine: string, extra: Record<string, unknown> = {}) => ({
  model: { id: "meta-llama/Llama-3.1-8B" },
  hardware: { gpu: "H100-SXM-80GB", count: 1 },
  contextLength: 2048,
  engine,
  ...extra,
});

describe("engine registry", () => {
  it("models every inference engine, and names the allowed ones for anything else", () => {
    expect([...engineNames()].sort()).toEqual([...INFERENCE_ENGINES].sort());
    for (const n of engineNames()) expect(engineOf(n).name).toBe(n);
    const err = (() => {
      try {
        engineOf("tgi");
      } catch (e) {
        return e;
      }
    })() as MemlensError;
    expect(err).toBeInstanceOf(MemlensError);
    expect(err.code).toBe("unknown-engine");
    expect(err.allowed).toEqual(engineNames());
  });

  it.each(engineNames())("%s: the planner's candidates are values the engine accepts", (name) => {
    const e = ENGINES[name];
    for (const kv of e.searchKvDtypes) expect(e.kvDtypes).toContain(kv);
    for (const w of e.searchWeights) expect(e.acceptsWeights(w)).toBe(true);
  });

  it.each(engineNames())(
    "%s: the JSON record and the notes come from the typed report and issues",
    (name) => {
      const r = estimateWithReport(scenario(name));
      expect(r.report?.engine).toBe(name);
      expect(r.estimate.engine).toEqual(ENGINES[name].toJson(r.report!));
      for (const i of r.issues) expect(r.estimate.notes).toContain(issueText(i));
    },
  );

  it("turns vLLM's and SGLang's refusals into issues, not prose", () => {
    const tooLong = estimateWithReport(scenario("sglang", { contextLength: 200_000 }));
    expect(tooLong.issues).toEqual([
      {
        code: "context-over-trained",
        engine: "sglang",
        contextTokens: 200_000,
        maxPositionEmbeddings: 131072,
      },
    ]);
    const small = estimateWithReport(
      scenario("vllm", { hardware: { gpu: "RTX-4090", count: 1 }, weights: "fp32" }),
    );
    expect(small.issues.map((i) => i.code)).toEqual(["engine-refuses"]);
    expect(small.estimate.fits).toBe(false);
  });

  it("vLLM's default max_num_seqs follows its batch-size tier for the GPU", () => {
    expect(ENGINES.vllm.defaults(findGpu("H100-SXM-80GB"), 1).maxNumSeqs).toBe(1024);
    expect(ENGINES.vllm.defaults(findGpu("RTX-4090"), 1).maxNumSeqs).toBe(256);
    expect(ENGINES["llama.cpp"].maxSequences).toBe(256);
  });
});
