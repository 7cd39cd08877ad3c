import { describe, expect, it } from "vitest";
import { scoreBm25 } from "./bm25.js";
import { extractTerms } from "./terms.js";

describe("extractTerms", () => {
  it("lower-cases, keeps letters and digits, drops stopwords and single letters", () => {
    expect(extractTerms("The KV cache of Llama-3 grows, a lot!")).toEqual([
      "kv",
      "cache",
      "llama",
      "grows",
      "lot",
    ]);
    expect(extractTerms("Größe der Ｆｕｌｌwidth")).toEqual(["größe", "der", "fullwidth"]);
  });
});

describe("scoreBm25", () => {
  const docs = [
    "The KV cache stores keys and values for every token.",
    "Paged attention splits the KV cache into fixed-size blocks.",
    "A recipe for sourdough bread with a long cold proof.",
    "Tensor parallelism shards weights across GPUs.",
  ];
  it("ranks documents sharing rarer query terms higher, and scores 0 without overlap", () => {
    const s = scoreBm25("how big is the kv cache per token", docs);
    expect(s[2]).toBe(0);
    expect(s[3]).toBe(0);
    expect(s[0]).toBeGreaterThan(s[1]!);
    expect(s[1]).toBeGreaterThan(0);
  });
  it("matches the FTS5 formula on a hand-worked case", () => {
    // N = 2, "kv" in doc 0 only: IDF = ln(1.5 / 1.5) = 0 → floored to 1e-6; "cache" likewise;
    // "recipe" in doc 1 only: same. With f = 1, |d| = avgdl = 2: term score = IDF × 2.2 / 2.2.
    const s = scoreBm25("kv cache", ["kv cache", "recipe book"]);
    expect(s[0]).toBeCloseTo(2e-6, 12);
    expect(s[1]).toBe(0);
    // N = 3, "kv" in 1 doc: IDF = ln(2.5 / 1.5).
    const t = scoreBm25("kv", ["kv cache", "recipe book", "bread loaf"]);
    expect(t[0]).toBeCloseTo(Math.log(2.5 / 1.5), 12);
  });
  it("returns zeros for an empty query", () => {
    expect(scoreBm25("the a of", docs)).toEqual([0, 0, 0, 0]);
  });
});
