import { describe, expect, it } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import { estimate } from "../estimate/estimate.js";
import {
  catalogModelSpec,
  findModelAlias,
  findModelRow,
  MODEL_ALIASES,
  MODEL_ROWS,
  suggestModels,
} from "./models.js";

describe("catalog aliases (data/hf-configs/ALIASES.md)", () => {
  it("every alias names a catalog base, is not itself a catalog model, and carries a source", () => {
    for (const a of MODEL_ALIASES) {
      expect(findModelRow(a.base)?.id).toBe(a.base);
      expect(MODEL_ROWS.some((r) => r.id.toLowerCase() === a.id.toLowerCase())).toBe(false);
      expect(a.source).toMatch(/ @ [0-9a-f]{40}$/);
    }
  });

  it("resolves case-insensitively, with or without the org", () => {
    expect(findModelAlias("META-LLAMA/llama-3.1-8b-instruct")?.base).toBe("meta-llama/Llama-3.1-8B");
    expect(findModelAlias("Llama-3.1-8B-Instruct")?.base).toBe("meta-llama/Llama-3.1-8B");
    expect(catalogModelSpec("meta-llama/llama-3.1-8b-instruct").id).toBe("meta-llama/Llama-3.1-8B-Instruct");
  });

  it.each(MODEL_ALIASES.map((a) => [a.id, a.base]))("%s estimates exactly as %s", (alias, baseId) => {
    for (const engine of ["transformers", "vllm", "llama.cpp"]) {
      const scenario = { hardware: { gpu: "H100-SXM-80GB", count: 2 }, contextLength: 8192, engine };
      const a = estimate({ ...scenario, model: { id: alias } });
      const b = estimate({ ...scenario, model: { id: baseId } });
      expect(a.model.name).toBe(alias);
      expect({ ...a, model: { ...a.model, name: baseId }, scenario: null }).toEqual({ ...b, scenario: null });
    }
  });

  it("an unknown id still fails, and the suggestions include aliases", () => {
    expect(() => catalogModelSpec("meta-llama/Llama-3.1-8B-Chat-Nope")).toThrow(MemlensError);
    expect(suggestModels("llama-3.1-8b-instruct")).toContain("meta-llama/Llama-3.1-8B-Instruct");
  });
});
