import { describe, expect, it } from "vitest";
import attention from "./data/rtx4090-llama-3.1-8b-vllm-0.19/attention.csv?raw";
import dense from "./data/rtx4090-llama-3.1-8b-vllm-0.19/dense.csv?raw";
import perSequence from "./data/rtx4090-llama-3.1-8b-vllm-0.19/per_sequence.csv?raw";
import {
  interpolate,
  LLAMA_PROFILE_ARCHITECTURE,
  parseOperatorProfile,
  stepRecordsFromOperatorProfile,
} from "./operator-profile.js";

describe("LLMServingSim operator profile (RTX 4090, Llama-3.1-8B, vLLM 0.19.0)", () => {
  const profile = parseOperatorProfile({ dense, perSequence, attention });

  it("parses every operator of the Llama sequence", () => {
    for (const op of [...LLAMA_PROFILE_ARCHITECTURE.oncePerStep, ...LLAMA_PROFILE_ARCHITECTURE.perLayer])
      expect(profile.dense.has(op)).toBe(true);
    expect(profile.perSequence.has("lm_head")).toBe(true);
    expect(profile.attention.length).toBe(8643);
  });

  it("interpolates linearly between profiled points and extrapolates past the ends", () => {
    const t: [number, number][] = [
      [1, 10],
      [3, 30],
    ];
    expect(interpolate(t, 2)).toBe(20);
    expect(interpolate(t, 5)).toBe(50);
    expect(interpolate(t, 0)).toBe(0);
  });

  it("composes whole steps: a lone decode ≈ 16.6 ms (weights-bound), a 2048-token chunk ≈ 193 ms", () => {
    const records = stepRecordsFromOperatorProfile(profile, LLAMA_PROFILE_ARCHITECTURE, {
      maxBatchedTokens: 2048,
      maxKvTokens: 41408,
    });
    const find = (p: number, n: number, kv: number) =>
      records.find(
        (r) => r.batch.prefillTokens === p && r.batch.decodeSeqs === n && r.batch.kvTokensRead === kv,
      );
    expect(find(0, 1, 17)!.seconds * 1000).toBeCloseTo(16.64, 1);
    expect(find(0, 32, 32 * 1025)!.seconds * 1000).toBeCloseTo(23.9, 0);
    expect(find(2048, 0, 2048)!.seconds * 1000).toBeCloseTo(193.0, 0);
    // 16 GB of weights at 1008 GB/s take 15.9 ms: the lone decode is within 5% of the bandwidth roof.
    expect(find(0, 1, 17)!.seconds / (16.06e9 / 1.008e12)).toBeLessThan(1.05);
    for (const r of records) expect(r.batch.prefillTokens + r.batch.decodeSeqs).toBeLessThanOrEqual(2048);
  });

  it("rejects a profile without the needed columns", () => {
    expect(() => parseOperatorProfile({ dense: "layer,tokens\n", perSequence, attention })).toThrow(
      /time_us/,
    );
  });
});
