import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLED_TOKENIZERS, bundledTokenizerPath } from "./bundled-tokenizers.js";
import { hfTokenCounterFromJson, loadHfTokenCounter } from "./hf-token-counter.js";
import { loadTokenCounter } from "./load-token-counter.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const { texts } = fixture("corpus.json") as { texts: string[] };
const expected = fixture("expected-counts.json") as { counts: Record<string, number[]> };
const gpt2 = BUNDLED_TOKENIZERS.find((t) => t.id === "gpt2")!;

describe("bundled GPT-2 tokenizer.json", () => {
  it("is the recorded file", () => {
    const buf = readFileSync(bundledTokenizerPath(gpt2));
    expect(buf.length).toBe(gpt2.bytes);
    expect(createHash("sha256").update(buf).digest("hex")).toBe(gpt2.sha256);
  });

  it("counts like tiktoken's gpt2 encoding on the fixed corpus (@huggingface/tokenizers vs js-tiktoken)", async () => {
    const counter = await loadTokenCounter("gpt2");
    expect(counter.name).toBe("hf:gpt2");
    // HF tokenizers match added tokens written in the text, so compare with tiktoken allowing them.
    expect(texts.map((t) => counter.count(t))).toEqual(expected.counts["gpt2+special"]);
  });

  it("counts like gpt-tokenizer's r50k_base on texts without special-token text", async () => {
    const hf = await loadTokenCounter("gpt2");
    const tk = await loadTokenCounter("r50k_base");
    const plain = texts.filter((t) => !t.includes("<|"));
    expect(plain.map((t) => hf.count(t))).toEqual(plain.map((t) => tk.count(t)));
  });
});

describe("loadHfTokenCounter", () => {
  const tiny = {
    version: "1.0",
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: { type: "WordLevel", vocab: { hello: 0, world: 1, "[UNK]": 2 }, unk_token: "[UNK]" },
  };
  it("reads a tokenizer.json from a directory, naming the counter after it", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "memlens-tok-")), "tiny-model");
    mkdirSync(dir);
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tiny));
    const c = loadHfTokenCounter(dir);
    expect(c.name).toBe("hf:tiny-model");
    expect(c.count("hello world hello")).toBe(3);
  });
  it.each([
    [{ nope: 1 }, /not a tokenizer.json/],
    [{ model: { type: "NoSuchModel" } }, /cannot build the tokenizer/],
  ])("refuses %j", (json, msg) => {
    expect(() => hfTokenCounterFromJson(json, {}, "x")).toThrow(msg);
  });
  it("names --tokenizer for a missing path and for invalid JSON", async () => {
    await expect(loadTokenCounter("/no/such/tokenizer.json")).rejects.toMatchObject({ field: "--tokenizer" });
    const f = join(mkdtempSync(join(tmpdir(), "memlens-tok-")), "tokenizer.json");
    writeFileSync(f, "{not json");
    expect(() => loadHfTokenCounter(f)).toThrow(/not valid JSON/);
  });
});
