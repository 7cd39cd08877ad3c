import { describe, expect, it } from "vitest";
import { runJson, runMain } from "../testing/run-main.js";

describe("--model takes catalog aliases and ollama tags", () => {
  it("an instruct alias answers as its base model, under the alias's name", async () => {
    const gpu = ["--gpu", "RTX-4090", "--ctx", "8192", "--json"];
    const alias = await runJson(["estimate", "--model", "meta-llama/llama-3.1-8b-instruct", ...gpu]);
    const base = await runJson(["estimate", "--model", "meta-llama/Llama-3.1-8B", ...gpu]);
    expect(alias.model.name).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(alias.devices).toEqual(base.devices);
    expect(alias.engine).toEqual(base.engine);
  });

  it("llama3.1:8b is Llama 3.1 8B Instruct at Q4_K_M on llama.cpp, the same as naming all three", async () => {
    const tag = await runJson(["estimate", "--model", "llama3.1:8b", "--gpu", "RTX-4090", "--json"]);
    const spelled = await runJson([
      "estimate",
      "--model",
      "meta-llama/Llama-3.1-8B-Instruct",
      "--engine",
      "llama.cpp",
      "--weights",
      "Q4_K_M",
      "--gpu",
      "RTX-4090",
      "--json",
    ]);
    expect(tag.scenario.engine).toBe("llama.cpp");
    expect(tag.scenario.weights).toBe("Q4_K_M");
    expect(tag.devices).toEqual(spelled.devices);
  });

  it("flags the user gives win over the tag's defaults", async () => {
    const r = await runJson([
      "estimate",
      "--model",
      "llama3.1:8b",
      "--weights",
      "Q8_0",
      "--gpu",
      "RTX-4090",
      "--json",
    ]);
    expect(r.scenario.weights).toBe("Q8_0");
    expect(r.scenario.engine).toBe("llama.cpp");
  });

  it("an unknown tag is one line listing the nearest tags, exit 2", async () => {
    const r = await runMain(["estimate", "--model", "llama3.1:70b", "--gpu", "RTX-4090"]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("llama3.1:8b");
  });
});
