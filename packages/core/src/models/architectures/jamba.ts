import type { FfnSpec, LayerSpec, MixerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, attentionMixer, denseFfn } from "./common.js";
import { addMambaMixer, dtRankOf, type MambaDims } from "./mamba.js";

// modeling_jamba.py: Mamba layers with one attention layer per attn_layer_period, MoE every
// expert_layer_period layers.
export const jamba: ArchitectureBuilder = (cfg, t) => {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const heads = cfg.int("num_attention_heads");
  const kvHeads = cfg.intOr("num_key_value_heads", heads);
  const inter = cfg.int("intermediate_size");
  const attnPeriod = cfg.intOr("attn_layer_period", 8);
  const attnOffset = cfg.intOr("attn_layer_offset", 4);
  const expertPeriod = cfg.intOr("expert_layer_period", 2);
  const expertOffset = cfg.intOr("expert_layer_offset", 1);
  const numExperts = cfg.intOr("num_experts", 16);
  const topK = cfg.intOr("num_experts_per_tok", 2);
  const expand = cfg.intOr("mamba_expand", 2);
  const dims: MambaDims = {
    dInner: expand * h,
    dState: cfg.intOr("mamba_d_state", 16),
    dConv: cfg.intOr("mamba_d_conv", 4),
    dtRank: dtRankOf(cfg, "mamba_dt_rank", h),
  };
  const hd = h / heads;
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    t.norm(`${p}.input_layernorm`, h, i);
    t.norm(`${p}.pre_ff_layernorm`, h, i);
    let mixer: MixerSpec;
    if (i % attnPeriod === attnOffset) {
      t.linear(`${p}.self_attn.q_proj`, heads * hd, h, "attention", i);
      t.linear(`${p}.self_attn.k_proj`, kvHeads * hd, h, "attention", i);
      t.linear(`${p}.self_attn.v_proj`, kvHeads * hd, h, "attention", i);
      t.linear(`${p}.self_attn.o_proj`, h, heads * hd, "attention", i);
      mixer = attentionMixer(heads, hd, kvHeads);
    } else {
      mixer = addMambaMixer(
        t,
        `${p}.mamba`,
        i,
        h,
        dims,
        cfg.bool("mamba_conv_bias", true),
        cfg.bool("mamba_proj_bias", false),
        true,
      );
    }
    let ffn: FfnSpec;
    if (numExperts > 1 && i % expertPeriod === expertOffset) {
      t.linear(`${p}.feed_forward.router`, numExperts, h, "router", i);
      t.stackedExperts(`${p}.feed_forward.experts`, numExperts, h, inter, i);
      ffn = {
        kind: "moe",
        numExperts,
        expertsPerToken: topK,
        expertIntermediateSize: inter,
        numSharedExperts: 0,
        sharedIntermediateSize: 0,
      };
    } else {
      t.gatedMlp(`${p}.feed_forward`, h, inter, "mlp", i);
      ffn = denseFfn(inter, true);
    }
    layers.push({ index: i, mixer, ffn });
  }
  t.norm("model.final_layernorm", h, null);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
};
