import type { MultimodalArchitecture } from "./common.js";
import { allLayers, decoder, everyLayerWindow } from "./decoder.js";

// modeling_mistral.py: Llama with an optional sliding window on every layer.
export const mistral = decoder({ slidingWindow: everyLayerWindow });

// modeling_mixtral.py: Mistral with every MLP a sparse MoE of intermediate_size-wide experts.
export const mixtral = decoder({
  slidingWindow: everyLayerWindow,
  moe: {
    layers: allLayers,
    widths: (cfg) => ({ expert: cfg.int("intermediate_size"), numShared: 0, sharedInter: 0 }),
  },
});

// modeling_mistral3.py: a Mistral text model with a Pixtral vision encoder.
export const mistral3: MultimodalArchitecture = {
  textModelType: "mistral",
  addVisionTower(t, { hidden: hv, intermediate: iv, layers: lv, patch, channels, textHidden: ht }, _v, root) {
    // Pixtral (modeling_pixtral.py): RMSNorm, gated MLP, no biases, 2-D RoPE (no learned positions).
    t.add("vision_tower.patch_conv.weight", [hv, channels, patch, patch], "vision");
    t.norm("vision_tower.ln_pre", hv, null);
    for (let i = 0; i < lv; i++) {
      const p = `vision_tower.transformer.layers.${i}`;
      t.norm(`${p}.attention_norm`, hv, null);
      for (const x of ["q_proj", "k_proj", "v_proj", "o_proj"])
        t.linear(`${p}.attention.${x}`, hv, hv, "vision", null);
      t.norm(`${p}.ffn_norm`, hv, null);
      t.linear(`${p}.feed_forward.gate_proj`, iv, hv, "vision", null);
      t.linear(`${p}.feed_forward.up_proj`, iv, hv, "vision", null);
      t.linear(`${p}.feed_forward.down_proj`, hv, iv, "vision", null);
    }
    // Mistral3MultiModalProjector with its patch merger.
    const merge = root.intOr("spatial_merge_size", 2);
    const bias = root.bool("multimodal_projector_bias", false);
    t.norm("multi_modal_projector.norm", hv, null);
    t.linear("multi_modal_projector.patch_merger.merging_layer", hv, hv * merge * merge, "vision", null);
    t.linear("multi_modal_projector.linear_1", ht, hv, "vision", null, bias);
    t.linear("multi_modal_projector.linear_2", ht, ht, "vision", null, bias);
  },
};
