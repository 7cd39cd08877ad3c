import type { MixerSpec } from "../model-spec.js";
import { type CustomMixer, decoder } from "./decoder.js";
import { qwen2MoeLayout } from "./qwen2.js";

// modeling_qwen3_next.py: Gated DeltaNet layers with a full-attention layer every
// full_attention_interval layers (or as layer_types says), gated attention output, Qwen2-MoE experts.

// Qwen3NextGatedDeltaNet.
const gatedDeltaNet: CustomMixer = (cfg, t, p, i, h): MixerSpec => {
  const nk = cfg.int("linear_num_key_heads");
  const nv = cfg.int("linear_num_value_heads");
  const dk = cfg.int("linear_key_head_dim");
  const dv = cfg.int("linear_value_head_dim");
  const k = cfg.int("linear_conv_kernel_dim");
  const a = `${p}.linear_attn`;
  const keyDim = nk * dk;
  const valueDim = nv * dv;
  t.linear(`${a}.in_proj_qkvz`, 2 * keyDim + 2 * valueDim, h, "attention", i);
  t.linear(`${a}.in_proj_ba`, 2 * nv, h, "attention", i);
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

export const qwen3Next = decoder({
  customMixer: (cfg, layerTypes) => {
    if (layerTypes) return (i) => (layerTypes[i] === "linear_attention" ? gatedDeltaNet : null);
    const interval = cfg.intOr("full_attention_interval", 4);
    return (i) => ((i + 1) % interval === 0 ? null : gatedDeltaNet);
  },
  // Full-attention layers gate their output: q_proj is twice as wide.
  gatedQuery: true,
  qkNorm: () => "head",
  moe: qwen2MoeLayout,
});
