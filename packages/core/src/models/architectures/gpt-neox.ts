import type { LayerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, denseFfn, mhaLayer } from "./common.js";

// modeling_gpt_neox.py (Pythia): LayerNorms with bias, fused QKV with bias, untied embed_out.
export const gptNeox: ArchitectureBuilder = (cfg, t) => {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const heads = cfg.int("num_attention_heads");
  const inter = cfg.int("intermediate_size");
  const vocab = cfg.int("vocab_size");
  t.add("gpt_neox.embed_in.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `gpt_neox.layers.${i}`;
    t.norm(`${p}.input_layernorm`, h, i, true);
    t.norm(`${p}.post_attention_layernorm`, h, i, true);
    t.linear(`${p}.attention.query_key_value`, 3 * h, h, "attention", i, true);
    t.linear(`${p}.attention.dense`, h, h, "attention", i, true);
    t.linear(`${p}.mlp.dense_h_to_4h`, inter, h, "mlp", i, true);
    t.linear(`${p}.mlp.dense_4h_to_h`, h, inter, "mlp", i, true);
    layers.push(mhaLayer(i, heads, h / heads, denseFfn(inter, false)));
  }
  t.norm("gpt_neox.final_layer_norm", h, null, true);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("embed_out", vocab, h, "output", null);
  return layers;
};
