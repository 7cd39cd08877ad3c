import type { MultimodalArchitecture } from "./common.js";
import { vitBlock } from "./common.js";
import { decoder } from "./decoder.js";

// modeling_llama4.py: chunked attention on RoPE layers, MoE layers with one shared expert,
// dense layers intermediate_size_mlp wide.
export const llama4Text = decoder({
  // NoPE layers ((i + 1) % 4 == 0 by default) are global; RoPE layers use chunked attention over
  // attention_chunk_size tokens.
  slidingWindow: (cfg, _window, notes) => {
    const chunk = cfg.intOr("attention_chunk_size", null);
    const noRope = cfg.intArray("no_rope_layers");
    if (chunk !== null)
      notes.push(
        `RoPE layers use chunked attention over ${chunk} tokens; every fourth (NoPE) layer is global.`,
      );
    return (i) => {
      const usesRope = noRope ? noRope[i] !== 0 : (i + 1) % 4 !== 0;
      return usesRope ? chunk : null;
    };
  },
  moe: {
    // Layer i is MoE when (i + 1) % interleave_moe_layer_step == 0 (or listed in moe_layers).
    layers: (cfg) => {
      const step = cfg.intOr("interleave_moe_layer_step", 1);
      const moeLayers = cfg.intArray("moe_layers");
      return moeLayers ? (i) => moeLayers.includes(i) : (i) => (i + 1) % step === 0;
    },
    // Llama4TextMoe: one shared expert as wide as a routed one.
    widths: (cfg) => {
      const expert = cfg.int("intermediate_size");
      return { expert, numShared: 1, sharedInter: expert };
    },
  },
  denseIntermediate: (cfg) => cfg.int("intermediate_size_mlp"),
});

// Llama 4 multimodal: the text model in text_config and its own vision encoder.
export const llama4: MultimodalArchitecture = {
  textModelType: "llama4_text",
  addVisionTower(t, { hidden: hv, intermediate: iv, layers: lv, patch, channels, textHidden: ht }, v) {
    // Llama4VisionModel: CLS token, learned positions, LN blocks.
    const image = v.int("image_size");
    const outDim = v.intOr("vision_output_dim", hv);
    const projIn = v.intOr("projector_input_dim", outDim);
    const projOut = v.intOr("projector_output_dim", outDim);
    t.add("vision_model.patch_embedding.linear.weight", [hv, channels * patch * patch], "vision");
    t.add("vision_model.class_embedding", [hv], "vision");
    t.add("vision_model.positional_embedding_vlm", [(image / patch) ** 2 + 1, hv], "vision");
    t.norm("vision_model.layernorm_pre", hv, null, true);
    t.norm("vision_model.layernorm_post", hv, null, true);
    for (let i = 0; i < lv; i++) vitBlock(t, `vision_model.model.layers.${i}`, hv, iv, true);
    const ratio = v.num("pixel_shuffle_ratio") ?? 0.5;
    const shuffled = Math.round(hv / (ratio * ratio));
    t.linear("vision_model.vision_adapter.mlp.fc1", projIn, shuffled, "vision", null);
    t.linear("vision_model.vision_adapter.mlp.fc2", projOut, projIn, "vision", null);
    t.linear("multi_modal_projector.linear_1", ht, outDim, "vision", null);
  },
};
