import type { LayerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, attentionMixer, denseFfn } from "./common.js";

// MiniMax-M3 (model_type minimax_m3), text backbone. Layout from vLLM's MiniMax M3 model
// (vllm/models/minimax_m3, "Inference-only MiniMax M3 (text backbone) model": MiniMaxM3Attention,
// MiniMaxM3SparseAttention, MiniMaxM3MLP, MiniMaxM3MoE, MiniMaxM3DecoderLayer): GQA with per-head
// Gemma-style q/k norms and partial rotary; on the layers sparse_attention_config.
// sparse_attention_freq marks, block-sparse attention with a lightning indexer whose q and k
// (sparse_num_index_heads × sparse_index_dim each, fused into the qkv projection) get their own
// per-head norms, and whose index key is cached per token beside K/V (index_{v,o}_proj never exist:
// sparse_disable_index_value). Dense SwiGLU-OAI MLPs (dense_intermediate_size) where
// moe_layer_freq is 0, else a sigmoid-routed MoE with an fp32 router, an e_score_correction_bias
// (use_routing_bias) and n_shared_experts shared experts, experts and shared expert
// intermediate_size wide. Tensor names follow the HF checkpoint spelling vLLM loads
// (block_sparse_moe for MoE layers, mlp for dense ones); q/k/v are listed split, the same elements
// as vLLM's fused qkv_proj.
export const minimaxM3: ArchitectureBuilder = (cfg, t, notes) => {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const heads = cfg.int("num_attention_heads");
  const kvHeads = cfg.intOr("num_key_value_heads", heads);
  const headDim = cfg.intOr("head_dim", null) ?? h / heads;
  const experts = cfg.int("num_local_experts");
  const topK = cfg.int("num_experts_per_tok");
  const inter = cfg.int("intermediate_size");
  const dense = cfg.intOr("dense_intermediate_size", inter);
  const shared = cfg.intOr("n_shared_experts", 0);
  const moeFreq = cfg.intArray("moe_layer_freq");
  const sparse = cfg.child("sparse_attention_config");
  const useSparse = sparse?.bool("use_sparse_attention", true) ?? false;
  const sparseFreq = useSparse ? sparse?.intArray("sparse_attention_freq") : undefined;
  const indexHeads = sparse?.intOr("sparse_num_index_heads", kvHeads) ?? kvHeads;
  const indexDim = sparse?.intOr("sparse_index_dim", headDim) ?? headDim;
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  let sparseLayers = 0;
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    const a = `${p}.self_attn`;
    t.norm(`${p}.input_layernorm`, h, i);
    t.norm(`${p}.post_attention_layernorm`, h, i);
    t.linear(`${a}.q_proj`, heads * headDim, h, "attention", i);
    t.linear(`${a}.k_proj`, kvHeads * headDim, h, "attention", i);
    t.linear(`${a}.v_proj`, kvHeads * headDim, h, "attention", i);
    t.linear(`${a}.o_proj`, h, heads * headDim, "attention", i);
    t.norm(`${a}.q_norm`, headDim, i);
    t.norm(`${a}.k_norm`, headDim, i);
    const isSparse = (sparseFreq?.[i] ?? 0) !== 0;
    if (isSparse) {
      sparseLayers++;
      t.linear(`${a}.index_q_proj`, indexHeads * indexDim, h, "attention", i);
      t.linear(`${a}.index_k_proj`, indexHeads * indexDim, h, "attention", i);
      t.norm(`${a}.index_q_norm`, indexDim, i);
      t.norm(`${a}.index_k_norm`, indexDim, i);
    }
    const mixer = attentionMixer(heads, headDim, kvHeads);
    const isMoe = moeFreq === undefined || (moeFreq[i] ?? 1) !== 0;
    if (isMoe) {
      const m = `${p}.block_sparse_moe`;
      t.linear(`${m}.gate`, experts, h, "router", i);
      if (cfg.bool("use_routing_bias", false)) t.add(`${m}.e_score_correction_bias`, [experts], "router", i);
      t.add(`${m}.experts.w1`, [experts, inter, h], "expert", i);
      t.add(`${m}.experts.w3`, [experts, inter, h], "expert", i);
      t.add(`${m}.experts.w2`, [experts, h, inter], "expert", i);
      if (shared > 0) t.gatedMlp(`${m}.shared_experts`, h, shared * inter, "shared-expert", i);
    } else t.gatedMlp(`${p}.mlp`, h, dense, "mlp", i);
    layers.push({
      index: i,
      mixer: isSparse ? { ...mixer, indexKeyDim: indexHeads * indexDim } : mixer,
      ffn: isMoe
        ? {
            kind: "moe",
            numExperts: experts,
            expertsPerToken: topK,
            expertIntermediateSize: inter,
            numSharedExperts: shared,
            sharedIntermediateSize: shared * inter,
          }
        : denseFfn(dense, true),
    });
  }
  t.norm("model.norm", h, null);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null);
  if (sparseLayers > 0)
    notes.push(
      `MiniMax sparse attention on ${sparseLayers} of ${n} layers: each keeps full K/V and an index key of ${indexHeads} × ${indexDim} per token; the indexer picks ${sparse?.intOr("sparse_topk_blocks", 0)} blocks of ${sparse?.intOr("sparse_block_size", 0)} tokens to attend to (saves compute, not cache).`,
    );
  const mtp = cfg.intOr("num_nextn_predict_layers", 0);
  if (mtp > 0)
    notes.push(
      `Approximate: the checkpoint's multi-token-prediction modules (num_nextn_predict_layers ${mtp}, num_mtp_modules ${cfg.intOr("num_mtp_modules", mtp)}) are not counted: their layout was not found in a public modeling file; vLLM and SGLang load them only for speculative decoding.`,
    );
  return layers;
};
