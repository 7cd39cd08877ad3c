import type { ConfigReader } from "../config-reader.js";
import { decoder, type MoeLayout, type WindowRule } from "./decoder.js";

// Qwen2 and Qwen3, dense and MoE (modeling_qwen2.py, modeling_qwen2_moe.py, modeling_qwen3*.py).

// The window applies only with use_sliding_window, from max_window_layers on.
const slidingWindow: WindowRule = (cfg, window) => {
  if (cfg.bool("use_sliding_window", false) && window !== null) {
    const from = cfg.intOr("max_window_layers", 0);
    return (i) => (i >= from ? window : null);
  }
  return () => null;
};

// Qwen2 always biases q/k/v, never o_proj.
const qwen2Biases = (cfg: ConfigReader) => ({ qkv: true, o: false, mlp: cfg.bool("mlp_bias", false) });

// modeling_qwen2_moe.py: sparse when not in mlp_only_layers and (i + 1) % decoder_sparse_step == 0.
const qwenMoeLayers = (cfg: ConfigReader) => {
  const step = cfg.intOr("decoder_sparse_step", 1);
  const only = new Set(cfg.intArray("mlp_only_layers") ?? []);
  return (i: number) =>
    !only.has(i) && (i + 1) % step === 0 && cfg.has("num_experts") && cfg.int("num_experts") > 0;
};

/** Qwen2-MoE's experts with one gated shared expert (Qwen3-Next keeps the same block). */
export const qwen2MoeLayout: MoeLayout = {
  layers: qwenMoeLayers,
  widths: (cfg) => {
    const expert = cfg.int("moe_intermediate_size");
    const sharedInter = cfg.intOr("shared_expert_intermediate_size", 0);
    return { expert, numShared: sharedInter > 0 ? 1 : 0, sharedInter };
  },
  sharedName: "shared_expert",
  sharedGate: true,
};

export const qwen2 = decoder({ slidingWindow, biases: qwen2Biases });
export const qwen2Moe = decoder({ slidingWindow, biases: qwen2Biases, moe: qwen2MoeLayout });
// Qwen3: per-head q/k RMSNorm, no forced biases; Qwen3-MoE drops the shared expert.
export const qwen3 = decoder({ slidingWindow, qkNorm: () => "head" });
export const qwen3Moe = decoder({
  slidingWindow,
  qkNorm: () => "head",
  moe: {
    layers: qwenMoeLayers,
    widths: (cfg) => ({ expert: cfg.int("moe_intermediate_size"), numShared: 0, sharedInter: 0 }),
  },
});
