import { describe, expect, it } from "vitest";
import { catalogModelSpec } from "../catalog/models.js";
import { planLora } from "./lora.js";
import {
  type ActivationDtypes,
  heldBytes,
  korthikantiLayerBytes,
  layerActivations,
  lossActivations,
  type TrainingActivationInput,
} from "./training-activations.js";

const megatron16: ActivationDtypes = {
  residualBytes: 2,
  computeBytes: 2,
  autocast: false,
  normUpcast: false,
  adapterBytes: 2,
  adapterCastsInput: false,
  fusedSwiGlu: false,
  quantizedSavesInput: false,
  adapterDropout: 0,
};

/** GPT-2 as Korthikanti et al. count it: 16-bit, dropout 0.1, eager attention, all weights trained. */
function gpt2(tp: number, sp: boolean, s = 1024, b = 2): TrainingActivationInput {
  return {
    spec: catalogModelSpec("openai-community/gpt2"),
    dtypes: megatron16,
    fullTraining: true,
    adaptedModules: new Set(),
    loraRank: 0,
    quantizedBase: false,
    microBatch: b,
    sequenceLength: s,
    packed: false,
    attention: "eager",
    expandKv: true,
    attentionDropout: 0.1,
    hiddenDropout: 0.1,
    softmaxFp32: false,
    tensorParallel: tp,
    sequenceParallel: sp,
  };
}

describe("Korthikanti et al. 2022 activation formulas on a real GPT-2 layer", () => {
  const spec = catalogModelSpec("openai-community/gpt2");
  const layer = spec.layers[0];
  if (!layer) throw new Error("gpt2 has layers");
  const h = spec.hiddenSize;
  const a = 12;
  const s = 1024;
  const b = 2;

  it("no parallelism: s·b·h·(34 + 5·a·s/h)", () => {
    const l = layerActivations(gpt2(1, false), layer);
    expect(l.savedBytes).toBe(korthikantiLayerBytes(s, b, h, a, 1, "none"));
  });

  it.each([2, 4])("tensor parallel t=%i: s·b·h·(10 + 24/t + 5·a·s/(h·t))", (t) => {
    const l = layerActivations(gpt2(t, false), layer);
    expect(l.savedBytes).toBe(korthikantiLayerBytes(s, b, h, a, t, "tensor"));
  });

  it.each([2, 4])("tensor + sequence parallel t=%i: s·b·h/t·(34 + 5·a·s/h)", (t) => {
    const l = layerActivations(gpt2(t, true), layer);
    expect(l.savedBytes).toBe(korthikantiLayerBytes(s, b, h, a, t, "tensor-sequence"));
  });

  it("selective recomputation + sequence parallel: 34·s·b·h/t", () => {
    const l = layerActivations(gpt2(4, true), layer);
    expect(heldBytes(l, "selective")).toBe(korthikantiLayerBytes(s, b, h, a, 4, "selective-sequence"));
  });

  it("full recomputation keeps the layer input: 2·s·b·h", () => {
    const l = layerActivations(gpt2(1, false), layer);
    expect(heldBytes(l, "full")).toBe(korthikantiLayerBytes(s, b, h, a, 1, "full"));
  });
});

describe("modern layers", () => {
  const llama = catalogModelSpec("meta-llama/Llama-3.2-3B");
  const layer = llama.layers[0];
  if (!layer) throw new Error("layers");
  const base: TrainingActivationInput = {
    spec: llama,
    dtypes: {
      residualBytes: 2,
      computeBytes: 2,
      autocast: false,
      normUpcast: true,
      adapterBytes: 4,
      adapterCastsInput: true,
      fusedSwiGlu: false,
      quantizedSavesInput: false,
      adapterDropout: 0,
    },
    fullTraining: false,
    adaptedModules: planLora(llama, 32, ["q_proj", "v_proj"]).adaptedModules,
    loraRank: 32,
    quantizedBase: false,
    microBatch: 4,
    sequenceLength: 768,
    packed: false,
    attention: "sdpa",
    expandKv: true,
    attentionDropout: 0,
    hiddenDropout: 0,
    softmaxFp32: true,
    tensorParallel: 1,
    sequenceParallel: false,
  };
  const T = 4 * 768;

  it("PEFT LoRA q,v on Llama-3.2-3B in bf16: the saved tensors per token", () => {
    const l = layerActivations(base, layer);
    const h = 3072;
    const I = 8192;
    // 2 × FP32 norm inputs (4h), two FP32 adapter-input casts (4h each), rank-32 FP32 lora_A outputs,
    // q and repeat_kv-expanded k, v (2h each), SDPA output (2h) and FP32 lse (24 heads), SiLU MLP (3 × 2I).
    const perToken = 2 * 4 * h + 2 * 4 * h + 2 * 32 * 4 + 3 * 2 * h + 2 * h + 24 * 4 + 3 * 2 * I;
    expect(l.savedBytes).toBe(perToken * T);
    // A frozen o_proj and down_proj save no input (autograd saves only what a gradient needs).
    expect(l.saved.some((t) => t.name.startsWith("o_proj"))).toBe(false);
    expect(l.saved.some((t) => t.name.startsWith("down_proj"))).toBe(false);
  });

  it("flash attention keeps K/V at the KV-head width (GQA) and saves no scores", () => {
    const sdpa = layerActivations(base, layer);
    const flash = layerActivations({ ...base, attention: "flash", expandKv: false }, layer);
    // Llama-3.2-3B: 24 heads, 8 KV heads of 128: K and V shrink from 2·3072 to 2·1024 bytes each.
    expect(sdpa.savedBytes - flash.savedBytes).toBe(2 * 2 * (3072 - 1024) * T);
    const eager = layerActivations({ ...base, attention: "eager" }, layer);
    expect(eager.savedBytes - eager.selectiveBytes).toBe(4 * 24 * 768 * 768 * (4 + 2));
  });

  it("full fine-tuning saves every linear input and the normalized copies", () => {
    const lora = layerActivations(base, layer);
    const full = layerActivations({ ...base, fullTraining: true, adaptedModules: new Set() }, layer);
    expect(full.savedBytes).toBeGreaterThan(lora.savedBytes);
    expect(full.saved.some((t) => t.name === "down_proj input")).toBe(true);
  });

  it("MoE saves each routed token's expert intermediates (top-k) and the FP32 router probabilities", () => {
    const moe = catalogModelSpec("Qwen/Qwen3-30B-A3B");
    const l0 = moe.layers[0];
    if (l0?.ffn.kind !== "moe") throw new Error("moe");
    const x: TrainingActivationInput = { ...base, spec: moe, adaptedModules: new Set(), loraRank: 0 };
    const l = layerActivations(x, l0);
    const router = l.saved.find((t) => t.name.startsWith("router"));
    expect(router?.bytes).toBe(T * l0.ffn.numExperts * 4);
    const gate = l.saved.find((t) => t.name === "expert gate outputs");
    expect(gate?.bytes).toBe(T * l0.ffn.expertsPerToken * l0.ffn.expertIntermediateSize * 2);
  });

  it("the loss: logits + FP32 upcast + log_softmax forward, 3 × FP32 [tokens × vocab] in backward", () => {
    const loss = lossActivations({
      spec: llama,
      dtypes: base.dtypes,
      fullTraining: false,
      tokens: T,
      lossChunks: 1,
      lossChunkTokens: 0,
      fused: false,
      compiled: false,
      upcast: true,
      headDequantBytes: 0,
      tensorParallel: 1,
      sequenceParallel: false,
    });
    expect(loss.vocab).toBe(128256);
    expect(loss.forwardPeakBytes).toBe(10 * T * 128256);
    expect(loss.backwardPeakBytes).toBe(12 * T * 128256);
    const chunked = lossActivations({
      spec: llama,
      dtypes: base.dtypes,
      fullTraining: false,
      tokens: T,
      lossChunks: 8,
      lossChunkTokens: 0,
      fused: false,
      compiled: false,
      upcast: true,
      headDequantBytes: 0,
      tensorParallel: 1,
      sequenceParallel: false,
    });
    expect(chunked.backwardPeakBytes).toBe(4 * T * 128256 + T * 128256);
    expect(chunked.forwardPeakBytes).toBeLessThan(loss.forwardPeakBytes);
  });

  it("compiled, 16-bit and fixed-chunk losses", () => {
    const input = {
      spec: llama,
      dtypes: base.dtypes,
      fullTraining: false,
      tokens: T,
      lossChunks: 8,
      lossChunkTokens: 0,
      fused: false,
      compiled: false,
      upcast: true,
      headDequantBytes: 0,
      tensorParallel: 1,
      sequenceParallel: false,
    };
    const V = 128256;
    // Inductor's cross-entropy: bf16 logits + one FP32 chunk; backward adds one chunk's bf16 gradient.
    const compiled = lossActivations({ ...input, compiled: true });
    expect(compiled.forwardPeakBytes).toBe(2 * T * V + (4 * T * V) / 8);
    expect(compiled.backwardPeakBytes).toBe(2 * T * V + (2 * T * V) / 8 + (4 * T * V) / 8);
    expect(compiled.savedBytes).toBe(lossActivations(input).savedBytes + 4 * T);
    // LitGPT: bf16 log_softmax per 128-token chunk, no FP32 copy; a 4-bit head adds its dequantized weight.
    const litgpt = lossActivations({ ...input, upcast: false, lossChunkTokens: 128, headDequantBytes: 1000 });
    expect(litgpt.forwardPeakBytes).toBe(4 * T * V + 1000);
    expect(litgpt.backwardPeakBytes).toBe(4 * T * V + Math.ceil((4 * T * V) / Math.ceil(T / 128)) + 1000);
  });
});
