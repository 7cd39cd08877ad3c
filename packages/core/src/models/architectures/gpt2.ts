import type { ConfigReader } from "../config-reader.js";
import type { LayerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, denseFfn, mhaLayer } from "./common.js";

/** GPT-2-style config fields (GPT-2, GPT-J): width, layers, heads, MLP width (default 4 × width), vocabulary. */
export function gpt2Dims(cfg: ConfigReader): {
  h: number;
  n: number;
  heads: number;
  inter: number;
  vocab: number;
} {
  const h = cfg.intAny(["n_embd", "hidden_size"]);
  const n = cfg.intAny(["n_layer", "num_hidden_layers"]);
  const heads = cfg.intAny(["n_head", "num_attention_heads"]);
  const inter = cfg.intOr("n_inner", null) ?? 4 * h;
  const vocab = cfg.int("vocab_size");
  return { h, n, heads, inter, vocab };
}

// modeling_gpt2.py: Conv1D weights are stored [in, out]; element counts are what matter.
export const gpt2: ArchitectureBuilder = (cfg, t) => {
  const { h, n, heads, inter, vocab } = gpt2Dims(cfg);
  t.add("transformer.wte.weight", [vocab, h], "embedding");
  t.add("transformer.wpe.weight", [cfg.intAny(["n_positions", "n_ctx"]), h], "position-embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `transformer.h.${i}`;
    t.norm(`${p}.ln_1`, h, i, true);
    t.add(`${p}.attn.c_attn.weight`, [h, 3 * h], "attention", i);
    t.add(`${p}.attn.c_attn.bias`, [3 * h], "attention", i);
    t.add(`${p}.attn.c_proj.weight`, [h, h], "attention", i);
    t.add(`${p}.attn.c_proj.bias`, [h], "attention", i);
    t.norm(`${p}.ln_2`, h, i, true);
    t.add(`${p}.mlp.c_fc.weight`, [h, inter], "mlp", i);
    t.add(`${p}.mlp.c_fc.bias`, [inter], "mlp", i);
    t.add(`${p}.mlp.c_proj.weight`, [inter, h], "mlp", i);
    t.add(`${p}.mlp.c_proj.bias`, [h], "mlp", i);
    layers.push(mhaLayer(i, heads, h / heads, denseFfn(inter, false)));
  }
  t.norm("transformer.ln_f", h, null, true);
  return layers;
};
