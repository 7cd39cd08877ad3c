/**
 * The per-tensor types llama-quantize chooses for a GGUF file type: a port of llama_tensor_get_type
 * (llama.cpp@de3ff815 src/llama-quant.cpp: tensor_get_category :119, tensor_allows_quantization
 * :287, tensor_type_fallback :372, llama_tensor_get_type_impl :428, llama_tensor_get_type :688,
 * llama_ftype_get_default_type, init_quantize_state_counters). Tensors are visited in the
 * loader's order (llama_model_loader weight_name_comparer: by layer number, then by name), which
 * matters for the counters behind "use_more_bits".
 */
import { GGUF_FILE_TYPES, lookupGgmlType } from "../../../catalog/dtypes.js";
import { describeAllowed, MemlensError } from "../../../errors/memlens-error.js";

type Category =
  | "token_embd"
  | "attn_q"
  | "attn_v"
  | "attn_k"
  | "attn_qkv"
  | "attn_kv_b"
  | "attn_output"
  | "ffn_up"
  | "ffn_gate"
  | "ffn_down"
  | "output"
  | "other";

// tensor_get_category (src/llama-quant.cpp:119)
function categoryOf(name: string): Category {
  if (name === "output.weight") return "output";
  if (name === "token_embd.weight" || name === "per_layer_token_embd.weight") return "token_embd";
  if (name.includes("attn_qkv.weight")) return "attn_qkv";
  if (name.includes("attn_kv_b.weight")) return "attn_kv_b";
  if (name.includes("attn_v.weight")) return "attn_v";
  if (name.includes("attn_k.weight")) return "attn_k";
  if (name.includes("attn_q.weight")) return "attn_q";
  if (name.includes("attn_output.weight")) return "attn_output";
  if (name.includes("ffn_up")) return "ffn_up";
  if (name.includes("ffn_gate")) return "ffn_gate";
  if (name.includes("ffn_down")) return "ffn_down";
  return "other";
}

const isAttnV = (c: Category) => c === "attn_v" || c === "attn_qkv" || c === "attn_kv_b";

const NO_QUANT_SUBSTRINGS = [
  "_norm.weight",
  "ffn_gate_inp.weight",
  "ffn_gate_tid2eid.weight",
  "altup",
  "laurel",
  "per_layer_model_proj",
  "ssm_conv1d",
  "shortconv.conv.weight",
  "indexer.k_proj.weight",
  "indexer.q_proj.weight",
  "time_mix_first.weight",
  "time_mix_w0.weight",
  "time_mix_w1.weight",
  "time_mix_w2.weight",
  "time_mix_v0.weight",
  "time_mix_v1.weight",
  "time_mix_v2.weight",
  "time_mix_a0.weight",
  "time_mix_a1.weight",
  "time_mix_a2.weight",
  "time_mix_g1.weight",
  "time_mix_g2.weight",
  "time_mix_decay_w1.weight",
  "time_mix_decay_w2.weight",
  "time_mix_lerp_fused.weight",
  "attn_rel_b.weight",
  ".position_embd",
  ".patch_embd",
  ".patch_merger",
];

/** tensor_allows_quantization (src/llama-quant.cpp:287): 2-D/3-D weights, not norms or routers. */
export function quantizerTouches(name: string, ne: readonly number[]): boolean {
  const dims = ne.reduce((n, x, i) => (x > 1 ? i + 1 : n), 1);
  if (dims < 2) return false;
  if (!name.endsWith("weight")) return false;
  if (name === "position_embd.weight" || name === "token_types.weight") return false;
  return !NO_QUANT_SUBSTRINGS.some((s) => name.includes(s));
}

export interface QuantModelInfo {
  /** llama.cpp arch name. */
  readonly arch: string;
  readonly nLayer: number;
  readonly nExpert: number;
  /** n_head / n_head_kv of layer 0 (llama_hparams::n_gqa). */
  readonly nGqa: number;
  /** llm_type is LLM_TYPE_70B (llama/deci/olmo/qwen2 with 80 layers; llama only when GQA). */
  readonly is70B: boolean;
}

export interface QuantTensor {
  readonly name: string;
  readonly ne: readonly number[];
  /** Type before quantization (what convert_hf_to_gguf wrote). */
  readonly type: string;
}

export interface QuantOptions {
  /** An importance matrix was given (changes IQ3_XXS, IQ4_*, Q4_0/Q5_0 ffn_down choices). */
  readonly imatrix?: boolean;
  /** llama-quantize --pure: every quantizable tensor at the default type. */
  readonly pure?: boolean;
}

const layerIndexOf = (name: string): number => {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
};

/** llama_model_loader's weight order: by layer number (non-layer tensors first), then by name. */
export function loaderOrder<T extends { readonly name: string }>(tensors: readonly T[]): T[] {
  // each name's layer read once, not once per comparison
  const keyed = tensors.map((t) => ({ t, layer: layerIndexOf(t.name) }));
  keyed.sort((a, b) => {
    if (a.layer !== b.layer) return a.layer - b.layer;
    return a.t.name < b.t.name ? -1 : a.t.name > b.t.name ? 1 : 0;
  });
  return keyed.map((k) => k.t);
}

/** Types of a GGUF file type that llama-quantize treats as the same family in its rules. */
function ftypeName(fileType: string): string {
  const f = GGUF_FILE_TYPES.find((x) => x.name.toLowerCase() === fileType.toLowerCase());
  if (!f)
    throw new MemlensError(
      "unknown-dtype",
      `GGUF file type "${fileType}" is unknown; allowed: ${describeAllowed(
        GGUF_FILE_TYPES.map((x) => x.name),
        40,
      )}`,
      "weights",
      GGUF_FILE_TYPES.map((x) => x.name),
    );
  return f.name;
}

// tensor_type_fallback (src/llama-quant.cpp:372): rows that are not whole blocks.
function fallback(ne0: number, target: string): string {
  const block = lookupGgmlType(target).blockSize;
  if (ne0 % block === 0) return target;
  let ret: string;
  switch (target) {
    case "IQ1_S":
    case "IQ1_M":
    case "IQ2_XXS":
    case "IQ2_XS":
    case "IQ2_S":
    case "IQ3_XXS":
    case "IQ3_S":
    case "IQ4_XS":
      ret = "IQ4_NL";
      break;
    case "Q2_0":
    case "Q2_K":
    case "Q3_K":
    case "TQ1_0":
    case "TQ2_0":
      ret = "Q4_0";
      break;
    case "Q4_K":
      ret = "Q5_0";
      break;
    case "Q5_K":
      ret = "Q5_1";
      break;
    case "Q6_K":
      ret = "Q8_0";
      break;
    default:
      throw new MemlensError(
        "unsupported",
        `llama-quantize has no fallback for ${target} when a row has ${ne0} values`,
        "weights",
      );
  }
  // "must use F16 due to unusual shape"
  return ne0 % lookupGgmlType(ret).blockSize === 0 ? ret : "F16";
}

/** What quantizedTypes reads of a tensor list whatever the file type: the loader's order, categories. */
interface QuantPlan {
  readonly ordered: readonly QuantTensor[];
  readonly category: readonly Category[];
  readonly touches: readonly boolean[];
}
// Per tensor list (convertedTensors keeps one per spec): a sweep over file types orders it once.
const plans = new WeakMap<readonly QuantTensor[], QuantPlan>();
function planOf(tensors: readonly QuantTensor[]): QuantPlan {
  let p = plans.get(tensors);
  if (!p) {
    const ordered = loaderOrder(tensors);
    p = {
      ordered,
      category: ordered.map((t) => categoryOf(t.name)),
      touches: ordered.map((t) => quantizerTouches(t.name, t.ne)),
    };
    plans.set(tensors, p);
  }
  return p;
}

/**
 * The ggml type llama-quantize writes for every tensor of a model converted to `fileType`.
 * @example quantizedTypes(tensors, info, "Q4_K_M").get("output.weight") // "Q6_K"
 */
export function quantizedTypes(
  tensors: readonly QuantTensor[],
  info: QuantModelInfo,
  fileType: string,
  opts: QuantOptions = {},
): Map<string, string> {
  const ft = ftypeName(fileType);
  const base = GGUF_FILE_TYPES.find((x) => x.name === ft)!.baseType;
  const baseQuantized = lookupGgmlType(base).isQuantized;
  const { ordered, category, touches } = planOf(tensors);
  const hasImatrix = opts.imatrix === true;
  // init_quantize_state_counters
  const nAttnWv = category.filter(isAttnV).length;
  const tied = !category.includes("output");
  const nLayer = info.nLayer;
  let iAttnWv = 0;
  let iFfnDown = 0;
  let iFfnGate = 0;
  let iFfnUp = 0;
  const useMoreBits = (i: number, n: number) =>
    i < Math.trunc(n / 8) || i >= Math.trunc((7 * n) / 8) || (i - Math.trunc(n / 8)) % 3 === 2;
  const nExpert = Math.max(1, info.nExpert);
  const layerInfo = (counter: number, name: string): number => (nExpert > 1 ? layerIndexOf(name) : counter);
  const is = (...names: string[]) => names.includes(ft);
  const falcon = info.arch === "falcon";

  const impl = (t: QuantTensor, cat: Category, start: string): string => {
    let nt = start;
    if (cat === "output" || (tied && cat === "token_embd")) {
      const qk = lookupGgmlType(nt).blockSize;
      if (ft === "MXFP4_MOE") nt = "Q8_0";
      else if (falcon || t.ne[0]! % qk !== 0) nt = "Q8_0";
      else if (is("IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M")) nt = "Q5_K";
      else if (nt !== "Q8_0") nt = "Q6_K";
    } else if (ft === "MXFP4_MOE") {
      nt = (t.ne[2] ?? 1) > 1 ? "MXFP4" : "Q8_0";
    } else if (cat === "token_embd") {
      if (is("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M")) nt = "Q2_K";
      else if (is("IQ2_S", "IQ2_M", "IQ3_XXS")) nt = "IQ3_S";
      else if (is("TQ1_0", "TQ2_0", "Q2_0")) nt = "Q4_K";
    } else if (is("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M")) {
      if (isAttnV(cat)) {
        if (info.nGqa >= 4 || info.nExpert >= 4) nt = "Q4_K";
        else nt = is("IQ2_S", "IQ2_M") ? "IQ3_S" : "Q2_K";
        iAttnWv++;
      } else if (info.nExpert === 8 && cat === "attn_k") nt = "Q4_K";
      else if (cat === "ffn_down") {
        if (iFfnDown < Math.trunc(nLayer / 8)) nt = is("IQ2_S", "IQ2_M") ? "IQ3_S" : "Q2_K";
        iFfnDown++;
      } else if (cat === "attn_output") {
        if (info.nExpert === 8) nt = "Q5_K";
        else if (is("IQ1_S", "IQ1_M")) nt = "IQ2_XXS";
        else if (is("IQ2_S", "IQ2_M")) nt = "IQ3_S";
      }
    } else if (isAttnV(cat)) {
      if (ft === "Q2_K") nt = info.nGqa >= 4 ? "Q4_K" : "Q3_K";
      else if (ft === "Q2_K_S" && info.nGqa >= 4) nt = "Q4_K";
      else if (ft === "IQ3_XXS") nt = info.nGqa >= 4 ? "Q4_K" : !hasImatrix ? "IQ3_S" : "IQ3_XXS";
      else if (is("IQ3_XS", "IQ3_S") && info.nGqa >= 4) nt = "Q4_K";
      else if (ft === "IQ3_M") nt = "Q4_K";
      else if (ft === "Q3_K_M") nt = iAttnWv < 2 ? "Q5_K" : "Q4_K";
      else if (ft === "Q3_K_L") nt = "Q5_K";
      else if (is("IQ4_NL", "IQ4_XS") && info.nGqa >= 4) nt = "Q5_K";
      else if (is("Q4_K_M", "Q5_K_M") && useMoreBits(iAttnWv, nAttnWv)) nt = "Q6_K";
      else if (ft === "Q4_K_S" && iAttnWv < 4) nt = "Q5_K";
      // "In the 70B model we have 8 heads sharing the same attn_v weights" (src/llama-quant.cpp:559)
      if (info.is70B && (nt === "Q3_K" || nt === "Q4_K")) nt = "Q5_K";
      if (info.nExpert === 8) nt = "Q8_0";
      iAttnWv++;
    } else if (cat === "attn_k") {
      if (info.nExpert === 8) nt = "Q8_0";
      else if (ft === "IQ3_XS") nt = "IQ3_XXS";
      else if (ft === "IQ3_XXS") nt = "IQ2_S";
    } else if (cat === "attn_q") {
      if (ft === "IQ3_XS") nt = "IQ3_XXS";
      else if (ft === "IQ3_XXS") nt = "IQ2_S";
    } else if (cat === "ffn_down") {
      const il = layerInfo(iFfnDown, t.name);
      const n = nLayer;
      if (ft === "Q2_K") nt = "Q3_K";
      else if (ft === "Q2_K_S") {
        if (il < Math.trunc(n / 8)) nt = "Q4_K";
      } else if (ft === "IQ3_XXS" && !hasImatrix) nt = il < Math.trunc(n / 8) ? "Q4_K" : "Q3_K";
      else if (ft === "Q3_K_M")
        nt = il < Math.trunc(n / 16) ? "Q5_K" : !falcon || useMoreBits(il, n) ? "Q4_K" : "Q3_K";
      else if (ft === "IQ3_M" && (il < Math.trunc(n / 8) || (info.nExpert === 8 && useMoreBits(il, n))))
        nt = "Q4_K";
      else if (ft === "Q3_K_L") nt = falcon ? "Q4_K" : "Q5_K";
      else if (ft === "Q4_K_M") {
        if (falcon) nt = il < Math.trunc(n / 16) ? "Q6_K" : useMoreBits(il, n) ? "Q5_K" : "Q4_K";
        else if (useMoreBits(il, n)) nt = "Q6_K";
      } else if (il < Math.trunc(n / 8) && is("IQ4_NL", "IQ4_XS") && !hasImatrix) nt = "Q5_K";
      else if (ft === "Q5_K_M" && useMoreBits(il, n)) nt = "Q6_K";
      else if (ft === "Q4_K_S" && !falcon && il < Math.trunc(n / 8)) nt = "Q5_K";
      else if (is("Q4_0", "Q5_0") && hasImatrix && il < Math.trunc(n / 8))
        nt = ft === "Q4_0" ? "Q4_1" : "Q5_1";
      iFfnDown++;
    } else if (cat === "attn_output") {
      if (!falcon) {
        if (info.nExpert === 8) {
          if (
            is(
              "Q2_K",
              "IQ3_XS",
              "IQ3_XXS",
              "Q3_K_S",
              "Q3_K_M",
              "IQ4_NL",
              "Q4_K_S",
              "Q4_K_M",
              "IQ3_S",
              "IQ3_M",
              "IQ4_XS",
            )
          )
            nt = "Q5_K";
        } else if (ft === "Q2_K") nt = "Q3_K";
        else if (ft === "IQ3_XXS") nt = "IQ3_S";
        else if (ft === "Q3_K_M") nt = "Q4_K";
        else if (ft === "Q3_K_L") nt = "Q5_K";
        else if (ft === "IQ3_M") nt = "Q4_K";
      } else if (ft === "Q3_K_L") nt = "Q4_K";
      // (llama-quant.cpp also has an ATTENTION_QKV branch here, unreachable: category_is_attn_v
      // already claims attn_qkv above.)
    } else if (cat === "ffn_gate") {
      const il = layerInfo(iFfnGate, t.name);
      if (ft === "IQ3_XS" && il >= Math.trunc(nLayer / 8) && il < Math.trunc((7 * nLayer) / 8))
        nt = "IQ3_XXS";
      iFfnGate++;
    } else if (cat === "ffn_up") {
      const il = layerInfo(iFfnUp, t.name);
      if (ft === "IQ3_XS" && il >= Math.trunc(nLayer / 8) && il < Math.trunc((7 * nLayer) / 8))
        nt = "IQ3_XXS";
      iFfnUp++;
    }
    return nt;
  };

  const out = new Map<string, string>();
  for (let i = 0; i < ordered.length; i++) {
    const t = ordered[i]!;
    if (!touches[i]) {
      out.set(t.name, t.type);
      continue;
    }
    let nt = base;
    if (baseQuantized) {
      if (opts.pure !== true) nt = impl(t, category[i]!, nt);
      nt = fallback(t.ne[0]!, nt);
    }
    out.set(t.name, nt);
  }
  return out;
}
