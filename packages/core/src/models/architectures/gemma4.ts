import { MemlensError } from "../../errors/memlens-error.js";
import type { FfnSpec, LayerSpec } from "../model-spec.js";
import type { ArchitectureBuilder, MultimodalArchitecture } from "./common.js";
import { denseFfn } from "./common.js";
import { SANDWICH_NORMS } from "./decoder.js";

// Gemma 4 (transformers src/transformers/models/gemma4/modular_gemma4.py @ 033b1a8).

/**
 * Gemma4TextModel: sliding-window and global layers as layer_types says (global layers have
 * their own head size global_head_dim and num_global_key_value_heads; with attention_k_eq_v they
 * have no v_proj, V is K), sandwich norms, a per-layer `layer_scalar`, q/k norms (v_norm has no
 * weight). With enable_moe_block a layer runs its dense MLP and a routed MoE side by side
 * (Gemma4TextRouter: proj, scale, per_expert_scale; fused experts; three more norms): memlens reads
 * the dense MLP as an always-on shared expert. Optional per-layer embeddings
 * (hidden_size_per_layer_input) and KV sharing for the last num_kv_shared_layers layers, whose
 * k/v projections the checkpoint drops.
 */
export const gemma4Text: ArchitectureBuilder = (cfg, t, notes) => {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const heads = cfg.int("num_attention_heads");
  const kvHeads = cfg.intOr("num_key_value_heads", heads);
  const headDim = cfg.int("head_dim");
  const globalHeadDim = cfg.intOr("global_head_dim", headDim);
  const globalKvHeads = cfg.intOr("num_global_key_value_heads", kvHeads);
  const kEqV = cfg.bool("attention_k_eq_v", false);
  const bias = cfg.bool("attention_bias", false);
  const window = cfg.intOr("sliding_window", null);
  const inter = cfg.int("intermediate_size");
  const moe = cfg.bool("enable_moe_block", false);
  const shared = cfg.intOr("num_kv_shared_layers", 0);
  const firstShared = n - shared;
  const doubleWide = cfg.bool("use_double_wide_mlp", false);
  const ple = cfg.intOr("hidden_size_per_layer_input", 0);

  const layerTypes = cfg.strArray("layer_types");
  if (layerTypes && layerTypes.length !== n)
    throw new MemlensError(
      "malformed-config",
      `config.layer_types has ${layerTypes.length} entries but num_hidden_layers is ${n}`,
      "config.layer_types",
    );
  const pattern = cfg.intOr("sliding_window_pattern", 6);
  const isSliding = (i: number) =>
    layerTypes ? layerTypes[i] === "sliding_attention" : (i + 1) % pattern !== 0;

  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  if (ple > 0) {
    t.add(
      "model.embed_tokens_per_layer.weight",
      [cfg.intOr("vocab_size_per_layer_input", vocab), n * ple],
      "embedding",
    );
    t.linear("model.per_layer_model_projection", n * ple, h, "other", null);
    t.norm("model.per_layer_projection_norm", ple, null);
  }
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    for (const nm of SANDWICH_NORMS) t.norm(`${p}.${nm}`, h, i);
    t.add(`${p}.layer_scalar`, [1], "other", i);

    const sliding = isSliding(i);
    const hd = sliding ? headDim : globalHeadDim;
    const kv = sliding ? kvHeads : globalKvHeads;
    const a = `${p}.self_attn`;
    t.linear(`${a}.q_proj`, heads * hd, h, "attention", i, bias);
    t.norm(`${a}.q_norm`, hd, i);
    if (i < firstShared) {
      t.linear(`${a}.k_proj`, kv * hd, h, "attention", i, bias);
      if (!(kEqV && !sliding)) t.linear(`${a}.v_proj`, kv * hd, h, "attention", i, bias);
      t.norm(`${a}.k_norm`, hd, i);
    }
    t.linear(`${a}.o_proj`, h, heads * hd, "attention", i, bias);

    const width = doubleWide && i >= firstShared ? 2 * inter : inter;
    t.gatedMlp(`${p}.mlp`, h, width, "mlp", i);
    let ffn: FfnSpec = denseFfn(width, true);
    if (moe) {
      const experts = cfg.int("num_experts");
      const topK = cfg.int("top_k_experts");
      const expertInter = cfg.intAny(["moe_intermediate_size", "expert_intermediate_size"]);
      t.linear(`${p}.router.proj`, experts, h, "router", i);
      t.add(`${p}.router.scale`, [h], "router", i);
      t.add(`${p}.router.per_expert_scale`, [experts], "router", i);
      t.add(`${p}.experts.gate_up_proj`, [experts, 2 * expertInter, h], "expert", i);
      t.add(`${p}.experts.down_proj`, [experts, h, expertInter], "expert", i);
      for (const nm of [
        "post_feedforward_layernorm_1",
        "post_feedforward_layernorm_2",
        "pre_feedforward_layernorm_2",
      ])
        t.norm(`${p}.${nm}`, h, i);
      ffn = {
        kind: "moe",
        numExperts: experts,
        expertsPerToken: topK,
        expertIntermediateSize: expertInter,
        numSharedExperts: 1,
        sharedIntermediateSize: width,
      };
    }
    if (ple > 0) {
      t.linear(`${p}.per_layer_input_gate`, ple, h, "other", i);
      t.linear(`${p}.per_layer_projection`, h, ple, "other", i);
      t.norm(`${p}.post_per_layer_input_norm`, h, i);
    }
    layers.push({
      index: i,
      mixer: {
        kind: "attention",
        numHeads: heads,
        numKvHeads: kv,
        headDim: hd,
        valueHeadDim: hd,
        slidingWindow: sliding ? window : null,
      },
      ffn,
    });
  }
  t.norm("model.norm", h, null);
  if (!cfg.bool("tie_word_embeddings", true)) t.linear("lm_head", vocab, h, "output", null);
  if (shared > 0)
    notes.push(
      `Approximate: the last ${shared} layers reuse earlier layers' K/V (num_kv_shared_layers); their KV is counted as if each kept its own.`,
    );
  return layers;
};

// Gemma4VisionModel: a linear patch embedding with a 2-D learned position table, Gemma-style
// encoder layers (sandwich RMSNorms, q/k norms, gated MLP, no biases), standardization buffers,
// and embed_vision's projection to the text width. An audio tower (audio_config) is not counted.
export const gemma4: MultimodalArchitecture = {
  textModelType: "gemma4_text",
  addVisionTower(
    t,
    { hidden: hv, intermediate: iv, layers, patch, channels, textHidden: ht },
    v,
    root,
    notes,
  ) {
    const heads = v.int("num_attention_heads");
    const kvHeads = v.intOr("num_key_value_heads", heads);
    const hd = v.intOr("head_dim", hv / heads);
    const clipped = v.bool("use_clipped_linears", false);
    const p = "model.vision_tower";
    const linear = (name: string, out: number, inp: number) => {
      t.linear(name, out, inp, "vision", null);
      // Gemma4ClippableLinear keeps input/output min/max scalars when use_clipped_linears.
      if (clipped)
        for (const b of ["input_min", "input_max", "output_min", "output_max"])
          t.add(`${name}.${b}`, [], "vision");
    };
    t.linear(`${p}.patch_embedder.input_proj`, hv, channels * patch * patch, "vision", null);
    t.add(
      `${p}.patch_embedder.position_embedding_table`,
      [2, v.int("position_embedding_size"), hv],
      "vision",
    );
    for (let i = 0; i < layers; i++) {
      const l = `${p}.encoder.layers.${i}`;
      for (const nm of SANDWICH_NORMS) t.norm(`${l}.${nm}`, hv, null);
      linear(`${l}.self_attn.q_proj.linear`, heads * hd, hv);
      linear(`${l}.self_attn.k_proj.linear`, kvHeads * hd, hv);
      linear(`${l}.self_attn.v_proj.linear`, kvHeads * hd, hv);
      linear(`${l}.self_attn.o_proj.linear`, hv, heads * hd);
      t.norm(`${l}.self_attn.q_norm`, hd, null);
      t.norm(`${l}.self_attn.k_norm`, hd, null);
      linear(`${l}.mlp.gate_proj.linear`, iv, hv);
      linear(`${l}.mlp.up_proj.linear`, iv, hv);
      linear(`${l}.mlp.down_proj.linear`, hv, iv);
    }
    if (v.bool("standardize", false)) {
      t.add(`${p}.std_bias`, [hv], "vision");
      t.add(`${p}.std_scale`, [hv], "vision");
    }
    t.linear("model.embed_vision.embedding_projection", ht, hv, "vision", null);
    if (root.child("audio_config"))
      notes.push(
        "Approximate: the audio_config tower (Gemma4AudioModel) is not counted; text and vision only.",
      );
  },
};
