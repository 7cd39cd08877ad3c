/**
 * What llama.cpp needs to size a model: its hyper-parameters as llama.cpp reads them
 * (llama_model_base::load_hparams and each architecture's load_arch_hparams, llama.cpp@de3ff815
 * src/llama-model.cpp:1231, src/models/*.cpp) and its tensors with their ggml types. Built from a
 * GGUF header (exact) or from a ModelSpec plus a GGUF file type (engines/llamacpp/tensors.ts).
 */
import { GGUF_FILE_TYPES } from "../catalog/dtypes.js";
import { MemlensError } from "../errors/memlens-error.js";
import type { GgufHeader, GgufValue } from "./gguf.js";
import {
  countElements,
  type FfnSpec,
  type LayerSpec,
  type MixerSpec,
  type ModelSpec,
  type TensorRole,
  type TensorSpec,
} from "./model-spec.js";

export interface LlamaCppTensor {
  /** GGUF tensor name, e.g. `blk.0.attn_q.weight`. */
  readonly name: string;
  /** ggml type name ("Q4_K", "F32"). */
  readonly type: string;
  /** ggml ne[] (row length first). */
  readonly ne: readonly number[];
  /** Exact bytes of the tensor data. */
  readonly bytes: number;
}

/** Multi-head latent attention as llama.cpp caches it (DeepSeek-V2/V3, Kimi K2). */
export interface LlamaCppMla {
  readonly nLoraQ: number;
  readonly nLoraKv: number;
  /** key_length_mla / value_length_mla: the decompressed per-head K and V widths. */
  readonly nEmbdHeadKMla: number;
  readonly nEmbdHeadVMla: number;
}

/** Recurrent state sizes (llama-hparams.cpp n_embd_r / n_embd_s). */
export interface LlamaCppSsm {
  readonly dConv: number;
  readonly dInner: number;
  readonly dState: number;
  readonly nGroup: number;
  readonly dtRank: number;
}

export interface LlamaCppHparams {
  /** general.architecture (llama.cpp's arch name: "llama", "qwen3moe", "gpt-oss"...). */
  readonly arch: string;
  readonly nLayer: number;
  readonly nEmbd: number;
  readonly nVocab: number;
  readonly nCtxTrain: number;
  readonly nHead: readonly number[];
  readonly nHeadKv: readonly number[];
  readonly nFf: readonly number[];
  /** Per-head K and V widths of full-attention layers (attention.key_length / value_length). */
  readonly nEmbdHeadK: number;
  readonly nEmbdHeadV: number;
  readonly nRot: number;
  readonly nExpert: number;
  readonly nExpertUsed: number;
  /** Routed expert FFN width (expert_feed_forward_length, else feed_forward_length). */
  readonly nFfExp: number;
  readonly nExpertShared: number;
  readonly nFfShexp: number;
  readonly nLayerDenseLead: number;
  readonly nExpertGroups: number;
  readonly nGroupUsed: number;
  /** Sliding window in tokens (0 = none). */
  readonly nSwa: number;
  readonly isSwa: readonly boolean[];
  readonly isRecurrent: readonly boolean[];
  readonly mla: LlamaCppMla | null;
  readonly ssm: LlamaCppSsm | null;
  readonly attnSoftcap: boolean;
  readonly finalSoftcap: boolean;
}

export interface LlamaCppModel {
  readonly name: string;
  readonly hparams: LlamaCppHparams;
  readonly tensors: readonly LlamaCppTensor[];
  /** GGUF file type name (general.file_type), null when the file does not say. */
  readonly fileType: string | null;
  /** "gguf": types read from a file; "simulated": types llama-quantize would choose. */
  readonly source: "gguf" | "simulated";
}

/** A ModelSpec that came from (or was converted to) GGUF: engines read `gguf` for exact tensors. */
export type GgufModelSpec = ModelSpec & { readonly gguf: LlamaCppModel };

export const hasGguf = (spec: ModelSpec): spec is GgufModelSpec =>
  (spec as Partial<GgufModelSpec>).gguf !== undefined;

// ---------------------------------------------------------------------------------------------
// GGUF metadata → hparams

class Meta {
  constructor(
    readonly m: ReadonlyMap<string, GgufValue>,
    readonly arch: string,
  ) {}
  private bad(key: string, why: string): never {
    throw new MemlensError("malformed-file", `GGUF metadata: ${key} ${why}`, `gguf.${key}`);
  }
  num(key: string): number | undefined {
    const v = this.m.get(key);
    if (v === undefined) return undefined;
    if (typeof v === "number") return v;
    if (typeof v === "boolean") return v ? 1 : 0;
    return this.bad(key, `must be a number, got ${typeof v === "object" ? "an array" : typeof v}`);
  }
  /** `{arch}.{key}` as a non-negative integer. */
  int(key: string, fallback?: number): number {
    const full = `${this.arch}.${key}`;
    const v = this.num(full);
    if (v === undefined) {
      if (fallback === undefined) this.bad(full, "is missing");
      return fallback;
    }
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 40) this.bad(full, `must be a whole number, got ${v}`);
    return v;
  }
  /** A per-layer value stored either as one number or as an array (llama_model_loader::get_key_or_arr). */
  perLayer(key: string, n: number, fallback: number): number[] {
    const full = `${this.arch}.${key}`;
    const v = this.m.get(full);
    if (v === undefined) return new Array<number>(n).fill(fallback);
    if (Array.isArray(v)) {
      if (v.length !== n) this.bad(full, `has ${v.length} entries but block_count is ${n}`);
      return v.map((x) => {
        if (typeof x !== "number" || !Number.isInteger(x) || x < 0) this.bad(full, "must hold whole numbers");
        return x;
      });
    }
    return new Array<number>(n).fill(this.int(key));
  }
  boolArray(key: string): boolean[] | undefined {
    const v = this.m.get(`${this.arch}.${key}`);
    if (!Array.isArray(v)) return undefined;
    return v.map((x) => x === true || x === 1);
  }
  has(key: string): boolean {
    return this.m.has(`${this.arch}.${key}`);
  }
}

/** llama-hparams.cpp set_swa_pattern: layer il is SWA iff il % n < n - 1 (n = 0: all layers). */
export function swaPattern(nLayer: number, n: number, denseFirst = false): boolean[] {
  return Array.from({ length: nLayer }, (_, il) =>
    denseFirst ? n === 0 || il % n !== 0 : n === 0 || il % n < n - 1,
  );
}

/** Architectures whose every layer is recurrent (llama-arch.cpp llm_arch_is_recurrent). */
const RECURRENT_ARCHS = new Set(["mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"]);

function vocabSize(meta: Meta, tensors: readonly { name: string; ne: readonly number[] }[]): number {
  const v = meta.num(`${meta.arch}.vocab_size`);
  if (v !== undefined) return v;
  const tokens = meta.m.get("tokenizer.ggml.tokens");
  if (tokens && typeof tokens === "object" && "kind" in tokens) return tokens.length;
  if (Array.isArray(tokens)) return tokens.length;
  const embd = tensors.find((t) => t.name === "token_embd.weight");
  if (embd) return embd.ne[1] ?? 0;
  throw new MemlensError(
    "malformed-file",
    "GGUF metadata: no vocab_size, tokenizer.ggml.tokens or token_embd.weight",
    "gguf",
  );
}

/**
 * A DeepSeek GGUF's attention tensors must match its keys: llama.cpp takes MLA from the
 * key_length_mla / value_length_mla keys and then needs attn_k_b / attn_v_b, while a pre-MLA
 * conversion (no such keys) needs the unsplit attn_kv_b (src/models/deepseek2.cpp @ 59b9e36f:
 * `is_mla` from n_embd_head_k_mla / n_embd_head_v_mla; wk_b in the MLA branch, wkv_b otherwise).
 * A file with neither (one shard of a split model) is not judged.
 */
function checkDeepseekAttention(mla: boolean, tensors: readonly { name: string }[]): void {
  const has = (suffix: string) => tensors.some((t) => t.name.endsWith(suffix));
  const split = has(".attn_k_b.weight");
  const fused = has(".attn_kv_b.weight");
  if (mla && fused && !split)
    throw new MemlensError(
      "malformed-file",
      "GGUF: deepseek2 attention.key_length_mla says MLA, but the file has attn_kv_b instead of attn_k_b/attn_v_b (llama.cpp cannot load it); reconvert it, or use a file converted before MLA support",
      "gguf",
    );
  if (!mla && split && !fused)
    throw new MemlensError(
      "malformed-file",
      "GGUF: deepseek2 has attn_k_b/attn_v_b but no attention.key_length_mla / value_length_mla keys (llama.cpp cannot load it without attn_kv_b)",
      "gguf",
    );
}

/** Reads llama.cpp's hyper-parameters from GGUF metadata. */
export function llamaCppHparamsFromMetadata(
  metadata: ReadonlyMap<string, GgufValue>,
  tensors: readonly { name: string; ne: readonly number[] }[],
): LlamaCppHparams {
  const arch = metadata.get("general.architecture");
  if (typeof arch !== "string" || arch === "")
    throw new MemlensError("malformed-file", "GGUF metadata: general.architecture is missing", "gguf");
  const m = new Meta(metadata, arch);
  const nLayer = m.int("block_count");
  if (nLayer < 1 || nLayer > 4096)
    throw new MemlensError("malformed-file", `GGUF metadata: ${arch}.block_count is ${nLayer}`, "gguf");
  const nEmbd = m.int("embedding_length");
  const nHead = m.perLayer("attention.head_count", nLayer, 0);
  const nHeadKv = m.has("attention.head_count_kv") ? m.perLayer("attention.head_count_kv", nLayer, 0) : nHead;
  const nFf = m.perLayer("feed_forward_length", nLayer, 0);
  const head0 = nHead[0] ?? 0;
  const nEmbdHeadK = head0 > 0 ? m.int("attention.key_length", Math.floor(nEmbd / head0)) : 0;
  const nEmbdHeadV = head0 > 0 ? m.int("attention.value_length", Math.floor(nEmbd / head0)) : 0;
  const nExpert = m.int("expert_count", 0);
  const nExpertUsed = m.int("expert_used_count", 0);
  const nFfExp = m.int("expert_feed_forward_length", 0);

  // Sliding windows: each architecture's load_arch_hparams (src/models/<arch>.cpp).
  let nSwa = m.int("attention.sliding_window", 0);
  let isSwa = new Array<boolean>(nLayer).fill(false);
  const defaultPattern: Record<string, number> = {
    gemma2: 2, // models/gemma2.cpp: load_swa_pattern(ml, 2), n_swa defaults to 4096
    gemma3: 6, // models/gemma3.cpp: load_swa_pattern(ml, 6) when sliding_window > 0
    "gpt-oss": 2, // models/openai-moe.cpp: load_swa_pattern(ml, 2)
  };
  if (arch === "gemma2" && nSwa === 0) nSwa = 4096;
  if (arch === "phi3") nSwa = 0; // models/phi3.cpp: "Phi SWA is currently disabled"
  if (nSwa > 0) {
    // llama-model.cpp load_swa_pattern: a bool array wins, else a number n, else the arch default.
    const explicit = m.boolArray("attention.sliding_window_pattern");
    const n =
      m.has("attention.sliding_window_pattern") && !explicit
        ? m.int("attention.sliding_window_pattern")
        : defaultPattern[arch];
    if (explicit) isSwa = explicit.slice(0, nLayer);
    else if (n !== undefined) isSwa = swaPattern(nLayer, n);
  }
  if (!isSwa.some(Boolean)) nSwa = 0;

  // Recurrent layers: whole-arch recurrent models, and hybrids that mark them per layer.
  let isRecurrent = new Array<boolean>(nLayer).fill(RECURRENT_ARCHS.has(arch));
  if (arch === "qwen3next" || arch === "qwen35" || arch === "qwen35moe") {
    // models/qwen3next.cpp: layer il is recurrent iff (il + 1) % full_attention_interval != 0
    const interval = m.int("full_attention_interval", 4);
    isRecurrent = Array.from({ length: nLayer }, (_, il) => (il + 1) % interval !== 0);
  } else if (arch === "jamba" || arch === "granitehybrid" || arch === "nemotron_h") {
    isRecurrent = nHeadKv.map((h) => h === 0);
  }
  const ssm = m.has("ssm.conv_kernel")
    ? {
        dConv: m.int("ssm.conv_kernel"),
        dInner: m.int("ssm.inner_size"),
        dState: m.int("ssm.state_size"),
        nGroup: m.int("ssm.group_count", 0),
        dtRank: m.int("ssm.time_step_rank", 0),
      }
    : null;

  const mla =
    m.has("attention.key_length_mla") && m.has("attention.value_length_mla")
      ? {
          nLoraQ: m.int("attention.q_lora_rank", 0),
          nLoraKv: m.int("attention.kv_lora_rank", 0),
          nEmbdHeadKMla: m.int("attention.key_length_mla"),
          nEmbdHeadVMla: m.int("attention.value_length_mla"),
        }
      : null;

  if (arch === "deepseek2") checkDeepseekAttention(mla !== null, tensors);

  return {
    arch,
    nLayer,
    nEmbd,
    nVocab: vocabSize(m, tensors),
    nCtxTrain: m.int("context_length", 0),
    nHead,
    nHeadKv,
    nFf,
    nEmbdHeadK,
    nEmbdHeadV,
    nRot: m.int("rope.dimension_count", nEmbdHeadK),
    nExpert,
    nExpertUsed,
    nFfExp,
    nExpertShared: m.int("expert_shared_count", 0),
    nFfShexp: m.int("expert_shared_feed_forward_length", 0),
    nLayerDenseLead: m.int("leading_dense_block_count", 0),
    nExpertGroups: m.int("expert_group_count", 0),
    nGroupUsed: m.int("expert_group_used_count", 0),
    nSwa,
    isSwa,
    isRecurrent,
    mla,
    ssm,
    attnSoftcap: arch === "gemma2",
    finalSoftcap: (m.num(`${arch}.final_logit_softcapping`) ?? 0) !== 0,
  };
}

/** Name of a llama_ftype id ("Q4_K_M"), or null. */
export function ggufFileTypeName(id: number | undefined): string | null {
  if (id === undefined) return null;
  return GGUF_FILE_TYPES.find((f) => f.id === (id & ~1024))?.name ?? null;
}

/** The llama.cpp view of a parsed GGUF header. */
export function llamaCppModelFromGguf(h: GgufHeader): LlamaCppModel {
  const hparams = llamaCppHparamsFromMetadata(h.metadata, h.tensors);
  const ft = h.metadata.get("general.file_type");
  const name = h.metadata.get("general.name");
  return {
    name: typeof name === "string" ? name : hparams.arch,
    hparams,
    tensors: h.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, bytes: t.bytes })),
    fileType: ggufFileTypeName(typeof ft === "number" ? ft : undefined),
    source: "gguf",
  };
}

// ---------------------------------------------------------------------------------------------
// → ModelSpec

/** Role of a GGUF tensor, from its name (llama-arch.cpp LLM_TENSOR_NAMES). */
export function ggufTensorRole(name: string): TensorRole {
  if (name === "token_embd.weight" || name.startsWith("per_layer_token_embd")) return "embedding";
  if (name.startsWith("output.")) return "output";
  if (name.startsWith("position_embd")) return "position-embedding";
  if (/norm/.test(name)) return "norm";
  if (/_exps\./.test(name)) return "expert";
  if (/_shexp\./.test(name)) return "shared-expert";
  if (/ffn_gate_inp|exp_probs_b/.test(name)) return "router";
  if (/\.ffn_/.test(name)) return "mlp";
  if (/\.attn_/.test(name)) return "attention";
  if (/\.ssm_/.test(name)) return "ssm";
  return "other";
}

const layerOf = (name: string): number | null => {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
};

function mixerOf(h: LlamaCppHparams, il: number): MixerSpec {
  if (h.isRecurrent[il]) {
    const s = h.ssm ?? { dConv: 4, dInner: 2 * h.nEmbd, dState: 16, nGroup: 1, dtRank: 0 };
    if (h.arch.startsWith("qwen3") || h.arch.startsWith("qwen35")) {
      // Gated DeltaNet: inner = value heads × value dim; state = key dim; group = key heads.
      const nv = s.dtRank || 1;
      return {
        kind: "linear-attention",
        numKeyHeads: s.nGroup,
        numValueHeads: nv,
        keyHeadDim: s.dState,
        valueHeadDim: s.dInner / nv,
        convKernel: s.dConv,
      };
    }
    return {
      kind: "mamba",
      version: h.arch === "mamba2" || s.nGroup > 0 ? 2 : 1,
      dInner: s.dInner,
      dState: s.dState,
      dConv: s.dConv,
      nGroups: Math.max(1, s.nGroup),
      numHeads: Math.max(1, s.dtRank),
    };
  }
  if (h.mla)
    return {
      kind: "mla",
      numHeads: h.nHead[il] ?? 0,
      kvLoraRank: h.mla.nLoraKv,
      qLoraRank: h.mla.nLoraQ || null,
      qkNopeHeadDim: h.mla.nEmbdHeadKMla - h.nRot,
      qkRopeHeadDim: h.nRot,
      valueHeadDim: h.mla.nEmbdHeadVMla,
    };
  return {
    kind: "attention",
    numHeads: h.nHead[il] ?? 0,
    numKvHeads: h.nHeadKv[il] ?? 0,
    headDim: h.nEmbdHeadK,
    valueHeadDim: h.nEmbdHeadV,
    slidingWindow: h.isSwa[il] ? h.nSwa : null,
  };
}

function ffnOf(h: LlamaCppHparams, il: number, names: ReadonlySet<string>): FfnSpec {
  if (names.has(`blk.${il}.ffn_gate_inp.weight`)) {
    const shared = h.nFfShexp > 0 ? h.nFfShexp : h.nExpertShared * (h.nFfExp || h.nFf[il] || 0);
    const hasShared = names.has(`blk.${il}.ffn_up_shexp.weight`);
    return {
      kind: "moe",
      numExperts: h.nExpert,
      expertsPerToken: h.nExpertUsed,
      expertIntermediateSize: h.nFfExp || (h.nFf[il] ?? 0),
      numSharedExperts: hasShared ? Math.max(1, h.nExpertShared) : 0,
      sharedIntermediateSize: hasShared ? shared : 0,
    };
  }
  const nFf = h.nFf[il] ?? 0;
  if (nFf > 0 || names.has(`blk.${il}.ffn_up.weight`))
    return { kind: "dense", intermediateSize: nFf, gated: names.has(`blk.${il}.ffn_gate.weight`) };
  return { kind: "none" };
}

/** A ModelSpec (plus the exact llama.cpp view) from a llama.cpp model description. */
export function modelSpecFromLlamaCpp(model: LlamaCppModel, id: string): GgufModelSpec {
  const h = model.hparams;
  const names = new Set(model.tensors.map((t) => t.name));
  const layers: LayerSpec[] = Array.from({ length: h.nLayer }, (_, il) => ({
    index: il,
    mixer: mixerOf(h, il),
    ffn: ffnOf(h, il, names),
  }));
  const tensors: TensorSpec[] = model.tensors.map((t) => {
    const layer = layerOf(t.name);
    return {
      name: t.name,
      // PyTorch order: the reverse of ggml's ne[].
      shape: [...t.ne].reverse(),
      role: ggufTensorRole(t.name),
      layer: layer !== null && layer < h.nLayer ? layer : null,
    };
  });
  const parameters = tensors.reduce((s, t) => s + countElements(t.shape), 0);
  let inactive = 0;
  for (const t of tensors)
    if (t.role === "expert" && h.nExpert > 0)
      inactive += (countElements(t.shape) * (h.nExpert - h.nExpertUsed)) / h.nExpert;
  const notes: string[] = [];
  if (model.fileType) notes.push(`GGUF file type ${model.fileType}; tensor types as stored in the file.`);
  return {
    id,
    architecture: h.arch,
    hiddenSize: h.nEmbd,
    numLayers: h.nLayer,
    vocabSize: h.nVocab,
    tiedEmbeddings: !names.has("output.weight"),
    maxPositionEmbeddings: h.nCtxTrain || null,
    layers,
    tensors,
    parameters,
    activeParameters: parameters - inactive,
    checkpointDtype: model.fileType === "BF16" ? "bf16" : model.fileType === "F32" ? "fp32" : "fp16",
    nativeQuantization: model.fileType ? { method: "gguf", description: model.fileType } : null,
    notes,
    gguf: model,
  };
}

/** ModelSpec of a GGUF file from its parsed header. */
export function modelSpecFromGguf(h: GgufHeader, id?: string): GgufModelSpec {
  const model = llamaCppModelFromGguf(h);
  return modelSpecFromLlamaCpp(model, id ?? model.name);
}
