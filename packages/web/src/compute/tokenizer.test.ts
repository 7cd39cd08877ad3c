/** The browser's token counts are gpt-tokenizer's: same ranks, same counts on a fixed corpus. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import cl100kRanks from "gpt-tokenizer/bpeRanks/cl100k_base";
import o200kRanks from "gpt-tokenizer/bpeRanks/o200k_base";
import * as cl100k from "gpt-tokenizer/encoding/cl100k_base";
import * as o200k from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { SAMPLE_MESSAGE, TYPED_ENCODINGS, type TypedEncoding, textCost } from "./context-window.js";
import { parseTiktokenRanks, type Rank, tokenCounterFromRanks, vocabularyUrl } from "./tokenizer.js";

const REFERENCE = {
  o200k_base: { ranks: o200kRanks, countTokens: o200k.countTokens },
  cl100k_base: { ranks: cl100kRanks, countTokens: cl100k.countTokens },
} as const;

const CORPUS = [
  "",
  "Hello, world!",
  SAMPLE_MESSAGE,
  "The KV cache of Llama-3.1-70B at 8,192 tokens × 32 sequences takes 80 GiB in bf16.",
  "def kv_bytes(layers, heads, dim):\n    return 2 * layers * heads * dim * 2  # K and V\n",
  "    indented\t\ttabs   and  runs of   spaces\n\n\n",
  "日本語のテキストと中文文本，还有한국어。",
  "Emoji: 🧠💾🚀 and a family 👩‍👩‍👧‍👦.",
  "Text that looks like <|endoftext|> or <|im_start|> counts as text.",
  "1234567890 3.14159 1e-9 0xDEADBEEF",
];

const parsed = new Map<TypedEncoding, Rank[]>();
function ranksOf(encoding: TypedEncoding): Rank[] {
  let r = parsed.get(encoding);
  if (!r) {
    r = parseTiktokenRanks(readFileSync(fileURLToPath(vocabularyUrl(encoding)), "utf8"));
    parsed.set(encoding, r);
  }
  return r;
}

describe.each(TYPED_ENCODINGS)("%s from gpt-tokenizer's .tiktoken file", (encoding) => {
  const ref = REFERENCE[encoding];

  it("parses to gpt-tokenizer's own ranks, rank for rank", () => {
    const ranks = ranksOf(encoding);
    expect(ranks.length).toBe(ref.ranks.length);
    let differing = 0;
    for (let i = 0; i < ranks.length; i++) {
      const a = ranks[i];
      const b = ref.ranks[i];
      const same =
        typeof a === "string" || a === undefined ? a === b : Array.isArray(b) && a.join() === b.join();
      if (!same) differing++;
    }
    expect(differing).toBe(0);
  });

  it.each(CORPUS)("counts %j like gpt-tokenizer", (text) => {
    const counter = tokenCounterFromRanks(encoding, ranksOf(encoding));
    expect(counter.name).toBe(encoding);
    expect(counter.count(text)).toBe(ref.countTokens(text, { disallowedSpecial: new Set() }));
  });

  it('"Hello, world!" is 4 tokens: Hello | , | ␣world | !', () => {
    // Checked by hand: both encodings have "Hello", ",", " world" and "!" as single tokens.
    expect(tokenCounterFromRanks(encoding, ranksOf(encoding)).count("Hello, world!")).toBe(4);
  });
});

describe("a typed message's cost", () => {
  it("is its token count times core's per-token KV and prefill figures", () => {
    const counter = tokenCounterFromRanks("o200k_base", ranksOf("o200k_base"));
    const tokens = o200k.countTokens(SAMPLE_MESSAGE);
    const c = textCost(SAMPLE_MESSAGE, counter, 1000, 2000);
    expect(c).toEqual({
      tokens,
      words: SAMPLE_MESSAGE.split(" ").length,
      kvBytes: tokens * 1000,
      prefillSeconds: tokens / 2000,
    });
  });
});
