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

  it("llama3.1:8b is Llama 3.1 8B Instruct at Q4_K_M on ollama, the same as naming all three", async () => {
    const tag = await runJson(["estimate", "--model", "llama3.1:8b", "--gpu", "RTX-4090", "--json"]);
    const spelled = await runJson([
      "estimate",
      "--model",
      "meta-llama/Llama-3.1-8B-Instruct",
      "--engine",
      "ollama",
      "--weights",
      "Q4_K_M",
      "--gpu",
      "RTX-4090",
      "--json",
    ]);
    // issue 14 item 4: a tag runs on the ollama engine (llama-server with ollama's defaults)
    expect(tag.scenario.engine).toBe("ollama");
    expect(tag.scenario.weights).toBe("Q4_K_M");
    // ollama's default num_ctx for a 24 GiB GPU (server/routes.go:2043-2057 @ ollama fb30760)
    expect(tag.scenario.contextLength).toBe(32768);
    expect(tag.devices).toEqual(spelled.devices);
  });

  it("flags the user gives win over the tag's defaults, --engine llama.cpp included", async () => {
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
    expect(r.scenario.engine).toBe("ollama");
    const ll = await runJson([
      "estimate",
      "--model",
      "llama3.1:8b",
      "--engine",
      "llama.cpp",
      "--gpu",
      "RTX-4090",
      "--json",
    ]);
    expect(ll.scenario.engine).toBe("llama.cpp");
    expect(ll.scenario.contextLength).toBe(8192);
  });

  it("a tag whose model the catalog lacks names that model", async () => {
    const r = await runMain(["estimate", "--model", "gemma3:12b-it-q8_0", "--gpu", "RTX-4090"]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("google/gemma-3-12b-it");
  });

  it("fit and compare take --engine ollama", async () => {
    const fit = await runJson(["fit", "--model", "llama3.1:8b", "--gpu", "RTX-4090", "--json"]);
    // the llama-server ollama starts: num_ctx 32768 on a 24 GiB GPU
    expect(fit.contextLength).toBe(32768);
    expect(fit.gpuLayers).toBe(33);
    const cmp = await runJson([
      "compare",
      "--engines",
      "ollama,llama.cpp",
      "--model",
      "meta-llama/Llama-3.1-8B-Instruct",
      "--weights",
      "Q4_K_M",
      "--ctx",
      "8192",
      "--gpu",
      "RTX-4090",
      "--json",
    ]);
    expect(Object.keys(cmp.engines)).toEqual(["ollama", "llama.cpp"]);
  });

  it("an unknown tag is one line listing the nearest tags, exit 2", async () => {
    const r = await runMain(["estimate", "--model", "llama3.1:70b", "--gpu", "RTX-4090"]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("llama3.1:8b");
  });
});
