import type { ConfigReader } from "../config-reader.js";
import type { MixerSpec } from "../model-spec.js";
import { type CustomMixer, decoder, type MoeLayout } from "./decoder.js";

// DeepSeek-V2/V3/V3.2, Kimi K2 and GLM-5.x (glm_moe_dsa: V3.2's layout, modular_glm_moe_dsa.py): multi-head latent attention on every
// layer, MoE with shared experts after the first dense layers.

// DeepseekV3Attention.
const mla: CustomMixer = (cfg, t, p, i, h, numHeads): MixerSpec => {
  const kvLoraRank = cfg.int("kv_lora_rank");
  const qLoraRank = cfg.intOr("q_lora_rank", null);
  const nope = cfg.int("qk_nope_head_dim");
  const rope = cfg.int("qk_rope_head_dim");
  const v = cfg.int("v_head_dim");
  const a = `${p}.self_attn`;
  if (qLoraRank !== null) {
    t.linear(`${a}.q_a_proj`, qLoraRank, h, "attention", i);
    t.norm(`${a}.q_a_layernorm`, qLoraRank, i);
    t.linear(`${a}.q_b_proj`, numHeads * (nope + rope), qLoraRank, "attention", i);
  } else {
    t.linear(`${a}.q_proj`, numHeads * (nope + rope), h, "attention", i);
  }
  t.linear(`${a}.kv_a_proj_with_mqa`, kvLoraRank + rope, h, "attention", i);
  t.norm(`${a}.kv_a_layernorm`, kvLoraRank, i);
  t.linear(`${a}.kv_b_proj`, numHeads * (nope + v), kvLoraRank, "attention", i);
  t.linear(`${a}.o_proj`, h, numHeads * v, "attention", i);
  const indexer = cfg.has("index_n_heads") && qLoraRank !== null && indexerRuns(cfg, i);
  if (indexer) {
    // DeepSeek-V3.2 lightning indexer (inference/model.py Indexer): wq_b, wk, k_norm (LayerNorm), weights_proj.
    const ih = cfg.int("index_n_heads");
    const id = cfg.int("index_head_dim");
    t.linear(`${a}.indexer.wq_b`, ih * id, qLoraRank, "attention", i);
    t.linear(`${a}.indexer.wk`, id, h, "attention", i);
    t.norm(`${a}.indexer.k_norm`, id, i, true);
    t.linear(`${a}.indexer.weights_proj`, ih, h, "attention", i);
  }
  return {
    kind: "mla",
    numHeads,
    kvLoraRank,
    qLoraRank,
    qkNopeHeadDim: nope,
    qkRopeHeadDim: rope,
    valueHeadDim: v,
    ...(indexer ? { indexerHeadDim: cfg.int("index_head_dim") } : {}),
  };
};

/**
 * Whether layer i runs its own DSA indexer. GLM-5.x (glm_moe_dsa) lets "shared" layers reuse the
 * previous full layer's top-k and hold no indexer: transformers
 * src/transformers/models/glm_moe_dsa/modular_glm_moe_dsa.py @ 01f8fa55 (GlmMoeDsaConfig.__post_init__,
 * GlmMoeDsaAttention): `indexer_types`, else `index_topk_pattern` (F/S), else full when
 * max(i − index_skip_topk_offset + 1, 0) % index_topk_freq is 0. DeepSeek-V3.2 sets none of these.
 */
function indexerRuns(cfg: ConfigReader, i: number): boolean {
  const types = cfg.strArray("indexer_types");
  if (types) return types[i] !== "shared";
  const pattern = cfg.str("index_topk_pattern");
  if (pattern !== undefined) return pattern[i] !== "S";
  if (!cfg.has("index_topk_freq")) return true;
  const freq = Math.max(cfg.intOr("index_topk_freq", 1), 1);
  const offset = cfg.intOr("index_skip_topk_offset", 2);
  return Math.max(i - offset + 1, 0) % freq === 0;
}

/**
 * DeepSeek's MoE (GLM-4.5 keeps it): MoE from first_k_dense_replace on, every moe_layer_freq
 * layers; n_shared_experts experts of moe_intermediate_size, fused into one MLP.
 */
export const deepseekMoeLayout: MoeLayout = {
  layers: (cfg: ConfigReader) => {
    const firstDense = cfg.intOr("first_k_dense_replace", 0);
    const freq = cfg.intOr("moe_layer_freq", 1);
    return (i) => cfg.has("n_routed_experts") && i >= firstDense && i % freq === 0;
  },
  widths: (cfg) => {
    const expert = cfg.int("moe_intermediate_size");
    const numShared = cfg.intOr("n_shared_experts", 0);
    return { expert, numShared, sharedInter: numShared * expert };
  },
};

export const deepseek = decoder({ customMixer: () => () => mla, moe: deepseekMoeLayout });
