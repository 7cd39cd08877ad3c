/**
 * The context window filling turn by turn: core's agent simulator replays the demo conversation
 * under a compaction policy, and prices each step's context in KV bytes and time to first token
 * for the page's model and GPU.
 */
import {
  type CompactionPolicy,
  type ContextSimulation,
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
 * The browser counts words, not tokens: a real tokenizer would add hundreds of KB to the page.
 * The CLI counts with real tokenizers (gpt-tokenizer, tokenizer.json).
 */
export const BROWSER_COUNTER: TokenCounter = wordTokenCounter;

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
