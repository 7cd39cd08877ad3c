import { describeAllowed, MemlensError, requireWholeNumber } from "../errors/memlens-error.js";

export const COMPACTION_POLICY_KINDS = [
  "keep-last-n",
  "sliding-window",
  "summarize-at-threshold",
  "relevance-eviction",
] as const;
export type CompactionPolicyKind = (typeof COMPACTION_POLICY_KINDS)[number];

/**
 * How a conversation is cut down to fit the context window. Every policy keeps the newest turn and
 * keeps pinned turns (the system prompt) for as long as anything else can go instead.
 *
 * - `keep-last-n`: the last `n` unpinned turns (a count, not a token budget).
 * - `sliding-window`: the longest run of newest turns that fits `budgetTokens`.
 * - `summarize-at-threshold`: once the context passes `thresholdTokens`, everything but the last
 *   `keepRecentTurns` unpinned items is folded (with any earlier summary) into one summary of at
 *   most `summaryMaxTokens`; then oldest-first eviction if still over `budgetTokens`.
 * - `relevance-eviction`: over `budgetTokens`, evict the turns least relevant (BM25) to the latest
 *   user turn first, never the last `keepRecentTurns`.
 */
export type CompactionPolicy =
  | { readonly kind: "keep-last-n"; readonly n: number }
  | { readonly kind: "sliding-window"; readonly budgetTokens: number }
  | {
      readonly kind: "summarize-at-threshold";
      readonly budgetTokens: number;
      readonly thresholdTokens: number;
      readonly summaryMaxTokens: number;
      /** Default 2. */
      readonly keepRecentTurns?: number;
    }
  | {
      readonly kind: "relevance-eviction";
      readonly budgetTokens: number;
      /** Default 2. */
      readonly keepRecentTurns?: number;
    };

export const DEFAULT_KEEP_RECENT_TURNS = 2;

/** The policy's token budget; keep-last-n counts turns and has none. */
export function policyBudgetTokens(policy: CompactionPolicy): number | undefined {
  switch (policy.kind) {
    case "keep-last-n":
      return undefined;
    case "sliding-window":
    case "summarize-at-threshold":
    case "relevance-eviction":
      return policy.budgetTokens;
    default:
      return assertNever(policy);
  }
}

function assertNever(x: never): never {
  throw new MemlensError("invalid-value", `unknown policy ${JSON.stringify(x)}`, "policy.kind");
}

/** Throws a MemlensError naming `policy.<field>` for a policy that cannot be applied. */
export function validateCompactionPolicy(policy: CompactionPolicy): void {
  if (!(COMPACTION_POLICY_KINDS as readonly string[]).includes((policy as { kind: string }).kind))
    throw new MemlensError(
      "invalid-value",
      `policy.kind "${String((policy as { kind: unknown }).kind)}" is not allowed; allowed: ${describeAllowed(COMPACTION_POLICY_KINDS)}`,
      "policy.kind",
      COMPACTION_POLICY_KINDS,
    );
  switch (policy.kind) {
    case "keep-last-n":
      requireWholeNumber(policy.n, "policy.n", 1);
      return;
    case "sliding-window":
      requireWholeNumber(policy.budgetTokens, "policy.budgetTokens", 1);
      return;
    case "summarize-at-threshold":
      requireWholeNumber(policy.budgetTokens, "policy.budgetTokens", 1);
      requireWholeNumber(policy.thresholdTokens, "policy.thresholdTokens", 1, policy.budgetTokens);
      requireWholeNumber(policy.summaryMaxTokens, "policy.summaryMaxTokens", 1, policy.thresholdTokens - 1);
      if (policy.keepRecentTurns !== undefined)
        requireWholeNumber(policy.keepRecentTurns, "policy.keepRecentTurns", 1);
      return;
    case "relevance-eviction":
      requireWholeNumber(policy.budgetTokens, "policy.budgetTokens", 1);
      if (policy.keepRecentTurns !== undefined)
        requireWholeNumber(policy.keepRecentTurns, "policy.keepRecentTurns", 1);
      return;
    default:
      assertNever(policy);
  }
}
