import { describe, expect, it } from "vitest";
import { splitSentences, summarizeExtractively } from "./extractive-summarizer.js";
import { wordTokenCounter } from "./token-counter.js";

const inputs = [
  { role: "user", text: "We deploy Llama on two H100 GPUs. The KV cache keeps running out at long context." },
  {
    role: "assistant",
    text: "Lower the KV cache dtype to fp8. That halves the KV cache. Nice weather today.",
  },
  { role: "user", text: "Will fp8 KV cache hurt quality? Thanks!" },
];

describe("splitSentences", () => {
  it("splits on sentence ends and line breaks", () => {
    expect(splitSentences("One. Two! Three?\nFour")).toEqual(["One.", "Two!", "Three?", "Four"]);
  });
});

describe("summarizeExtractively", () => {
  it("keeps the sentences about the recurring topic, in order, within budget", () => {
    const s = summarizeExtractively({ inputs, maxTokens: 20, counter: wordTokenCounter });
    expect(wordTokenCounter.count(s)).toBeLessThanOrEqual(20);
    expect(s).toMatchInlineSnapshot(`
      "assistant: Lower the KV cache dtype to fp8.
      user: Will fp8 KV cache hurt quality?"
    `);
  });
  it("is deterministic", () => {
    const a = summarizeExtractively({ inputs, maxTokens: 30, counter: wordTokenCounter });
    expect(summarizeExtractively({ inputs, maxTokens: 30, counter: wordTokenCounter })).toBe(a);
  });
  it("folds an earlier summary in without re-prefixing its lines", () => {
    const s = summarizeExtractively({
      inputs: [{ role: "summary", text: "user: KV cache ran out." }, ...inputs],
      maxTokens: 200,
      counter: wordTokenCounter,
    });
    expect(s.split("\n")[0]).toBe("user: KV cache ran out.");
  });
  it("truncates the best sentence when none fits whole, and returns empty for no input", () => {
    const s = summarizeExtractively({ inputs, maxTokens: 3, counter: wordTokenCounter });
    expect(wordTokenCounter.count(s)).toBeLessThanOrEqual(3);
    expect(s.length).toBeGreaterThan(0);
    expect(summarizeExtractively({ inputs: [], maxTokens: 10, counter: wordTokenCounter })).toBe("");
  });
});
