import { describe, expect, it } from "vitest";
import {
  blocksForTokens,
  kvBitsPerElement,
  kvBytesRead,
  kvStorageSizes,
  residentTokens,
} from "./kv-policy.js";

const LLAMA8B = 131072; // Llama-3.1-8B: 2·32 layers·8 KV heads·128·2 B (serving.md §7)
const bf16 = kvStorageSizes({ kind: "bf16" }, LLAMA8B);

describe("KV storage formats", () => {
  it.each([
    [{ kind: "bf16" } as const, 16],
    [{ kind: "fp8" } as const, 8],
    [{ kind: "int8" } as const, 8.5], // ggml block_q8_0: 34 B / 32 values
    [{ kind: "int4" } as const, 4.5], // ggml block_q4_0: 18 B / 32 values
    [{ kind: "int4", groupSize: 128 } as const, 4.125],
    [{ kind: "kivi2" } as const, 3], // 2 bits + fp16 scale and zero per 32
    [{ kind: "kivi2", groupSize: 128 } as const, 2.25],
  ])("%o stores %d bits per element", (storage, bits) => {
    expect(kvBitsPerElement(storage)).toBe(bits);
  });

  it("FP8 halves bytes per token (vLLM docs: about double the KV space)", () => {
    expect(kvStorageSizes({ kind: "fp8" }, LLAMA8B).bytesPerToken).toBe(65536);
  });

  it("rejects a non-positive group size", () => {
    expect(() => kvBitsPerElement({ kind: "int4", groupSize: 0 })).toThrow(/groupSize/);
  });

  it("KIVI's 16-bit residual window costs extra blocks: 1000 tokens at 3 bits + 32 at 16 bits", () => {
    const kivi = kvStorageSizes({ kind: "kivi2" }, LLAMA8B);
    // (1000 − 32)·3 bits + 32·16 bits = in 3-bit token units 968 + 32·16/3 = 1138.7 → 72 blocks of 16.
    expect(blocksForTokens({ kind: "none" }, kivi, 16, 1000, 900)).toBe(72);
    expect(blocksForTokens({ kind: "none" }, bf16, 16, 1000, 900)).toBe(63);
    expect(kvBytesRead({ kind: "none" }, kivi, 1000, 900)).toBeCloseTo(968 * 24576 + 32 * LLAMA8B);
  });
});

describe("eviction policies", () => {
  const sl = { kind: "streaming-llm", sinkTokens: 4, windowTokens: 1020 } as const;
  it("StreamingLLM keeps sinks + window: resident tokens stop at 1024", () => {
    expect(residentTokens(sl, 500, 100)).toBe(500);
    expect(residentTokens(sl, 50_000, 100)).toBe(1024);
  });

  it("StreamingLLM blocks follow vLLM's sliding-window positions (sink block + window blocks)", () => {
    expect(blocksForTokens(sl, bf16, 16, 1024, 10)).toBe(64);
    // 10 000 tokens: sink block 0, window starts at token 8980 → block 561; blocks 561..624 = 64, +1 sink.
    expect(blocksForTokens(sl, bf16, 16, 10_000, 10)).toBe(65);
    expect(blocksForTokens(sl, bf16, 16, 1_000_000, 10)).toBeLessThanOrEqual(66);
  });

  it("H2O holds a budget once the prompt is in (ratio of the prompt or tokens)", () => {
    const h2o = { kind: "h2o", budgetRatio: 0.2 } as const;
    expect(residentTokens(h2o, 500, 1000)).toBe(500); // still prefilling: full
    expect(residentTokens(h2o, 1001, 1000)).toBe(200);
    expect(residentTokens(h2o, 5000, 1000)).toBe(200);
    expect(residentTokens({ kind: "h2o", budgetTokens: 256 }, 5000, 1000)).toBe(256);
    expect(() => residentTokens({ kind: "h2o" }, 5000, 1000)).toThrow(/budget/);
  });

  it("SnapKV compresses the prompt once and keeps every generated token", () => {
    const s = { kind: "snapkv", budgetTokens: 1024 } as const;
    expect(residentTokens(s, 8000, 16000)).toBe(8000);
    expect(residentTokens(s, 16_100, 16_000)).toBe(1124);
    expect(blocksForTokens(s, bf16, 16, 16_100, 16_000)).toBe(Math.ceil(1124 / 16));
  });
});
