import { decoder, everyLayerWindow } from "./decoder.js";

// modeling_starcoder2.py: LayerNorm with bias, biases everywhere with use_bias, a plain
// c_fc/c_proj MLP, a sliding window on every layer, embeddings tied by default.
export const starcoder2 = decoder({
  slidingWindow: everyLayerWindow,
  biases: (cfg) => {
    const all = cfg.bool("use_bias", true);
    const attention = all || cfg.bool("attention_bias", false);
    return { qkv: attention, o: attention, mlp: all || cfg.bool("mlp_bias", false) };
  },
  normBias: true,
  mlp: "plain",
  tiedByDefault: true,
});
