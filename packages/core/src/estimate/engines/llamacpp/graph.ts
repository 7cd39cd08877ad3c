/**
 * llama.cpp's worst-case compute graph, rebuilt shape for shape so ggml-alloc's buffer size can be
 * replayed (ggml-graph.ts). This mirrors the graph llama.cpp reserves at context creation
 * (llama_context::sched_reserve: n_tokens = min(n_ctx, n_ubatch), n_outputs = n_tokens, every KV
 * cell in view) for the architectures memlens models, following llama.cpp@de3ff815:
 * src/llama-graph.cpp (build_inp_embd, build_norm, build_qkv, build_ffn, build_moe_ffn,
 * build_attn, build_attn_mha), src/llama-kv-cache.cpp (get_k/get_v, cpy_k/cpy_v, input idxs,
 * Hadamard rotation for quantized caches) and src/models/{llama,qwen2,qwen3,qwen3moe,gemma2,
 * gemma3,phi3,deepseek2,openai-moe}.cpp. Recurrent mixers are approximated by their projections.
 */
import { lookupGgmlType } from "../../../catalog/dtypes.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import type { LlamaCppHparams, LlamaCppModel, LlamaCppTensor } from "../../../models/gguf-model.js";
import { GgmlGraph, type GTensor } from "./ggml-graph.js";

export interface LlamaGraphParams {
  /** Tokens in the reserved ubatch: min(n_ctx, n_ubatch). */
  readonly nTokens: number;
  /** Outputs (logit rows) reserved: min(n_tokens, n_outputs_max). */
  readonly nOutputs: number;
  /** KV streams (n_seq_max without a unified cache). */
  readonly nStream: number;
  /** Cells per stream of the full-attention cache and of the sliding-window cache. */
  readonly nKv: number;
  readonly nKvSwa: number;
  readonly flashAttn: boolean;
  /** ggml type names of the K and V cache ("F16", "Q8_0"). */
  readonly typeK: string;
  readonly typeV: string;
  /** Backend of each layer's ops and KV (0 = the only one); input embeddings run on `inputBackend`. */
  readonly layerBackend?: (il: number) => number;
  readonly outputBackend?: number;
  readonly inputBackend?: number;
  /**
   * llama.cpp before its 2026 graph changes (and ik_llama.cpp): no vector-embedding input beside the
   * token path, and an F32 KQ mask (padded to GGML_KQ_MASK_PAD = 64 rows) cast to F16 for flash
   * attention, instead of an F16 mask built directly.
   */
  readonly legacyInputs?: boolean;
}

/** Per-layer K/V widths as the cache stores them (llama-kv-cache.cpp constructor). */
export function kvWidths(
  h: LlamaCppHparams,
  il: number,
  vTrans: boolean,
): { k: number; v: number; headK: number; headV: number } {
  const headK = h.nEmbdHeadK;
  const headV = h.nEmbdHeadV;
  const k = headK * (h.nHeadKv[il] ?? 0);
  let v = h.mla ? 0 : headV * (h.nHeadKv[il] ?? 0);
  // [TAG_V_CACHE_VARIABLE]: without FA (transposed V) every layer is padded to the widest V.
  if (vTrans && !h.mla) v = widestV(h);
  return { k, v, headK, headV };
}

const widestVOf = new WeakMap<LlamaCppHparams, number>();
/** The widest V row of any layer, once per model (every layer and graph asks). */
function widestV(h: LlamaCppHparams): number {
  let max = widestVOf.get(h);
  if (max === undefined) {
    max = 0;
    for (let i = 0; i < h.nLayer; i++) max = Math.max(max, h.nEmbdHeadV * (h.nHeadKv[i] ?? 0));
    widestVOf.set(h, max);
  }
  return max;
}

const isQuantized = (type: string): boolean => lookupGgmlType(type).isQuantized;

// A model's tensors by name, built once per tensor list (every graph of an estimate reads it): the
// layer tensors ("blk.<il>.<rest>") by layer and rest, so that a graph asks for a layer's weight
// without building and hashing its whole name, and the others by name.
interface TensorIndex {
  readonly byName: ReadonlyMap<string, LlamaCppTensor>;
  readonly layers: readonly (ReadonlyMap<string, LlamaCppTensor> | undefined)[];
}
const tensorIndexes = new WeakMap<readonly LlamaCppTensor[], TensorIndex>();

function tensorIndex(tensors: readonly LlamaCppTensor[]): TensorIndex {
  let index = tensorIndexes.get(tensors);
  if (!index) {
    const byName = new Map<string, LlamaCppTensor>();
    const layers: Map<string, LlamaCppTensor>[] = [];
    for (const t of tensors) {
      byName.set(t.name, t); // the last of a repeated name, as a Map built from the list keeps
      const m = /^blk\.(\d+)\.(.*)$/s.exec(t.name);
      // only the spelling `blk.${il}.` produces (no leading zeros), as a whole-name lookup would find
      if (m && String(Number(m[1])) === m[1]) {
        const il = Number(m[1]);
        let layer = layers[il];
        if (!layer) {
          layer = new Map();
          layers[il] = layer;
        }
        layer.set(m[2]!, t);
      }
    }
    index = { byName, layers };
    tensorIndexes.set(tensors, index);
  }
  return index;
}

class Weights {
  private readonly index: TensorIndex;
  private readonly made = new Map<LlamaCppTensor, GTensor>();
  constructor(
    private readonly g: GgmlGraph,
    tensors: readonly LlamaCppTensor[],
    private readonly arch: string,
  ) {
    this.index = tensorIndex(tensors);
  }
  has(name: string): boolean {
    return this.index.byName.has(name);
  }
  /** has(`blk.${il}.${rest}`). */
  hasL(il: number, rest: string): boolean {
    return this.index.layers[il]?.has(rest) ?? false;
  }
  get(name: string): GTensor | null {
    return this.made_(this.index.byName.get(name));
  }
  /** get(`blk.${il}.${rest}`). */
  getL(il: number, rest: string): GTensor | null {
    return this.made_(this.index.layers[il]?.get(rest));
  }
  private made_(t: LlamaCppTensor | undefined): GTensor | null {
    if (!t) return null;
    let w = this.made.get(t);
    if (!w) {
      w = this.g.external(t.type, t.ne, t.name);
      this.made.set(t, w);
    }
    return w;
  }
  /** req(`blk.${il}.${rest}`). */
  reqL(il: number, rest: string): GTensor {
    // the name is spelled only for the error (a graph asks thousands of times)
    return this.getL(il, rest) ?? this.missing(`blk.${il}.${rest}`);
  }
  req(name: string): GTensor {
    return this.get(name) ?? this.missing(name);
  }
  private missing(name: string): never {
    // An architecture whose tensors the llama.cpp mapping does not name (GPT-2's c_attn, GPT-NeoX's
    // query_key_value, ...): say so instead of guessing a compute buffer.
    throw new MemlensError(
      "unsupported",
      `engine "llama.cpp": memlens does not model llama.cpp's compute graph for architecture "${this.arch}" (no ${name}); use engine transformers, vllm or sglang`,
      "engine",
    );
  }
}

/** Builds the reserve graph llama.cpp allocates its compute buffer for. */
export function buildLlamaCppGraph(model: LlamaCppModel, p: LlamaGraphParams): GgmlGraph {
  const h = model.hparams;
  const g = new GgmlGraph();
  const w = new Weights(g, model.tensors, model.hparams.arch);
  const arch = h.arch;
  const T = p.nTokens;
  const ns = p.nStream;
  const vTrans = !p.flashAttn;
  const layerBackend = p.layerBackend ?? (() => 0);
  const F32 = "F32";
  const rowSize = (type: string, n: number) => {
    const t = lookupGgmlType(type);
    return (n / t.blockSize) * t.typeSizeBytes;
  };

  // --- inputs (llm_graph_context::build_inp_*) ---
  g.backend = p.inputBackend ?? 0;
  const tokEmbd = w.req("token_embd.weight");
  const tokens = g.input("I32", [T], "inp_tokens");
  const getRows = g.getRows(tokEmbd, tokens);
  // ggml_build_forward_select: both branches enter the graph, the token path is computed.
  g.expand(getRows);
  if (!p.legacyInputs) g.expand(g.input(F32, [h.nEmbd, T], "inp_embd"));
  let inpL = getRows;
  g.expand(inpL);

  const firstBackend = layerBackend(0);
  g.backend = firstBackend;
  if (arch === "gemma2" || arch === "gemma3" || arch === "gemma") inpL = g.unary("SCALE", inpL);
  const inpPos = g.input("I32", [T], "inp_pos");

  const iswa = h.isSwa.some(Boolean);
  const isMla = h.mla !== null;
  const nStreamTok = T / ns;
  const maskType = p.flashAttn && !p.legacyInputs ? "F16" : F32;
  const maskRows = p.legacyInputs ? Math.ceil(nStreamTok / 64) * 64 : nStreamTok;
  const inputsFor = (swa: boolean) => {
    // before ggml_set_rows (mid-2025) the cache was written with ggml_cpy into a view: no index inputs
    const kIdx = p.legacyInputs ? null : g.input("I64", [T], "k_idxs");
    const vIdx =
      isMla || p.legacyInputs ? null : g.input("I64", [vTrans ? T * kvWidths(h, 0, true).v : T], "v_idxs");
    let mask = g.input(maskType, [swa ? p.nKvSwa : p.nKv, maskRows, 1, ns], "kq_mask");
    if (p.legacyInputs && p.flashAttn) mask = g.cast(mask, "F16");
    return { kIdx, vIdx, mask };
  };
  const base = inputsFor(false);
  const swa = iswa ? inputsFor(true) : null;
  // Hadamard rotation matrices for quantized caches (llama_kv_cache::build_input_k_rot / v_rot).
  const headKAll = isMla ? h.mla!.nLoraKv + h.nRot : h.nEmbdHeadK;
  let nrot = 64;
  // (attention-free models have no K head: headKAll 0 would double nrot forever)
  while (headKAll > 0 && headKAll % (nrot * 2) === 0) nrot *= 2;
  const kRot =
    !isMla && isQuantized(p.typeK) && headKAll % 64 === 0 ? g.input(F32, [nrot, nrot], "k_rot") : null;
  const vRot =
    !isMla && isQuantized(p.typeV) && h.nEmbdHeadV % 64 === 0 ? g.input(F32, [64, 64], "v_rot") : null;
  const outIds = g.input("I32", [p.nOutputs], "out_ids");

  const norm = (x: GTensor, weight: GTensor | null, bias?: GTensor | null): GTensor => {
    let cur = g.unary("RMS_NORM", x);
    if (weight) cur = g.mul(cur, weight);
    if (bias) cur = g.add(cur, bias);
    return cur;
  };
  const hadamard = (x: GTensor, rot: GTensor): GTensor => {
    const n = rot.ne[0];
    const contiguous = x.viewSrc === null || x.op === "RESHAPE";
    const elements = x.ne[0] * x.ne[1] * x.ne[2] * x.ne[3];
    const res0 = contiguous ? g.reshape(x, [n, elements / n]) : g.cont(x, [n, elements / n]);
    const res = g.mulMat(rot, res0);
    return g.reshape(res, x.ne);
  };

  /** build_attn (+ build_attn_mha) for a layer with a K/V cache. Returns [n_embd_v*n_head, T]. */
  const attention = (
    il: number,
    q0: GTensor,
    k0: GTensor,
    v0: GTensor | null,
    sinks: GTensor | null,
    vMla: GTensor | null,
  ): GTensor => {
    // MLA caches K only and reads V as the first kv_lora_rank values of each K row
    // (build_attn for llm_graph_input_attn_k), so V is never transposed there.
    const vT = isMla ? false : vTrans;
    const layerSwa = h.isSwa[il] === true;
    const inp = layerSwa && swa ? swa : base;
    const kvSize = layerSwa && swa ? p.nKvSwa : p.nKv;
    const nHeadKv = isMla ? 1 : (h.nHeadKv[il] ?? 0);
    const headK = isMla ? h.mla!.nLoraKv + h.nRot : h.nEmbdHeadK;
    const headV = isMla ? h.mla!.nLoraKv : h.nEmbdHeadV;
    const widths = kvWidths(h, il, vTrans);
    const kGqa = isMla ? headK : widths.k;
    const vGqa = isMla ? 0 : widths.v;
    const kCache = g.external(p.typeK, [kGqa, kvSize, ns], `cache_k_l${il}`);
    const vCache = isMla ? null : g.external(p.typeV, [vGqa, kvSize, ns], `cache_v_l${il}`);

    let q = q0;
    let k = k0;
    let v = v0;
    if (kRot && !isMla) {
      q = hadamard(q, kRot);
      k = hadamard(k, kRot);
    }
    if (vRot && v && !isMla) v = hadamard(v, vRot);
    if (iswa) {
      g.expand(q);
      g.expand(k);
      if (v) g.expand(v);
    } else {
      g.expand(q);
      if (v) g.expand(v);
      g.expand(k);
    }
    // cpy_k: [n_embd_gqa, n_tokens] rows into the cache
    if (p.legacyInputs) {
      // llama_kv_cache_unified::cpy_k/cpy_v (2025): ggml_cpy into a view of the cache
      const kView = g.view(kCache, [kGqa * T], [], 0);
      g.expand(g.store("CPY", kView, [k, kView]));
      if (v && vCache) {
        const nGqa = v.ne[0] * v.ne[1];
        const vDst = g.view(vCache, vT ? [T, nGqa] : [nGqa * T], vT ? [rowSize(p.typeV, kvSize)] : [], 0);
        const vSrc = vT ? g.transpose(g.reshape(v, [nGqa, T])) : v;
        g.expand(g.store("CPY", vDst, [vSrc, vDst]));
      }
    } else {
      const kFlat = g.view(k, [k.ne[0] * k.ne[1], T], [k.nb[2]], 0);
      const dst = ns > 1 ? g.reshape(kCache, [kGqa, kvSize * ns]) : kCache;
      g.expand(g.store("SET_ROWS", dst, [kFlat, inp.kIdx!, dst]));
    }
    if (!p.legacyInputs && v && vCache && inp.vIdx) {
      const nGqa = v.ne[0] * v.ne[1];
      if (!vT) {
        const vFlat = g.view(v, [nGqa, T], [v.nb[2]], 0);
        const dst = ns > 1 ? g.reshape(vCache, [vGqa, kvSize * ns]) : vCache;
        g.expand(g.store("SET_ROWS", dst, [vFlat, inp.vIdx, dst]));
      } else {
        let vc = v.nb[2] === rowSize(v.type, nGqa) ? g.reshape(v, [nGqa, T]) : g.cont(v, [nGqa, T]);
        if (nGqa < vGqa) vc = g.op("PAD", vc.type, [vGqa, T], [vc]);
        const vView = g.reshape(vCache, [1, vGqa * kvSize * ns]);
        const vcFlat = g.reshape(vc, [1, vc.ne[0] * vc.ne[1]]);
        g.expand(g.store("SET_ROWS", vView, [vcFlat, inp.vIdx, vView]));
      }
    }
    // get_k / get_v: views of the whole cache (n_kv = kv_size during reserve)
    const kView = g.view(
      kCache,
      [headK, nHeadKv, kvSize, ns],
      [rowSize(p.typeK, headK), rowSize(p.typeK, kGqa), rowSize(p.typeK, kGqa * kvSize)],
      0,
    );
    let vView: GTensor;
    if (isMla) {
      // MLA: V is the first kv_lora_rank values of each K row (llama_kv_cache get_v with is_mla).
      vView = g.view(
        kCache,
        [headV, nHeadKv, kvSize, ns],
        [rowSize(p.typeK, headK), rowSize(p.typeK, kGqa), rowSize(p.typeK, kGqa * kvSize)],
        0,
      );
    } else if (!vT) {
      vView = g.view(
        vCache!,
        [headV, nHeadKv, kvSize, ns],
        [rowSize(p.typeV, headV), rowSize(p.typeV, vGqa), rowSize(p.typeV, vGqa * kvSize)],
        0,
      );
    } else {
      vView = g.view(
        vCache!,
        [kvSize, nHeadKv, headV, ns],
        [rowSize(p.typeV, kvSize * headV), rowSize(p.typeV, kvSize), rowSize(p.typeV, kvSize * vGqa)],
        0,
      );
    }
    // build_attn_mha
    let qs = g.view(q, [q.ne[0], q.ne[1], q.ne[2] / ns, ns], [q.nb[1], q.nb[2], q.nb[3] / ns], 0);
    qs = g.permute(qs, [0, 2, 1, 3]);
    const kp = g.permute(kView, [0, 2, 1, 3]);
    let vp = g.permute(vView, [0, 2, 1, 3]);
    let cur: GTensor;
    if (p.flashAttn) {
      if (vT) vp = g.transpose(vp);
      cur = g.flashAttn(qs, kp, vp, inp.mask, sinks);
      if (vMla) {
        cur = g.permute(cur, [0, 2, 1, 3]);
        cur = g.mulMat(vMla, cur);
        cur = g.permute(cur, [0, 2, 1, 3]);
        cur = g.cont(cur);
      }
      cur = g.reshape(cur, [cur.ne[0] * cur.ne[1], cur.ne[2] * cur.ne[3]]);
    } else {
      let kq = g.mulMat(kp, qs);
      if (h.attnSoftcap) {
        kq = g.unary("SCALE", kq);
        kq = g.unary("UNARY", kq);
        kq = g.unary("SCALE", kq);
      }
      kq = g.unary("SOFT_MAX", kq, inp.mask, sinks);
      if (!vT) vp = g.cont(g.transpose(vp));
      let kqv = g.mulMat(vp, kq);
      if (vMla) kqv = g.mulMat(vMla, kqv);
      const perm = g.permute(kqv, [0, 2, 1, 3]);
      cur = g.cont(perm, [perm.ne[0] * perm.ne[1], perm.ne[2] * perm.ne[3]]);
    }
    g.expand(cur);
    if (vRot && !isMla) cur = hadamard(cur, vRot);
    cur = g.mulMat(w.reqL(il, `attn_output.weight`), cur);
    const wob = w.getL(il, `attn_output.bias`);
    if (wob) cur = g.add(cur, wob);
    return cur;
  };

  /** build_qkv: separate or fused projections, reshaped to [head, n_head, T]. */
  const qkv = (il: number, cur: GTensor, headQ: number, nHead: number, headKv: number) => {
    const nHeadKv = h.nHeadKv[il] ?? 0;
    const fused = w.getL(il, `attn_qkv.weight`);
    if (fused) {
      let x = g.mulMat(fused, cur);
      const b = w.getL(il, `attn_qkv.bias`);
      if (b) x = g.add(x, b);
      const qN = headQ * nHead;
      const kN = headKv * nHeadKv;
      const Q = g.view(x, [headQ, nHead, T], [rowSize(x.type, headQ), x.nb[1]], 0);
      const K = g.view(x, [headKv, nHeadKv, T], [rowSize(x.type, headKv), x.nb[1]], rowSize(x.type, qN));
      const V = g.view(
        x,
        [h.nEmbdHeadV, nHeadKv, T],
        [rowSize(x.type, h.nEmbdHeadV), x.nb[1]],
        rowSize(x.type, qN + kN),
      );
      return { Q, K, V };
    }
    const proj = (name: string) => {
      let y = g.mulMat(w.reqL(il, `${name}.weight`), cur);
      const b = w.getL(il, `${name}.bias`);
      if (b) y = g.add(y, b);
      return y;
    };
    const Q = g.reshape(proj("attn_q"), [headQ, nHead, T]);
    const K = g.reshape(proj("attn_k"), [headKv, nHeadKv, T]);
    const V = g.reshape(proj("attn_v"), [h.nEmbdHeadV, nHeadKv, T]);
    return { Q, K, V };
  };

  /** build_ffn with a parallel gate (SiLU or GELU) or a fused SwiGLU up projection (Phi-3). */
  const denseFfn = (il: number, cur: GTensor, suffix = ""): GTensor => {
    const up = w.reqL(il, `ffn_up${suffix}.weight`);
    const gate = w.getL(il, `ffn_gate${suffix}.weight`);
    const down = w.reqL(il, `ffn_down${suffix}.weight`);
    let tmp = g.mulMat(up, cur);
    const upB = w.getL(il, `ffn_up${suffix}.bias`);
    if (upB) tmp = g.add(tmp, upB);
    let x: GTensor;
    if (gate) {
      x = g.mulMat(gate, cur);
      const gB = w.getL(il, `ffn_gate${suffix}.bias`);
      if (gB) x = g.add(x, gB);
      x = g.glu(x, tmp);
    } else {
      // ggml_swiglu on one tensor: half the rows (phi3 fused gate_up)
      x = g.op("GLU", tmp.type, [tmp.ne[0] / 2, tmp.ne[1], tmp.ne[2], tmp.ne[3]], [tmp]);
    }
    x = g.mulMat(down, x);
    const dB = w.getL(il, `ffn_down${suffix}.bias`);
    if (dB) x = g.add(x, dB);
    return x;
  };

  /** build_moe_ffn (routed experts). */
  const moeFfn = (il: number, cur: GTensor): GTensor => {
    const nE = h.nExpert;
    const nU = h.nExpertUsed;
    const nEmbd = cur.ne[0];
    let logits = g.mulMat(w.reqL(il, `ffn_gate_inp.weight`), cur);
    const lb = w.getL(il, `ffn_gate_inp.bias`);
    if (lb) logits = g.add(logits, lb);
    const sigmoid = arch === "deepseek2" && w.hasL(il, `exp_probs_b.bias`);
    const softmaxWeight = arch === "gpt-oss";
    let probs = softmaxWeight ? logits : g.unary(sigmoid ? "UNARY" : "SOFT_MAX", logits);
    let selection = probs;
    const eb = w.getL(il, `exp_probs_b.bias`);
    if (eb) selection = g.add(probs, eb);
    if (h.nExpertGroups > 1) {
      const per = nE / h.nExpertGroups;
      const groups = g.reshape(selection, [per, h.nExpertGroups, T]);
      const top2src = g.op("ARGSORT", "I32", groups.ne, [groups]);
      const top2 = g.view(top2src, [2, h.nExpertGroups, T], [top2src.nb[1], top2src.nb[2]], 0);
      let scores = g.getRows(g.reshape(groups, [1, per, h.nExpertGroups, T]), top2);
      scores = g.op(
        "SUM_ROWS",
        F32,
        [1, scores.ne[2], scores.ne[3]],
        [g.reshape(scores, [2, scores.ne[2], scores.ne[3]])],
      );
      scores = g.reshape(scores, [scores.ne[1], scores.ne[2]]);
      const gsort = g.op("ARGSORT", "I32", scores.ne, [scores]);
      const egroups = g.view(gsort, [h.nGroupUsed, T], [gsort.nb[1]], 0);
      const sel = g.getRows(groups, egroups);
      const filled = g.unary("FILL", groups);
      selection = g.store("SET_ROWS", filled, [sel, egroups, filled]);
      selection = g.reshape(selection, [nE, T]);
    }
    const sorted = g.op("ARGSORT", "I32", selection.ne, [selection]);
    const selected = g.view(sorted, [nU, T], [sorted.nb[1]], 0);
    probs = g.reshape(probs, [1, nE, T]);
    let weights = g.getRows(probs, selected);
    if (softmaxWeight) {
      weights = g.reshape(weights, [nU, T]);
      weights = g.unary("SOFT_MAX", weights);
      weights = g.reshape(weights, [1, nU, T]);
    }
    const normW = arch !== "gpt-oss";
    if (normW) {
      weights = g.reshape(weights, [nU, T]);
      let sum = g.op("SUM_ROWS", F32, [1, T], [weights]);
      sum = g.unary("CLAMP", sum);
      weights = g.op("DIV", F32, weights.ne, [weights, sum]);
      weights = g.reshape(weights, [1, nU, T]);
    }
    g.expand(weights);
    const x = g.reshape(cur, [nEmbd, 1, T]);
    let up = g.mulMatId(w.reqL(il, `ffn_up_exps.weight`), x, selected);
    const upB = w.getL(il, `ffn_up_exps.bias`);
    if (upB) up = g.op("ADD_ID", F32, up.ne, [up, upB, selected]);
    let gate = g.mulMatId(w.reqL(il, `ffn_gate_exps.weight`), x, selected);
    const gB = w.getL(il, `ffn_gate_exps.bias`);
    if (gB) gate = g.op("ADD_ID", F32, gate.ne, [gate, gB, selected]);
    const act = g.glu(gate, up);
    let experts = g.mulMatId(w.reqL(il, `ffn_down_exps.weight`), act, selected);
    const dB = w.getL(il, `ffn_down_exps.bias`);
    if (dB) experts = g.op("ADD_ID", F32, experts.ne, [experts, dB, selected]);
    experts = g.mul(experts, weights);
    g.expand(experts);
    const views: GTensor[] = [];
    for (let i = 0; i < nU; i++) {
      const v = g.view(experts, [nEmbd, T], [experts.nb[2]], i * experts.nb[1]);
      views.push(v);
      g.expand(v);
    }
    let out = views[0]!;
    for (let i = 1; i < nU; i++) {
      out = g.add(out, views[i]!);
      g.expand(out);
    }
    if (nU === 1) out = g.cont(out);
    return out;
  };

  for (let il = 0; il < h.nLayer; il++) {
    g.backend = layerBackend(il);
    const last = il === h.nLayer - 1;
    const inpSA = inpL;
    let cur: GTensor;
    const nHead = h.nHead[il] ?? 0;

    if (h.isRecurrent[il]) {
      // Recurrent mixers (Mamba / Gated DeltaNet): their in/out projections, no KV.
      cur = norm(inpL, w.getL(il, `attn_norm.weight`));
      const inW = w.getL(il, `ssm_in.weight`) ?? w.getL(il, `attn_qkv.weight`);
      if (inW) cur = g.mulMat(inW, cur);
      const outW = w.getL(il, `ssm_out.weight`);
      if (outW) cur = g.mulMat(outW, g.op("SSM_SCAN", F32, [outW.ne[0], T], [cur]));
      else cur = g.op("SSM_SCAN", F32, [h.nEmbd, T], [cur]);
    } else if (isMla || arch === "deepseek2") {
      cur = norm(inpL, w.getL(il, `attn_norm.weight`));
      cur = deepseekAttention(il, cur);
    } else {
      cur = norm(inpL, w.getL(il, `attn_norm.weight`), w.getL(il, `attn_norm.bias`));
      const head = arch === "gpt-oss" ? h.nRot : h.nEmbdHeadK;
      let { Q, K, V } = qkv(il, cur, head, nHead, head);
      const qn = w.getL(il, `attn_q_norm.weight`);
      if (qn) Q = norm(Q, qn);
      Q = g.unary("ROPE", Q, inpPos, w.getL(il, `rope_freqs.weight`) ?? w.get("rope_freqs.weight"));
      const kn = w.getL(il, `attn_k_norm.weight`);
      if (kn) K = norm(K, kn);
      K = g.unary("ROPE", K, inpPos, w.getL(il, `rope_freqs.weight`) ?? w.get("rope_freqs.weight"));
      if (arch === "gemma2" || arch === "gemma3" || arch === "phi3") Q = g.unary("SCALE", Q);
      cur = attention(il, Q, K, V, w.getL(il, `attn_sinks.weight`), null);
    }

    let residual = inpSA;
    if (last && arch !== "gpt-oss") {
      cur = g.getRows(cur, outIds);
      residual = g.getRows(residual, outIds);
    }
    const postAttn = w.getL(il, `post_attention_norm.weight`);
    let ffnInp: GTensor;
    if (postAttn && arch !== "gpt-oss") {
      cur = norm(cur, postAttn);
      ffnInp = g.add(cur, residual);
    } else ffnInp = g.add(cur, residual);

    const ffnNormW = arch === "gpt-oss" ? postAttn : (w.getL(il, `ffn_norm.weight`) ?? null);
    if (ffnNormW || w.hasL(il, `ffn_up.weight`) || w.hasL(il, `ffn_gate_inp.weight`)) {
      cur = norm(ffnInp, ffnNormW, w.getL(il, `ffn_norm.bias`));
      if (w.hasL(il, `ffn_gate_inp.weight`)) {
        const moe = moeFfn(il, cur);
        if (w.hasL(il, `ffn_up_shexp.weight`)) {
          let sh = denseFfn(il, cur, "_shexp");
          const shGate = w.getL(il, `ffn_gate_inp_shexp.weight`);
          if (shGate) {
            const gateOut = g.unary("UNARY", g.mulMat(shGate, cur));
            sh = g.mul(sh, gateOut);
          }
          cur = g.add(moe, sh);
        } else cur = moe;
      } else if (w.hasL(il, `ffn_up.weight`)) cur = denseFfn(il, cur);
      const postFfw = w.getL(il, `post_ffw_norm.weight`);
      if (postFfw) cur = norm(cur, postFfw);
      // operand order decides which tensor an in-place add reuses (models/phi3.cpp adds residual + cur)
      cur = arch === "phi3" ? g.add(ffnInp, cur) : g.add(cur, ffnInp);
    } else cur = ffnInp;
    inpL = cur;
  }

  g.backend = p.outputBackend ?? layerBackend(h.nLayer - 1);
  let cur = inpL;
  if (arch === "gpt-oss") {
    cur.output = true; // res->t_h_nextn
    cur = g.getRows(cur, outIds);
  }
  cur = norm(cur, w.get("output_norm.weight"), w.get("output_norm.bias"));
  cur.output = true; // res->t_embd
  const output = w.get("output.weight") ?? tokEmbd;
  cur = g.mulMat(output, cur);
  const ob = w.get("output.bias");
  if (ob) cur = g.add(cur, ob);
  if (h.finalSoftcap || arch === "gemma2") {
    cur = g.unary("SCALE", cur);
    cur = g.unary("UNARY", cur);
    cur = g.unary("SCALE", cur);
  }
  cur.output = true; // res->t_logits
  g.expand(cur);
  return g;

  /** models/deepseek2.cpp attention: MLA (absorbed) or classic MHA from the decompressed K/V. */
  function deepseekAttention(il: number, x: GTensor): GTensor {
    const nHead = h.nHead[il] ?? 0;
    const rope = h.nRot;
    const kvLora = h.mla?.nLoraKv ?? h.nEmbdHeadK;
    const headK = h.mla ? h.mla.nEmbdHeadKMla : h.nEmbdHeadK;
    const nope = headK - rope;
    let q: GTensor;
    const wq = w.getL(il, `attn_q.weight`);
    if (wq) q = g.mulMat(wq, x);
    else {
      q = g.mulMat(w.reqL(il, `attn_q_a.weight`), x);
      q = norm(q, w.getL(il, `attn_q_a_norm.weight`));
      q = g.mulMat(w.reqL(il, `attn_q_b.weight`), q);
    }
    q = g.reshape(q, [headK, nHead, T]);
    const kvPe = g.mulMat(w.reqL(il, `attn_kv_a_mqa.weight`), x);
    const loraRank = w.getL(il, `attn_kv_a_norm.weight`)?.ne[0] ?? kvLora;
    let kvCmpr = g.view(kvPe, [loraRank, T], [rowSize(F32, loraRank + rope)], 0);
    let kPe = g.view(
      kvPe,
      [rope, 1, T],
      [rowSize(F32, loraRank + rope), rowSize(F32, loraRank + rope)],
      rowSize(F32, loraRank),
    );
    kPe = g.unary("ROPE", kPe, inpPos);
    kvCmpr = norm(kvCmpr, w.getL(il, `attn_kv_a_norm.weight`));
    if (h.mla) {
      let qNope = g.view(q, [nope, nHead, T], [q.nb[1], q.nb[2]], 0);
      let qPe = g.view(q, [rope, nHead, T], [q.nb[1], q.nb[2]], rowSize(F32, nope));
      qPe = g.unary("ROPE", qPe, inpPos);
      qNope = g.permute(qNope, [0, 2, 1, 3]);
      let absorbed = g.mulMat(w.reqL(il, `attn_k_b.weight`), qNope);
      absorbed = g.permute(absorbed, [0, 2, 1, 3]);
      const Q = g.op("CONCAT", F32, [absorbed.ne[0] + qPe.ne[0], nHead, T], [absorbed, qPe]);
      const kv3 = g.reshape(kvCmpr, [loraRank, 1, T]);
      const K = g.op("CONCAT", F32, [loraRank + rope, 1, T], [kv3, kPe]);
      return attention(il, Q, K, kv3, null, w.reqL(il, `attn_v_b.weight`));
    }
    const headV = h.nEmbdHeadV;
    const kv = g.mulMat(w.reqL(il, `attn_kv_b.weight`), kvCmpr);
    const stride = rowSize(F32, nope + headV);
    const kNope = g.view(kv, [nope, nHead, T], [stride, stride * nHead], 0);
    let V = g.view(kv, [headV, nHead, T], [stride, stride * nHead], rowSize(F32, nope));
    V = g.cont(V);
    const Q = g.unary("ROPE", q, inpPos);
    const rep = g.op("REPEAT", F32, [rope, nHead, T, 1], [kPe]);
    const K = g.op("CONCAT", F32, [nope + rope, nHead, T], [kNope, rep]);
    return attention(il, Q, K, V, null, null);
  }
}
