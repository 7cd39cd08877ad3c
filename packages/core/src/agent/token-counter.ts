import { MemlensError } from "../errors/memlens-error.js";

/**
 * Counts tokens the way one model's tokenizer does. Core holds no tokenizer (they are runtime
 * dependencies); the CLI and the web app inject one (`gpt-tokenizer`, `@huggingface/tokenizers`).
 *
 * @example
 * const counter: TokenCounter = { name: "o200k_base", count: (t) => countTokens(t) };
 */
export interface TokenCounter {
  /** Tokens in `text`, without any chat-template or special tokens. A whole number ≥ 0. */
  count(text: string): number;
  /** What counts: an encoding (`o200k_base`) or a tokenizer file (`hf:gpt2`). */
  readonly name: string;
}

/**
 * Whitespace-separated words. Not a tokenizer: an explicitly named approximation for tests and
 * for callers that have none; real counts come from an injected {@link TokenCounter}.
 */
export const wordTokenCounter: TokenCounter = {
  name: "words (approximation)",
  count: (text) => {
    const words = text.trim().split(/\s+/u);
    return words.length === 1 && words[0] === "" ? 0 : words.length;
  },
};

/** Calls `counter.count` and checks that it answered a whole number ≥ 0. */
export function countTokensChecked(counter: TokenCounter, text: string): number {
  const n = counter.count(text);
  if (!Number.isInteger(n) || n < 0)
    throw new MemlensError(
      "invalid-value",
      `token counter "${counter.name}" returned ${String(n)}; a count must be a whole number ≥ 0`,
      "counter",
    );
  return n;
}

/**
 * The longest prefix of `text` with at most `maxTokens` tokens, cut back to a word boundary
 * where one exists. Binary search over code points: O(log n) calls to the counter.
 */
export function truncateToTokens(text: string, maxTokens: number, counter: TokenCounter): string {
  if (countTokensChecked(counter, text) <= maxTokens) return text;
  if (maxTokens <= 0) return "";
  const chars = Array.from(text);
  let lo = 0; // chars[0, lo) fits
  let hi = chars.length; // chars[0, hi) does not fit
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (countTokensChecked(counter, chars.slice(0, mid).join("")) <= maxTokens) lo = mid;
    else hi = mid;
  }
  const prefix = chars.slice(0, lo).join("");
  const lastSpace = prefix.search(/\s\S*$/u);
  return (lastSpace > 0 ? prefix.slice(0, lastSpace) : prefix).trimEnd();
}
