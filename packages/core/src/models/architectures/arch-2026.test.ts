import { describe, expect, it } from "vitest";
import gemma4_26b from "../../../../../../shared/fixtures/hf-configs-2026/google/gemma-4-26B-A4B/config.json?raw";
import gemma4_26bNvfp4 from "../../../../../../shared/fixtures/hf-configs-2026/nvidia/Gemma-4-26B-A4B-NVFP4/config.json?raw";
import gemma4_31bNvfp4 from "../../../../../../shared/fixtures/hf-configs-2026/nvidia/Gemma-4-31B-IT-NVFP4/config.json?raw";
import qwen35_122bNvfp4 from "../../../../../../shared/fixtures/hf-configs-2026/nvidia/Qwen3.5-122B-A10B-NVFP4/config.json?raw";
import qwen35_397bNvfp4 from "../../../../../../shared/fixtures/hf-configs-2026/nvidia/Qwen3.5-397B-A17B-NVFP4/config.json?raw";
import qwen36_27bNvfp4 from "../../../../../../shared/fixtures/hf-configs-2026/nvidia/Qwen3.6-27B-NVFP4/config.json?raw";
import qwen36_35bNvfp4 from "../../../../../../shared/fixtures/hf-configs-2026/nvidia/Qwen3.6-35B-A3B-NVFP4/config.json?raw";
import qwen35_27b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3.5-27B/config.json?raw";
import qwen35_35b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3.5-35B-A3B/config.json?raw";
import qwen35_122b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3.5-122B-A10B/config.json?raw";
import qwen35_397b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3.5-397B-A17B/config.json?raw";
import qwen3vl_2b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3-VL-2B-Instruct/config.json?raw";
import qwen3vl_4b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3-VL-4B-Instruct/config.json?raw";
import qwen3vl_8b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3-VL-8B-Instruct/config.json?raw";
import qwen3vl_30b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3-VL-30B-A3B-Instruct/config.json?raw";
import qwen3vl_32b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3-VL-32B-Instruct/config.json?raw";
import qwen3vl_235b from "../../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3-VL-235B-A22B-Instruct/config.json?raw";
import step37 from "../../../../../../shared/fixtures/hf-configs-2026/stepfun-ai/Step-3.7-Flash/config.json?raw";
import step37Fp8 from "../../../../../../shared/fixtures/hf-configs-2026/stepfun-ai/Step-3.7-Flash-FP8/config.json?raw";
import mimo7b from "../../../../../../shared/fixtures/hf-configs-2026/XiaomiMiMo/MiMo-7B-Base/config.json?raw";
import mimoV2Flash from "../../../../../../shared/fixtures/hf-configs-2026/XiaomiMiMo/MiMo-V2-Flash/config.json?raw";
import { MemlensError } from "../../errors/memlens-error.js";
import { vllmRankWeights } from "../../estimate/engines/vllm/weights.js";
import { estimateWithReport } from "../../estimate/estimate.js";
import { kvBytesPerToken, uniformKvLayout } from "../../estimate/kv-cache.js";
import { modelSpecFromHfConfig } from "../from-hf-config.js";
import { countElements, type ModelSpec } from "../model-spec.js";

// The 2026 families of issue 15 item 1, from their config.json copied verbatim in
// shared/fixtures/hf-configs-2026 (SOURCES.md: ai-dynamo/aiconfigurator @ 095f58a51).

const spec = (text: string, id: string) => modelSpecFromHfConfig(JSON.parse(text), id);
const sum = (s: ModelSpec, keep: (t: ModelSpec["tensors"][number]) => boolean) =>
  s.tensors.filter(keep).reduce((a, t) => a + countElements(t.shape), 0);
const mtpOf = (s: ModelSpec) => sum(s, (t) => t.mtp === true);
const visionOf = (s: ModelSpec) => sum(s, (t) => t.role === "vision");
const fp16 = uniformKvLayout("fp16");

/**
 * Checkpoint totals: the BF16 checkpoint's model.safetensors.index.json `metadata.total_size`
 * divided by 2 bytes (every tensor BF16), as quoted verbatim in public repositories that
 * downloaded the checkpoint (found by exact search of the public code index). A total covers
 * every tensor the checkpoint ships: vision tower and MTP module included.
 */
const CHECKPOINT_TOTALS = [
  // "Qwen/Qwen3-VL-8B-Instruct ... total_size 17534247392"
  { id: "Qwen/Qwen3-VL-8B-Instruct", text: qwen3vl_8b, params: 17534247392 / 2 },
  // "Qwen/Qwen3-VL-4B-Instruct, revision ebb281ec70b0…: 713 tensors, all BF16, 8875631616 B"
  { id: "Qwen/Qwen3-VL-4B-Instruct", text: qwen3vl_4b, params: 8875631616 / 2 },
  // Qwen3.6-27B's index "total_size 55562855904" (1199 tensors, 27,781,427,952 parameters);
  // Qwen3.5-27B's config.json has the same dimensions.
  { id: "Qwen/Qwen3.5-27B", text: qwen35_27b, params: 55562855904 / 2 },
  { id: "nvidia/Qwen3.6-27B-NVFP4", text: qwen36_27bNvfp4, params: 55562855904 / 2 },
  // "Qwen3.6-35B-A3B ships total_size 71903645408.0" (same dimensions as Qwen3.5-35B-A3B).
  { id: "Qwen/Qwen3.5-35B-A3B", text: qwen35_35b, params: 71903645408 / 2 },
  { id: "nvidia/Qwen3.6-35B-A3B-NVFP4", text: qwen36_35bNvfp4, params: 71903645408 / 2 },
  // google/gemma-4-26B-A4B: "total_size 51611872412", header sum 25,805,936,206 parameters.
  { id: "google/gemma-4-26B-A4B", text: gemma4_26b, params: 51611872412 / 2 },
  { id: "nvidia/Gemma-4-26B-A4B-NVFP4", text: gemma4_26bNvfp4, params: 51611872412 / 2 },
] as const;

describe("2026 architectures: parameter counts equal the checkpoints' tensor totals", () => {
  it.each(CHECKPOINT_TOTALS)("$id: exactly $params", ({ id, text, params }) => {
    const s = spec(text, id);
    expect(s.notes.filter((n) => n.startsWith("Approximate:"))).toEqual([]);
    expect(s.parameters).toBe(params);
  });
});

/**
 * Publishers' counts. What each figure covers is read from its source: Qwen's sizes in a name
 * count the language model without the MTP module (Qwen3.5-397B-A17B: 397B; the vision tower
 * adds 0.46B); Google's Gemma 4 figures count the language model (the vision encoder, "~550M",
 * apart); StepFun's 196B is the language backbone (MTP apart; the 1.8B perception encoder is not
 * in the vendored config). `error` is the measured relative error of that part of memlens' count.
 */
const PUBLISHED = [
  {
    id: "Qwen/Qwen3.5-397B-A17B",
    text: qwen35_397b,
    part: "text+vision, no MTP",
    published: 397e9,
    // https://huggingface.co/Qwen/Qwen3.5-397B-A17B (name): 397B total, 17B active
    tolerance: 0.0015,
    active: 17e9,
  },
  {
    id: "Qwen/Qwen3.5-122B-A10B",
    text: qwen35_122b,
    part: "text+vision, no MTP",
    published: 122e9,
    // https://huggingface.co/Qwen/Qwen3.5-122B-A10B (name): "122B" (122.56B counted: the name rounds down)
    tolerance: 0.005,
    active: 10e9,
  },
  {
    id: "google/gemma-4-26B-A4B",
    text: gemma4_26b,
    part: "text",
    published: 25.2e9,
    // Gemma 4 model card as quoted by https://vast.ai/model/gemma-4-26b-a4b-it: 25.2B total, 3.8B active
    tolerance: 0.002,
    active: 3.8e9,
  },
  {
    id: "nvidia/Gemma-4-31B-IT-NVFP4",
    text: gemma4_31bNvfp4,
    part: "text",
    published: 30.7e9,
    // google/gemma-4-31B-it as quoted by https://www.llmradar.eu/models/gemma-4-31b-it:
    // "30.7B dense + ~550M vision encoder" (the NVFP4 checkpoint's config is the same architecture)
    tolerance: 0.002,
    active: 30.7e9,
  },
  {
    id: "stepfun-ai/Step-3.7-Flash",
    text: step37,
    part: "text, no MTP",
    published: 196e9,
    // https://vllm-recipes-6nwqixkam-inferact-inc.vercel.app/stepfun-ai/Step-3.7-Flash:
    // "a 196B sparse language backbone with a 1.8B perception encoder", ~11B active
    tolerance: 0.003,
    active: 11e9,
  },
  {
    id: "XiaomiMiMo/MiMo-V2-Flash",
    text: mimoV2Flash,
    part: "text (config names no MTP layers)",
    published: 309e9,
    // https://huggingface.co/XiaomiMiMo/MiMo-V2-Flash README: "309B total parameters and 15B active"
    tolerance: 0.002,
    active: 15e9,
  },
] as const;

describe("2026 architectures against the publishers' counts", () => {
  it.each(PUBLISHED)("$id ($part) within $tolerance of $published", (c) => {
    const s = spec(c.text, c.id);
    const vision = c.part.startsWith("text+vision") ? 0 : visionOf(s);
    const counted = s.parameters - mtpOf(s) - vision;
    const error = counted / c.published - 1;
    console.log(`${c.id}: ${counted} (${c.part}) vs ${c.published}: ${(error * 100).toFixed(2)}%`);
    expect(Math.abs(error)).toBeLessThan(c.tolerance);
    // Active: within the rounding of a one- or two-digit figure ("A17B", "15B active").
    const active = s.activeParameters - vision;
    expect(Math.abs(active / c.active - 1)).toBeLessThan(0.05);
  });

  it("MiMo-7B: a Qwen2 decoder plus its MTP layer, derived by hand; '7B' is a loose name (+8.9%)", () => {
    const s = spec(mimo7b, "XiaomiMiMo/MiMo-7B-Base");
    // config.json: hidden 4096, 32 heads of 128, 8 KV heads, MLP 11008, vocab 151680, untied.
    const h = 4096;
    const kv = 8 * 128;
    const attention = h * h + h + 2 * (kv * h + kv) + h * h; // q/k/v with biases (Qwen2), o without
    const layer = attention + 3 * 11008 * h + 2 * h;
    expect(s.parameters - mtpOf(s)).toBe(36 * layer + 2 * 151680 * h + h);
    // MTP: token/hidden norms, input_proj [4096, 8192], one decoder block, final norm.
    expect(mtpOf(s)).toBe(3 * h + h * 2 * h + layer);
    expect(s.activeParameters).toBe(s.parameters - mtpOf(s));
    // Xiaomi's "7B" (https://huggingface.co/XiaomiMiMo/MiMo-7B-Base: name only) is 7.62B here:
    // the untied 151680-token embeddings alone are 1.24B.
    expect((s.parameters - mtpOf(s)) / 7e9 - 1).toBeCloseTo(0.089, 3);
  });
});

describe("2026 architectures are no longer read by the generic (approximate) path", () => {
  const every = {
    "Qwen/Qwen3.5-27B": qwen35_27b,
    "Qwen/Qwen3.5-35B-A3B": qwen35_35b,
    "Qwen/Qwen3.5-122B-A10B": qwen35_122b,
    "Qwen/Qwen3.5-397B-A17B": qwen35_397b,
    "nvidia/Qwen3.5-122B-A10B-NVFP4": qwen35_122bNvfp4,
    "nvidia/Qwen3.5-397B-A17B-NVFP4": qwen35_397bNvfp4,
    "nvidia/Qwen3.6-27B-NVFP4": qwen36_27bNvfp4,
    "nvidia/Qwen3.6-35B-A3B-NVFP4": qwen36_35bNvfp4,
    "Qwen/Qwen3-VL-2B-Instruct": qwen3vl_2b,
    "Qwen/Qwen3-VL-4B-Instruct": qwen3vl_4b,
    "Qwen/Qwen3-VL-8B-Instruct": qwen3vl_8b,
    "Qwen/Qwen3-VL-32B-Instruct": qwen3vl_32b,
    "Qwen/Qwen3-VL-30B-A3B-Instruct": qwen3vl_30b,
    "Qwen/Qwen3-VL-235B-A22B-Instruct": qwen3vl_235b,
    "google/gemma-4-26B-A4B": gemma4_26b,
    "nvidia/Gemma-4-26B-A4B-NVFP4": gemma4_26bNvfp4,
    "nvidia/Gemma-4-31B-IT-NVFP4": gemma4_31bNvfp4,
    "XiaomiMiMo/MiMo-7B-Base": mimo7b,
    "XiaomiMiMo/MiMo-V2-Flash": mimoV2Flash,
    "stepfun-ai/Step-3.7-Flash": step37,
    "stepfun-ai/Step-3.7-Flash-FP8": step37Fp8,
  };
  it.each(Object.entries(every))("%s", (id, text) => {
    const s = spec(text, id);
    expect(s.notes.filter((n) => n.startsWith("Approximate:"))).toEqual([]);
    expect(s.parameters).toBeGreaterThan(0);
  });
});

describe("2026 architectures: layers and KV per token, derived by hand", () => {
  it("Qwen3.5-27B: 48 Gated DeltaNet layers hold fixed state, 16 gated-attention layers hold KV", () => {
    const s = spec(qwen35_27b, "Qwen/Qwen3.5-27B");
    const linear = s.layers.filter((l) => l.mixer.kind === "linear-attention");
    expect(linear).toHaveLength(48);
    expect(linear[0]!.mixer).toEqual({
      kind: "linear-attention",
      numKeyHeads: 16,
      numValueHeads: 48,
      keyHeadDim: 128,
      valueHeadDim: 128,
      convKernel: 4,
    });
    // 16 layers × (K + V) × 4 KV heads × 256 × 2 bytes.
    expect(kvBytesPerToken(s, fp16)).toBe(16 * 2 * 4 * 256 * 2);
    expect(s.layers[3]!.mixer).toMatchObject({ kind: "attention", numKvHeads: 4, headDim: 256 });
    // The MTP layer and the vision tower are weights, not layers.
    expect(s.numLayers).toBe(64);
    expect(s.tensors.some((t) => t.name === "mtp.layers.0.self_attn.q_proj.weight")).toBe(true);
    expect(s.tensors.some((t) => t.name === "model.layers.0.linear_attn.in_proj_qkv.weight")).toBe(true);
  });

  it("Qwen3.5-35B-A3B: MoE with a gated shared expert on every layer; MTP experts are not active", () => {
    const s = spec(qwen35_35b, "Qwen/Qwen3.5-35B-A3B");
    expect(s.layers.every((l) => l.ffn.kind === "moe" && l.ffn.sharedIntermediateSize === 512)).toBe(true);
    expect(kvBytesPerToken(s, fp16)).toBe(10 * 2 * 2 * 256 * 2);
    expect(s.activeParameters).toBeLessThan(s.parameters - mtpOf(s));
  });

  it("Qwen3-VL: a Qwen3 text model (KV from text_config) and a DeepStack vision tower", () => {
    const s = spec(qwen3vl_8b, "Qwen/Qwen3-VL-8B-Instruct");
    expect(s.architecture).toBe("qwen3_vl_text");
    expect(kvBytesPerToken(s, fp16)).toBe(36 * 2 * 8 * 128 * 2);
    // Three DeepStack mergers (deepstack_visual_indexes [8, 16, 24]) with post-shuffle norms.
    expect(s.tensors.filter((t) => /deepstack_merger_list\.\d+\.norm\.weight/.test(t.name))).toHaveLength(3);
    const moe = spec(qwen3vl_30b, "Qwen/Qwen3-VL-30B-A3B-Instruct");
    expect(moe.layers.every((l) => l.ffn.kind === "moe" && l.ffn.numExperts === 128)).toBe(true);
  });

  it("Gemma 4 26B-A4B: 25 sliding layers (window 1024) and 5 global ones with their own head size, K = V", () => {
    const s = spec(gemma4_26b, "google/gemma-4-26B-A4B");
    const global = s.layers.filter((l) => l.mixer.kind === "attention" && l.mixer.slidingWindow === null);
    expect(global.map((l) => l.index)).toEqual([5, 11, 17, 23, 29]);
    expect(global[0]!.mixer).toMatchObject({ numKvHeads: 2, headDim: 512 });
    expect(s.layers[0]!.mixer).toMatchObject({ numKvHeads: 8, headDim: 256, slidingWindow: 1024 });
    expect(kvBytesPerToken(s, fp16)).toBe(25 * 2 * 8 * 256 * 2 + 5 * 2 * 2 * 512 * 2);
    // attention_k_eq_v: global layers have no v_proj.
    expect(s.tensors.some((t) => t.name === "model.layers.5.self_attn.v_proj.weight")).toBe(false);
    expect(s.tensors.some((t) => t.name === "model.layers.4.self_attn.v_proj.weight")).toBe(true);
    const dense = spec(gemma4_31bNvfp4, "nvidia/Gemma-4-31B-IT-NVFP4");
    expect(dense.layers.every((l) => l.ffn.kind === "dense")).toBe(true);
    expect(dense.activeParameters).toBe(dense.parameters);
  });

  it("Gemma 4 per-layer embeddings and KV sharing (E2B/E4B style), as modular_gemma4.py lays them out", () => {
    const text = (JSON.parse(gemma4_26b) as { text_config: Record<string, unknown> }).text_config;
    const cfg = {
      ...text,
      enable_moe_block: false,
      hidden_size_per_layer_input: 256,
      num_kv_shared_layers: 10,
      use_double_wide_mlp: true,
    };
    const s = modelSpecFromHfConfig(cfg, "gemma4-ple");
    const shape = (name: string) => s.tensors.find((t) => t.name === name)?.shape;
    expect(shape("model.embed_tokens_per_layer.weight")).toEqual([262144, 30 * 256]);
    expect(shape("model.per_layer_model_projection.weight")).toEqual([30 * 256, 2816]);
    expect(shape("model.layers.0.per_layer_input_gate.weight")).toEqual([256, 2816]);
    // Layers 20..29 share K/V: no k_proj, and (use_double_wide_mlp) a twice-as-wide MLP.
    expect(shape("model.layers.19.self_attn.k_proj.weight")).toBeDefined();
    expect(shape("model.layers.20.self_attn.k_proj.weight")).toBeUndefined();
    expect(shape("model.layers.20.mlp.up_proj.weight")).toEqual([2 * 2112, 2816]);
    expect(s.notes.join(" ")).toMatch(/Approximate: the last 10 layers reuse earlier layers' K\/V/);
  });

  it("MiMo-V2-Flash: 39 sliding layers (8 KV heads) and 9 global (4), K 192 and V 128 wide", () => {
    const s = spec(mimoV2Flash, "XiaomiMiMo/MiMo-V2-Flash");
    const sliding = s.layers.filter((l) => l.mixer.kind === "attention" && l.mixer.slidingWindow === 128);
    expect(sliding).toHaveLength(39);
    expect(sliding[0]!.mixer).toMatchObject({ numKvHeads: 8, headDim: 192, valueHeadDim: 128 });
    expect(kvBytesPerToken(s, fp16)).toBe(9 * 4 * (192 + 128) * 2 + 39 * 8 * (192 + 128) * 2);
    expect(s.layers[0]!.ffn.kind).toBe("dense");
  });

  it("Step-3.7-Flash: 12 global and 33 sliding layers; 3 MTP layers counted in weights only", () => {
    const s = spec(step37, "stepfun-ai/Step-3.7-Flash");
    expect(
      s.layers.filter((l) => l.mixer.kind === "attention" && l.mixer.slidingWindow === 512),
    ).toHaveLength(33);
    expect(kvBytesPerToken(s, fp16)).toBe(45 * 2 * 8 * 128 * 2);
    expect(s.layers.slice(0, 3).every((l) => l.ffn.kind === "dense")).toBe(true);
    expect(s.tensors.some((t) => t.name === "model.layers.47.eh_proj.weight" && t.mtp)).toBe(true);
    // MTP layers hold a dense MLP (intermediate_size 11264), not the routed experts
    expect(s.tensors.find((t) => t.name === "model.layers.46.mlp.gate_proj.weight")?.shape).toEqual([
      11264, 4096,
    ]);
    expect(s.tensors.some((t) => t.name.startsWith("model.layers.46.moe."))).toBe(false);
    expect(s.notes.join(" ")).toMatch(/3-layer multi-token-prediction module is counted in the parameters/);
  });

  it("Step-3.7 in StepFun's own spellings (step3p5.py: num_attention_groups, moe_num_experts, moe_top_k; layer_types over the MTP layers too) reads the same", () => {
    const std = JSON.parse(step37) as Record<string, unknown>;
    const { num_key_value_heads, num_experts, num_experts_per_tok, ...rest } = std;
    const native = {
      ...rest,
      num_attention_groups: num_key_value_heads,
      moe_num_experts: num_experts,
      moe_top_k: num_experts_per_tok,
      layer_types: [...(std.layer_types as string[]), "full_attention", "full_attention", "full_attention"],
    };
    const a = spec(step37, "std");
    const b = modelSpecFromHfConfig(native, "native");
    expect(b.parameters).toBe(a.parameters);
    expect(b.layers).toEqual(a.layers);
    // Sliding layers with heads of their own (attention_other_setting) and the per-head gate.
    const other = modelSpecFromHfConfig(
      {
        ...native,
        use_head_wise_attn_gate: true,
        attention_other_setting: {
          attention_type: "sliding_attention",
          num_attention_heads: 96,
          num_attention_groups: 8,
          head_dim: 128,
        },
      },
      "other",
    );
    expect(other.layers[1]!.mixer).toMatchObject({ numHeads: 96, numKvHeads: 8, slidingWindow: 512 });
    expect(other.layers[0]!.mixer).toMatchObject({ numHeads: 64, slidingWindow: null });
    expect(other.tensors.find((t) => t.name === "model.layers.1.self_attn.g_proj.weight")?.shape).toEqual([
      96, 4096,
    ]);
  });

  it("the NVFP4 / FP8 checkpoints read the same architecture as their BF16 originals", () => {
    const pairs = [
      [qwen35_122b, qwen35_122bNvfp4],
      [qwen35_397b, qwen35_397bNvfp4],
      [step37, step37Fp8],
    ] as const;
    for (const [bf16, quant] of pairs) {
      const a = spec(bf16, "a");
      const b = spec(quant, "b");
      expect(b.parameters).toBe(a.parameters);
      expect(b.layers).toEqual(a.layers);
    }
  });
});

describe("2026 architectures per engine", () => {
  const scenario = (text: string, engine: string, weights?: string) => ({
    model: { hfConfig: JSON.parse(text) as Record<string, unknown> },
    hardware: { gpu: "H100-SXM-80GB", count: 8 },
    contextLength: 32768,
    engine,
    ...(weights ? { weights } : {}),
  });
  const all = [
    qwen35_27b,
    qwen35_35b,
    qwen3vl_8b,
    qwen3vl_235b,
    qwen3vl_2b,
    qwen3vl_32b,
    gemma4_26b,
    gemma4_31bNvfp4,
    mimo7b,
    mimoV2Flash,
    step37,
  ];

  it("vLLM loads the main model without the MTP module (qwen3_5.py skip_prefixes ['mtp.'])", () => {
    const s = spec(qwen35_27b, "Qwen/Qwen3.5-27B");
    const loaded = vllmRankWeights(s, { kind: "dense", dtype: "bf16" }, 1, 1).parameterBytes[0];
    expect(loaded).toBe((s.parameters - mtpOf(s)) * 2);
  });

  it.each(["vllm", "sglang"])("%s estimates every one of them with a positive KV cache", (engine) => {
    for (const text of all) {
      const r = estimateWithReport(scenario(text, engine));
      expect(r.estimate.kvBytesPerToken).toBeGreaterThan(0);
    }
  });

  // llama.cpp converts Qwen3.5 (qwen35), Qwen3-VL (qwen3vl), Gemma 4, MiMo-V2-Flash (mimo2) and
  // Step-3.7 (step3) but not MiMo-7B (llama.cpp conversion/__init__.py @ 00bdaa1 TEXT_MODEL_MAP).
  const refusal = (text: string) => {
    try {
      estimateWithReport(scenario(text, "llama.cpp", "Q4_K_M"));
    } catch (e) {
      expect(e).toBeInstanceOf(MemlensError);
      expect((e as MemlensError).message).not.toContain("\n");
      return (e as MemlensError).message;
    }
    return expect.unreachable();
  };

  it("llama.cpp does not run MiMo-7B, and says so", () => {
    expect(refusal(mimo7b)).toMatch(/^llama.cpp does not run this architecture: model_type "mimo"/);
  });

  it("llama.cpp runs the others, but memlens does not model their GGUF layout yet: one line", () => {
    // Those whose llama.cpp architecture memlens names (LLAMACPP_ARCH_NOT_LAID_OUT, src/llama-arch.cpp
    // @ 00395eb2) say which it is; Step-3.7 keeps the generic refusal.
    const named: [string, string][] = [
      [qwen35_27b, "qwen35"],
      [qwen35_35b, "qwen35moe"],
      [qwen3vl_8b, "qwen3vl"],
      [qwen3vl_235b, "qwen3vlmoe"],
      [gemma4_26b, "gemma4"],
      [mimoV2Flash, "mimo2"],
    ];
    for (const [text, arch] of named)
      expect(refusal(text)).toMatch(
        new RegExp(
          `^llama\\.cpp runs model_type "\\w+" as its "${arch}" architecture, but memlens does not lay out`,
        ),
      );
    expect(refusal(step37)).toMatch(/^llama.cpp layout for model_type "step3p7" is not modelled/);
  });
});
