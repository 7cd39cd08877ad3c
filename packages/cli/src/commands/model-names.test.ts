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
    const r = await runMain(["estimate", "--model", "qwen3-coder:30b", "--gpu", "RTX-4090"]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("Qwen/Qwen3-Coder-30B-A3B-Instruct");
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

describe("issue 14: the ids at the top of the issue answer offline", () => {
  // Each id with the parameter count of its checkpoint and where that count was read: the
  // estimate must come from the embedded catalog, with the Hub unreachable and the cache empty.
  const IDS: readonly (readonly [string, number, string])[] = [
    ["meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248, "Keras Hub llama3.1_8b (data/published-params.json)"],
    ["Qwen/Qwen2.5-7B-Instruct", 7_615_616_512, "the Hub API's safetensors BF16 count"],
    // Keras Hub gemma3_instruct_12b 12,187,079,280 (262144-row embedding) + 64 x 3840 for the
    // Hugging Face config's 262208-row vocabulary
    ["google/gemma-3-12b-it", 12_187_079_280 + 64 * 3840, "Keras Hub gemma3_instruct_12b"],
    [
      "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
      24_011_361_280,
      "Keras Hub mistral_small_3.1_24b_instruct_2503_en",
    ],
    [
      "ibm-granite/granite-3.1-8b-instruct",
      16_341_696_512 / 2,
      "model.safetensors.index.json total_size, bf16",
    ],
    ["Qwen/QwQ-32B", 32_763_876_352, "safetensors total in gogongxt/python scripts/models/qwq_32b.md"],
    ["llama3.1:8b", 8_030_261_248, "ollama's Llama 3.1 8B Instruct"],
  ];
  const offline = {
    HF_HUB_OFFLINE: "1",
    HF_ENDPOINT: "http://127.0.0.1:9",
    MEMLENS_CACHE_DIR: "/nonexistent/memlens-cache-for-the-offline-test",
  };

  it.each(IDS)("%s: %d parameters (%s)", async (id, parameters) => {
    const r = await runJson(["estimate", "--model", id, "--gpu", "RTX-4090", "--json"], { env: offline });
    expect(r.model.parameters).toBe(parameters);
    expect(r.notes.some((n: string) => n.startsWith("Approximate"))).toBe(false);
    // bf16 under transformers: every parameter, the vision towers' included, is 2 bytes of weights
    if (!id.includes(":")) expect(r.devices[0].bytes.weights).toBe(2 * parameters);
  });

  it("llama3.1:8b answers for Llama 3.1 8B Instruct at ollama's default quantization", async () => {
    const r = await runJson(["estimate", "--model", "llama3.1:8b", "--gpu", "RTX-4090", "--json"], {
      env: offline,
    });
    expect(r.model.name).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(r.scenario.weights).toBe("Q4_K_M");
  });
});
