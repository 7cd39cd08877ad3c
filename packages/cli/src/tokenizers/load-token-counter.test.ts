import { describe, expect, it } from "vitest";
import { BUNDLED_TOKENIZERS, bundledTokenizerPath } from "./bundled-tokenizers.js";
import { loadTokenCounter } from "./load-token-counter.js";

describe("loadTokenCounter", () => {
  it.each([
    ["o200k_base", "o200k_base"],
    ["cl100k_base", "cl100k_base"],
    ["openai:gpt-4o", "o200k_base"],
    ["openai:gpt-4", "cl100k_base"],
    ["gpt2", "hf:gpt2"],
    ["qwen3", "hf:qwen3"],
  ])("%s → a counter named %s", async (spec, name) => {
    const c = await loadTokenCounter(spec);
    expect(c.name).toBe(name);
    expect(c.count("Hello, world!")).toBeGreaterThan(0);
  });
  it("reads a tokenizer.json path", async () => {
    const c = await loadTokenCounter(bundledTokenizerPath(BUNDLED_TOKENIZERS[0]));
    expect(c.name).toBe("hf:gpt2.tokenizer");
    expect(c.count("Hello, world!")).toBe(4);
  });
  it("lists the accepted forms for anything else", async () => {
    await expect(loadTokenCounter("llama-3")).rejects.toMatchObject({
      code: "invalid-value",
      field: "--tokenizer",
      message: expect.stringContaining("o200k_base, cl100k_base"),
    });
  });
});
