/**
 * English function words that carry no topic. Written for memlens (not a published list); short on
 * purpose: ranking and "what was lost" only need the obvious ones out of the way.
 */
const STOPWORDS = new Set(
  (
    "a an and are as at be been but by can could did do does for from had has have he her his how i if in " +
    "into is it its just me my no not of on or our she so than that the their them then there these they " +
    "this to too up us was we were what when where which who why will with would you your yes ok okay " +
    "about also any all some more most other such only own same very s t don should now let lets " +
    "thanks thank please hi hello hey sure great nice"
  ).split(" "),
);

/**
 * Content terms of a text: NFKC, lower-cased runs of letters and digits (Unicode), stopwords and
 * one-letter terms dropped. Order and repeats are kept (term frequencies need them).
 *
 * @example extractTerms("The KV cache grows!") // ["kv", "cache", "grows"]
 */
export function extractTerms(text: string): string[] {
  const out: string[] = [];
  for (const m of text
    .normalize("NFKC")
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    const t = m[0];
    if (t.length > 1 && !STOPWORDS.has(t)) out.push(t);
  }
  return out;
}

/** Term → occurrences. */
export function termFrequencies(terms: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}
