import { ConfigReader } from "../config-reader.js";
import type { MixerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, attentionMixer } from "./common.js";
import { type CustomMixer, decoder } from "./decoder.js";
import { addDecoderLayerAs, mtpNote } from "./mtp.js";

// StepFun Step-3.7-Flash (model_type step3p7; vLLM model_executor/models/step3p5.py @ 01b50b9 and
// step3p5_mtp.py @ 12c9ac2): GQA with per-head q/k norms (and a per-head output gate g_proj with
// use_head_wise_attn_gate), full and sliding-window layers as layer_types says (sliding layers may
// have their own heads, attention_other_setting), dense MLPs outside moe_layers_enum (or before
// first_k_dense_replace), MoE layers of sigmoid-routed experts with a router bias and one shared
// expert share_expert_dim wide. Each of num_nextn_predict_layers MTP layers (model.layers.{n + j})
// has enorm, hnorm, eh_proj over [embedding; hidden], a shared_head (norm and its own output
// projection) and one decoder block with sliding-window attention and a DENSE MLP (intermediate_size
// wide), as StepFun's modeling_step3p5.py ports describe it (mlx-lm community port: "3 prediction
// layers (originally layers 45-47) with dense MLP, per-layer shared_head, eh_proj fusion, and
// sliding_attention"; a REAP-pruned checkpoint's card lists 17 tensors per MTP layer, a dense
// block's count). Built as MoE blocks they came to 15.55B and the total to 211.4B against the
// ~198-201B public pages give.

/**
 * StepFun's own spellings (step3p5.py reads num_attention_groups, moe_num_experts, moe_top_k)
 * next to the standard ones (the aiconfigurator copy uses num_key_value_heads, num_experts,
 * num_experts_per_tok); layer_types may run on over the MTP layers.
 */
function standardized(cfg: ConfigReader): ConfigReader {
  const raw = cfg.raw;
  const n = cfg.int("num_hidden_layers");
  const layerTypes = cfg.strArray("layer_types");
  return new ConfigReader(
    {
      ...raw,
      num_key_value_heads: raw.num_key_value_heads ?? raw.num_attention_groups,
      num_experts: raw.num_experts ?? raw.moe_num_experts,
      num_experts_per_tok: raw.num_experts_per_tok ?? raw.moe_top_k,
      layer_types: layerTypes && layerTypes.length > n ? layerTypes.slice(0, n) : raw.layer_types,
    },
    cfg.path,
  );
}

const moeLayers = (cfg: ConfigReader) => {
  const enumerated = cfg.str("moe_layers_enum");
  if (enumerated !== undefined) {
    const set = new Set(enumerated.split(",").map((x) => Number(x.trim())));
    return (i: number) => set.has(i);
  }
  // step3p5.py: without moe_layers_enum every layer but the first is MoE.
  const firstDense = cfg.intOr("first_k_dense_replace", 1);
  return (i: number) => i >= firstDense;
};

// Step3p5Attention: heads, KV groups and head size of the layer's kind.
const attention =
  (other: ConfigReader | undefined): CustomMixer =>
  (cfg, t, p, i, h): MixerSpec => {
    const heads = other?.intOr("num_attention_heads", null) ?? cfg.int("num_attention_heads");
    const kvHeads = other?.intOr("num_attention_groups", null) ?? cfg.int("num_key_value_heads");
    const headDim = other?.intOr("head_dim", null) ?? cfg.intOr("head_dim", null) ?? h / heads;
    const bias = cfg.bool("attention_bias", false);
    const a = `${p}.self_attn`;
    t.linear(`${a}.q_proj`, heads * headDim, h, "attention", i, bias);
    t.linear(`${a}.k_proj`, kvHeads * headDim, h, "attention", i, bias);
    t.linear(`${a}.v_proj`, kvHeads * headDim, h, "attention", i, bias);
    t.linear(`${a}.o_proj`, h, heads * headDim, "attention", i);
    t.norm(`${a}.q_norm`, headDim, i);
    t.norm(`${a}.k_norm`, headDim, i);
    if (cfg.bool("use_head_wise_attn_gate", false)) t.linear(`${a}.g_proj`, heads, h, "attention", i);
    const sliding = cfg.strArray("layer_types")?.[i] === "sliding_attention";
    const mixer = attentionMixer(heads, headDim, kvHeads);
    return sliding ? { ...mixer, slidingWindow: cfg.int("sliding_window") } : mixer;
  };

const base = decoder({
  customMixer: (cfg, layerTypes) => {
    const other = cfg.child("attention_other_setting");
    const otherType = other?.str("attention_type");
    const plain = attention(undefined);
    const alt = attention(other);
    return (i) => (other && layerTypes?.[i] === otherType ? alt : plain);
  },
  moe: {
    layers: moeLayers,
    widths: (cfg) => {
      const sharedInter = cfg.intOr("share_expert_dim", 0);
      return {
        expert: cfg.int("moe_intermediate_size"),
        numShared: sharedInter > 0 ? cfg.intOr("n_shared_experts", 1) : 0,
        sharedInter,
      };
    },
    scoreCorrectionBias: true,
  },
});

export const step3p7: ArchitectureBuilder = (given, t, notes) => {
  const cfg = standardized(given);
  const layers = base(cfg, t, notes);
  const n = cfg.intOr("num_nextn_predict_layers", 0);
  if (n > 0) {
    const h = cfg.int("hidden_size");
    const vocab = cfg.int("vocab_size");
    const numLayers = layers.length;
    t.mtp(() => {
      for (let j = 0; j < n; j++) {
        const p = `model.layers.${numLayers + j}`;
        t.norm(`${p}.enorm`, h, null);
        t.norm(`${p}.hnorm`, h, null);
        t.linear(`${p}.eh_proj`, h, 2 * h, "other", null);
        t.norm(`${p}.shared_head.norm`, h, null);
        t.linear(`${p}.shared_head.output`, vocab, h, "other", null);
        addDecoderLayerAs(
          base,
          cfg,
          { layer_types: ["sliding_attention"], first_k_dense_replace: 1, moe_layers_enum: null },
          t,
          p,
        );
      }
    });
    notes.push(mtpNote(n));
  }
  return layers;
};
