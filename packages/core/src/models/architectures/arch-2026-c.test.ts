import { describe, expect, it } from "vitest";
import dsv4Flash from "../../../../../../shared/fixtures/hf-configs-2026/deepseek-ai/DeepSeek-V4-Flash/config.json?raw";
import dsv4Pro from "../../../../../../shared/fixtures/hf-configs-2026/deepseek-ai/DeepSeek-V4-Pro/config.json?raw";
import minimaxM3 from "../../../../../../shared/fixtures/hf-configs-2026/MiniMaxAI/MiniMax-M3/config.json?raw";
import kimiK3 from "../../../../../../shared/fixtures/hf-configs-2026/moonshotai/Kimi-K3/config.json?raw";
import { sglangDsv4BytesPerFullToken } from "../../estimate/engines/sglang/startup.js";
import { estimate } from "../../estimate/estimate.js";
import { estimateKvCache, kvBytesPerToken, uniformKvLayout } from "../../estimate/kv-cache.js";
import { parseConfigJson } from "../config-reader.js";
import { modelSpecFromHfConfig } from "../from-hf-config.js";
import { countElements, type ModelSpec } from "../model-spec.js";

// Issue 15 item 1: deepseek_v4 built from transformers' modeling_deepseek_v4.py (configs from
// /work/shared/fixtures/hf-configs-2026, SOURCES.md there).
const bf16 = uniformKvLayout("bf16");
const specOf = (text: string, id: string): ModelSpec => modelSpecFromHfConfig(parseConfigJson(text), id);
const mtpOf = (s: ModelSpec): number =>
  s.tensors.filter((t) => t.mtp === true).reduce((a, t) => a + countElements(t.shape), 0);
const approximate = (s: ModelSpec) => s.notes.filter((n) => n.startsWith("Approximate"));

describe("deepseek_v4 (DeepSeek-V4-Flash, DeepSeek-V4-Pro)", () => {
  // Published: "DeepSeek-V4-Flash | 284B | 13B", "DeepSeek-V4-Pro | 1.6T | 49B" (the model card's
  // table, https://huggingface.co/deepseek-ai/DeepSeek-V4-Flash, as transcribed in
  // github.com/antirez/ds4 MODEL_CARD.md). Like DeepSeek-V3's 671B, the figures leave out the MTP
  // block (Flash with it would be 290.9B). Band: the figure's own rounding (half a unit of its
  // last digit: 0.5B of 284B, 0.05T of 1.6T).
  it.each([
    {
      id: "deepseek-ai/DeepSeek-V4-Flash",
      text: dsv4Flash,
      published: 284e9,
      band: 0.5e9 / 284e9,
      main: 284_332_240_471,
      active: 13e9,
      activeBand: 0.5e9 / 13e9,
    },
    {
      id: "deepseek-ai/DeepSeek-V4-Pro",
      text: dsv4Pro,
      published: 1.6e12,
      band: 0.05e12 / 1.6e12,
      main: 1_572_997_201_763,
      active: 49e9,
      activeBand: 0.5e9 / 49e9,
    },
  ])("$id: every tensor, within the published rounding", (c) => {
    const s = specOf(c.text, c.id);
    expect(approximate(s)).toEqual([]);
    const main = s.parameters - mtpOf(s);
    // Hand count (Flash, h 4096, 43 layers): see the derivation in deepseek-v4.ts's comments;
    // the same sum in a 30-line script over the config gave 284,332,240,471 and, with the MTP
    // block, 290,942,289,362.
    expect(main).toBe(c.main);
    expect(Math.abs(main / c.published - 1)).toBeLessThanOrEqual(c.band);
    // Active: the published figure leaves out the input embedding lookup (Moonshot's and OpenAI's
    // convention too): Flash 13.27B, Pro 48.85B.
    const embed = s.tensors
      .filter((t) => t.role === "embedding")
      .reduce((a, t) => a + countElements(t.shape), 0);
    expect(Math.abs(s.activeParameters - embed - c.active)).toBeLessThanOrEqual(c.activeBand * c.active);
  });

  it("lays out CSA (ratio 4, indexer), HCA (ratio 128) and window-only layers as compress_ratios says", () => {
    const s = specOf(dsv4Flash, "deepseek-ai/DeepSeek-V4-Flash");
    const ratios = s.layers.map((l) => (l.mixer.kind === "mla" ? l.mixer.compressed?.ratio : -1));
    expect(ratios.slice(0, 4)).toEqual([0, 0, 4, 128]);
    expect(ratios.filter((r) => r === 4)).toHaveLength(21);
    expect(ratios.filter((r) => r === 128)).toHaveLength(20);
    const l2 = s.layers[2]!.mixer;
    expect(l2.kind === "mla" && l2.indexerHeadDim).toBe(128);
    expect(
      s.tensors.some((t) => t.name === "model.layers.2.self_attn.compressor.indexer.q_b_proj.weight"),
    ).toBe(true);
    expect(
      s.tensors.some((t) => t.name === "model.layers.3.self_attn.compressor.indexer.q_b_proj.weight"),
    ).toBe(false);
    // Hash-routed layers (num_hash_layers 3) have no score correction bias.
    expect(s.tensors.some((t) => t.name === "model.layers.2.mlp.gate.e_score_correction_bias")).toBe(false);
    expect(s.tensors.some((t) => t.name === "model.layers.3.mlp.gate.e_score_correction_bias")).toBe(true);
  });

  it("KV per token, derived by hand", () => {
    const s = specOf(dsv4Flash, "deepseek-ai/DeepSeek-V4-Flash");
    // One shared K=V latent of head_dim 512 (448 nope + 64 rope), bf16: 1024 bytes.
    // CSA layer (ratio 4): one entry per 4 tokens, the latent + the indexer key (128 FP8 + one FP32
    // scale = 132 bytes): (1024 + 132) / 4 = 289 bytes per token. HCA (ratio 128): 1024 / 128 = 8.
    // Window-only layers grow by 0. 21 × 289 + 20 × 8 = 6,069 + 160 = 6,229 bytes per token.
    expect(kvBytesPerToken(s, bf16)).toBe(6229);
    // Plus a fixed window on every layer: 43 × 128 × 1024 = 5,636,096 bytes per sequence.
    // At 1M tokens: 5,636,096 + 21 × 262,144 × 1156 + 20 × 8,192 × 1024 = 6,537,216,000.
    const ctx = 1 << 20;
    const expected = 43 * 128 * 1024 + 21 * (ctx / 4) * 1156 + 20 * (ctx / 128) * 1024;
    expect(estimateKvCache(s, ctx, 1, bf16).attentionBytes).toBe(expected);
    expect(expected).toBe(6_537_216_000);
  });

  it("SGLang sizes its pools per full token as DSV4PoolConfigurator does", () => {
    const s = specOf(dsv4Flash, "deepseek-ai/DeepSeek-V4-Flash");
    // kv 448 + 2×64 + 8 = 584; indexer 132; swa ratio 0.8; c4 ring 8 of a 128 window, f32 state:
    // 0.8×584×43 = 20,089.6; 584×(21/4 + 20/128) = 3,157.25; 132×21/4 = 693;
    // 0.8×(8/128)×(4×512 + 4×128)×4×21 = 10,752. Sum 34,691.85 → 34,692.
    expect(sglangDsv4BytesPerFullToken(s)).toBe(34692);
  });
});

describe("deepseek_v4 through every inference engine", () => {
  it.each(["vllm", "sglang", "transformers"] as const)("%s estimates V4-Flash on 8 × H200", (engine) => {
    const s = specOf(dsv4Flash, "deepseek-ai/DeepSeek-V4-Flash");
    const e = estimate(
      {
        model: { hfConfig: JSON.parse(dsv4Flash) },
        engine,
        hardware: { gpu: "H200", count: 8 },
        parallel: { tensor: 8 },
        contextLength: 65536,
      },
      { modelSpec: s },
    );
    expect(e.kvBytesPerToken).toBeGreaterThan(0);
    expect(e.devices).toHaveLength(8);
    expect(e.devices.every((d) => Number.isFinite(d.bytes.total))).toBe(true);
  });

  // llama.cpp has an arch for it (LLM_ARCH_DEEPSEEK4, src/llama-arch.cpp @ 00395eb2), but memlens
  // does not lay out its GGUF tensors and compressed KV: a clear refusal naming what is modelled.
  it("llama.cpp: memlens says it does not model its GGUF layout", () => {
    const s = specOf(dsv4Flash, "deepseek-ai/DeepSeek-V4-Flash");
    expect(() =>
      estimate(
        {
          model: { hfConfig: JSON.parse(dsv4Flash) },
          engine: "llama.cpp",
          weights: "q4_k_m",
          hardware: { gpu: "H200", count: 1 },
        },
        { modelSpec: s },
      ),
    ).toThrow(
      /llama\.cpp runs model_type "deepseek_v4" as its "deepseek4" architecture, but memlens does not lay out/,
    );
  });
});

describe("minimax_m3 (MiniMax-M3)", () => {
  it("every tensor of the text backbone, against the published ~428B / ~23B", () => {
    const s = specOf(minimaxM3, "MiniMaxAI/MiniMax-M3");
    // "~428B parameters and ~23B activated parameters" (model card, huggingface.co/MiniMaxAI/
    // MiniMax-M3, as mirrored at huggingface.co/unsloth/MiniMax-M3). The card counts the vision tower
    // of this natively multimodal model, which the vendored config (no vision_config) lacks, and the
    // MTP modules: the text stack alone comes to 426.31B, 0.4% under; band 1%.
    // Hand count (h 6144, 60 layers, 64 heads / 4 KV heads of 128, vocab 200,064):
    //   attention 6144×(64+2×4)×128 + 8192×6144 + q/k norms 2×128 + layer norms 2×6144
    //   = 106,967,296 per layer,
    //   + on the 57 sparse layers index q/k 2 × 6144 × 512 + 2×128 = 6,291,712;
    //   dense MLP 3 × 6144 × 12,288 = 226,492,416 (layers 0–2);
    //   MoE 128×6144 + 128 + 128×3×6144×3072 + 3×6144×3072 = 7,305,166,976 (layers 3–59);
    //   embeddings 2 × 200,064 × 6144 + final norm 6144.
    const layersSum =
      60 * 106_967_296 + 57 * 6_291_712 + 3 * 226_492_416 + 57 * 7_305_166_976 + 2 * 200_064 * 6144 + 6144;
    expect(s.parameters).toBe(layersSum);
    expect(layersSum).toBe(426_309_052_800);
    expect(Math.abs(s.parameters / 428e9 - 1)).toBeLessThanOrEqual(0.01);
    // Active, both embedding tables left out (Zhipu's convention): 23.64B against "~23B" ± 0.5B plus
    // the same 1% band.
    const embeddings = 2 * 200_064 * 6144;
    expect(Math.abs((s.activeParameters - embeddings) / 23e9 - 1)).toBeLessThanOrEqual(0.5 / 23 + 0.01);
    expect(approximate(s).join(" ")).toMatch(/num_nextn_predict_layers/);
  });

  it("KV per token, derived by hand: full K/V on every layer, plus the index key on sparse layers", () => {
    const s = specOf(minimaxM3, "MiniMaxAI/MiniMax-M3");
    // bf16: K and V 2 × 4 heads × 128 × 2 = 2,048 bytes per layer; the 57 sparse layers add the
    // index key 4 × 128 × 2 = 1,024. 3 × 2,048 + 57 × 3,072 = 181,248 bytes per token.
    expect(kvBytesPerToken(s, bf16)).toBe(181_248);
  });

  it.each(["vllm", "sglang", "transformers"] as const)("%s estimates it on 8 × H200", (engine) => {
    const e = estimate(
      {
        model: { hfConfig: JSON.parse(minimaxM3) },
        engine,
        hardware: { gpu: "H200", count: 8 },
        parallel: { tensor: 8 },
        contextLength: 65536,
      },
      { modelSpec: specOf(minimaxM3, "MiniMaxAI/MiniMax-M3") },
    );
    expect(e.kvBytesPerToken).toBeGreaterThan(0);
    expect(e.devices.every((d) => Number.isFinite(d.bytes.total))).toBe(true);
  });
});

describe("kimi_k3 / kimi_linear (Kimi-K3)", () => {
  const text = (s: ModelSpec) =>
    s.tensors.filter((t) => t.role !== "vision").reduce((a, t) => a + countElements(t.shape), 0);

  it("every tensor of the text model, and the total against the Hub's count", () => {
    const s = specOf(kimiK3, "moonshotai/Kimi-K3");
    // Hand count of the text model (h 7168, 93 layers, vocab 163,840), from the config:
    //   KDA layer (69; 96 heads × 128 = 12,288, conv 4, full-rank gate):
    //     q/k/v 3 × 12,288 × 7168 + convs 3 × 12,288 × 4 + b 96 × 7168 + f_a 128 × 7168
    //     + f_b 12,288 × 128 + g 12,288 × 7168 + A_log 128 + dt_bias 12,288 + o_norm 128
    //     + o 7168 × 12,288 = 443,740,416;
    //   MLA layer (24; 96 heads, q LoRA 1536, kv LoRA 512, nope 128, rope 64, v 128, output gate):
    //     1536 × 7168 + 1536 + 18,432 × 1536 + 576 × 7168 + 512 + 24,576 × 512 + 7168 × 12,288
    //     + 12,288 × 7168 = 232,196,096;
    //   per layer 6 × 7168 norms and res projections = 43,008;
    //   MoE layer (92; 896 experts at the latent 3584 wide, 3072 inner, 2 shared at 7168):
    //     896 × 7168 + 896 + 896 × 3 × 3584 × 3072 + 3 × 7168 × 6144 + 3584 × 7168 + 3584
    //     + 7168 × 3584 = 29,784,936,832 — layer 0 dense: 3 × 7168 × 33,792 = 726,663,168;
    //   embeddings 2 × 163,840 × 7168, final norm + output res norm/proj 3 × 7168.
    const expected =
      69 * 443_740_416 +
      24 * 232_196_096 +
      93 * 43_008 +
      92 * 29_784_936_832 +
      726_663_168 +
      2 * 163_840 * 7168 +
      3 * 7168;
    expect(text(s)).toBe(expected);
    // The Hub's safetensors parameter count for moonshotai/Kimi-K3 is 2779.9B (as a public
    // discovery log recorded it from the Hugging Face API: "moonshotai/Kimi-K3 | 2779.9B"); the
    // text model plus the vision tower (counted approximately, ~0.4B) land within 0.05B of it.
    expect(Math.abs(s.parameters - 2779.9e9)).toBeLessThanOrEqual(0.05e9);
    expect(approximate(s).join(" ")).toMatch(/vision tower is counted with Kimi-K2\.5's MoonViT layout/);
  });

  it("lays out KDA and MLA layers from the 1-based lists", () => {
    const s = specOf(kimiK3, "moonshotai/Kimi-K3");
    const kinds = s.layers.map((l) => l.mixer.kind);
    expect(kinds.filter((k) => k === "linear-attention")).toHaveLength(69);
    expect(kinds.filter((k) => k === "mla")).toHaveLength(24);
    // full_attn_layers [4, 8, …, 92, 93] → 0-based 3, 7, …, 91, 92; layer 0 (1-based 1) is KDA.
    expect(kinds[0]).toBe("linear-attention");
    expect(kinds[3]).toBe("mla");
    expect(kinds[92]).toBe("mla");
  });

  it("KV per token and recurrent state, derived by hand", () => {
    const s = specOf(kimiK3, "moonshotai/Kimi-K3");
    // MLA latent 512 + rope 64 = 576 elements, bf16 1152 bytes, on 24 layers: 27,648 bytes/token.
    expect(kvBytesPerToken(s, bf16)).toBe(27_648);
    // KDA state per sequence and layer (HF layout, bf16): conv over q, k, v 3 × 12,288 × 4 =
    // 147,456 plus 96 heads × 128 × 128 = 1,572,864, × 2 bytes = 3,440,640; × 69 = 237,404,160.
    expect(estimateKvCache(s, 1000, 1, bf16).recurrentStateBytes).toBe(237_404_160);
    expect(estimateKvCache(s, 1000, 1, bf16).attentionBytes).toBe(27_648_000);
  });

  it.each(["vllm", "sglang", "transformers"] as const)("%s estimates it on 8 × B200", (engine) => {
    const e = estimate(
      {
        model: { hfConfig: JSON.parse(kimiK3) },
        engine,
        hardware: { gpu: "B200", count: 8 },
        parallel: { tensor: 8 },
        contextLength: 32768,
      },
      { modelSpec: specOf(kimiK3, "moonshotai/Kimi-K3") },
    );
    // vLLM and SGLang cache the MLA latent; transformers the expanded per-head K and V:
    // 96 × (128 + 64) + 96 × 128 = 30,720 elements × 2 bytes × 24 layers = 1,474,560.
    expect(e.kvBytesPerToken).toBe(engine === "transformers" ? 1_474_560 : 27_648);
    expect(e.devices.every((d) => Number.isFinite(d.bytes.total))).toBe(true);
  });
});
