import { extractTerms, termFrequencies } from "./terms.js";

/** SQLite FTS5's BM25 constants (ext/fts5/fts5_aux.c, fts5Bm25Function: k1 = 1.2, b = 0.75). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/**
 * BM25 score of each document against a query, the formula SQLite FTS5's `bm25()` uses (so the
 * in-context ranking and the memory store's ranking agree), with the sign flipped: higher is more
 * relevant, 0 means no query term occurs.
 *
 * @example scoreBm25("kv", ["kv cache", "recipe book", "bread loaf"]) // [ln(2.5 / 1.5) ≈ 0.511, 0, 0]
 */
export function scoreBm25(query: string, documents: readonly string[]): number[] {
  const queryTerms = [...new Set(extractTerms(query))];
  const docs = documents.map((d) => {
    const terms = extractTerms(d);
    return { length: terms.length, tf: termFrequencies(terms) };
  });
  const n = docs.length;
  if (n === 0 || queryTerms.length === 0) return docs.map(() => 0);
  const avgdl = docs.reduce((a, d) => a + d.length, 0) / n || 1;
  const idf = queryTerms.map((t) => {
    const hits = docs.filter((d) => d.tf.has(t)).length;
    // fts5_aux.c: IDF = log((N − nHit + 0.5) / (nHit + 0.5)), floored at 1e-6 so it stays positive.
    const v = Math.log((n - hits + 0.5) / (hits + 0.5));
    return v <= 0 ? 1e-6 : v;
  });
  return docs.map((d) => {
    let score = 0;
    queryTerms.forEach((t, i) => {
      const f = d.tf.get(t) ?? 0;
      if (f === 0) return;
      // Robertson & Zaragoza 2009, eq. for BM25; as in fts5_aux.c fts5Bm25Function.
      score += idf[i]! * ((f * (BM25_K1 + 1)) / (f + BM25_K1 * (1 - BM25_B + (BM25_B * d.length) / avgdl)));
    });
    return score;
  });
}
