import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadOpenAiTokenCounter, OPENAI_ENCODINGS, openAiEncodingForModel } from "./openai-token-counter.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const { texts } = fixture("corpus.json") as { texts: string[] };
// Generated once by fixtures/gen-expected-counts.mjs with js-tiktoken (an independent implementation).
const expected = fixture("expected-counts.json") as { counts: Record<string, number[]> };

describe("OpenAI encodings (gpt-tokenizer) against js-tiktoken on the fixed corpus", () => {
  it.each(OPENAI_ENCODINGS)("%s: every text counts the same", async (encoding) => {
    const counter = await loadOpenAiTokenCounter(encoding);
    const want = expected.counts[encoding]!;
    expect(want).toHaveLength(texts.length);
    expect(texts.map((t) => counter.count(t))).toEqual(want);
  });
});

describe("published tiktoken outputs", () => {
  // Python tiktoken outputs printed in public notebooks:
  // github.com/mjzitek/genai-cookbook (tiktoken notebook): "The Los Angeles Dodgers won the World
  // Series in 2020." → 11 ids under text-davinci-003 (p50k_base), 13 under gpt-4 (cl100k_base);
  // OpenAI Cookbook "How to count tokens with tiktoken": "tiktoken is great!" → 6 tokens (cl100k_base);
  // its translation at blog.cachecha.com: "China is great!" → [23078, 374, 2294, 0] (cl100k_base).
  it.each([
    ["p50k_base", "The Los Angeles Dodgers won the World Series in 2020.", 11],
    ["cl100k_base", "The Los Angeles Dodgers won the World Series in 2020.", 13],
    ["cl100k_base", "tiktoken is great!", 6],
    ["cl100k_base", "China is great!", 4],
  ] as const)("%s: %j is %i tokens", async (encoding, text, n) => {
    expect((await loadOpenAiTokenCounter(encoding)).count(text)).toBe(n);
  });
  it("gives the published ids", async () => {
    const cl = await import("gpt-tokenizer/encoding/cl100k_base");
    expect(cl.encode("The Los Angeles Dodgers won the World Series in 2020.")).toEqual([
      791, 9853, 12167, 56567, 2834, 279, 4435, 11378, 304, 220, 2366, 15, 13,
    ]);
    expect(cl.encode("China is great!")).toEqual([23078, 374, 2294, 0]);
    const p50 = await import("gpt-tokenizer/encoding/p50k_base");
    expect(p50.encode("The Los Angeles Dodgers won the World Series in 2020.")).toEqual([
      464, 5401, 5652, 23576, 1839, 262, 2159, 7171, 287, 12131, 13,
    ]);
  });
});

describe("special-token text", () => {
  it("counts <|endoftext|> as plain text instead of throwing", async () => {
    const c = await loadOpenAiTokenCounter("o200k_base");
    expect(c.count("<|endoftext|>")).toBeGreaterThan(1);
  });
});

describe("openAiEncodingForModel", () => {
  it.each([
    ["gpt-4o", "o200k_base"],
    ["gpt-4", "cl100k_base"],
    ["gpt-3.5-turbo", "cl100k_base"],
    ["text-davinci-003", "p50k_base"],
    ["gpt-oss-20b", "o200k_base"],
    ["gpt-5", "o200k_base"],
  ])("%s → %s", async (model, enc) => {
    expect(await openAiEncodingForModel(model)).toBe(enc);
  });
  it("refuses an unknown model, naming --tokenizer", async () => {
    await expect(openAiEncodingForModel("not-a-model")).rejects.toMatchObject({ field: "--tokenizer" });
  });
});
