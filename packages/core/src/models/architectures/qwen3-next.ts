import type { ConfigReader } from "../config-reader.js";
import type { MixerSpec } from "../model-spec.js";
import { type CustomMixer, decoder } from "./decoder.js";
import { qwen2MoeLayout } from "./qwen2.js";

// modeling_qwen3_next.py: Gated DeltaNet layers with a full-attention layer every
// full_attention_interval layers (or as layer_types says), gated attention output, Qwen2-MoE experts.

/**
 * Qwen3NextGatedDeltaNet, with q/k/v/z and b/a in two fused projections; `split` names them as
 * Qwen3.5 does (modular_qwen3_5.py Qwen3_5GatedDeltaNet: in_proj_qkv, in_proj_z, in_proj_b,
 * in_proj_a), the same elements.
 */
export const gatedDeltaNetOf =
  (split: boolean): CustomMixer =>
  (cfg, t, p, i, h): MixerSpec => {
    const nk = cfg.int("linear_num_key_heads");
    const nv = cfg.int("linear_num_value_heads");
    const dk = cfg.int("linear_key_head_dim");
    const dv = cfg.int("linear_value_head_dim");
    const k = cfg.int("linear_conv_kernel_dim");
    const a = `${p}.linear_attn`;
    const keyDim = nk * dk;
    const valueDim = nv * dv;
    if (split) {
      t.linear(`${a}.in_proj_qkv`, 2 * keyDim + valueDim, h, "attention", i);
      t.linear(`${a}.in_proj_z`, valueDim, h, "attention", i);
      t.linear(`${a}.in_proj_b`, nv, h, "attention", i);
      t.linear(`${a}.in_proj_a`, nv, h, "attention", i);
    } else {
      t.linear(`${a}.in_proj_qkvz`, 2 * keyDim + 2 * valueDim, h, "attention", i);
      t.linear(`${a}.in_proj_ba`, 2 * nv, h, "attention", i);
    }
    t.add(`${a}.conv1d.weight`, [2 * keyDim + valueDim, 1, k], "attention", i);
    t.add(`${a}.dt_bias`, [nv], "attention", i);
    t.add(`${a}.A_log`, [nv], "attention", i);
    t.norm(`${a}.norm`, dv, i);
    t.linear(`${a}.out_proj`, h, valueDim, "attention", i);
    return {
      kind: "linear-attention",
      numKeyHeads: nk,
      numValueHeads: nv,
      keyHeadDim: dk,
      valueHeadDim: dv,
      convKernel: k,
    };
  };
const gatedDeltaNet = gatedDeltaNetOf(false);

/** Linear attention where layer_types says so, else all but every full_attention_interval-th layer. */
export const hybridLinearLayers =
  (mixer: CustomMixer) => (cfg: ConfigReader, layerTypes: readonly string[] | undefined) => {
    if (layerTypes) return (i: number) => (layerTypes[i] === "linear_attention" ? mixer : null);
    const interval = cfg.intOr("full_attention_interval", 4);
    return (i: number) => ((i + 1) % interval === 0 ? null : mixer);
  };

export const qwen3Next = decoder({
  customMixer: hybridLinearLayers(gatedDeltaNet),
  // Full-attention layers gate their output: q_proj is twice as wide.
  gatedQuery: true,
  qkNorm: () => "head",
  moe: qwen2MoeLayout,
});
