import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compactContext, compactContextAsync } from "./compact-context.js";
import type { CompactionPolicy } from "./compaction-policy.js";
import {
  type ContextItem,
  isPinned,
  itemKey,
  measureTurn,
  type TokenMeasure,
  type Turn,
} from "./conversation.js";
import type { Summarizer } from "./summarizer.js";
import { type TokenCounter, wordTokenCounter } from "./token-counter.js";

const VOCAB = [
  "kv",
  "cache",
  "gpu",
  "memory",
  "token",
  "budget",
  "llama",
  "prefill",
  "decode",
  "bread",
  "cat",
  "the",
];
const charCounter: TokenCounter = { name: "chars/4", count: (t) => Math.ceil(t.length / 4) };

const turnArb = (id: string) =>
  fc.record({
    id: fc.constant(id),
    role: fc.constantFrom("user", "assistant", "tool", "user", "assistant", "system") as fc.Arbitrary<
      Turn["role"]
    >,
    text: fc.array(fc.constantFrom(...VOCAB), { maxLength: 30 }).map((w) => w.join(" ")),
  });
const conversationArb = fc
  .integer({ min: 1, max: 25 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => turnArb(`t${i}`))));
const measureArb = fc.record({
  counter: fc.constantFrom(wordTokenCounter, charCounter),
  perTurnOverheadTokens: fc.integer({ min: 0, max: 4 }),
});
const budgetArb = fc.integer({ min: 1, max: 120 });
const policyArb: fc.Arbitrary<CompactionPolicy> = fc.oneof(
  fc.record({ kind: fc.constant("keep-last-n" as const), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("sliding-window" as const), budgetTokens: budgetArb }),
  fc.record({
    kind: fc.constant("relevance-eviction" as const),
    budgetTokens: budgetArb,
    keepRecentTurns: fc.integer({ min: 1, max: 4 }),
  }),
  fc
    .tuple(
      fc.integer({ min: 3, max: 120 }),
      fc.double({ min: 0.3, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 4 }),
    )
    .map(([budgetTokens, f, keepRecentTurns]) => {
      const thresholdTokens = Math.max(2, Math.floor(budgetTokens * f));
      return {
        kind: "summarize-at-threshold" as const,
        budgetTokens,
        thresholdTokens,
        summaryMaxTokens: Math.max(1, Math.floor(thresholdTokens / 3)),
        keepRecentTurns,
      };
    }),
);

const items = (turns: readonly Turn[], m: TokenMeasure): ContextItem[] => turns.map((t) => measureTurn(t, m));
const budgetOf = (p: CompactionPolicy) => (p.kind === "keep-last-n" ? undefined : p.budgetTokens);

describe("compactContext: properties of every policy", () => {
  it("keeps the newest turn, stays within budget whenever the newest turn fits, keeps order", () => {
    fc.assert(
      fc.property(conversationArb, policyArb, measureArb, (turns, policy, m) => {
        const input = items(turns, m);
        const newest = input[input.length - 1]!;
        const r = compactContext(input, policy, { measure: m });
        expect(itemKey(r.items[r.items.length - 1]!)).toBe(itemKey(newest));
        const budget = budgetOf(policy);
        expect(r.tokens).toBe(r.items.reduce((a, x) => a + x.tokens, 0));
        if (budget !== undefined) {
          expect(r.fits).toBe(r.tokens <= budget);
          if (newest.tokens <= budget) expect(r.tokens).toBeLessThanOrEqual(budget);
          else expect(r.items).toHaveLength(1);
        }
        // Order kept: surviving original items appear in input order.
        const pos = new Map(input.map((x, i) => [itemKey(x), i]));
        const idx = r.items.filter((x) => x.kind === "turn").map((x) => pos.get(itemKey(x))!);
        expect(idx).toEqual([...idx].sort((a, b) => a - b));
        // Every input item is kept, evicted or summarized, exactly once.
        const out = [...r.items, ...r.evicted, ...r.summarized].filter((x) => x.kind === "turn").map(itemKey);
        expect(out.sort()).toEqual(input.map(itemKey).sort());
      }),
      { seed: 8, numRuns: 400 },
    );
  });

  it("evicts a pinned turn only when unpinned ones cannot make room", () => {
    fc.assert(
      fc.property(conversationArb, policyArb, measureArb, (turns, policy, m) => {
        const r = compactContext(items(turns, m), policy, { measure: m });
        if (r.evicted.some(isPinned)) {
          const newestKey = itemKey(r.items[r.items.length - 1]!);
          expect(r.items.filter((x) => !isPinned(x) && itemKey(x) !== newestKey)).toEqual([]);
        }
      }),
      { seed: 9, numRuns: 300 },
    );
  });
});

describe("keep-last-n", () => {
  it("keeps at most n unpinned turns, the newest ones", () => {
    fc.assert(
      fc.property(conversationArb, fc.integer({ min: 1, max: 8 }), measureArb, (turns, n, m) => {
        const input = items(turns, m);
        const r = compactContext(input, { kind: "keep-last-n", n }, { measure: m });
        const unpinned = r.items.filter((x) => !isPinned(x));
        expect(unpinned.length).toBeLessThanOrEqual(n);
        const expected = input.filter((x) => !isPinned(x)).slice(-n);
        expect(unpinned.map(itemKey)).toEqual(expected.map(itemKey));
        expect(r.items.filter(isPinned)).toEqual(input.filter(isPinned));
      }),
      { seed: 10 },
    );
  });
});

describe("sliding-window", () => {
  it("keeps a contiguous run of the newest unpinned turns", () => {
    fc.assert(
      fc.property(conversationArb, budgetArb, measureArb, (turns, budgetTokens, m) => {
        const input = items(turns, m).filter((x) => !isPinned(x));
        if (input.length === 0) return;
        const r = compactContext(input, { kind: "sliding-window", budgetTokens }, { measure: m });
        expect(r.items.map(itemKey)).toEqual(input.slice(input.length - r.items.length).map(itemKey));
        // Maximal: the next older turn would not have fitted.
        const older = input[input.length - r.items.length - 1];
        if (older && r.fits) expect(r.tokens + older.tokens).toBeGreaterThan(budgetTokens);
      }),
      { seed: 11 },
    );
  });
});

describe("relevance-eviction", () => {
  const m: TokenMeasure = { counter: wordTokenCounter, perTurnOverheadTokens: 0 };
  const turn = (id: string, role: Turn["role"], text: string): Turn => ({ id, role, text });
  it("evicts the turns unrelated to the latest question first, whatever their age", () => {
    const conversation = [
      turn("sys", "system", "You are a helpful assistant."),
      turn("a", "user", "How much KV cache does Llama need at 32k tokens on one GPU?"),
      turn("b", "assistant", "About four gigabytes of KV cache for Llama at 32k tokens."),
      turn("c", "user", "Unrelated: what is a good sourdough bread recipe with rye flour?"),
      turn("d", "assistant", "Mix rye flour, water and starter; proof the bread overnight in the fridge."),
      turn("e", "user", "Back to Llama: does an fp8 KV cache halve that?"),
    ];
    const r = compactContext(
      items(conversation, m),
      { kind: "relevance-eviction", budgetTokens: 45, keepRecentTurns: 1 },
      { measure: m },
    );
    expect(r.evicted.map(itemKey)).toEqual(["turn:c", "turn:d"]);
    expect(r.items.map(itemKey)).toEqual(["turn:sys", "turn:a", "turn:b", "turn:e"]);
    // Sliding window on the same budget drops the relevant old turns instead.
    const w = compactContext(
      items(conversation, m),
      { kind: "sliding-window", budgetTokens: 45 },
      { measure: m },
    );
    expect(w.items.map(itemKey)).toEqual(["turn:sys", "turn:c", "turn:d", "turn:e"]);
  });
});

describe("summarize-at-threshold", () => {
  const m: TokenMeasure = { counter: wordTokenCounter, perTurnOverheadTokens: 3 };
  const conversation: Turn[] = Array.from({ length: 8 }, (_, i) => ({
    id: `t${i}`,
    role: i % 2 === 0 ? "user" : "assistant",
    text: `Turn ${i} talks about the KV cache and prefill on the GPU. Filler words here ${i}.`,
  }));
  const policy: CompactionPolicy = {
    kind: "summarize-at-threshold",
    budgetTokens: 80,
    thresholdTokens: 60,
    summaryMaxTokens: 20,
    keepRecentTurns: 2,
  };
  it("folds all but the recent turns into one summary no longer than summaryMaxTokens", () => {
    const r = compactContext(items(conversation, m), policy, { measure: m });
    expect(r.summary?.id).toBe("summary-through-t5");
    expect(r.summary?.coveredTurnIds).toEqual(["t0", "t1", "t2", "t3", "t4", "t5"]);
    expect(r.summary!.tokens).toBeLessThanOrEqual(20 + 3);
    expect(r.items.map(itemKey)).toEqual(["summary:summary-through-t5", "turn:t6", "turn:t7"]);
    expect(r.tokens).toBeLessThanOrEqual(80);
  });
  it("leaves the context alone under the threshold", () => {
    const r = compactContext(items(conversation.slice(0, 2), m), policy, { measure: m });
    expect(r.summary).toBeUndefined();
    expect(r.items).toHaveLength(2);
  });
  it("calls an asynchronous summarizer through compactContextAsync, and refuses it in compactContext", async () => {
    const llm: Summarizer = {
      name: "fake-llm",
      summarize: async () => "The user asked about KV cache sizes.",
    };
    const r = await compactContextAsync(items(conversation, m), policy, { measure: m, summarizer: llm });
    expect(r.summary?.text).toBe("The user asked about KV cache sizes.");
    expect(() => compactContext(items(conversation, m), policy, { measure: m, summarizer: llm })).toThrow(
      /asynchronous/,
    );
  });
  it("cuts a summarizer's over-long answer to summaryMaxTokens", () => {
    const verbose: Summarizer = { name: "verbose", summarize: () => "word ".repeat(500) };
    const r = compactContext(items(conversation, m), policy, { measure: m, summarizer: verbose });
    expect(wordTokenCounter.count(r.summary!.text)).toBe(20);
  });
});

describe("policy validation", () => {
  const m: TokenMeasure = { counter: wordTokenCounter, perTurnOverheadTokens: 0 };
  const one = items([{ id: "x", role: "user", text: "hi" }], m);
  it.each([
    [{ kind: "keep-last-n", n: 0 }, "policy.n"],
    [{ kind: "sliding-window", budgetTokens: 0.5 }, "policy.budgetTokens"],
    [
      { kind: "summarize-at-threshold", budgetTokens: 10, thresholdTokens: 11, summaryMaxTokens: 1 },
      "policy.thresholdTokens",
    ],
    [
      { kind: "summarize-at-threshold", budgetTokens: 10, thresholdTokens: 5, summaryMaxTokens: 5 },
      "policy.summaryMaxTokens",
    ],
    [{ kind: "relevance-eviction", budgetTokens: 10, keepRecentTurns: 0 }, "policy.keepRecentTurns"],
    [{ kind: "fifo" }, "policy.kind"],
  ])("%j is refused, naming %s", (policy, field) => {
    expect(() => compactContext(one, policy as CompactionPolicy, { measure: m })).toThrow(
      expect.objectContaining({ code: "invalid-value", field }),
    );
  });
});
