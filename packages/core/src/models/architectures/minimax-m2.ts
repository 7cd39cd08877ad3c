import type { LayerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, attentionMixer } from "./common.js";

// MiniMax-M2 / M2.1 / M2.5 / M2.7 (model_type minimax_m2): GQA attention with RMSNorms over the
// whole q and k projections (qk_norm_type per_layer), every layer a sigmoid-routed MoE with an
// e_score_correction_bias and no shared expert. Parameter names from MiniMax's
// modeling_minimax_m2.py as vllm-project/vllm vllm/model_executor/models/minimax_m2.py @ 01d99586
// loads them (block_sparse_moe.gate, block_sparse_moe.e_score_correction_bias,
// block_sparse_moe.experts.N.w1/w2/w3; stacked here, expert count first). The MTP modules
// (num_mtp_modules, model.layers.62+) are skipped by vLLM's loader
// (get_spec_layer_idx_from_weight_name) and not counted, as in the published 229B.
export const minimaxM2: ArchitectureBuilder = (cfg, t) => {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const heads = cfg.int("num_attention_heads");
  const kvHeads = cfg.intOr("num_key_value_heads", heads);
  const headDim = cfg.intOr("head_dim", null) ?? h / heads;
  const experts = cfg.int("num_local_experts");
  const topK = cfg.int("num_experts_per_tok");
  const inter = cfg.int("intermediate_size");
  const qkNorm = cfg.bool("use_qk_norm", true);
  const perHead = cfg.str("qk_norm_type") === "per_head";
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    const a = `${p}.self_attn`;
    t.norm(`${p}.input_layernorm`, h, i);
    t.norm(`${p}.post_attention_layernorm`, h, i);
    t.linear(`${a}.q_proj`, heads * headDim, h, "attention", i);
    t.linear(`${a}.k_proj`, kvHeads * headDim, h, "attention", i);
    t.linear(`${a}.v_proj`, kvHeads * headDim, h, "attention", i);
    t.linear(`${a}.o_proj`, h, heads * headDim, "attention", i);
    if (qkNorm) {
      t.norm(`${a}.q_norm`, perHead ? headDim : heads * headDim, i);
      t.norm(`${a}.k_norm`, perHead ? headDim : kvHeads * headDim, i);
    }
    const m = `${p}.block_sparse_moe`;
    t.linear(`${m}.gate`, experts, h, "router", i);
    if (cfg.bool("use_routing_bias", false)) t.add(`${m}.e_score_correction_bias`, [experts], "router", i);
    t.add(`${m}.experts.w1`, [experts, inter, h], "expert", i);
    t.add(`${m}.experts.w3`, [experts, inter, h], "expert", i);
    t.add(`${m}.experts.w2`, [experts, h, inter], "expert", i);
    layers.push({
      index: i,
      mixer: attentionMixer(heads, headDim, kvHeads),
      ffn: {
        kind: "moe",
        numExperts: experts,
        expertsPerToken: topK,
        expertIntermediateSize: inter,
        numSharedExperts: 0,
        sharedIntermediateSize: 0,
      },
    });
  }
  t.norm("model.norm", h, null);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
};
