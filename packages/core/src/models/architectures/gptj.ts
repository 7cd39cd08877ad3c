import type { LayerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, denseFfn, mhaLayer } from "./common.js";
import { gpt2Dims } from "./gpt2.js";

// modeling_gptj.py (GPT-J-6B): parallel attention + MLP after one LayerNorm, biased MLP and head.
export const gptj: ArchitectureBuilder = (cfg, t) => {
  const { h, n, heads, inter, vocab } = gpt2Dims(cfg);
  t.add("transformer.wte.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `transformer.h.${i}`;
    t.norm(`${p}.ln_1`, h, i, true);
    for (const x of ["q_proj", "k_proj", "v_proj", "out_proj"])
      t.linear(`${p}.attn.${x}`, h, h, "attention", i);
    t.linear(`${p}.mlp.fc_in`, inter, h, "mlp", i, true);
    t.linear(`${p}.mlp.fc_out`, h, inter, "mlp", i, true);
    layers.push(mhaLayer(i, heads, h / heads, denseFfn(inter, false)));
  }
  t.norm("transformer.ln_f", h, null, true);
  t.linear("lm_head", vocab, h, "output", null, true);
  return layers;
};
