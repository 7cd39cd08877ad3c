import { describe, expect, it } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import { lookupGgufFileType } from "./ggml-types.js";
import { findModelAlias, findModelRow } from "./models.js";
import {
  findOllamaTag,
  looksLikeOllamaTag,
  OLLAMA_TAGS,
  OLLAMA_TAGS_MISSING_MODEL,
  ollamaTagModelKnown,
} from "./ollama-tags.js";

describe("ollama tags", () => {
  it("every tag names a catalog model or alias, a GGUF file type and a source", () => {
    for (const t of OLLAMA_TAGS) {
      expect(ollamaTagModelKnown(t), t.tag).toBe(true);
      expect(lookupGgufFileType(t.weights).name).toBe(t.weights);
      expect(t.source.length).toBeGreaterThan(40);
    }
  });

  it("tags match case-insensitively, with or without library/", () => {
    expect(findOllamaTag("llama3.1:8b").model).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(findOllamaTag("library/Llama3.1:8B").weights).toBe("Q4_K_M");
    expect(findOllamaTag("llama3.1:8b-instruct-q8_0").weights).toBe("Q8_0");
  });

  it("tells tags from Hub ids", () => {
    expect(looksLikeOllamaTag("llama3.1:8b")).toBe(true);
    expect(looksLikeOllamaTag("meta-llama/Llama-3.1-8B")).toBe(false);
    expect(looksLikeOllamaTag("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M")).toBe(false);
  });

  it("an unknown tag is one line naming the nearest known tags", () => {
    let err: unknown;
    try {
      findOllamaTag("llama3.1:405b", "--model");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemlensError);
    const m = (err as MemlensError).message;
    expect(m).not.toContain("\n");
    expect(m).toContain("llama3.1:8b");
  });

  it("knows the tags issue 14 names, or names the model the catalog lacks", () => {
    expect(findOllamaTag("qwen3:30b-a3b")).toMatchObject({ model: "Qwen/Qwen3-30B-A3B", weights: "Q4_K_M" });
    expect(findOllamaTag("llama3.2:1b")).toMatchObject({
      model: "meta-llama/Llama-3.2-1B-Instruct",
      weights: "Q8_0",
    });
    expect(findOllamaTag("qwen2.5:7b").model).toBe("Qwen/Qwen2.5-7B-Instruct");
    expect(findOllamaTag("gemma3:12b-it-q8_0")).toMatchObject({
      model: "google/gemma-3-12b-it",
      weights: "Q8_0",
    });
    expect(() => findOllamaTag("qwen3-coder:30b")).toThrow(/Qwen\/Qwen3-Coder-30B-A3B-Instruct/);
  });

  it("a tag missing its model is listed only while the catalog lacks that model", () => {
    for (const t of OLLAMA_TAGS_MISSING_MODEL) {
      expect(findModelRow(t.hubModel) ?? findModelAlias(t.hubModel), t.hubModel).toBeUndefined();
      expect(t.source.length).toBeGreaterThan(40);
    }
  });
});
