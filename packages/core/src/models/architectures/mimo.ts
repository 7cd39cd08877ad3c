import { MemlensError } from "../../errors/memlens-error.js";
import type { ConfigReader } from "../config-reader.js";
import type { MixerSpec } from "../model-spec.js";
import type { ArchitectureBuilder } from "./common.js";
import { type CustomMixer, decoder } from "./decoder.js";
import { addDecoderLayerAs, mtpNote } from "./mtp.js";
import { qwen2 } from "./qwen2.js";

// Xiaomi MiMo.

/**
 * MiMo-7B (vLLM model_executor/models/mimo.py and mimo_mtp.py @ 1f9c1e2): a Qwen2 decoder plus
 * num_nextn_predict_layers MTP layers, each token_layernorm, hidden_layernorm, input_proj over
 * [embedding; hidden], one Qwen2 decoder block (mtp_block) and final_layernorm.
 */
export const mimo: ArchitectureBuilder = (cfg, t, notes) => {
  const layers = qwen2(cfg, t, notes);
  const n = cfg.intOr("num_nextn_predict_layers", 0);
  if (n > 0) {
    const h = cfg.int("hidden_size");
    t.mtp(() => {
      for (let j = 0; j < n; j++) {
        const p = `model.mtp_layers.${j}`;
        t.norm(`${p}.token_layernorm`, h, null);
        t.norm(`${p}.hidden_layernorm`, h, null);
        t.linear(`${p}.input_proj`, h, 2 * h, "other", null);
        addDecoderLayerAs(qwen2, cfg, {}, t, `${p}.mtp_block`);
        t.norm(`${p}.final_layernorm`, h, null);
      }
    });
    notes.push(mtpNote(n));
  }
  return layers;
};

// MiMo-V2-Flash (vLLM model_executor/models/mimo_v2_flash.py @ 01ed47b): hybrid_layer_pattern[i]
// = 1 marks a sliding-window layer (swa_* heads and head sizes, a learned attention sink per head
// when add_swa_attention_sink_bias), 0 a global one; K and V head sizes differ (head_dim 192,
// v_head_dim 128); moe_layer_freq[i] = 1 marks a DeepSeek-style sigmoid MoE layer (no shared expert).
const mimoV2Attention =
  (swa: boolean): CustomMixer =>
  (cfg, t, p, i, h): MixerSpec => {
    const pre = swa ? "swa_" : "";
    const heads = cfg.int(`${pre}num_attention_heads`);
    const kvHeads = cfg.int(`${pre}num_key_value_heads`);
    const headDim = cfg.int(`${pre}head_dim`);
    const vDim = cfg.intOr(`${pre}v_head_dim`, headDim);
    const bias = cfg.bool("attention_bias", false);
    const a = `${p}.self_attn`;
    // The checkpoint stores q, k and v fused (llama.cpp conversion/mimo.py @ 051139f reads
    // model.layers.{i}.self_attn.qkv_proj.weight and its FP8 weight_scale_inv).
    t.linear(`${a}.qkv_proj`, heads * headDim + kvHeads * (headDim + vDim), h, "attention", i, bias);
    t.linear(`${a}.o_proj`, h, heads * vDim, "attention", i);
    const sinks = cfg.bool(swa ? "add_swa_attention_sink_bias" : "add_full_attention_sink_bias", false);
    if (sinks) t.add(`${a}.attention_sink_bias`, [heads], "attention", i);
    const window = cfg.intOr("sliding_window_size", null) ?? cfg.intOr("sliding_window", null);
    return {
      kind: "attention",
      numHeads: heads,
      numKvHeads: kvHeads,
      headDim,
      valueHeadDim: vDim,
      slidingWindow: swa ? window : null,
    };
  };

const perLayerFlags = (cfg: ConfigReader, key: string): number[] => {
  const n = cfg.int("num_hidden_layers");
  const flags = cfg.intArray(key) ?? [];
  if (flags.length !== n)
    throw new MemlensError(
      "malformed-config",
      `config.${key} has ${flags.length} entries but num_hidden_layers is ${n}`,
      `config.${key}`,
    );
  return flags;
};

const mimoV2FlashBase = decoder({
  customMixer: (cfg) => {
    const pattern = perLayerFlags(cfg, "hybrid_layer_pattern");
    const swa = mimoV2Attention(true);
    const full = mimoV2Attention(false);
    return (i) => (pattern[i] === 1 ? swa : full);
  },
  moe: {
    layers: (cfg) => {
      const moe = perLayerFlags(cfg, "moe_layer_freq");
      return (i) => moe[i] === 1;
    },
    widths: (cfg) => ({ expert: cfg.int("moe_intermediate_size"), numShared: 0, sharedInter: 0 }),
  },
});

/**
 * MiMo-V2-Flash's checkpoint also ships 3 MTP layers (model.mtp.layers.{0,1,2}) that config.json
 * does not declare (llama.cpp conversion/mimo.py @ 051139f hardcodes _n_nextn = 3 for that
 * reason); their layout is not published in a config, so they are named, not counted.
 */
export const mimoV2Flash: ArchitectureBuilder = (cfg, t, notes) => {
  const layers = mimoV2FlashBase(cfg, t, notes);
  if (!cfg.has("num_nextn_predict_layers"))
    notes.push(
      "The checkpoint also ships multi-token-prediction layers (model.mtp.layers.*) that config.json does not declare; they are not counted (engines load them only for speculative decoding).",
    );
  return layers;
};
