import { describe, expect, it } from "vitest";
import { quantizedMatrixBytes } from "../catalog/quant-schemes.js";
import { estimateWeights, parseWeightFormat, weightFormatName } from "../estimate/weights.js";
import { ModuleMatcher, moduleNames } from "./checkpoint-quant.js";
import { modelSpecFromHfConfig } from "./from-hf-config.js";
import type { TensorSpec } from "./model-spec.js";

// A small Llama-shaped config (dimensions multiples of 128 so every scheme divides evenly).
const LLAMA = {
  model_type: "llama",
  hidden_size: 1024,
  intermediate_size: 2816,
  num_hidden_layers: 2,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  vocab_size: 4096,
  torch_dtype: "bfloat16",
  tie_word_embeddings: false,
};
// q 1024, k 256, v 256, o 1024 rows over 1024; gate/up 2816×1024, down 1024×2816.
const LINEARS: readonly (readonly [number, number])[] = [
  [1024, 1024],
  [256, 1024],
  [256, 1024],
  [1024, 1024],
  [2816, 1024],
  [2816, 1024],
  [1024, 2816],
];
const NORMS_BYTES = (2 * 2 + 1) * 1024 * 2; // two norms per layer + final norm, bf16
const EMBED_BYTES = 4096 * 1024 * 2;
const HEAD_BYTES = 4096 * 1024 * 2;

function spec(quantization_config: unknown, hfQuantConfig?: unknown) {
  return modelSpecFromHfConfig({ ...LLAMA, quantization_config }, "test/llama", { hfQuantConfig });
}
const layerBytes = (perMatrix: (n: number, k: number) => number): number =>
  2 * LINEARS.reduce((s, [n, k]) => s + perMatrix(n, k), 0);

describe("ModuleMatcher: the pattern forms quantization configs use", () => {
  const names = (name: string, role: TensorSpec["role"] = "attention", shape = [8, 8]) =>
    moduleNames({ name, role, shape, layer: 0 });
  it("exact names cover the module and its children; a bare name matches that component anywhere", () => {
    const m = new ModuleMatcher(["model.layers.0.self_attn", "lm_head", "gate"], "t");
    expect(m.matches(names("model.layers.0.self_attn.q_proj.weight"))).toBe(true);
    expect(m.matches(names("model.layers.1.self_attn.q_proj.weight"))).toBe(false);
    expect(m.matches(names("lm_head.weight", "output"))).toBe(true);
    expect(m.matches(names("model.layers.3.mlp.gate.weight", "router"))).toBe(true);
    // "gate" is a component, not a substring: gate_proj stays quantized (MiniMax-M2 modules_to_not_convert).
    expect(m.matches(names("model.layers.3.mlp.gate_proj.weight", "mlp"))).toBe(false);
  });
  it("ModelOpt globs (fnmatch: * crosses dots) and compressed-tensors re: regexes", () => {
    const m = new ModuleMatcher(["model.layers.61*", "*.shared_experts.*", "re:.*indexer.*"], "t");
    expect(m.matches(names("model.layers.61.mlp.down_proj.weight", "mlp"))).toBe(true);
    expect(m.matches(names("model.layers.6.mlp.down_proj.weight", "mlp"))).toBe(false);
    expect(m.matches(names("model.layers.4.mlp.shared_experts.up_proj.weight", "shared-expert"))).toBe(true);
    expect(m.matches(names("model.layers.4.self_attn.indexer.wk.weight"))).toBe(true);
  });
  it("stacked experts answer to their per-expert names, text models to wrapper prefixes", () => {
    const stacked = names("model.layers.2.mlp.experts.gate_proj", "expert", [4, 8, 8]);
    expect(new ModuleMatcher(["model.layers.2.mlp.experts.0.gate_proj"], "t").matches(stacked)).toBe(true);
    expect(new ModuleMatcher(["model.language_model.layers.2.mlp.experts*"], "t").matches(stacked)).toBe(
      true,
    );
    expect(new ModuleMatcher(["language_model.model.layers.2*"], "t").matches(stacked)).toBe(true);
  });
  it("bounds what it reads: an invalid regex is a config error naming the field", () => {
    expect(() => new ModuleMatcher(["re:("], "config.quantization_config.ignore")).toThrow(
      /config\.quantization_config\.ignore: "re:\(" is not a valid regular expression/,
    );
    expect(() => new ModuleMatcher(["x".repeat(1001)], "f")).toThrow(/longer than 1000/);
  });
});

describe("each scheme's bytes, tensor by tensor, on a small Llama", () => {
  const dense16 = NORMS_BYTES + EMBED_BYTES + HEAD_BYTES;
  it("FP8 block (DeepSeek-V3 / Qwen3-FP8 style): decoder linears FP8 + one FP32 per 128×128 block; lm_head bf16", () => {
    const s = spec({ quant_method: "fp8", weight_block_size: [128, 128], activation_scheme: "dynamic" });
    // Same tensors as the plain fp8 format: the checkpoint reads as it (snapshots unchanged).
    expect(parseWeightFormat(undefined, s)).toEqual({ kind: "fp8", block: [128, 128] });
    const perMatrix = (n: number, k: number) => n * k + Math.ceil(n / 128) * Math.ceil(k / 128) * 4;
    expect(estimateWeights(s, parseWeightFormat(undefined, s)).totalBytes).toBe(
      dense16 + layerBytes(perMatrix),
    );
  });
  it("FP8 with modules_to_not_convert keeping layer 1's attention in bf16", () => {
    const s = spec({
      quant_method: "fp8",
      weight_block_size: [128, 128],
      modules_to_not_convert: ["lm_head", "model.layers.1.self_attn"],
    });
    const f = parseWeightFormat(undefined, s);
    expect(f).toEqual({ kind: "checkpoint", name: "fp8" });
    expect(weightFormatName(f)).toBe("fp8");
    const fp8 = (n: number, k: number) => n * k + Math.ceil(n / 128) * Math.ceil(k / 128) * 4;
    const attn = LINEARS.slice(0, 4);
    const expected =
      dense16 +
      layerBytes(fp8) -
      attn.reduce((a, [n, k]) => a + fp8(n, k), 0) +
      attn.reduce((a, [n, k]) => a + n * k * 2, 0);
    expect(estimateWeights(s, f).totalBytes).toBe(expected);
    expect(s.nativeQuantization?.appliedNote).toMatch(/kept in bf16: attention \(4\), lm_head \(1\)/);
  });
  it("ModelOpt NVFP4 (hf_quant_config.json): K/2 bytes + one E4M3 scale per 16 + FP32 weight_scale_2", () => {
    const s = spec(undefined, {
      producer: { name: "modelopt" },
      quantization: { quant_algo: "NVFP4", group_size: 16, exclude_modules: ["lm_head"] },
    });
    const f = parseWeightFormat(undefined, s);
    expect(f).toEqual({ kind: "checkpoint", name: "nvfp4" });
    // vllm .../compressed_tensors_w4a4_nvfp4.py CompressedTensorsW4A4Fp4.create_weights, as ModelOpt
    // stores it: weight uint8[N, K/2], weight_scale float8_e4m3fn[N, K/16], weight_scale_2 fp32.
    const nvfp4 = (n: number, k: number) => (n * k) / 2 + (n * k) / 16 + 4;
    expect(estimateWeights(s, f).totalBytes).toBe(dense16 + layerBytes(nvfp4));
    expect(s.nativeQuantization?.source).toBe("hf_quant_config.json");
  });
  it("ModelOpt FP8 per tensor: one byte per weight + one FP32 scale; an lm_head not excluded is quantized too", () => {
    const s = spec(undefined, { quantization: { quant_algo: "FP8", exclude_modules: [] } });
    const f = parseWeightFormat(undefined, s);
    expect(estimateWeights(s, f).totalBytes).toBe(
      NORMS_BYTES + EMBED_BYTES + (4096 * 1024 + 4) + layerBytes((n, k) => n * k + 4),
    );
  });
  it("compressed-tensors: config_groups targets, ignore lists, float 8-bit channel scales", () => {
    const s = spec({
      quant_method: "compressed-tensors",
      format: "float-quantized",
      config_groups: {
        group_0: {
          targets: ["Linear"],
          weights: { num_bits: 8, type: "float", strategy: "channel", symmetric: true },
        },
      },
      ignore: ["lm_head", "re:.*down_proj"],
    });
    const f = parseWeightFormat(undefined, s);
    expect(f).toEqual({ kind: "checkpoint", name: "fp8" });
    const perMatrix = (n: number, k: number) => (k === 2816 ? n * k * 2 : n * k + n * 4);
    expect(estimateWeights(s, f).totalBytes).toBe(dense16 + layerBytes(perMatrix));
  });
  it("compressed-tensors pack-quantized int4 group 128 = the W4A16 layout", () => {
    const s = spec({
      quant_method: "compressed-tensors",
      format: "pack-quantized",
      config_groups: {
        group_0: {
          targets: ["Linear"],
          weights: { num_bits: 4, type: "int", strategy: "group", group_size: 128, symmetric: true },
        },
      },
      ignore: ["lm_head"],
    });
    const f = parseWeightFormat(undefined, s);
    expect(f).toEqual({ kind: "checkpoint", name: "w4a16" });
    expect(estimateWeights(s, f).totalBytes).toBe(
      dense16 + layerBytes((n, k) => quantizedMatrixBytes("w4a16", n, k, { groupSize: 128 })),
    );
  });
  it("AWQ GEMM: int32 qweight [K, N/8] + int32 qzeros [K/g, N/8] + fp16 scales [K/g, N]", () => {
    const s = spec({ quant_method: "awq", bits: 4, group_size: 128, zero_point: true, version: "gemm" });
    const f = parseWeightFormat(undefined, s);
    const awq = (n: number, k: number) => k * (n / 8) * 4 + (k / 128) * (n / 8) * 4 + (k / 128) * n * 2;
    expect(estimateWeights(s, f).totalBytes).toBe(dense16 + layerBytes(awq));
    expect(weightFormatName(f)).toBe("awq");
  });
  it("GPTQ (AutoGPTQ): qweight + qzeros + fp16 scales + g_idx int32[K] always, fp16 bias for legacy configs", () => {
    const legacy = spec({ quant_method: "gptq", bits: 4, group_size: 128, desc_act: false, sym: true });
    const gptq = (n: number, k: number) =>
      (k / 32) * 4 * n * 4 + (k / 128) * (n / 32) * 4 * 4 + (k / 128) * n * 2 + k * 4;
    expect(estimateWeights(legacy, parseWeightFormat(undefined, legacy)).totalBytes).toBe(
      dense16 + layerBytes((n, k) => gptq(n, k) + 2 * n),
    );
    const gptqmodel = spec({
      quant_method: "gptq",
      bits: 4,
      group_size: 128,
      checkpoint_format: "gptq",
      meta: { quantizer: ["gptqmodel:2.0.0"] },
    });
    expect(estimateWeights(gptqmodel, parseWeightFormat(undefined, gptqmodel)).totalBytes).toBe(
      dense16 + layerBytes(gptq),
    );
  });
  it("bitsandbytes NF4 with double quant, and LLM.int8 skipping modules", () => {
    const nf4 = spec({
      quant_method: "bitsandbytes",
      load_in_4bit: true,
      bnb_4bit_quant_type: "nf4",
      bnb_4bit_use_double_quant: true,
    });
    const f = parseWeightFormat(undefined, nf4);
    expect(f).toEqual({ kind: "checkpoint", name: "nf4" });
    expect(estimateWeights(nf4, f).totalBytes).toBe(
      dense16 + layerBytes((n, k) => quantizedMatrixBytes("nf4", n, k, { doubleQuant: true })),
    );
    const int8 = spec({ quant_method: "bitsandbytes", load_in_8bit: true, llm_int8_skip_modules: ["mlp"] });
    const perMatrix = (n: number, k: number) => (n === 2816 || k === 2816 ? n * k * 2 : n * k + n * 4);
    expect(estimateWeights(int8, parseWeightFormat(undefined, int8)).totalBytes).toBe(
      dense16 + layerBytes(perMatrix),
    );
  });
  it("naming the checkpoint's own method is the checkpoint as it ships; an unknown quant_algo is refused by name", () => {
    const s = spec(undefined, {
      quantization: { quant_algo: "NVFP4", group_size: 16, exclude_modules: ["lm_head"] },
    });
    expect(parseWeightFormat("nvfp4", s)).toEqual({ kind: "checkpoint", name: "nvfp4" });
    expect(parseWeightFormat("bf16", s)).toEqual({ kind: "dense", dtype: "bf16" });
    expect(() => spec(undefined, { quantization: { quant_algo: "W4A8_AWQ" } })).toThrow(
      /hf_quant_config\.quantization\.quant_algo "W4A8_AWQ" is not read by memlens; allowed: FP8, NVFP4/,
    );
    expect(() => spec(undefined, { nothing: 1 })).toThrow(/hf_quant_config\.quantization is missing/);
  });
});
