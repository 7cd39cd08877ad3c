import type { LayerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, denseFfn, mhaLayer } from "./common.js";

// modeling_falcon.py (Falcon-7B/40B): fused QKV with multi-query or grouped KV, parallel attention.
export const falcon: ArchitectureBuilder = (cfg, t) => {
  const h = cfg.intAny(["hidden_size", "n_embd"]);
  const n = cfg.intAny(["num_hidden_layers", "n_layer"]);
  const heads = cfg.intAny(["num_attention_heads", "n_head"]);
  const newArch = cfg.bool("new_decoder_architecture", false);
  const kvHeads = newArch
    ? cfg.intAny(["num_kv_heads", "n_head_kv"])
    : cfg.bool("multi_query", true)
      ? 1
      : heads;
  const bias = cfg.bool("bias", false);
  const inter = cfg.intOr("ffn_hidden_size", null) ?? 4 * h;
  const vocab = cfg.int("vocab_size");
  const hd = h / heads;
  t.add("transformer.word_embeddings.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `transformer.h.${i}`;
    if (newArch) {
      t.norm(`${p}.ln_attn`, h, i, true);
      t.norm(`${p}.ln_mlp`, h, i, true);
    } else t.norm(`${p}.input_layernorm`, h, i, true);
    t.linear(`${p}.self_attention.query_key_value`, (heads + 2 * kvHeads) * hd, h, "attention", i, bias);
    t.linear(`${p}.self_attention.dense`, h, h, "attention", i, bias);
    t.linear(`${p}.mlp.dense_h_to_4h`, inter, h, "mlp", i, bias);
    t.linear(`${p}.mlp.dense_4h_to_h`, h, inter, "mlp", i, bias);
    layers.push(mhaLayer(i, heads, hd, denseFfn(inter, false), kvHeads));
  }
  t.norm("transformer.ln_f", h, null, true);
  if (!cfg.bool("tie_word_embeddings", true)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
};
