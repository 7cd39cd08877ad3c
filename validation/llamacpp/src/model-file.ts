/**
 * Turns a Shape plus a weight type into the GGUF tensor list and metadata llama.cpp expects.
 * Tensor names and dims follow llama.cpp de3ff815: src/llama-arch.cpp (LLM_TENSOR_NAMES) and each
 * architecture's load_arch_tensors in src/models/{llama,qwen2,qwen3,qwen3moe,gemma2,gemma3,phi3,
 * deepseek2,openai-moe,qwen3next}.cpp; metadata keys from src/llama-arch.cpp (LLM_KV_NAMES).
 */
import { GGML_TYPES, type GgmlType, ggmlType, tensorBytes } from "./ggml-types.js";
import type { GgufFile, GgufTensor, GgufValue } from "./gguf-writer.js";
import { readHfConfig, type Shape } from "./shapes.js";

export interface TensorSpec {
  readonly name: string;
  readonly ne: readonly number[];
}

/** The per-tensor layout (no types yet) that load_arch_tensors asks for. Deterministic in the shape. */
export function tensorLayout(s: Shape): TensorSpec[] {
  const t: TensorSpec[] = [];
  const add = (name: string, ...ne: number[]): void => {
    t.push({ name, ne });
  };
  const E = s.nEmbd;
  add("token_embd.weight", E, s.nVocab);
  add("output_norm.weight", E);
  if (!s.tiedEmbeddings) add("output.weight", E, s.nVocab);
  const qDim = s.nHead * s.headDimK;
  const kDim = s.nHeadKv * s.headDimK;
  const vDim = s.nHeadKv * s.headDimV;
  for (let i = 0; i < s.nLayer; i++) {
    const b = `blk.${i}.`;
    add(`${b}attn_norm.weight`, E);
    switch (s.arch) {
      case "llama":
      case "qwen2":
      case "qwen3":
      case "qwen3moe":
      case "gemma2":
      case "gemma3":
      case "gpt-oss": {
        // create_tensor_qkv (src/llama-model.cpp:3270): separate q/k/v + optional biases
        add(`${b}attn_q.weight`, E, qDim);
        add(`${b}attn_k.weight`, E, kDim);
        add(`${b}attn_v.weight`, E, vDim);
        if (s.qkvBias) {
          add(`${b}attn_q.bias`, qDim);
          add(`${b}attn_k.bias`, kDim);
          add(`${b}attn_v.bias`, vDim);
        }
        add(`${b}attn_output.weight`, qDim, E);
        if (s.arch === "qwen3" || s.arch === "qwen3moe" || s.arch === "gemma3") {
          add(`${b}attn_q_norm.weight`, s.headDimK);
          add(`${b}attn_k_norm.weight`, s.headDimK);
        }
        if (s.arch === "gemma2" || s.arch === "gemma3" || s.arch === "gpt-oss") {
          add(`${b}post_attention_norm.weight`, E);
        }
        if (s.arch === "gpt-oss") {
          add(`${b}attn_sinks.weight`, s.nHead);
          add(`${b}attn_output.bias`, E);
        }
        break;
      }
      case "phi3":
        // models/phi3.cpp: fused qkv {n_embd, n_embd + 2*n_embd_gqa}
        add(`${b}attn_qkv.weight`, E, E + kDim + vDim);
        add(`${b}attn_output.weight`, E, E);
        break;
      case "deepseek2": {
        const m = s.mla!;
        const kMla = m.qkNopeHeadDim + m.qkRopeHeadDim;
        if (m.qLoraRank > 0) {
          add(`${b}attn_q_a_norm.weight`, m.qLoraRank);
        }
        add(`${b}attn_kv_a_norm.weight`, m.kvLoraRank);
        if (m.qLoraRank > 0) {
          add(`${b}attn_q_a.weight`, E, m.qLoraRank);
          add(`${b}attn_q_b.weight`, m.qLoraRank, s.nHead * kMla);
        } else {
          add(`${b}attn_q.weight`, E, s.nHead * kMla);
        }
        add(`${b}attn_kv_a_mqa.weight`, E, m.kvLoraRank + m.qkRopeHeadDim);
        // is_mla(): split k_b / v_b (models/deepseek2.cpp)
        add(`${b}attn_k_b.weight`, m.qkNopeHeadDim, m.kvLoraRank, s.nHead);
        add(`${b}attn_v_b.weight`, m.kvLoraRank, m.vHeadDim, s.nHead);
        add(`${b}attn_output.weight`, s.nHead * m.vHeadDim, E);
        break;
      }
      case "qwen3next": {
        add(`${b}post_attention_norm.weight`, E);
        if (!s.isRecurrentLayer[i]) {
          // gated attention: q projection is 2x (query + gate), models/qwen3next.cpp
          add(`${b}attn_q.weight`, E, qDim * 2);
          add(`${b}attn_k.weight`, E, kDim);
          add(`${b}attn_v.weight`, E, vDim);
          add(`${b}attn_output.weight`, qDim, E);
          add(`${b}attn_q_norm.weight`, s.headDimK);
          add(`${b}attn_k_norm.weight`, s.headDimK);
        } else {
          const ssm = s.ssm!;
          const keyDim = ssm.dState * ssm.nGroup;
          const valueDim = ssm.dState * ssm.dtRank;
          const convDim = keyDim * 2 + valueDim;
          add(`${b}attn_qkv.weight`, E, keyDim * 2 + valueDim);
          add(`${b}attn_gate.weight`, E, valueDim);
          add(`${b}ssm_conv1d.weight`, ssm.dConv, convDim);
          add(`${b}ssm_dt.bias`, ssm.dtRank);
          add(`${b}ssm_a`, ssm.dtRank);
          add(`${b}ssm_ba.weight`, E, ssm.dtRank * 2);
          add(`${b}ssm_norm.weight`, ssm.dState);
          add(`${b}ssm_out.weight`, valueDim, E);
        }
        break;
      }
    }
    // FFN
    if (s.arch !== "gpt-oss" && s.arch !== "qwen3next") add(`${b}ffn_norm.weight`, E);
    if (s.arch === "gpt-oss" || s.arch === "qwen3next") {
      // gpt-oss: post_attention_norm doubles as the FFN norm; qwen3next likewise (models/*.cpp)
    }
    const moe = s.moe;
    const dense = moe === null || i < moe.nLeadingDense;
    if (s.arch === "phi3") {
      add(`${b}ffn_down.weight`, s.nFf, E);
      add(`${b}ffn_up.weight`, E, 2 * s.nFf);
    } else if (dense) {
      add(`${b}ffn_gate.weight`, E, s.nFf);
      add(`${b}ffn_down.weight`, s.nFf, E);
      add(`${b}ffn_up.weight`, E, s.nFf);
    } else {
      const X = moe.nExpert;
      const F = moe.nFfExp;
      add(`${b}ffn_gate_inp.weight`, E, X);
      if (s.arch === "gpt-oss") add(`${b}ffn_gate_inp.bias`, X);
      add(`${b}ffn_gate_exps.weight`, E, F, X);
      add(`${b}ffn_down_exps.weight`, F, E, X);
      add(`${b}ffn_up_exps.weight`, E, F, X);
      if (s.arch === "gpt-oss") {
        add(`${b}ffn_gate_exps.bias`, F, X);
        add(`${b}ffn_down_exps.bias`, E, X);
        add(`${b}ffn_up_exps.bias`, F, X);
      }
      if (moe.nFfShexp > 0) {
        if (s.arch === "qwen3next") add(`${b}ffn_gate_inp_shexp.weight`, E);
        add(`${b}ffn_gate_shexp.weight`, E, moe.nFfShexp);
        add(`${b}ffn_down_shexp.weight`, moe.nFfShexp, E);
        add(`${b}ffn_up_shexp.weight`, E, moe.nFfShexp);
      }
    }
    if (s.arch === "gemma2" || s.arch === "gemma3") add(`${b}post_ffw_norm.weight`, E);
  }
  return t;
}

/**
 * Weight-type policies.
 * - "pure": every quantizable tensor gets the target type, as `llama-quantize --pure` does.
 *   Quantizable (llama.cpp src/llama-quant.cpp:297-324): name ends in "weight", 2+ dims, not a
 *   *_norm.weight, not ffn_gate_inp.weight, not ssm_conv1d. Others stay F32.
 *   Rows whose length is not a multiple of the block size fall back per tensor_type_fallback
 *   (src/llama-quant.cpp:372-420), then to F16.
 * - "mxfp4-moe": expert tensors (ffn_*_exps.weight) MXFP4, other quantizable tensors Q8_0
 *   (the layout of llama.cpp's MXFP4_MOE file type for gpt-oss).
 */
export type WeightPolicy = { kind: "pure"; type: string } | { kind: "mxfp4-moe" };

const FALLBACK: Record<string, string> = {
  IQ1_S: "IQ4_NL",
  IQ1_M: "IQ4_NL",
  IQ2_XXS: "IQ4_NL",
  IQ2_XS: "IQ4_NL",
  IQ2_S: "IQ4_NL",
  IQ3_XXS: "IQ4_NL",
  IQ3_S: "IQ4_NL",
  IQ4_XS: "IQ4_NL",
  Q2_0: "Q4_0",
  Q2_K: "Q4_0",
  Q3_K: "Q4_0",
  TQ1_0: "Q4_0",
  TQ2_0: "Q4_0",
  Q4_K: "Q5_0",
  Q5_K: "Q5_1",
  Q6_K: "Q8_0",
};

function isQuantizable(t: TensorSpec): boolean {
  return (
    t.name.endsWith("weight") &&
    t.ne.length >= 2 &&
    !t.name.includes("_norm.weight") &&
    !t.name.includes("ffn_gate_inp.weight") &&
    !t.name.includes("ssm_conv1d")
  );
}

function fitType(target: GgmlType, ne0: number): GgmlType {
  if (ne0 % target.blockSize === 0) return target;
  const fb = FALLBACK[target.name];
  if (fb !== undefined) {
    const f = ggmlType(fb);
    if (ne0 % f.blockSize === 0) return f;
  }
  return GGML_TYPES.F16;
}

function targetType(policy: WeightPolicy, name: string): GgmlType {
  switch (policy.kind) {
    case "pure":
      return ggmlType(policy.type);
    case "mxfp4-moe":
      return /_exps\.weight$/.test(name) ? GGML_TYPES.MXFP4 : GGML_TYPES.Q8_0;
  }
}

export function assignTypes(layout: readonly TensorSpec[], policy: WeightPolicy): GgufTensor[] {
  return layout.map((t) => ({
    ...t,
    type: isQuantizable(t) ? fitType(targetType(policy, t.name), t.ne[0] ?? 1) : GGML_TYPES.F32,
  }));
}

export function policyName(p: WeightPolicy): string {
  return p.kind === "pure" ? p.type : "MXFP4_MOE";
}

function fileTypeOf(p: WeightPolicy): number {
  if (p.kind === "mxfp4-moe") return 38; // LLAMA_FTYPE_MOSTLY_MXFP4_MOE, include/llama.h:156
  const ft = ggmlType(p.type).fileType;
  if (ft === null) throw new Error(`no llama_ftype for ${p.type}`);
  return ft;
}

/** Minimal SPM vocabulary (the feasibility study's): n_vocab unique tokens, byte tokens included. */
function tokenizerKv(nVocab: number): Array<[string, GgufValue]> {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6);
  }
  for (let i = tokens.length; i < nVocab; i++) {
    tokens.push(`\u2581tok${i}`);
    types.push(1);
  }
  tokens.length = nVocab;
  types.length = nVocab;
  const scores = tokens.map((_, i) => -i);
  return [
    ["tokenizer.ggml.model", { kind: "str", value: "llama" }],
    ["tokenizer.ggml.tokens", { kind: "arr_str", value: tokens }],
    ["tokenizer.ggml.scores", { kind: "arr_f32", value: scores }],
    ["tokenizer.ggml.token_type", { kind: "arr_i32", value: types }],
    ["tokenizer.ggml.bos_token_id", { kind: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { kind: "u32", value: 2 }],
    ["tokenizer.ggml.unknown_token_id", { kind: "u32", value: 0 }],
    ["tokenizer.ggml.add_bos_token", { kind: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { kind: "bool", value: false }],
  ];
}

export function buildMetadata(s: Shape, policy: WeightPolicy): Array<[string, GgufValue]> {
  const a = s.arch;
  const u32 = (value: number): GgufValue => ({ kind: "u32", value });
  const f32 = (value: number): GgufValue => ({ kind: "f32", value });
  const kv: Array<[string, GgufValue]> = [
    ["general.architecture", { kind: "str", value: a }],
    // a neutral name: llama-vocab.cpp keys token-attribute quirks off general.name (e.g. "phi-3")
    ["general.name", { kind: "str", value: "memlens synthetic" }],
    ["memlens.source", { kind: "str", value: `${s.source} n_layer=${s.nLayer}` }],
    ["general.file_type", u32(fileTypeOf(policy))],
    ["general.quantization_version", u32(2)],
    [`${a}.vocab_size`, u32(s.nVocab)],
    [`${a}.context_length`, u32(s.nCtxTrain)],
    [`${a}.embedding_length`, u32(s.nEmbd)],
    [`${a}.block_count`, u32(s.nLayer)],
    [`${a}.feed_forward_length`, u32(s.nFf)],
    [`${a}.attention.head_count`, u32(s.nHead)],
    [`${a}.attention.head_count_kv`, u32(s.nHeadKv)],
    [`${a}.attention.key_length`, u32(s.headDimK)],
    [`${a}.attention.value_length`, u32(s.headDimV)],
    [`${a}.attention.layer_norm_rms_epsilon`, f32(s.rmsEps)],
    [`${a}.rope.dimension_count`, u32(s.nRot)],
    [`${a}.rope.freq_base`, f32(s.ropeFreqBase)],
  ];
  if (s.moe !== null) {
    kv.push([`${a}.expert_count`, u32(s.moe.nExpert)], [`${a}.expert_used_count`, u32(s.moe.nExpertUsed)]);
    if (a !== "llama") kv.push([`${a}.expert_feed_forward_length`, u32(s.moe.nFfExp)]);
  }
  if (s.nSwa !== null) kv.push([`${a}.attention.sliding_window`, u32(s.nSwa)]);
  switch (a) {
    case "gemma2":
      kv.push([`${a}.attn_logit_softcapping`, f32(50)], [`${a}.final_logit_softcapping`, f32(30)]);
      break;
    case "phi3": {
      // conversion/phi.py:169-173 writes the config's sliding_window; llama.cpp then disables SWA for phi3
      const window = readHfConfig(s.source)["sliding_window"];
      kv.push([`${a}.attention.sliding_window`, u32(typeof window === "number" ? window : 0)]);
      break;
    }
    case "deepseek2": {
      const m = s.mla!;
      const moe = s.moe!;
      kv.push(
        [`${a}.leading_dense_block_count`, u32(moe.nLeadingDense)],
        [`${a}.attention.q_lora_rank`, u32(m.qLoraRank)],
        [`${a}.attention.kv_lora_rank`, u32(m.kvLoraRank)],
        [`${a}.attention.key_length_mla`, u32(m.qkNopeHeadDim + m.qkRopeHeadDim)],
        [`${a}.attention.value_length_mla`, u32(m.vHeadDim)],
        [`${a}.expert_shared_count`, u32(moe.nExpertShared)],
        [`${a}.expert_weights_scale`, f32(1)],
        [`${a}.expert_gating_func`, u32(1)],
      );
      break;
    }
    case "qwen3next": {
      const ssm = s.ssm!;
      kv.push(
        [`${a}.expert_shared_feed_forward_length`, u32(s.moe!.nFfShexp)],
        [`${a}.ssm.conv_kernel`, u32(ssm.dConv)],
        [`${a}.ssm.state_size`, u32(ssm.dState)],
        [`${a}.ssm.group_count`, u32(ssm.nGroup)],
        [`${a}.ssm.time_step_rank`, u32(ssm.dtRank)],
        [`${a}.ssm.inner_size`, u32(ssm.dInner)],
        [`${a}.full_attention_interval`, u32(ssm.fullAttentionInterval)],
      );
      break;
    }
    default:
      break;
  }
  return [...kv, ...tokenizerKv(s.nVocab)];
}

export interface ModelFileSpec {
  readonly file: GgufFile;
  readonly tensors: readonly GgufTensor[];
  readonly tensorBytesTotal: number;
  readonly typeCounts: Record<string, number>;
}

export function buildModelFile(s: Shape, policy: WeightPolicy): ModelFileSpec {
  const tensors = assignTypes(tensorLayout(s), policy);
  const typeCounts: Record<string, number> = {};
  let tensorBytesTotal = 0;
  for (const t of tensors) {
    typeCounts[t.type.name] = (typeCounts[t.type.name] ?? 0) + 1;
    tensorBytesTotal += tensorBytes(t.type, t.ne);
  }
  return { file: { metadata: buildMetadata(s, policy), tensors }, tensors, tensorBytesTotal, typeCounts };
}
