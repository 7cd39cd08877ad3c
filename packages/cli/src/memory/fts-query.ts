import { MemlensError } from "@memlens/core";

/**
 * A user's free text as an FTS5 MATCH expression: each word (Unicode letters, digits, _) becomes a
 * quoted string, so punctuation and FTS5 operators in the text are never interpreted; words are
 * joined with OR (search: any word, BM25 ranks documents with more and rarer words first) or AND
 * (forget: every word must occur).
 *
 * @example toFtsQuery("KV-cache size?", "OR") // "\"KV\" OR \"cache\" OR \"size\""
 */
export function toFtsQuery(text: string, join: "OR" | "AND", field: string): string {
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0)
    throw new MemlensError("invalid-value", `${field} has no words to search for, got "${text}"`, field);
  return [...new Set(words)].map((w) => `"${w.replaceAll('"', '""')}"`).join(` ${join} `);
}
