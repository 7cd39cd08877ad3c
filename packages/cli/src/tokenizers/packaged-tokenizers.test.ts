import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TokenCounter } from "@memlens/core";
import { MODEL_ROWS } from "@memlens/core";
import { describe, expect, it } from "vitest";
import { hfTokenCounterFromJson } from "./hf-token-counter.js";
import { MODEL_TOKENIZERS, modelTokenizerFor } from "./model-tokenizers.js";
import {
  PACKAGED_TOKENIZERS,
  type PackagedTokenizerId,
  packagedTokenizerPath,
} from "./packaged-tokenizers.js";

const { texts } = JSON.parse(readFileSync(new URL("./fixtures/corpus.json", import.meta.url), "utf8")) as {
  texts: string[];
};

/**
 * "KV cache: 128k tokens", decoded token by token from each tokenizer and read by hand: byte-level
 * BPEs keep the space on the following word; Llama 3, DeepSeek-V3 and o200k take up to three digits
 * as one token, Qwen and Gemma 3 split every digit.
 */
const SHORT = "KV cache: 128k tokens";
const SHORT_PIECES: Record<PackagedTokenizerId, string[]> = {
  llama3_1: ["KV", " cache", ":", " ", "128", "k", " tokens"],
  qwen3: ["KV", " cache", ":", " ", "1", "2", "8", "k", " tokens"],
  gemma3: ["KV", " cache", ":", " ", "1", "2", "8", "k", " tokens"],
  deepseek_v3: ["KV", " cache", ":", " ", "128", "k", " tokens"],
  gptoss: ["KV", " cache", ":", " ", "128", "k", " tokens"],
};

/**
 * Ids other projects publish for "Hello, world!" (add_special_tokens false): vLLM's get_tokenizer
 * example for meta-llama/Llama-3.2-3B-Instruct; test vectors for Qwen2.5-0.5B-Instruct, for
 * DeepSeek-V3 / R1-0528 and for google/gemma-3-1b-it (HF AutoTokenizer); gpt-oss's are o200k_base's.
 */
const PUBLISHED_HELLO: Record<PackagedTokenizerId, number[]> = {
  llama3_1: [9906, 11, 1917, 0],
  qwen3: [9707, 11, 1879, 0],
  gemma3: [9259, 236764, 1902, 236888],
  deepseek_v3: [19923, 14, 2058, 3],
  gptoss: [13225, 11, 2375, 0],
};

interface Loaded {
  readonly counter: TokenCounter;
  readonly lenml: {
    encode(text: string, o: { add_special_tokens: boolean }): number[];
    decode(ids: number[]): string;
  };
  readonly bytes: Buffer;
  readonly json: {
    model: { vocab: Record<string, number>; merges: unknown[] };
    added_tokens: { id: number }[];
  };
}

async function readAndBuild(id: PackagedTokenizerId): Promise<Loaded> {
  const t = PACKAGED_TOKENIZERS.find((p) => p.id === id)!;
  const file = packagedTokenizerPath(t);
  const bytes = readFileSync(file);
  const json = JSON.parse(bytes.toString("utf8"));
  const config = JSON.parse(readFileSync(join(dirname(file), "tokenizer_config.json"), "utf8"));
  // @lenml/tokenizers: the package's own implementation (a fork of transformers.js), on the same files.
  const { TokenizerLoader } = await import("@lenml/tokenizers");
  const lenml = TokenizerLoader.fromPreTrained({ tokenizerJSON: json, tokenizerConfig: config });
  return {
    // What loadTokenCounter(id) builds (load-token-counter.test.ts checks that path), without a second parse.
    counter: hfTokenCounterFromJson(json, config, `hf:${id}`),
    lenml: lenml as unknown as Loaded["lenml"],
    bytes,
    json,
  };
}

// One load per tokenizer, on first use (the largest, Gemma 3's, is 33 MB of JSON).
const cache = new Map<PackagedTokenizerId, Promise<Loaded>>();
function load(id: PackagedTokenizerId): Promise<Loaded> {
  const cached = cache.get(id);
  if (cached) return cached;
  const p = readAndBuild(id);
  cache.set(id, p);
  return p;
}

describe.each(PACKAGED_TOKENIZERS)("packaged tokenizer $id ($package@$version)", (t) => {
  it("is the recorded file", async () => {
    const { bytes, json } = await load(t.id);
    expect(bytes.length).toBe(t.bytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(t.sha256);
    expect(Object.keys(json.model.vocab)).toHaveLength(t.vocabSize);
    expect(json.model.merges).toHaveLength(t.merges);
    expect(json.added_tokens.reduce((m, a) => Math.max(m, a.id + 1), t.vocabSize as number)).toBe(t.idCount);
    const pkg = JSON.parse(
      readFileSync(join(dirname(packagedTokenizerPath(t)), "..", "package.json"), "utf8"),
    ) as { version: string; license: string };
    expect([pkg.version, pkg.license]).toEqual([t.version, t.packageLicence]);
  });

  it("counts the fixed corpus like @lenml/tokenizers on the same file", async () => {
    const { counter, lenml } = await load(t.id);
    expect(counter.name).toBe(`hf:${t.id}`);
    const want = texts.map((s) => lenml.encode(s, { add_special_tokens: false }).length);
    expect(texts.map((s) => counter.count(s))).toEqual(want);
  });

  it(`counts ${JSON.stringify(SHORT)} as the pieces read by hand`, async () => {
    const { counter, lenml } = await load(t.id);
    const ids = lenml.encode(SHORT, { add_special_tokens: false });
    expect(ids.map((id) => lenml.decode([id]))).toEqual(SHORT_PIECES[t.id]);
    expect(counter.count(SHORT)).toBe(SHORT_PIECES[t.id].length);
  });

  it("is the model's tokenizer: the published ids for Hello, world!", async () => {
    const { counter, lenml } = await load(t.id);
    expect(lenml.encode("Hello, world!", { add_special_tokens: false })).toEqual(PUBLISHED_HELLO[t.id]);
    expect(counter.count("Hello, world!")).toBe(PUBLISHED_HELLO[t.id].length);
  });
});

describe("gpt-oss against gpt-tokenizer's o200k_harmony (an independent implementation)", () => {
  it("counts every corpus text without special-token strings the same", async () => {
    const harmony = await import("gpt-tokenizer/encoding/o200k_harmony");
    const { counter } = await load("gptoss");
    // gpt-tokenizer does not match "<|endoftext|>" in text as a special token; the tokenizer.json does.
    const plain = texts.filter((s) => !s.includes("<|"));
    expect(plain.length).toBeGreaterThan(25);
    const opts = { disallowedSpecial: new Set<string>() };
    expect(plain.map((s) => counter.count(s))).toEqual(plain.map((s) => harmony.countTokens(s, opts)));
  });
});

describe("model families → shipped tokenizer", () => {
  const expected: Record<string, string | undefined> = {
    "openai-community/gpt2": "gpt2",
    "meta-llama/Meta-Llama-3-8B": "llama3_1",
    "meta-llama/Llama-3.1-8B": "llama3_1",
    "meta-llama/Llama-3.2-1B-Instruct": "llama3_1",
    "meta-llama/Llama-3.3-70B-Instruct": "llama3_1",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": undefined,
    "meta-llama/Llama-2-7b-hf": undefined,
    "codellama/CodeLlama-7b-hf": undefined,
    "Qwen/Qwen3-8B": "qwen3",
    "Qwen/Qwen3-Next-80B-A3B-Thinking": "qwen3",
    "Qwen/Qwen2.5-7B": "qwen3",
    "Qwen/QwQ-32B-Preview": "qwen3",
    "Qwen/Qwen2-7B-Instruct": undefined,
    "google/gemma-3-1b-it": "gemma3",
    "google/gemma-2-9b": undefined,
    "deepseek-ai/DeepSeek-V3": "deepseek_v3",
    "deepseek-ai/DeepSeek-R1": "deepseek_v3",
    "deepseek-ai/DeepSeek-V3.2": "deepseek_v3",
    "deepseek-ai/DeepSeek-V2-Lite": undefined,
    "openai/gpt-oss-20b": "gptoss",
    "mistralai/Mistral-7B-v0.3": undefined,
  };
  it.each(Object.entries(expected))("%s → %s", (id, tokenizer) => {
    expect(MODEL_ROWS.some((r) => r.id === id)).toBe(true);
    expect(modelTokenizerFor(id)?.tokenizer).toBe(tokenizer);
  });

  it("never maps a catalog model to a tokenizer with more ids than its embedding has rows", () => {
    for (const row of MODEL_ROWS) {
      const m = modelTokenizerFor(row.id);
      const t = PACKAGED_TOKENIZERS.find((p) => p.id === m?.tokenizer);
      if (!t) continue;
      const cfg = row.config as { vocab_size?: number; text_config?: { vocab_size?: number } };
      // multimodal configs (Qwen3-VL, Qwen3.5, Gemma 4) keep the text model's vocab in text_config
      const vocab = cfg.vocab_size ?? cfg.text_config?.vocab_size;
      // Gemma 3's <image_soft_token> (id 262144) is the one id past a text-only model's rows.
      expect(vocab, row.id).toBeGreaterThanOrEqual(t.id === "gemma3" ? t.idCount - 1 : t.idCount);
    }
  });

  it("names a family and evidence for every mapping", () => {
    for (const m of MODEL_TOKENIZERS) expect(m.evidence.length).toBeGreaterThan(20);
  });
});
