import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CompactionPolicy } from "./compaction-policy.js";
import type { Turn } from "./conversation.js";
import { simulateContext, simulateContextAsync } from "./simulate-context.js";
import type { Summarizer } from "./summarizer.js";
import { wordTokenCounter } from "./token-counter.js";

const TOPICS = [
  "kv cache",
  "prefill speed",
  "gpu memory",
  "tensor parallel",
  "sourdough bread",
  "quantization",
];
const conversation = (n: number): Turn[] => [
  { id: "sys", role: "system", text: "You answer questions about serving LLMs." },
  ...Array.from({ length: n }, (_, i): Turn => {
    const topic = TOPICS[i % TOPICS.length]!;
    return i % 2 === 0
      ? { id: `u${i}`, role: "user", text: `Question ${i} about ${topic}: how does ${topic} scale?` }
      : {
          id: `a${i}`,
          role: "assistant",
          text: `Answer ${i}: ${topic} scales with context. More on ${topic} later.`,
        };
  }),
];

const POLICIES: CompactionPolicy[] = [
  { kind: "keep-last-n", n: 4 },
  { kind: "sliding-window", budgetTokens: 60 },
  { kind: "summarize-at-threshold", budgetTokens: 60, thresholdTokens: 50, summaryMaxTokens: 20 },
  { kind: "relevance-eviction", budgetTokens: 60 },
];

describe("simulateContext", () => {
  it.each(POLICIES)("$kind: newest turn always present, within budget, tokens conserved", (policy) => {
    const sim = simulateContext({
      turns: conversation(20),
      policy,
      counter: wordTokenCounter,
      perTurnOverheadTokens: 2,
    });
    expect(sim.steps).toHaveLength(21);
    for (const s of sim.steps) {
      expect(s.blocks[s.blocks.length - 1]!.id).toBe(s.turnId);
      if (sim.budgetTokens !== undefined) expect(s.tokensInContext).toBeLessThanOrEqual(sim.budgetTokens);
      expect(s.tokensInContext).toBe(s.blocks.reduce((a, b) => a + b.tokens, 0));
    }
    const t = sim.totals;
    expect(t.tokensSeen).toBe(t.turnTokensInContext + t.tokensSummarized + t.tokensEvicted);
    expect(t.stepsOverBudget).toBe(0);
  });

  it("shows, turn by turn, what summarize-at-threshold keeps, folds and loses", () => {
    const sim = simulateContext({
      turns: conversation(14),
      policy: {
        kind: "summarize-at-threshold",
        budgetTokens: 100,
        thresholdTokens: 80,
        summaryMaxTokens: 20,
      },
      counter: wordTokenCounter,
      perTurnOverheadTokens: 2,
    });
    const rows = sim.steps.map(
      (s) =>
        `${s.turnId.padEnd(3)} ctx=${String(s.tokensInContext).padStart(2)} sum=${String(s.summaryTokens).padStart(2)} ` +
        `folded=[${s.lost.summarizedTurnIds.join(",")}] reuse=${s.prefixReusedTokens} lost=[${s.lost.terms.slice(0, 4).join(",")}]`,
    );
    expect(rows).toMatchInlineSnapshot(`
      [
        "sys ctx= 8 sum= 0 folded=[] reuse=0 lost=[]",
        "u0  ctx=20 sum= 0 folded=[] reuse=8 lost=[]",
        "a1  ctx=34 sum= 0 folded=[] reuse=20 lost=[]",
        "u2  ctx=46 sum= 0 folded=[] reuse=34 lost=[]",
        "a3  ctx=60 sum= 0 folded=[] reuse=46 lost=[]",
        "u4  ctx=72 sum= 0 folded=[] reuse=60 lost=[]",
        "a5  ctx=50 sum=18 folded=[u0,a1,u2,a3] reuse=8 lost=[cache,gpu,kv,memory]",
        "u6  ctx=62 sum=18 folded=[] reuse=50 lost=[]",
        "a7  ctx=76 sum=18 folded=[] reuse=62 lost=[]",
        "u8  ctx=52 sum=18 folded=[u4,a5,u6] reuse=8 lost=[bread,cache,kv,quantization]",
        "a9  ctx=66 sum=18 folded=[] reuse=52 lost=[]",
        "u10 ctx=78 sum=18 folded=[] reuse=66 lost=[]",
        "a11 ctx=50 sum=18 folded=[a7,u8,a9] reuse=8 lost=[gpu,memory]",
        "u12 ctx=62 sum=18 folded=[] reuse=50 lost=[]",
        "a13 ctx=76 sum=18 folded=[] reuse=62 lost=[]",
      ]
    `);
  });

  it("counts prefix-cache reuse: a sliding window rewrites the front every turn, keep-everything never does", () => {
    const turns = conversation(12);
    const window = simulateContext({
      turns,
      policy: { kind: "sliding-window", budgetTokens: 40 },
      counter: wordTokenCounter,
    });
    const all = simulateContext({
      turns,
      policy: { kind: "keep-last-n", n: 1000 },
      counter: wordTokenCounter,
    });
    expect(all.totals.prefillTokensWithPrefixCache).toBe(all.totals.tokensSeen);
    const last = window.steps[window.steps.length - 1]!;
    expect(last.prefixReusedTokens).toBeLessThan(last.tokensInContext);
    expect(window.totals.prefillTokensWithPrefixCache).toBeGreaterThan(window.totals.tokensSeen);
  });

  it("adds KV bytes and TTFT per step when given per-token figures", () => {
    const sim = simulateContext({
      turns: conversation(3),
      policy: { kind: "keep-last-n", n: 10 },
      counter: wordTokenCounter,
      cost: { kvBytesPerToken: 131_072, prefillTokensPerSecond: 1000 },
    });
    const s = sim.steps[3]!;
    expect(s.cost?.kvBytes).toBe(s.tokensInContext * 131_072);
    expect(s.cost?.prefillTokens).toBe(s.turnTokens);
    expect(s.cost?.timeToFirstTokenSeconds).toBeCloseTo(s.turnTokens / 1000, 12);
    expect(s.cost?.timeToFirstTokenWithoutPrefixCacheSeconds).toBeCloseTo(s.tokensInContext / 1000, 12);
  });

  it("runs an asynchronous summarizer through simulateContextAsync", async () => {
    let calls = 0;
    const llm: Summarizer = {
      name: "fake-llm",
      summarize: async (r) => {
        calls++;
        return `Summary of ${r.inputs.length} items.`;
      },
    };
    const sim = await simulateContextAsync({
      turns: conversation(10),
      policy: { kind: "summarize-at-threshold", budgetTokens: 60, thresholdTokens: 50, summaryMaxTokens: 20 },
      counter: wordTokenCounter,
      summarizer: llm,
    });
    expect(calls).toBeGreaterThan(0);
    expect(sim.summarizer).toBe("fake-llm");
    expect(sim.steps.at(-1)!.blocks.some((b) => b.kind === "summary")).toBe(true);
  });

  it("refuses duplicate turn ids and unknown roles, naming the field", () => {
    const policy: CompactionPolicy = { kind: "keep-last-n", n: 1 };
    const dup: Turn[] = [
      { id: "x", role: "user", text: "a" },
      { id: "x", role: "assistant", text: "b" },
    ];
    expect(() => simulateContext({ turns: dup, policy, counter: wordTokenCounter })).toThrow(
      expect.objectContaining({ field: "turns[1].id" }),
    );
    const bad = [{ id: "x", role: "robot", text: "a" }] as unknown as Turn[];
    expect(() => simulateContext({ turns: bad, policy, counter: wordTokenCounter })).toThrow(
      expect.objectContaining({ field: "turns[0].role" }),
    );
  });

  it("is deterministic and conserves tokens for random conversations (property)", () => {
    const turnsArb = fc
      .array(
        fc.record({
          role: fc.constantFrom("user", "assistant", "tool") as fc.Arbitrary<Turn["role"]>,
          text: fc.array(fc.constantFrom("kv", "cache", "gpu", "bread", "token", "prefill"), {
            maxLength: 25,
          }),
        }),
        { minLength: 1, maxLength: 30 },
      )
      .map((xs) => xs.map((x, i): Turn => ({ id: `t${i}`, role: x.role, text: x.text.join(" ") })));
    const policyArb = fc.constantFrom(...POLICIES);
    fc.assert(
      fc.property(turnsArb, policyArb, (turns, policy) => {
        const a = simulateContext({ turns, policy, counter: wordTokenCounter });
        const b = simulateContext({ turns, policy, counter: wordTokenCounter });
        expect(b).toEqual(a);
        const t = a.totals;
        expect(t.tokensSeen).toBe(t.turnTokensInContext + t.tokensSummarized + t.tokensEvicted);
        for (const s of a.steps) {
          expect(s.blocks.at(-1)!.id).toBe(s.turnId);
          if (a.budgetTokens !== undefined && s.turnTokens <= a.budgetTokens)
            expect(s.tokensInContext).toBeLessThanOrEqual(a.budgetTokens);
        }
      }),
      { seed: 12, numRuns: 150 },
    );
  });
});
