import { describe, expect, it } from "vitest";
import { estimateContextCost } from "./context-cost.js";

describe("estimateContextCost", () => {
  it.each([
    // Llama-3.1-8B bf16: 131,072 KV bytes/token (kv-cache.test.ts); prefill rate is an input here.
    [8000, 0, 131_072, 10_000, 1_048_576_000, 8000, 0.8],
    [8000, 6000, 131_072, 10_000, 1_048_576_000, 2000, 0.2],
    [0, 0, 131_072, 10_000, 0, 0, 0],
    [100, 0, 70_272.5, 1000, 7_027_250, 100, 0.1],
  ])("%i tokens, %i cached", (contextTokens, cachedTokens, kvBytesPerToken, rate, kvBytes, prefill, ttft) => {
    const c = estimateContextCost({
      contextTokens,
      cachedTokens,
      kvBytesPerToken,
      prefillTokensPerSecond: rate,
    });
    expect(c.kvBytes).toBe(kvBytes);
    expect(c.prefillTokens).toBe(prefill);
    expect(c.timeToFirstTokenSeconds).toBeCloseTo(ttft, 12);
  });
  it.each([
    [{ contextTokens: -1 }, "contextTokens"],
    [{ contextTokens: 1.5 }, "contextTokens"],
    [{ cachedTokens: 9 }, "cachedTokens"],
    [{ kvBytesPerToken: Number.NaN }, "kvBytesPerToken"],
    [{ prefillTokensPerSecond: 0 }, "prefillTokensPerSecond"],
  ])("rejects %j naming %s", (patch, field) => {
    const base = { contextTokens: 8, kvBytesPerToken: 1, prefillTokensPerSecond: 1 };
    expect(() => estimateContextCost({ ...base, ...patch })).toThrow(expect.objectContaining({ field }));
  });
});
