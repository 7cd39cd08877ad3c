import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { catalogModelSpec } from "@memlens/core";
import { describe, expect, it } from "vitest";
import { runMain } from "../testing/run-main.js";
import { loadTokenCounter } from "../tokenizers/index.js";
import { parseConversation } from "./context.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "memlens.js");
const conversation = join(here, "fixtures", "conversation.json");
const base = ["context", "--model", "openai-community/gpt2", "--gpu", "RTX-4090", conversation];
const summarize = [...base, "--policy", "summarize", "--budget", "60"];

const run = (argv: string[], stdinText?: string) => runMain(argv, { stdin: stdinText });

describe("memlens context (built binary)", () => {
  it("counts the conversation with GPT-2's tokenizer and prices its KV cache and prefill", async () => {
    const out = execFileSync(process.execPath, [bin, ...base, "--json"], { encoding: "utf8" });
    const r = JSON.parse(out);
    const gpt2 = await loadTokenCounter("gpt2");
    const turns = parseConversation(readFileSync(conversation, "utf8"), "fixture");
    expect(r.turns.map((t: { tokens: number }) => t.tokens)).toEqual(turns.map((t) => gpt2.count(t.text)));
    expect(r.tokens).toBe(turns.reduce((s, t) => s + gpt2.count(t.text), 0));
    expect(r.tokenizer).toBe("hf:gpt2");
    // GPT-2 small: K and V, 12 layers × 768 wide, 2 bytes each.
    const spec = catalogModelSpec("openai-community/gpt2");
    expect(r.kvBytesPerToken).toBe(2 * spec.numLayers * spec.hiddenSize * 2);
    expect(r.cost.kvBytes).toBe(r.tokens * r.kvBytesPerToken);
    expect(r.cost.timeToFirstTokenSeconds).toBeCloseTo(r.tokens / r.prefillTokensPerSecond, 12);
    expect(r.modelContextLength).toBe(1024);
    expect(r.simulation).toBeUndefined();
  });

  it("counts a Llama 3.1 conversation with Llama 3's packaged tokenizer when no --tokenizer is given", async () => {
    const argv = [
      "context",
      "--model",
      "meta-llama/Llama-3.1-8B",
      "--gpu",
      "RTX-4090",
      conversation,
      "--json",
    ];
    const r = JSON.parse(execFileSync(process.execPath, [bin, ...argv], { encoding: "utf8" }));
    expect(r.tokenizer).toBe("hf:llama3_1");
    const llama = await loadTokenCounter("llama3_1");
    const turns = parseConversation(readFileSync(conversation, "utf8"), "fixture");
    expect(r.turns.map((t: { tokens: number }) => t.tokens)).toEqual(turns.map((t) => llama.count(t.text)));
    expect(r.cost.kvBytes).toBe(r.tokens * r.kvBytesPerToken);
  });
});

describe("memlens context (in process)", () => {
  it("replays a token budget turn by turn: never over budget, newest turn kept", async () => {
    const r = await run([...base, "--policy", "token-budget", "--budget", "60", "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out).simulation;
    expect(s.policy).toEqual({ kind: "sliding-window", budgetTokens: 60 });
    expect(s.steps).toHaveLength(6);
    for (const step of s.steps) {
      expect(step.tokensInContext).toBeLessThanOrEqual(60);
      expect(step.blocks.at(-1).id).toBe(step.turnId);
      expect(step.cost.kvBytes).toBe(step.tokensInContext * JSON.parse(r.out).kvBytesPerToken);
    }
    expect(s.totals.tokensEvicted).toBeGreaterThan(0);
  });

  it.each([
    ["keep-last-n", "keep-last-n"],
    ["summarize", "summarize-at-threshold"],
    ["relevance", "relevance-eviction"],
  ])("--policy %s runs core's %s", async (flag, kind) => {
    const r = await run([
      ...base,
      "--policy",
      flag,
      "--budget",
      flag === "keep-last-n" ? "2" : "70",
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).simulation.policy.kind).toBe(kind);
  });

  it("prints a readable table and reads plain text from standard input", async () => {
    const table = await run([...base, "--policy", "token-budget", "--budget", "60"]);
    expect(table.out).toContain("policy sliding-window, budget 60 tokens");
    expect(table.out).toContain("lost:");
    const text = await run(
      ["context", "--model", "openai-community/gpt2", "--gpu", "RTX-4090", "-", "--json"],
      "Hello world",
    );
    expect(JSON.parse(text.out).tokens).toBe(2); // "Hello", " world"
  });

  it.each([
    [["context", "--model", "mistralai/Mistral-7B-v0.3", "--gpu", "RTX-4090", conversation], "--tokenizer"],
    [[...base, "--policy", "fifo", "--budget", "10"], "--policy"],
    [[...base, "--budget", "10"], "--policy"],
    [[...base, "--policy", "summarize"], "--budget"],
    [[...base, "--tokenizer", "nope-tokenizer"], "--tokenizer"],
    [[...summarize, "--summarizer", "llm"], "--summarizer"],
    [[...base, "--summarizer", "openai"], "--summarizer"],
    [[...summarize, "--summarizer-url", "http://127.0.0.1:1/v1"], "--summarizer"],
    [[...summarize, "--summarizer", "openai", "--summarizer-model", "m"], "--summarizer-url"],
    [
      [...summarize, "--summarizer", "openai", "--summarizer-url", "http://127.0.0.1:1/v1"],
      "--summarizer-model",
    ],
    [
      [
        ...summarize,
        ...["--summarizer", "openai", "--summarizer-url", "http://127.0.0.1:1/v1", "--summarizer-model", "m"],
        ...["--summarizer-api-key-env", "MEMLENS_TEST_UNSET_KEY"],
      ],
      "--summarizer-api-key-env",
    ],
    [["context", "--model", "openai-community/gpt2", "--gpu", "GTX-9999", conversation], "--gpu"],
    [
      ["context", "--model", "openai-community/gpt2", "--gpu", "RTX-4090", "/nonexistent.json"],
      "conversation",
    ],
  ])("bad input %j exits 2 naming %s", async (argv, field) => {
    const plain = await run(argv);
    expect(plain.code).toBe(2);
    expect(plain.err.trim().split("\n")).toHaveLength(1);
    const js = await run([...argv, "--json"]);
    expect(JSON.parse(js.out).error.field).toBe(field);
  });

  it("rejects unknown roles naming the message", () => {
    expect(() => parseConversation('[{"role":"bot","content":"hi"}]', "f.json")).toThrow(
      /messages\[0\]\.role must be one of system, user, assistant, tool/,
    );
  });
});
