import { decoder } from "./decoder.js";
import { deepseekMoeLayout } from "./deepseek.js";

// modeling_glm4_moe.py (GLM-4.5): GQA attention with q/k/v biases only (o_proj bias=False),
// optional per-head q/k norms, DeepSeek's MoE with a score correction bias on every router.
export const glm4Moe = decoder({
  biases: (cfg) => ({ qkv: cfg.bool("attention_bias", false), o: false, mlp: cfg.bool("mlp_bias", false) }),
  qkNorm: (cfg) => (cfg.bool("use_qk_norm", false) ? "head" : "none"),
  moe: { ...deepseekMoeLayout, scoreCorrectionBias: true },
});
