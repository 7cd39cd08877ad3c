import type { Summarizer, SummaryRequest } from "./summarizer.js";
import { extractTerms, termFrequencies } from "./terms.js";
import { countTokensChecked, truncateToTokens } from "./token-counter.js";

interface Sentence {
  readonly index: number;
  readonly line: string;
  readonly score: number;
}

/** Splits text into sentences: after . ! ? followed by space, and at line breaks. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Picks the most significant sentences until `maxTokens`, and prints them in their original order
 * as `role: sentence` lines. Deterministic: same input, same summary.
 */
export function summarizeExtractively(request: SummaryRequest): string {
  const { inputs, maxTokens, counter } = request;
  if (maxTokens <= 0) return "";
  const raw: { line: string; terms: string[] }[] = [];
  for (const input of inputs) {
    for (const s of splitSentences(input.text)) {
      // Lines of an earlier summary already carry their role prefix.
      const line = input.role === "summary" ? s : `${input.role}: ${s}`;
      raw.push({ line, terms: extractTerms(s) });
    }
  }
  if (raw.length === 0) return "";
  const tf = termFrequencies(raw.flatMap((r) => r.terms));
  // Luhn 1958 (IBM J. Res. Dev. 2(2)): a sentence is significant when it holds frequent content
  // words; here Σ log(1 + tf) over its distinct terms, normalized by √(term count).
  const sentences: Sentence[] = raw.map((r, index) => {
    const distinct = [...new Set(r.terms)];
    const sum = distinct.reduce((a, t) => a + Math.log1p(tf.get(t) ?? 0), 0);
    return { index, line: r.line, score: distinct.length === 0 ? 0 : sum / Math.sqrt(r.terms.length) };
  });
  const ranked = [...sentences].sort((a, b) => b.score - a.score || a.index - b.index);
  const chosen: Sentence[] = [];
  let used = 0;
  for (const s of ranked) {
    if (s.score === 0) continue; // no content words ("Thanks!"): not worth tokens
    const cost = countTokensChecked(counter, s.line) + (chosen.length > 0 ? 1 : 0);
    if (used + cost > maxTokens) continue;
    chosen.push(s);
    used += cost;
  }
  const render = (xs: readonly Sentence[]) =>
    [...xs]
      .sort((a, b) => a.index - b.index)
      .map((s) => s.line)
      .join("\n");
  // Joining can tokenize differently from the sum of the parts: drop the weakest until it fits.
  while (chosen.length > 0 && countTokensChecked(counter, render(chosen)) > maxTokens) chosen.pop();
  if (chosen.length > 0) return render(chosen);
  return truncateToTokens(ranked[0]!.line, maxTokens, counter);
}

/** The built-in summarizer: extractive, deterministic, no model needed. */
export const extractiveSummarizer: Summarizer = {
  name: "extractive (Luhn-style sentence selection)",
  summarize: summarizeExtractively,
};
