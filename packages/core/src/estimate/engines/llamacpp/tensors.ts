/**
 * A ModelSpec from a Hugging Face config, as llama.cpp would hold it after conversion and
 * quantization: GGUF tensor names and ne[] as convert_hf_to_gguf.py writes them (llama.cpp@de3ff815
 * convert_hf_to_gguf.py ModelBase.prepare_tensors: 1-D tensors, norms, routers and biases stay F32;
 * conversion/deepseek.py splits kv_b_proj into attn_k_b/attn_v_b and stores MLA as MQA;
 * conversion/gpt_oss.py splits gate_up biases), then the types llama-quantize picks (quant.ts).
 */
import { lookupGgmlType } from "../../../catalog/dtypes.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import {
  type GgufModelSpec,
  hasGguf,
  type LlamaCppHparams,
  type LlamaCppModel,
  type LlamaCppTensor,
  modelSpecFromLlamaCpp,
} from "../../../models/gguf-model.js";
import type { AttentionMixer, MlaMixer, ModelSpec, TensorSpec } from "../../../models/model-spec.js";
import { type QuantOptions, quantizedTypes } from "./quant.js";

/** HF model_type → llama.cpp general.architecture (convert_hf_to_gguf.py @ModelBase.register). */
export const LLAMACPP_ARCH: Readonly<Record<string, string>> = {
  llama: "llama",
  mistral: "llama",
  mixtral: "llama",
  granite: "granite",
  qwen2: "qwen2",
  qwen2_moe: "qwen2moe",
  qwen3: "qwen3",
  qwen3_moe: "qwen3moe",
  qwen3_next: "qwen3next",
  gemma: "gemma",
  gemma2: "gemma2",
  gemma3_text: "gemma3",
  phi3: "phi3",
  phi: "phi2",
  deepseek_v2: "deepseek2",
  deepseek_v3: "deepseek2",
  kimi_k2: "deepseek2",
  gpt_oss: "gpt-oss",
  olmo2: "olmo2",
  starcoder2: "starcoder2",
  cohere: "command-r",
  glm4_moe: "glm4moe",
  llama4_text: "llama4",
  mamba: "mamba",
  falcon_mamba: "mamba",
  jamba: "jamba",
  gpt2: "gpt2",
  gpt_neox: "gptneox",
  falcon: "falcon",
};

/**
 * model_types llama.cpp does not run, each with the reason: no converter for the class config.json
 * names (TEXT_MODEL_MAP, llama.cpp conversion/__init__.py @ 00bdaa1), or no LLM_ARCH_* name at all
 * (src/llama-arch.cpp @ 00395eb2, which does list deepseek4, glm-dsa, nemotron_h, nemotron_h_moe,
 * minimax-m2, kimi-linear and deci, whose conversion memlens does not model yet).
 */
export const LLAMACPP_DOES_NOT_RUN: Readonly<Record<string, string>> = {
  mimo: "MiMoForCausalLM has no GGUF converter",
  minimax_m3: "no llama.cpp arch in src/llama-arch.cpp",
};

/**
 * model_types llama.cpp has an architecture for (LLM_ARCH_NAMES in src/llama-arch.cpp @ 00395eb2,
 * matched by name) whose GGUF tensors and caches memlens does not lay out yet: a GGUF file of one
 * is read from its own header; from a config.json, estimates refuse and say so.
 */
export const LLAMACPP_ARCH_NOT_LAID_OUT: Readonly<Record<string, string>> = {
  qwen3_5: "qwen35",
  qwen3_5_text: "qwen35",
  qwen3_5_moe: "qwen35moe",
  qwen3_5_moe_text: "qwen35moe",
  qwen3_vl: "qwen3vl",
  qwen3_vl_text: "qwen3vl",
  qwen3_vl_moe: "qwen3vlmoe",
  qwen3_vl_moe_text: "qwen3vlmoe",
  gemma4: "gemma4",
  gemma4_text: "gemma4",
  deepseek_v4: "deepseek4",
  deepseek_v32: "deepseek32",
  glm_moe_dsa: "glm-dsa",
  nemotron_h: "nemotron_h / nemotron_h_moe",
  "nemotron-nas": "deci",
  minimax_m2: "minimax-m2",
  mimo_v2_flash: "mimo2",
  kimi_linear: "kimi-linear",
  kimi_k3: "kimi-linear",
};

/** Architectures whose sliding-window layers llama.cpp keeps in a separate, window-sized cache. */
const SWA_ARCHS = new Set(["gemma2", "gemma3", "gpt-oss", "cohere2", "llama4"]);

const rev = (shape: readonly number[]) => [...shape].reverse();

interface Mapped {
  readonly name: string;
  readonly ne: readonly number[];
}

/** HF parameter name → GGUF tensor name(s) and ne[] (llama.cpp gguf-py/gguf/tensor_mapping.py). */
function mapTensor(t: TensorSpec, arch: string, spec: ModelSpec): Mapped[] {
  const name = t.name
    .replace(/^model\.language_model\./, "model.")
    .replace(/^(model|backbone|transformer)\./, "");
  if (name === "embed_tokens.weight" || name === "embeddings.weight" || name === "wte.weight")
    return [{ name: "token_embd.weight", ne: rev(t.shape) }];
  if (name === "lm_head.weight" || t.name === "lm_head.weight")
    return [{ name: "output.weight", ne: rev(t.shape) }];
  const normF = /^(norm|norm_f|final_layernorm|ln_f)\.(weight|bias)$/.exec(name);
  if (normF) return [{ name: `output_norm.${normF[2]}`, ne: rev(t.shape) }];
  const m = /^(?:layers|h)\.(\d+)\.(.+)$/.exec(name);
  if (!m) return [{ name: t.name, ne: rev(t.shape) }];
  const il = Number(m[1]);
  const rest = m[2]!;
  const b = `blk.${il}.`;
  const suffix = rest.endsWith(".bias") ? "bias" : "weight";
  const one = (n: string): Mapped[] => [{ name: `${b}${n}.${suffix}`, ne: rev(t.shape) }];
  const gemmaLike = arch === "gemma2" || arch === "gemma3" || arch === "olmo2" || arch === "gpt-oss";

  if (/^input_layernorm\./.test(rest)) return one("attn_norm");
  if (/^post_attention_layernorm\./.test(rest)) return one(gemmaLike ? "post_attention_norm" : "ffn_norm");
  if (/^pre_feedforward_layernorm\./.test(rest)) return one("ffn_norm");
  if (/^post_feedforward_layernorm\./.test(rest)) return one("post_ffw_norm");

  const attn = /^(?:self_attn|linear_attn|mixer)\.(.+?)(?:\.(?:weight|bias))?$/.exec(rest);
  if (attn) {
    const p = attn[1]!;
    switch (p) {
      case "q_proj":
        return one("attn_q");
      case "k_proj":
        return one("attn_k");
      case "v_proj":
        return one("attn_v");
      case "o_proj":
        return one("attn_output");
      case "qkv_proj":
        return one("attn_qkv");
      case "q_norm":
        return one("attn_q_norm");
      case "k_norm":
        return one("attn_k_norm");
      case "sinks":
        return [{ name: `${b}attn_sinks.weight`, ne: rev(t.shape) }];
      case "q_a_proj":
        return one("attn_q_a");
      case "q_a_layernorm":
        return one("attn_q_a_norm");
      case "q_b_proj":
        return one("attn_q_b");
      case "kv_a_proj_with_mqa":
        return one("attn_kv_a_mqa");
      case "kv_a_layernorm":
        return one("attn_kv_a_norm");
      case "kv_b_proj": {
        // conversion/deepseek.py: k_b [n_head, kv_lora, nope] (transposed) and v_b [n_head, v, kv_lora]
        const layer = spec.layers[il];
        if (layer?.mixer.kind !== "mla") return one("attn_kv_b");
        const x = layer.mixer;
        return [
          { name: `${b}attn_k_b.weight`, ne: [x.qkNopeHeadDim, x.kvLoraRank, x.numHeads] },
          { name: `${b}attn_v_b.weight`, ne: [x.kvLoraRank, x.valueHeadDim, x.numHeads] },
        ];
      }
      // Mamba / Gated DeltaNet mixers
      case "in_proj":
      case "in_proj_qkvz":
        return one("ssm_in");
      case "in_proj_ba":
        return one("ssm_ba");
      case "conv1d": {
        const s = t.shape;
        // conv1d [channels, 1, kernel] is squeezed to ne [kernel, channels]
        return [{ name: `${b}ssm_conv1d.${suffix}`, ne: s.length === 3 ? [s[2]!, s[0]!] : rev(s) }];
      }
      case "x_proj":
        return one("ssm_x");
      case "dt_proj":
        return one("ssm_dt");
      case "dt_bias":
        return [{ name: `${b}ssm_dt.bias`, ne: rev(t.shape) }];
      case "A_log":
        return [{ name: `${b}ssm_a`, ne: rev(t.shape) }];
      case "D":
        return [{ name: `${b}ssm_d`, ne: rev(t.shape) }];
      case "norm":
        return one("ssm_norm");
      case "out_proj":
        return one("ssm_out");
      default:
        return [{ name: `${b}${p}.${suffix}`, ne: rev(t.shape) }];
    }
  }
  const mlp = /^(?:mlp|block_sparse_moe|feed_forward)\.(.+)$/.exec(rest);
  if (mlp) {
    const p = mlp[1]!;
    const exp = /^experts\.(gate|up|down)_proj(?:\.weight)?$/.exec(p);
    if (exp) return [{ name: `${b}ffn_${exp[1]}_exps.weight`, ne: rev(t.shape) }];
    if (p === "experts.gate_up_proj_bias") {
      const [e, twoI] = t.shape as [number, number];
      return [
        { name: `${b}ffn_gate_exps.bias`, ne: [twoI / 2, e] },
        { name: `${b}ffn_up_exps.bias`, ne: [twoI / 2, e] },
      ];
    }
    if (p === "experts.down_proj_bias") return [{ name: `${b}ffn_down_exps.bias`, ne: rev(t.shape) }];
    const sh = /^shared_experts?\.(gate|up|down)_proj\.(weight|bias)$/.exec(p);
    if (sh) return [{ name: `${b}ffn_${sh[1]}_shexp.${sh[2]}`, ne: rev(t.shape) }];
    if (/^shared_expert_gate\./.test(p)) return one("ffn_gate_inp_shexp");
    if (/^gate\.e_score_correction_bias$/.test(p))
      return [{ name: `${b}exp_probs_b.bias`, ne: rev(t.shape) }];
    if (/^(gate|router)\./.test(p)) return one("ffn_gate_inp");
    const dense = /^(gate|up|down)_proj\./.exec(p);
    if (dense) return one(`ffn_${dense[1]}`);
    if (/^gate_up_proj\./.test(p)) return one("ffn_up");
    if (/^c_fc\./.test(p)) return one("ffn_up");
    if (/^c_proj\./.test(p)) return one("ffn_down");
  }
  return [{ name: `${b}${rest}`, ne: rev(t.shape) }];
}

/** convert_hf_to_gguf.py: which tensors are written as F32 whatever the output type. */
function convertedType(name: string, ne: readonly number[], outType: string): string {
  const dims = ne.reduce((n, x, i) => (x > 1 ? i + 1 : n), 1);
  if (dims <= 1 || name.endsWith("_norm.weight")) return "F32";
  if (!name.endsWith(".weight")) return "F32";
  if (/ffn_gate_inp\.weight|position_embd|token_types|ssm_conv1d/.test(name)) return "F32";
  return outType;
}

/** llama.cpp hyper-parameters of a ModelSpec (what convert_hf_to_gguf.py would write). */
export function llamaCppHparamsFromSpec(spec: ModelSpec, arch: string): LlamaCppHparams {
  const L = spec.numLayers;
  let firstAttn: AttentionMixer | MlaMixer | undefined;
  for (const l of spec.layers)
    if (l.mixer.kind === "attention" || l.mixer.kind === "mla") {
      firstAttn = l.mixer;
      break;
    }
  const nHeadAll = firstAttn ? firstAttn.numHeads : 0;
  const nHead: number[] = [];
  const nHeadKv: number[] = [];
  const nFf: number[] = [];
  const isSwa: boolean[] = [];
  const isRecurrent: boolean[] = [];
  let nSwa = 0;
  let moe: Extract<ModelSpec["layers"][number]["ffn"], { kind: "moe" }> | null = null;
  let denseLead = 0;
  let seenMoe = false;
  for (const l of spec.layers) {
    const mx = l.mixer;
    if (mx.kind === "attention") {
      nHead.push(mx.numHeads);
      nHeadKv.push(mx.numKvHeads);
      const swa = SWA_ARCHS.has(arch) && mx.slidingWindow !== null;
      isSwa.push(swa);
      if (swa) nSwa = mx.slidingWindow!;
      isRecurrent.push(false);
    } else if (mx.kind === "mla") {
      nHead.push(mx.numHeads);
      nHeadKv.push(1); // conversion/deepseek.py: MLA stored as MQA
      isSwa.push(false);
      isRecurrent.push(false);
    } else {
      nHead.push(nHeadAll);
      nHeadKv.push(firstAttn && firstAttn.kind === "attention" ? firstAttn.numKvHeads : 0);
      isSwa.push(false);
      isRecurrent.push(true);
    }
    if (l.ffn.kind === "moe") {
      moe = l.ffn;
      seenMoe = true;
      nFf.push(l.ffn.expertIntermediateSize);
    } else {
      if (!seenMoe) denseLead++;
      nFf.push(l.ffn.kind === "dense" ? l.ffn.intermediateSize : 0);
    }
  }
  const mla = firstAttn?.kind === "mla" ? firstAttn : null;
  const attn = firstAttn?.kind === "attention" ? firstAttn : null;
  const recurrent = spec.layers.find(
    (l) => l.mixer.kind === "mamba" || l.mixer.kind === "linear-attention",
  )?.mixer;
  let ssm: LlamaCppHparams["ssm"] = null;
  if (recurrent?.kind === "mamba")
    ssm = {
      dConv: recurrent.dConv,
      dInner: recurrent.dInner,
      dState: recurrent.dState,
      nGroup: recurrent.version === 2 ? recurrent.nGroups : 0,
      dtRank: recurrent.numHeads,
    };
  else if (recurrent?.kind === "linear-attention")
    ssm = {
      dConv: recurrent.convKernel,
      dInner: recurrent.numValueHeads * recurrent.valueHeadDim,
      dState: recurrent.keyHeadDim,
      nGroup: recurrent.numKeyHeads,
      dtRank: recurrent.numValueHeads,
    };
  const headK = mla ? mla.kvLoraRank + mla.qkRopeHeadDim : (attn?.headDim ?? 0);
  const headV = mla ? mla.kvLoraRank : (attn?.valueHeadDim ?? 0);
  return {
    arch,
    nLayer: L,
    nEmbd: spec.hiddenSize,
    nVocab: spec.vocabSize,
    nCtxTrain: spec.maxPositionEmbeddings ?? 0,
    nHead,
    nHeadKv,
    nFf,
    nEmbdHeadK: headK,
    nEmbdHeadV: headV,
    nRot: mla ? mla.qkRopeHeadDim : headK,
    nExpert: moe?.numExperts ?? 0,
    nExpertUsed: moe?.expertsPerToken ?? 0,
    nFfExp: moe?.expertIntermediateSize ?? 0,
    nExpertShared: moe?.numSharedExperts ?? 0,
    nFfShexp:
      moe && moe.sharedIntermediateSize > 0 && moe.numSharedExperts <= 1 ? moe.sharedIntermediateSize : 0,
    nLayerDenseLead: moe ? denseLead : 0,
    nExpertGroups: 0,
    nGroupUsed: 0,
    nSwa: isSwa.some(Boolean) ? nSwa : 0,
    isSwa,
    isRecurrent,
    mla: mla
      ? {
          nLoraQ: mla.qLoraRank ?? 0,
          nLoraKv: mla.kvLoraRank,
          nEmbdHeadKMla: mla.qkNopeHeadDim + mla.qkRopeHeadDim,
          nEmbdHeadVMla: mla.valueHeadDim,
        }
      : null,
    ssm,
    attnSoftcap: arch === "gemma2",
    finalSoftcap: arch === "gemma2",
  };
}

const tensorBytes = (type: string, ne: readonly number[]): number => {
  const t = lookupGgmlType(type);
  const rows = ne.slice(1).reduce((a, b) => a * b, 1);
  return (ne[0]! / t.blockSize) * t.typeSizeBytes * rows;
};

interface Converted {
  readonly name: string;
  readonly ne: readonly number[];
  readonly type: string;
}
// The converter's tensors of a spec at an output type: every quantization of one spec starts from
// the same list (read-only), so a sweep over quantizations maps the names once.
const convertedMemo = new WeakMap<ModelSpec, Map<string, readonly Converted[]>>();

/** The GGUF converter's tensors (names, ne[], types before llama-quantize), in file order. */
function convertedTensors(spec: ModelSpec, arch: string, outType: string): readonly Converted[] {
  let byType = convertedMemo.get(spec);
  if (!byType) {
    byType = new Map();
    convertedMemo.set(spec, byType);
  }
  const key = `${arch}|${outType}`;
  const known = byType.get(key);
  if (known) return known;
  const mapped: Converted[] = [];
  const seen = new Set<string>();
  const head: Converted[] = [];
  const tail: Converted[] = [];
  for (const t of spec.tensors) {
    if (t.role === "vision") continue;
    for (const m of mapTensor(t, arch, spec)) {
      if (seen.has(m.name)) continue;
      seen.add(m.name);
      const entry = { name: m.name, ne: m.ne, type: convertedType(m.name, m.ne, outType) };
      if (m.name === "token_embd.weight") head.push(entry);
      else if (m.name.startsWith("output")) tail.push(entry);
      else mapped.push(entry);
    }
  }
  const all = [...head, ...mapped, ...tail];
  byType.set(key, all);
  return all;
}

/**
 * The llama.cpp model a GGUF of `fileType` made from this spec would hold: converted tensor names
 * and shapes, and the types llama-quantize would choose for each.
 * @example llamaCppModelFromSpec(catalogModelSpec("Qwen/Qwen3-8B"), "Q4_K_M").tensors.length
 */
export function llamaCppModelFromSpec(
  spec: ModelSpec,
  fileType: string,
  opts: QuantOptions = {},
): LlamaCppModel {
  if (hasGguf(spec)) return spec.gguf;
  const arch = LLAMACPP_ARCH[spec.architecture];
  const notRun = LLAMACPP_DOES_NOT_RUN[spec.architecture];
  if (notRun)
    throw new MemlensError(
      "unsupported-architecture",
      `llama.cpp does not run this architecture: model_type "${spec.architecture}" (${notRun}); use engine vllm, sglang or transformers`,
      "model",
    );
  const notLaidOut = LLAMACPP_ARCH_NOT_LAID_OUT[spec.architecture];
  if (!arch && notLaidOut)
    throw new MemlensError(
      "unsupported-architecture",
      `llama.cpp runs model_type "${spec.architecture}" as its "${notLaidOut}" architecture, but memlens does not lay out that GGUF's tensors and cache yet; give a .gguf file of it, or use engine vllm, sglang or transformers`,
      "model",
      Object.keys(LLAMACPP_ARCH),
    );
  if (!arch)
    throw new MemlensError(
      "unsupported-architecture",
      `llama.cpp layout for model_type "${spec.architecture}" is not modelled; supported: ${Object.keys(LLAMACPP_ARCH).join(", ")}`,
      "model",
      Object.keys(LLAMACPP_ARCH),
    );
  const hparams = llamaCppHparamsFromSpec(spec, arch);
  const outType =
    fileType.toUpperCase() === "BF16" ? "BF16" : fileType.toUpperCase() === "F32" ? "F32" : "F16";
  const all = convertedTensors(spec, arch, outType);
  const h0 = hparams.nHead[0] ?? 0;
  const kv0 = hparams.nHeadKv[0] ?? 0;
  const types = quantizedTypes(
    all,
    {
      arch,
      nLayer: hparams.nLayer,
      nExpert: hparams.nExpert,
      nGqa: kv0 > 0 ? Math.floor(h0 / kv0) : 0,
      // llama_model_base::load_arch_hparams: LLM_TYPE_70B (src/models/{llama,qwen2,olmo,deci}.cpp)
      is70B:
        hparams.nLayer === 80 &&
        ((arch === "llama" && h0 !== kv0) || arch === "qwen2" || arch === "olmo" || arch === "deci"),
    },
    fileType,
    opts,
  );
  const tensors: LlamaCppTensor[] = all.map((t) => {
    const type = types.get(t.name) ?? t.type;
    return { name: t.name, type, ne: t.ne, bytes: tensorBytes(type, t.ne) };
  });
  return { name: spec.id, hparams, tensors, fileType, source: "simulated" };
}

/** A GGUF-flavoured ModelSpec for an HF spec at a file type (exact llama.cpp tensors attached). */
export function ggufSpecFromSpec(spec: ModelSpec, fileType: string, opts: QuantOptions = {}): GgufModelSpec {
  if (hasGguf(spec)) return spec;
  return modelSpecFromLlamaCpp(llamaCppModelFromSpec(spec, fileType, opts), spec.id);
}
