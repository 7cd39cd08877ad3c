import { describe, expect, it } from "vitest";
import { runMain } from "../testing/run-main.js";

const base = ["estimate", "--model", "meta-llama/Llama-3.1-8B", "--gpu", "H100-SXM-80GB", "--engine", "vllm"];

describe("memlens estimate --speculative", () => {
  it("a Llama-3.2-1B draft, k = 4, a = 0.7: 2.7731 tokens per step and the draft's memory", async () => {
    const r = await runMain([
      ...base,
      "--speculative",
      "draft:meta-llama/Llama-3.2-1B",
      "--num-speculative-tokens",
      "4",
      "--acceptance-rate",
      "0.7",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    // (1 − 0.7^5) / (1 − 0.7) = (1 − 0.16807) / 0.3 = 2.7731
    expect(e.speculative.expectedTokensPerStep).toBeCloseTo(2.7731, 10);
    expect(e.speculative.draftWeightBytesPerDevice).toBe(2_471_628_800);
    expect(e.speculative.draftKvBytesPerTokenPerDevice).toBe(32768);
    expect(e.speculative.decodeTokensPerSecond).toBeGreaterThan(e.performance.decodeTokensPerSecond);
  });

  it("without --speculative the answer has no speculative field", async () => {
    const r = await runMain([...base, "--json"]);
    expect(JSON.parse(r.out).speculative).toBeUndefined();
  });

  it.each([
    [
      ["--speculative", "medusa", "--num-speculative-tokens", "2", "--acceptance-rate", "0.5"],
      "--speculative",
      "draft:ID, eagle, mtp, ngram",
    ],
    [["--speculative", "eagle", "--acceptance-rate", "0.5"], "--num-speculative-tokens", "needed"],
    [["--speculative", "eagle", "--num-speculative-tokens", "2"], "--acceptance-rate", "needed"],
    [
      ["--speculative", "eagle", "--num-speculative-tokens", "2", "--acceptance-rate", "2"],
      "--acceptance-rate",
      "0 to 1",
    ],
    [["--num-speculative-tokens", "2"], "--num-speculative-tokens", "--speculative"],
    [
      ["--speculative", "mtp", "--num-speculative-tokens", "1", "--acceptance-rate", "0.8"],
      "speculative",
      "no multi-token-prediction",
    ],
  ])("bad input %j exits 2 naming %s", async (extra, field, hint) => {
    const r = await runMain([...base, ...extra, "--json"]);
    expect(r.code).toBe(2);
    const error = JSON.parse(r.out).error;
    expect(error.field).toBe(field);
    expect(error.message).toContain(hint);
  });
});
