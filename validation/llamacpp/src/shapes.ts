/**
 * Model shapes for the synthetic GGUF files, read from the real Hugging Face config.json files in
 * packages/core/data/hf-configs (sources listed in that folder's SOURCES.md). Only the layer count
 * may be scaled down (for speed and RAM); every record stores the exact shape that was written.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type GgufArch =
  | "llama"
  | "qwen2"
  | "qwen3"
  | "qwen3moe"
  | "gemma2"
  | "gemma3"
  | "phi3"
  | "deepseek2"
  | "gpt-oss"
  | "qwen3next";

export interface MoeShape {
  readonly nExpert: number;
  readonly nExpertUsed: number;
  /** per-expert FFN width (expert_feed_forward_length; llama-arch mixtral uses feed_forward_length) */
  readonly nFfExp: number;
  readonly nExpertShared: number;
  /** shared-expert FFN width (0 when none) */
  readonly nFfShexp: number;
  /** leading dense (non-MoE) layers (deepseek2 leading_dense_block_count) */
  readonly nLeadingDense: number;
}

export interface MlaShape {
  /** 0 when the model has no Q low-rank projection (DeepSeek-V2-Lite) */
  readonly qLoraRank: number;
  readonly kvLoraRank: number;
  readonly qkNopeHeadDim: number;
  readonly qkRopeHeadDim: number;
  readonly vHeadDim: number;
}

export interface SsmShape {
  readonly kind: "gated-delta-net";
  readonly dConv: number;
  readonly dInner: number;
  readonly dState: number;
  readonly dtRank: number;
  readonly nGroup: number;
  readonly fullAttentionInterval: number;
}

export interface Shape {
  readonly arch: GgufArch;
  /** HF id of the config.json the shape was read from */
  readonly source: string;
  readonly nLayer: number;
  /** layer count in the source config (nLayer may be smaller) */
  readonly nLayerSource: number;
  readonly nEmbd: number;
  readonly nHead: number;
  /** GGUF head_count_kv (1 for deepseek2 MLA, which llama.cpp stores as MQA) */
  readonly nHeadKv: number;
  /** GGUF attention.key_length / value_length: per-head K and V widths as llama.cpp caches them */
  readonly headDimK: number;
  readonly headDimV: number;
  readonly nFf: number;
  readonly nVocab: number;
  readonly nCtxTrain: number;
  readonly nRot: number;
  readonly ropeFreqBase: number;
  readonly rmsEps: number;
  readonly tiedEmbeddings: boolean;
  readonly qkvBias: boolean;
  /** sliding window (tokens); null when the model has no SWA layers in llama.cpp */
  readonly nSwa: number | null;
  /** llama.cpp n_pattern for set_swa_pattern (layer il is SWA iff il % n < n - 1); null when no SWA */
  readonly swaPattern: number | null;
  /** per layer: true when llama.cpp treats the layer as sliding-window (llama-hparams.cpp set_swa_pattern) */
  readonly isSwaLayer: readonly boolean[];
  /** per layer: true for recurrent (SSM / linear-attention) layers, which have no KV cache */
  readonly isRecurrentLayer: readonly boolean[];
  readonly moe: MoeShape | null;
  readonly mla: MlaShape | null;
  readonly ssm: SsmShape | null;
  /** extra, arch-specific GGUF keys that matter for loading (documented per arch in model-file.ts) */
  readonly notes: string;
}

const here = dirname(fileURLToPath(import.meta.url));

function findRepoRoot(): string {
  // src/ (ts) or dist/src/ (compiled) inside validation/llamacpp
  for (const up of ["../../..", "../../../.."]) {
    const root = join(here, up);
    try {
      readFileSync(join(root, "packages/core/data/hf-configs/SOURCES.md"));
      return root;
    } catch {
      // try next
    }
  }
  throw new Error("cannot find packages/core/data/hf-configs from " + here);
}

type HfConfig = Record<string, unknown>;

export function readHfConfig(hfId: string): HfConfig {
  const path = join(findRepoRoot(), "packages/core/data/hf-configs", hfId, "config.json");
  return JSON.parse(readFileSync(path, "utf8")) as HfConfig;
}

function num(c: HfConfig, key: string): number {
  const v = c[key];
  if (typeof v !== "number") throw new Error(`config key ${key} is not a number: ${String(v)}`);
  return v;
}
function numOr(c: HfConfig, key: string, fallback: number): number {
  const v = c[key];
  return typeof v === "number" ? v : fallback;
}

function swaFlags(nLayer: number, pattern: number | null): boolean[] {
  // llama.cpp src/llama-hparams.cpp set_swa_pattern (dense_first = false):
  // is_swa[il] = n_pattern == 0 || (il % n_pattern < (n_pattern - 1))
  return Array.from({ length: nLayer }, (_, il) =>
    pattern === null ? false : pattern === 0 || il % pattern < pattern - 1,
  );
}

const noFlags = (n: number): boolean[] => Array.from({ length: n }, () => false);

/** Reads a real config and maps it to the GGUF hyper-parameters llama.cpp's converter would write. */
export function shapeFromHfConfig(hfId: string, arch: GgufArch, nLayer?: number): Shape {
  const c = readHfConfig(hfId);
  const nLayerSource = num(c, "num_hidden_layers");
  const L = nLayer ?? nLayerSource;
  const nEmbd = num(c, "hidden_size");
  const nHead = num(c, "num_attention_heads");
  const nHeadKvCfg = numOr(c, "num_key_value_heads", nHead);
  const headDim = numOr(c, "head_dim", nEmbd / nHead);
  const base = {
    source: hfId,
    nLayer: L,
    nLayerSource,
    nEmbd,
    nHead,
    nFf: num(c, "intermediate_size"),
    nVocab: num(c, "vocab_size"),
    nCtxTrain: num(c, "max_position_embeddings"),
    ropeFreqBase: numOr(c, "rope_theta", 10000),
    rmsEps: numOr(c, "rms_norm_eps", 1e-6),
    qkvBias: false,
    nSwa: null,
    swaPattern: null,
    isSwaLayer: noFlags(L),
    isRecurrentLayer: noFlags(L),
    moe: null,
    mla: null,
    ssm: null,
    notes: "",
  } as const;
  // convert_hf_to_gguf.py: tie_word_embeddings decides whether output.weight is written
  const tied = c["tie_word_embeddings"] === true;
  switch (arch) {
    case "llama": {
      const nExpert = numOr(c, "num_local_experts", 0);
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: tied,
        moe:
          nExpert > 0
            ? {
                nExpert,
                nExpertUsed: num(c, "num_experts_per_tok"),
                nFfExp: num(c, "intermediate_size"),
                nExpertShared: 0,
                nFfShexp: 0,
                nLeadingDense: 0,
              }
            : null,
      };
    }
    case "qwen2":
      // Qwen2: q/k/v projections carry a bias (conversion/qwen.py, llama.cpp models/qwen2.cpp)
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: tied,
        qkvBias: true,
      };
    case "qwen3":
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: tied,
      };
    case "qwen3moe":
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: tied,
        moe: {
          nExpert: num(c, "num_experts"),
          nExpertUsed: num(c, "num_experts_per_tok"),
          nFfExp: num(c, "moe_intermediate_size"),
          nExpertShared: 0,
          nFfShexp: 0,
          nLeadingDense: 0,
        },
      };
    case "gemma2":
      // llama.cpp models/gemma2.cpp: load_swa_pattern(ml, 2); output is always token_embd (tied)
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: true,
        nSwa: num(c, "sliding_window"),
        swaPattern: 2,
        isSwaLayer: swaFlags(L, 2),
      };
    case "gemma3": {
      // llama.cpp models/gemma3.cpp: load_swa_pattern(ml, 6) unless the GGUF carries a pattern
      const pattern = numOr(c, "sliding_window_pattern", 6);
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: c["tie_word_embeddings"] !== false,
        nSwa: num(c, "sliding_window"),
        swaPattern: pattern,
        isSwaLayer: swaFlags(L, pattern),
      };
    }
    case "phi3":
      // llama.cpp models/phi3.cpp: a sliding_window key is read but SWA is disabled (n_swa = 0)
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: tied,
        notes:
          "fused attn_qkv and ffn_up {n_embd, 2*n_ff} as convert_hf_to_gguf writes Phi-3; SWA key written but disabled by llama.cpp",
      };
    case "deepseek2": {
      // conversion/deepseek.py: MLA stored as MQA (head_count_kv = 1) with
      // key_length = kv_lora_rank + qk_rope_head_dim and value_length = kv_lora_rank
      const kvLoraRank = num(c, "kv_lora_rank");
      const qkRope = num(c, "qk_rope_head_dim");
      const qLora = c["q_lora_rank"];
      const nExpert = num(c, "n_routed_experts");
      return {
        ...base,
        arch,
        nHeadKv: 1,
        headDimK: kvLoraRank + qkRope,
        headDimV: kvLoraRank,
        nRot: qkRope,
        tiedEmbeddings: tied,
        moe: {
          nExpert,
          nExpertUsed: num(c, "num_experts_per_tok"),
          nFfExp: num(c, "moe_intermediate_size"),
          nExpertShared: numOr(c, "n_shared_experts", 0),
          nFfShexp: num(c, "moe_intermediate_size") * numOr(c, "n_shared_experts", 0),
          nLeadingDense: Math.min(numOr(c, "first_k_dense_replace", 0), L),
        },
        mla: {
          qLoraRank: typeof qLora === "number" ? qLora : 0,
          kvLoraRank,
          qkNopeHeadDim: num(c, "qk_nope_head_dim"),
          qkRopeHeadDim: qkRope,
          vHeadDim: num(c, "v_head_dim"),
        },
        notes:
          "attention.q_lora_rank written as 0 when the config has none: llama.cpp only skips that key for the 27-layer Lite shape",
      };
    }
    case "gpt-oss": {
      // conversion/gpt_oss.py + llama.cpp models/openai-moe.cpp: load_swa_pattern(ml, 2), sinks, biases
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: headDim,
        tiedEmbeddings: false,
        qkvBias: c["attention_bias"] === true,
        nSwa: num(c, "sliding_window"),
        swaPattern: 2,
        isSwaLayer: swaFlags(L, 2),
        moe: {
          nExpert: num(c, "num_local_experts"),
          nExpertUsed: num(c, "num_experts_per_tok"),
          nFfExp: num(c, "intermediate_size"),
          nExpertShared: 0,
          nFfShexp: 0,
          nLeadingDense: 0,
        },
      };
    }
    case "qwen3next": {
      // conversion/qwen.py Qwen3NextModel; llama.cpp models/qwen3next.cpp marks layer il recurrent
      // iff (il + 1) % full_attention_interval != 0
      const interval = numOr(c, "full_attention_interval", 4);
      const rotary = numOr(c, "partial_rotary_factor", 0.25);
      return {
        ...base,
        arch,
        nHeadKv: nHeadKvCfg,
        headDimK: headDim,
        headDimV: headDim,
        nRot: Math.trunc(headDim * rotary),
        tiedEmbeddings: tied,
        isRecurrentLayer: Array.from({ length: L }, (_, il) => (il + 1) % interval !== 0),
        moe: {
          nExpert: num(c, "num_experts"),
          nExpertUsed: num(c, "num_experts_per_tok"),
          nFfExp: num(c, "moe_intermediate_size"),
          nExpertShared: 1,
          nFfShexp: num(c, "shared_expert_intermediate_size"),
          nLeadingDense: 0,
        },
        ssm: {
          kind: "gated-delta-net",
          dConv: num(c, "linear_conv_kernel_dim"),
          dInner: num(c, "linear_value_head_dim") * num(c, "linear_num_value_heads"),
          dState: num(c, "linear_key_head_dim"),
          dtRank: num(c, "linear_num_value_heads"),
          nGroup: num(c, "linear_num_key_heads"),
          fullAttentionInterval: interval,
        },
      };
    }
  }
}
