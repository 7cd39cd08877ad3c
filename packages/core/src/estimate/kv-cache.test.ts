import { describe, expect, it } from "vitest";
import { catalogModelSpec } from "../catalog/models.js";
import { estimateKvCache, type KvLayoutOptions, kvBytesPerToken, uniformKvLayout } from "./kv-cache.js";

const bf16 = uniformKvLayout("bf16");
const expanded: KvLayoutOptions = { ...bf16, mla: "expanded" };

// Hand-derived: 2 (K and V) × layers × kv_heads × head_dim × 2 bytes, unless noted.
const TABLE: readonly [string, string, KvLayoutOptions, number][] = [
  ["meta-llama/Llama-3.1-8B", "GQA: 2×32×8×128×2", bf16, 131_072],
  ["meta-llama/Llama-2-7b-hf", "MHA: 2×32×32×128×2", bf16, 524_288],
  ["meta-llama/Llama-2-70b-hf", "GQA, seed 002: 2×80×8×128×2", bf16, 327_680],
  ["meta-llama/Llama-3.1-405B", "GQA: 2×126×8×128×2", bf16, 516_096],
  ["Qwen/Qwen3-0.6B", "explicit head_dim 128 ≠ 1024/16: 2×28×8×128×2", bf16, 114_688],
  ["Qwen/Qwen2.5-7B", "GQA 7:1: 2×28×4×128×2", bf16, 57_344],
  ["google/gemma-2-9b", "head_dim 256, SWA every other layer: 2×42×8×256×2", bf16, 344_064],
  ["google/gemma-2-27b", "head_dim 128 ≠ 4608/32: 2×46×16×128×2", bf16, 376_832],
  ["google/gemma-3-1b-it", "MQA (1 KV head), head_dim 256: 2×26×1×256×2", bf16, 26_624],
  ["microsoft/Phi-3-mini-4k-instruct", "MHA, head_dim 96: 2×32×32×96×2", bf16, 393_216],
  ["openai-community/gpt2", "MHA: 2×12×12×64×2", bf16, 36_864],
  ["mistralai/Mixtral-8x7B-v0.1", "GQA MoE: 2×32×8×128×2", bf16, 131_072],
  ["openai/gpt-oss-20b", "GQA, head_dim 64, alternating SWA 128: 2×24×8×64×2", bf16, 49_152],
  ["meta-llama/Llama-4-Scout-17B-16E-Instruct", "GQA with chunked layers: 2×48×8×128×2", bf16, 196_608],
  ["deepseek-ai/DeepSeek-V3", "MLA latent: (512 + 64)×61×2", bf16, 70_272],
  ["deepseek-ai/DeepSeek-V2-Lite", "MLA latent: (512 + 64)×27×2", bf16, 31_104],
  ["moonshotai/Kimi-K2-Instruct", "MLA latent: (512 + 64)×61×2", bf16, 70_272],
  ["deepseek-ai/DeepSeek-V3", "MLA expanded (transformers): 61×(128×192 + 128×128)×2", expanded, 4_997_120],
  [
    "Qwen/Qwen3-Next-80B-A3B-Thinking",
    "hybrid: 12 full-attention layers × 2×2×256×2; 36 DeltaNet layers hold state instead",
    bf16,
    24_576,
  ],
  [
    "meta-llama/Llama-3.1-8B",
    "q8_0 K and V: 1024 elements = 32 blocks × 34 B, ×2×32",
    { ...bf16, kDtype: "q8_0", vDtype: "q8_0" },
    69_632,
  ],
  [
    "meta-llama/Llama-3.1-8B",
    "q4_0: 32 blocks × 18 B, ×2×32",
    { ...bf16, kDtype: "q4_0", vDtype: "q4_0" },
    36_864,
  ],
  ["meta-llama/Llama-3.1-8B", "fp8: 1 byte: 2×32×8×128", { ...bf16, kDtype: "fp8", vDtype: "fp8" }, 65_536],
];

describe("KV bytes per token, exact against a hand-derived table", () => {
  it.each(TABLE)("%s (%s)", (id, _why, layout, expected) => {
    expect(kvBytesPerToken(catalogModelSpec(id), layout)).toBe(expected);
  });
});

describe("KV cache with windows and recurrent state", () => {
  it("gemma-2-9b at 8192 tokens: 21 global layers keep 8192, 21 sliding layers keep 4096", () => {
    const kv = estimateKvCache(catalogModelSpec("google/gemma-2-9b"), 8192, 1, bf16);
    // per layer-token: 2 × 8 × 256 × 2 = 8192 bytes
    expect(kv.attentionBytes).toBe(21 * 8192 * 8192 + 21 * 4096 * 8192);
    expect(kv.slidingWindowLayers).toBe(21);
  });

  it("gemma-3-1b keeps a 512-token window on 5 of every 6 layers", () => {
    const kv = estimateKvCache(catalogModelSpec("google/gemma-3-1b-it"), 32768, 2, bf16);
    // 26 layers: global at i = 5, 11, 17, 23 → 4 global, 22 sliding; 1024 bytes per layer-token.
    expect(kv.slidingWindowLayers).toBe(22);
    expect(kv.attentionBytes).toBe(2 * 1024 * (4 * 32768 + 22 * 512));
  });

  it("Qwen3-Next DeltaNet state is constant per sequence: 36 × (4×8192 conv + 32×128×128 state) × 2 bytes", () => {
    const spec = catalogModelSpec("Qwen/Qwen3-Next-80B-A3B-Thinking");
    const a = estimateKvCache(spec, 1024, 1, bf16);
    const b = estimateKvCache(spec, 65536, 1, bf16);
    expect(a.recurrentStateBytes).toBe(36 * (4 * 8192 + 32 * 128 * 128) * 2);
    expect(b.recurrentStateBytes).toBe(a.recurrentStateBytes);
    expect(b.attentionBytes).toBe(64 * a.attentionBytes);
  });

  it("seed 002: 70B GQA at batch 32 × 4096 tokens is 42,949,672,960 bytes (≈43 GB)", () => {
    const kv = estimateKvCache(catalogModelSpec("meta-llama/Llama-2-70b-hf"), 4096, 32, bf16);
    expect(kv.totalBytes).toBe(327_680 * 4096 * 32);
    expect(kv.totalBytes).toBe(42_949_672_960);
  });
});
