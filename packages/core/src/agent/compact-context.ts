import { MemlensError } from "../errors/memlens-error.js";
import { scoreBm25 } from "./bm25.js";
import {
  type CompactionPolicy,
  DEFAULT_KEEP_RECENT_TURNS,
  policyBudgetTokens,
  validateCompactionPolicy,
} from "./compaction-policy.js";
import {
  type ContextItem,
  isPinned,
  itemKey,
  itemRole,
  itemText,
  sumTokens,
  type TokenMeasure,
  validateMeasure,
} from "./conversation.js";
import { extractiveSummarizer } from "./extractive-summarizer.js";
import type { Summarizer, SummaryRequest } from "./summarizer.js";
import { countTokensChecked, truncateToTokens } from "./token-counter.js";

/** A context after one compaction. */
export interface CompactionResult {
  /** What stays, in conversation order. */
  readonly items: readonly ContextItem[];
  /** Dropped outright (nothing stands in for them). */
  readonly evicted: readonly ContextItem[];
  /** Folded into `summary` (may include the previous summary). */
  readonly summarized: readonly ContextItem[];
  /** The summary created by this compaction, if any (it is also in `items` unless evicted). */
  readonly summary: Extract<ContextItem, { kind: "summary" }> | undefined;
  readonly tokens: number;
  /**
   * False only when the newest turn alone (it is always kept) exceeds the budget. Always true for
   * keep-last-n, which has no token budget.
   */
  readonly fits: boolean;
}

type SummaryItem = Extract<ContextItem, { kind: "summary" }>;

/**
 * Drops the oldest items until `budget` holds: unpinned first, then pinned; never the newest.
 * Used by every budgeted policy as its last word, so none ever ends over budget if it can help it.
 */
function enforceBudget(
  items: readonly ContextItem[],
  budget: number,
): { kept: ContextItem[]; evicted: ContextItem[] } {
  const kept = [...items];
  const evicted: ContextItem[] = [];
  let total = sumTokens(kept);
  for (const pinnedPass of [false, true]) {
    for (let i = 0; i < kept.length - 1 && total > budget; ) {
      const item = kept[i]!;
      if (isPinned(item) === pinnedPass) {
        kept.splice(i, 1);
        evicted.push(item);
        total -= item.tokens;
      } else i++;
    }
  }
  return { kept, evicted };
}

function keepLastN(
  items: readonly ContextItem[],
  n: number,
): { kept: ContextItem[]; evicted: ContextItem[] } {
  const last = items.length - 1;
  const keep = new Set<number>([last]);
  let unpinned = 0;
  for (let i = last; i >= 0; i--) {
    const item = items[i]!;
    if (isPinned(item)) keep.add(i);
    else if (unpinned < n) {
      keep.add(i);
      unpinned++;
    }
  }
  return split(items, keep);
}

function slidingWindow(
  items: readonly ContextItem[],
  budget: number,
): { kept: ContextItem[]; evicted: ContextItem[] } {
  const last = items.length - 1;
  const keep = new Set<number>([last]);
  let total = items[last]!.tokens;
  items.forEach((item, i) => {
    if (i !== last && isPinned(item)) {
      keep.add(i);
      total += item.tokens;
    }
  });
  // Pinned turns and the newest alone are over budget: drop pinned ones, oldest first.
  if (total > budget) return mergeEvictions(items, enforceBudget(split(items, keep).kept, budget));
  // Contiguous: stop at the first older turn that does not fit.
  for (let i = last - 1; i >= 0; i--) {
    const item = items[i]!;
    if (isPinned(item)) continue;
    if (total + item.tokens > budget) break;
    keep.add(i);
    total += item.tokens;
  }
  return split(items, keep);
}

function relevanceEviction(
  items: readonly ContextItem[],
  budget: number,
  keepRecent: number,
): { kept: ContextItem[]; evicted: ContextItem[] } {
  let total = sumTokens(items);
  if (total <= budget) return { kept: [...items], evicted: [] };
  const last = items.length - 1;
  const recent = recentUnpinned(items, keepRecent);
  const query = [...items].reverse().find((x) => x.kind === "turn" && x.turn.role === "user") ?? items[last]!;
  const candidates = items
    .map((item, index) => ({ item, index }))
    .filter(({ item, index }) => !isPinned(item) && !recent.has(index) && index !== last);
  const scores = scoreBm25(
    itemText(query),
    candidates.map((c) => itemText(c.item)),
  );
  const order = candidates
    .map((c, k) => ({ ...c, score: scores[k]! }))
    .sort((a, b) => a.score - b.score || a.index - b.index);
  const drop = new Set<number>();
  for (const c of order) {
    if (total <= budget) break;
    drop.add(c.index);
    total -= c.item.tokens;
  }
  const keep = new Set(items.map((_, i) => i).filter((i) => !drop.has(i)));
  return mergeEvictions(items, enforceBudget(split(items, keep).kept, budget));
}

/** Indices of the last `k` unpinned items (the newest is always among them if unpinned). */
function recentUnpinned(items: readonly ContextItem[], k: number): Set<number> {
  const out = new Set<number>();
  for (let i = items.length - 1; i >= 0 && out.size < k; i--) if (!isPinned(items[i]!)) out.add(i);
  return out;
}

function split(
  items: readonly ContextItem[],
  keep: ReadonlySet<number>,
): { kept: ContextItem[]; evicted: ContextItem[] } {
  const kept: ContextItem[] = [];
  const evicted: ContextItem[] = [];
  items.forEach((item, i) => {
    (keep.has(i) ? kept : evicted).push(item);
  });
  return { kept, evicted };
}

/** After a second pass on a subset, everything not kept counts as evicted (in original order). */
function mergeEvictions(
  items: readonly ContextItem[],
  second: { kept: ContextItem[]; evicted: ContextItem[] },
): { kept: ContextItem[]; evicted: ContextItem[] } {
  const keptKeys = new Set(second.kept.map(itemKey));
  return {
    kept: second.kept,
    evicted: items.filter((x) => !keptKeys.has(itemKey(x))),
  };
}

/**
 * The compaction of one context as a generator: it yields a {@link SummaryRequest} when the policy
 * needs a summary and expects the summary text back, so one body serves sync and async summarizers.
 * `items` is oldest first; its last item is the newest turn.
 */
export function* compactionSteps(
  items: readonly ContextItem[],
  policy: CompactionPolicy,
  measure: TokenMeasure,
): Generator<SummaryRequest, CompactionResult, string> {
  const budget = policyBudgetTokens(policy);
  const done = (
    r: { kept: ContextItem[]; evicted: ContextItem[] },
    summarized: readonly ContextItem[] = [],
    summary: SummaryItem | undefined = undefined,
  ): CompactionResult => {
    const tokens = sumTokens(r.kept);
    return {
      items: r.kept,
      evicted: r.evicted,
      summarized,
      summary,
      tokens,
      fits: budget === undefined || tokens <= budget,
    };
  };
  if (items.length === 0) return done({ kept: [], evicted: [] });
  switch (policy.kind) {
    case "keep-last-n":
      return done(keepLastN(items, policy.n));
    case "sliding-window":
      return done(slidingWindow(items, policy.budgetTokens));
    case "relevance-eviction":
      return done(
        relevanceEviction(items, policy.budgetTokens, policy.keepRecentTurns ?? DEFAULT_KEEP_RECENT_TURNS),
      );
    case "summarize-at-threshold": {
      if (sumTokens(items) <= policy.thresholdTokens) return done(enforceBudget(items, policy.budgetTokens));
      const recent = recentUnpinned(items, policy.keepRecentTurns ?? DEFAULT_KEEP_RECENT_TURNS);
      const last = items.length - 1;
      const foldIdx = items
        .map((_, i) => i)
        .filter((i) => i !== last && !recent.has(i) && !isPinned(items[i]!));
      const fold = foldIdx.map((i) => items[i]!);
      const turns = fold.filter((x) => x.kind === "turn");
      if (turns.length === 0) return done(enforceBudget(items, policy.budgetTokens));
      const raw = yield {
        inputs: fold.map((x) => ({ role: itemRole(x), text: itemText(x) })),
        maxTokens: policy.summaryMaxTokens,
        counter: measure.counter,
      };
      const text = truncateToTokens(String(raw).trim(), policy.summaryMaxTokens, measure.counter);
      const foldSet = new Set(foldIdx);
      const first = foldIdx[0]!;
      let summary: SummaryItem | undefined;
      if (text !== "") {
        const lastTurn = turns[turns.length - 1]!;
        summary = {
          kind: "summary",
          id: `summary-through-${lastTurn.kind === "turn" ? lastTurn.turn.id : ""}`,
          text,
          tokens: countTokensChecked(measure.counter, text) + measure.perTurnOverheadTokens,
          coveredTurnIds: fold.flatMap((x) => (x.kind === "turn" ? [x.turn.id] : x.coveredTurnIds)),
        };
      }
      const next: ContextItem[] = [];
      items.forEach((item, i) => {
        if (i === first && summary) next.push(summary);
        if (!foldSet.has(i)) next.push(item);
      });
      const r = enforceBudget(next, policy.budgetTokens);
      // With no summary text, the folded turns were dropped outright.
      return summary ? done(r, fold, summary) : done({ kept: r.kept, evicted: [...fold, ...r.evicted] });
    }
    default: {
      const never: never = policy;
      throw new MemlensError("invalid-value", `unknown policy ${JSON.stringify(never)}`, "policy.kind");
    }
  }
}

const isPromiseLike = (x: unknown): x is PromiseLike<unknown> =>
  typeof x === "object" && x !== null && typeof (x as { then?: unknown }).then === "function";

/** Runs a step generator with a summarizer that must answer synchronously. */
export function runWithSummarizerSync<R>(
  gen: Generator<SummaryRequest, R, string>,
  summarizer: Summarizer,
): R {
  let step = gen.next();
  while (!step.done) {
    const out = summarizer.summarize(step.value);
    if (isPromiseLike(out))
      throw new MemlensError(
        "invalid-value",
        `summarizer "${summarizer.name}" is asynchronous; use the *Async function (compactContextAsync, simulateContextAsync)`,
        "summarizer",
      );
    step = gen.next(out);
  }
  return step.value;
}

/** Runs a step generator, awaiting the summarizer. */
export async function runWithSummarizer<R>(
  gen: Generator<SummaryRequest, R, string>,
  summarizer: Summarizer,
): Promise<R> {
  let step = gen.next();
  while (!step.done) step = gen.next(await summarizer.summarize(step.value));
  return step.value;
}

/** Options of {@link compactContext}. */
export interface CompactOptions {
  readonly measure: TokenMeasure;
  /** Default: {@link extractiveSummarizer}. */
  readonly summarizer?: Summarizer;
}

/**
 * Applies a policy to a context (oldest first, newest turn last). Throws if the summarizer is
 * asynchronous: use {@link compactContextAsync} for those.
 */
export function compactContext(
  items: readonly ContextItem[],
  policy: CompactionPolicy,
  options: CompactOptions,
): CompactionResult {
  validateCompactionPolicy(policy);
  validateMeasure(options.measure);
  return runWithSummarizerSync(
    compactionSteps(items, policy, options.measure),
    options.summarizer ?? extractiveSummarizer,
  );
}

/** {@link compactContext} with a summarizer that may be asynchronous (an LLM endpoint). */
export function compactContextAsync(
  items: readonly ContextItem[],
  policy: CompactionPolicy,
  options: CompactOptions,
): Promise<CompactionResult> {
  validateCompactionPolicy(policy);
  validateMeasure(options.measure);
  return runWithSummarizer(
    compactionSteps(items, policy, options.measure),
    options.summarizer ?? extractiveSummarizer,
  );
}
