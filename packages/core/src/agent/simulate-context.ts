import { compactionSteps, runWithSummarizer, runWithSummarizerSync } from "./compact-context.js";
import { type CompactionPolicy, policyBudgetTokens, validateCompactionPolicy } from "./compaction-policy.js";
import { type ContextCost, estimateContextCost } from "./context-cost.js";
import {
  type ContextItem,
  itemKey,
  itemRole,
  itemText,
  measureTurn,
  sumTokens,
  type TokenMeasure,
  type Turn,
  type TurnRole,
  validateMeasure,
  validateTurns,
} from "./conversation.js";
import { extractiveSummarizer } from "./extractive-summarizer.js";
import type { Summarizer, SummaryRequest } from "./summarizer.js";
import { extractTerms } from "./terms.js";
import type { TokenCounter } from "./token-counter.js";

/** A conversation to replay under one compaction policy. */
export interface SimulateContextInput {
  /** The whole conversation, oldest first. */
  readonly turns: readonly Turn[];
  readonly policy: CompactionPolicy;
  readonly counter: TokenCounter;
  /** Chat-template tokens per message. Default 0. */
  readonly perTurnOverheadTokens?: number;
  /** Default: {@link extractiveSummarizer}. Used by summarize-at-threshold only. */
  readonly summarizer?: Summarizer;
  /** Per-token figures of the chosen model and GPU; adds KV bytes and TTFT to every step. */
  readonly cost?: { readonly kvBytesPerToken: number; readonly prefillTokensPerSecond: number };
}

/** One item of the context window after a step (what a widget draws as a block). */
export interface ContextBlock {
  /** Turn id, or summary id. */
  readonly id: string;
  readonly kind: "turn" | "summary";
  readonly role: TurnRole | "summary";
  readonly tokens: number;
}

/** What a step lost: what left the context and which content terms went with it. */
export interface ContextLoss {
  /** Turns dropped with nothing standing in for them. */
  readonly evictedTurnIds: readonly string[];
  /** Turns folded into a summary this step. */
  readonly summarizedTurnIds: readonly string[];
  /** Earlier summaries dropped this step. */
  readonly evictedSummaryIds: readonly string[];
  /**
   * Content terms that were in the context before this step's compaction and are in it no longer,
   * most frequent in what left first.
   */
  readonly terms: readonly string[];
}

/** The context after turn `turnIndex` was added and the policy applied. */
export interface ContextStep {
  readonly turnIndex: number;
  readonly turnId: string;
  readonly role: TurnRole;
  /** Tokens of the new turn (with the per-turn overhead). */
  readonly turnTokens: number;
  /** Previous context plus the new turn, before compaction. */
  readonly tokensBeforeCompaction: number;
  readonly tokensInContext: number;
  /** Of `tokensInContext`, tokens of summaries. */
  readonly summaryTokens: number;
  /** Tokens of original turns folded into a summary at this step. */
  readonly tokensSummarized: number;
  /** Tokens of original turns dropped outright at this step. */
  readonly tokensEvicted: number;
  /** Tokens of earlier summaries dropped at this step. */
  readonly summaryTokensEvicted: number;
  /**
   * Tokens at the start of the context unchanged since the previous step: what an engine with
   * prefix caching does not prefill again. Compaction that rewrites the front resets it.
   */
  readonly prefixReusedTokens: number;
  /** False when the newest turn alone is over the policy's budget. */
  readonly fits: boolean;
  readonly blocks: readonly ContextBlock[];
  readonly lost: ContextLoss;
  /** With `cost` given: KV bytes, and TTFT with prefix caching (and without, for comparison). */
  readonly cost: (ContextCost & { readonly timeToFirstTokenWithoutPrefixCacheSeconds: number }) | undefined;
}

export interface ContextSimulation {
  readonly policy: CompactionPolicy;
  readonly counter: string;
  readonly summarizer: string | undefined;
  readonly budgetTokens: number | undefined;
  readonly steps: readonly ContextStep[];
  readonly totals: {
    /** Sum of all turns' tokens. Equals final original-turn tokens + summarized + evicted. */
    readonly tokensSeen: number;
    readonly tokensSummarized: number;
    readonly tokensEvicted: number;
    /** Original-turn tokens still in the context after the last turn. */
    readonly turnTokensInContext: number;
    readonly peakTokensInContext: number;
    readonly stepsOverBudget: number;
    /** Σ over steps of tokens to prefill with prefix caching, and without. */
    readonly prefillTokensWithPrefixCache: number;
    readonly prefillTokensWithoutPrefixCache: number;
  };
}

function lostTerms(
  before: readonly ContextItem[],
  after: readonly ContextItem[],
  termsOf: (x: ContextItem) => readonly string[],
): string[] {
  const keptKeys = new Set(after.map(itemKey));
  const remaining = new Set(after.flatMap((x) => termsOf(x)));
  const freq = new Map<string, number>();
  for (const x of before) {
    if (keptKeys.has(itemKey(x))) continue;
    for (const t of termsOf(x)) if (!remaining.has(t)) freq.set(t, (freq.get(t) ?? 0) + 1);
  }
  return [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
}

/** The simulation as a generator of summary requests (see compactionSteps). */
export function* simulationSteps(
  input: SimulateContextInput,
  summarizerName: string | undefined,
): Generator<SummaryRequest, ContextSimulation, string> {
  validateTurns(input.turns);
  validateCompactionPolicy(input.policy);
  const measure: TokenMeasure = {
    counter: input.counter,
    perTurnOverheadTokens: input.perTurnOverheadTokens ?? 0,
  };
  validateMeasure(measure);
  const termCache = new Map<string, readonly string[]>();
  const termsOf = (x: ContextItem): readonly string[] => {
    const k = itemKey(x);
    let t = termCache.get(k);
    if (!t) {
      t = extractTerms(itemText(x));
      termCache.set(k, t);
    }
    return t;
  };
  const budgetTokens = policyBudgetTokens(input.policy);
  const steps: ContextStep[] = [];
  let context: readonly ContextItem[] = [];
  let tokensSeen = 0;
  let totalSummarized = 0;
  let totalEvicted = 0;
  let peak = 0;
  let overBudget = 0;
  let prefillCached = 0;
  let prefillUncached = 0;
  for (const [turnIndex, turn] of input.turns.entries()) {
    const item = measureTurn(turn, measure);
    tokensSeen += item.tokens;
    const before = [...context, item];
    const r = yield* compactionSteps(before, input.policy, measure);
    const turnTokensOf = (xs: readonly ContextItem[]) => sumTokens(xs.filter((x) => x.kind === "turn"));
    const tokensSummarized = turnTokensOf(r.summarized);
    const tokensEvicted = turnTokensOf(r.evicted);
    totalSummarized += tokensSummarized;
    totalEvicted += tokensEvicted;
    let prefix = 0;
    for (let i = 0; i < Math.min(context.length, r.items.length); i++) {
      if (itemKey(context[i]!) !== itemKey(r.items[i]!)) break;
      prefix += r.items[i]!.tokens;
    }
    peak = Math.max(peak, r.tokens);
    if (!r.fits) overBudget++;
    prefillCached += r.tokens - prefix;
    prefillUncached += r.tokens;
    let cost: ContextStep["cost"];
    if (input.cost) {
      const c = estimateContextCost({
        contextTokens: r.tokens,
        cachedTokens: prefix,
        kvBytesPerToken: input.cost.kvBytesPerToken,
        prefillTokensPerSecond: input.cost.prefillTokensPerSecond,
      });
      cost = {
        ...c,
        timeToFirstTokenWithoutPrefixCacheSeconds: r.tokens / input.cost.prefillTokensPerSecond,
      };
    }
    steps.push({
      turnIndex,
      turnId: turn.id,
      role: turn.role,
      turnTokens: item.tokens,
      tokensBeforeCompaction: sumTokens(before),
      tokensInContext: r.tokens,
      summaryTokens: sumTokens(r.items.filter((x) => x.kind === "summary")),
      tokensSummarized,
      tokensEvicted,
      summaryTokensEvicted: sumTokens(r.evicted.filter((x) => x.kind === "summary")),
      prefixReusedTokens: prefix,
      fits: r.fits,
      blocks: r.items.map((x) => ({
        id: x.kind === "turn" ? x.turn.id : x.id,
        kind: x.kind,
        role: itemRole(x),
        tokens: x.tokens,
      })),
      lost: {
        evictedTurnIds: r.evicted.flatMap((x) => (x.kind === "turn" ? [x.turn.id] : [])),
        summarizedTurnIds: r.summarized.flatMap((x) => (x.kind === "turn" ? [x.turn.id] : [])),
        evictedSummaryIds: r.evicted.flatMap((x) => (x.kind === "summary" ? [x.id] : [])),
        terms: lostTerms(before, r.items, termsOf),
      },
      cost,
    });
    context = r.items;
  }
  return {
    policy: input.policy,
    counter: input.counter.name,
    summarizer: summarizerName,
    budgetTokens,
    steps,
    totals: {
      tokensSeen,
      tokensSummarized: totalSummarized,
      tokensEvicted: totalEvicted,
      turnTokensInContext: sumTokens(context.filter((x) => x.kind === "turn")),
      peakTokensInContext: peak,
      stepsOverBudget: overBudget,
      prefillTokensWithPrefixCache: prefillCached,
      prefillTokensWithoutPrefixCache: prefillUncached,
    },
  };
}

/**
 * Replays a conversation turn by turn under a compaction policy: tokens in context, tokens
 * summarized and evicted, what was lost, prefix-cache reuse and (with `cost`) KV bytes and TTFT.
 * Throws if the summarizer is asynchronous; use {@link simulateContextAsync} for those.
 *
 * @example
 * simulateContext({ turns, policy: { kind: "sliding-window", budgetTokens: 4096 }, counter })
 *   .steps.map((s) => s.tokensInContext)
 */
export function simulateContext(input: SimulateContextInput): ContextSimulation {
  const summarizer = input.summarizer ?? extractiveSummarizer;
  return runWithSummarizerSync(
    simulationSteps(input, usesSummarizer(input) ? summarizer.name : undefined),
    summarizer,
  );
}

/** {@link simulateContext} with a summarizer that may be asynchronous (an LLM endpoint). */
export function simulateContextAsync(input: SimulateContextInput): Promise<ContextSimulation> {
  const summarizer = input.summarizer ?? extractiveSummarizer;
  return runWithSummarizer(
    simulationSteps(input, usesSummarizer(input) ? summarizer.name : undefined),
    summarizer,
  );
}

const usesSummarizer = (input: SimulateContextInput) => input.policy.kind === "summarize-at-threshold";
