import { describe, expect, test } from "vitest";
import { chooseGgufQuant, ggufQuantOfName, ggufQuants } from "./hub-files.js";
import { looksLikeHubRef, parseHubRef } from "./hub-ref.js";

describe("Hub references", () => {
  test("org/name, @revision, :QUANT and the hf.co / URL spellings", () => {
    expect(parseHubRef("Qwen/QwQ-32B")).toEqual({ repo: "Qwen/QwQ-32B", revision: "main", quant: undefined });
    expect(parseHubRef("unsloth/Qwen3-8B-GGUF:q4_k_m")).toEqual({
      repo: "unsloth/Qwen3-8B-GGUF",
      revision: "main",
      quant: "Q4_K_M",
    });
    expect(parseHubRef("org/name@v1.0:Q8_0")).toEqual({ repo: "org/name", revision: "v1.0", quant: "Q8_0" });
    expect(parseHubRef("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:IQ4_XS").repo).toBe(
      "bartowski/Llama-3.2-1B-Instruct-GGUF",
    );
    expect(parseHubRef("https://huggingface.co/google/gemma-3-12b-it/").repo).toBe("google/gemma-3-12b-it");
    expect(looksLikeHubRef("llama3.1:8b")).toBe(false);
    expect(looksLikeHubRef("a/b/c")).toBe(false);
    expect(() => parseHubRef("not a repo", "--model")).toThrow(
      /--model "not a repo" is not a Hugging Face repo id/,
    );
    expect(() => parseHubRef("org/name@../x")).toThrow(/revision/);
  });

  test("GGUF quants from file names, split files grouped, projectors left out", () => {
    expect(ggufQuantOfName("Llama-3.2-1B-Instruct-Q4_K_M.gguf")).toBe("Q4_K_M");
    expect(ggufQuantOfName("Q4_K_M/Qwen3-235B-A22B-Q4_K_M-00002-of-00003.gguf")).toBe("Q4_K_M");
    expect(ggufQuantOfName("gemma-3-12b-it-UD-Q4_K_XL.gguf")).toBe("UD-Q4_K_XL");
    expect(ggufQuantOfName("model.IQ4_XS.gguf")).toBe("IQ4_XS");
    expect(ggufQuantOfName("gpt-oss-20b-MXFP4.gguf")).toBe("MXFP4");
    expect(ggufQuantOfName("model-bf16.gguf")).toBe("BF16");
    const q = ggufQuants([
      { path: "m-Q8_0.gguf", size: 8 },
      { path: "mmproj-F16.gguf", size: 1 },
      { path: "m-Q4_K_M-00002-of-00002.gguf", size: 2 },
      { path: "m-Q4_K_M-00001-of-00002.gguf", size: 3 },
      { path: "README.md", size: 1 },
    ]);
    expect(q.map((x) => [x.quant, x.bytes, x.files.map((f) => f.path)])).toEqual([
      ["Q8_0", 8, ["m-Q8_0.gguf"]],
      ["Q4_K_M", 5, ["m-Q4_K_M-00001-of-00002.gguf", "m-Q4_K_M-00002-of-00002.gguf"]],
    ]);
    // without a tag: Q4_K_M when present (llama.cpp -hf's default), else the smallest
    expect(chooseGgufQuant(q, undefined, "m").quant).toBe("Q4_K_M");
    expect(chooseGgufQuant(q.slice(0, 1), undefined, "m").quant).toBe("Q8_0");
    expect(chooseGgufQuant(q, "q8_0", "m").quant).toBe("Q8_0");
    expect(() => chooseGgufQuant(q, "Q2_K", "org/m")).toThrow(
      "org/m has no Q2_K GGUF; it has Q8_0 (0.0 GB), Q4_K_M (0.0 GB)",
    );
  });
});
