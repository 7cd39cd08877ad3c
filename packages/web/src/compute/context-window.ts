/**
 * The context window filling turn by turn: core's agent simulator replays the demo conversation
 * under a compaction policy, and prices each step's context in KV bytes and time to first token
 * for the page's model and GPU.
 */
import {
  type CompactionPolicy,
  type ContextSimulation,
  countTokensChecked,
  estimateContextCost,
  simulateContext,
  type TokenCounter,
  wordTokenCounter,
} from "@memlens/core";
import { demoConversation } from "../content/conversation.js";

export const POLICY_KINDS = [
  "sliding-window",
  "summarize-at-threshold",
  "relevance-eviction",
  "keep-last-n",
] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export const POLICY_LABEL: Record<PolicyKind, string> = {
  "sliding-window": "Sliding window (drop oldest)",
  "summarize-at-threshold": "Summarize at 80% of the budget",
  "relevance-eviction": "Evict least relevant (BM25)",
  "keep-last-n": "Keep the last 6 turns",
};

/** Tokens a chat template adds around each message (role header and separators); an assumption. */
export const PER_TURN_OVERHEAD_TOKENS = 4;

/**
 * The replayed conversation counts words, so the replay needs no download; the reader's own text
 * is counted with a real tokenizer (compute/tokenizer.ts, loaded on demand). The CLI counts whole
 * conversations with real tokenizers (gpt-tokenizer, tokenizer.json).
 */
export const BROWSER_COUNTER: TokenCounter = wordTokenCounter;

/**
 * Encodings the reader's own text is counted with (gpt-tokenizer, loaded on demand by
 * compute/tokenizer.ts): o200k_base for GPT-4o and later, cl100k_base for GPT-4 and GPT-3.5.
 */
export const TYPED_ENCODINGS = ["o200k_base", "cl100k_base"] as const;
export type TypedEncoding = (typeof TYPED_ENCODINGS)[number];

export const TYPED_ENCODING_LABEL: Record<TypedEncoding, string> = {
  o200k_base: "o200k_base (GPT-4o and later)",
  cl100k_base: "cl100k_base (GPT-4, GPT-3.5)",
};

/** The text the widget's typing box starts with (the reader replaces it). */
export const SAMPLE_MESSAGE =
  "Plan a three-day trip to Kyoto in April: temples before the crowds, one tea ceremony, and a day trip to Nara.";

/** What a piece of text costs in context: its tokens, their KV bytes and prefill time. */
export interface TextCost {
  readonly tokens: number;
  readonly words: number;
  readonly kvBytes: number;
  readonly prefillSeconds: number;
}

export function textCost(
  text: string,
  counter: TokenCounter,
  kvBytesPerToken: number,
  prefillTokensPerSecond: number,
): TextCost {
  const tokens = countTokensChecked(counter, text);
  const cost = estimateContextCost({ contextTokens: tokens, kvBytesPerToken, prefillTokensPerSecond });
  return {
    tokens,
    words: wordTokenCounter.count(text),
    kvBytes: cost.kvBytes,
    prefillSeconds: cost.timeToFirstTokenSeconds,
  };
}

export function policyFor(kind: PolicyKind, budgetTokens: number): CompactionPolicy {
  switch (kind) {
    case "sliding-window":
      return { kind, budgetTokens };
    case "summarize-at-threshold": {
      const thresholdTokens = Math.max(2, Math.floor(budgetTokens * 0.8));
      const summaryMaxTokens = Math.max(1, Math.min(thresholdTokens - 1, Math.floor(budgetTokens / 5)));
      return { kind, budgetTokens, thresholdTokens, summaryMaxTokens, keepRecentTurns: 2 };
    }
    case "relevance-eviction":
      return { kind, budgetTokens, keepRecentTurns: 2 };
    case "keep-last-n":
      return { kind, n: 6 };
  }
}

export interface ContextWindowInput {
  readonly turns: number;
  readonly policy: PolicyKind;
  readonly budgetTokens: number;
  readonly kvBytesPerToken: number;
  readonly prefillTokensPerSecond: number;
}

export function runContextWindow(i: ContextWindowInput): ContextSimulation {
  return simulateContext({
    turns: demoConversation(i.turns),
    policy: policyFor(i.policy, i.budgetTokens),
    counter: BROWSER_COUNTER,
    perTurnOverheadTokens: PER_TURN_OVERHEAD_TOKENS,
    cost: { kvBytesPerToken: i.kvBytesPerToken, prefillTokensPerSecond: i.prefillTokensPerSecond },
  });
}
