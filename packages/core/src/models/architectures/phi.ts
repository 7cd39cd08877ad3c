import type { LayerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, denseFfn, mhaLayer } from "./common.js";

// modeling_phi.py (Phi-1/1.5/2): parallel attention + MLP after one LayerNorm, biased everywhere.
export const phi: ArchitectureBuilder = (cfg, t) => {
  const h = cfg.intAny(["hidden_size", "n_embd"]);
  const n = cfg.intAny(["num_hidden_layers", "n_layer"]);
  const heads = cfg.intAny(["num_attention_heads", "n_head"]);
  const kvHeads = cfg.intOr("num_key_value_heads", null) ?? cfg.intOr("n_head_kv", null) ?? heads;
  const inter = cfg.intOr("intermediate_size", null) ?? cfg.intOr("n_inner", null) ?? 4 * h;
  const vocab = cfg.int("vocab_size");
  const hd = h / heads;
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    t.norm(`${p}.input_layernorm`, h, i, true);
    t.linear(`${p}.self_attn.q_proj`, heads * hd, h, "attention", i, true);
    t.linear(`${p}.self_attn.k_proj`, kvHeads * hd, h, "attention", i, true);
    t.linear(`${p}.self_attn.v_proj`, kvHeads * hd, h, "attention", i, true);
    t.linear(`${p}.self_attn.dense`, h, heads * hd, "attention", i, true);
    t.linear(`${p}.mlp.fc1`, inter, h, "mlp", i, true);
    t.linear(`${p}.mlp.fc2`, h, inter, "mlp", i, true);
    layers.push(mhaLayer(i, heads, hd, denseFfn(inter, false), kvHeads));
  }
  t.norm("model.final_layernorm", h, null, true);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null, true);
  return layers;
};
