import { decoder } from "./decoder.js";

// modeling_cohere.py (Command R): one LayerNorm before parallel attention and MLP, optional
// q/k norms per head and position, embeddings tied by default.
export const cohere = decoder({
  norms: "parallel",
  qkNorm: (cfg) => (cfg.bool("use_qk_norm", false) ? "cohere" : "none"),
  tiedByDefault: true,
});
