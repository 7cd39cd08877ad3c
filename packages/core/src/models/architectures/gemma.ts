import type { MultimodalArchitecture } from "./common.js";
import { vitBlock } from "./common.js";
import { decoder } from "./decoder.js";

// Gemma 1/2/3 (modeling_gemma*.py): embeddings tied to the output by default.

export const gemma = decoder({ tiedByDefault: true });

// modeling_gemma2.py: even layers use the sliding window, odd layers are global; a norm before
// and after both attention and MLP.
export const gemma2 = decoder({
  slidingWindow: (_cfg, window) => (i) => (i % 2 === 0 ? window : null),
  norms: "sandwich",
  tiedByDefault: true,
});

// modeling_gemma3.py: layer i is global when (i + 1) % sliding_window_pattern == 0; per-head q/k norms.
export const gemma3Text = decoder({
  slidingWindow: (cfg, window) => {
    const pattern = cfg.intOr("sliding_window_pattern", 6);
    return (i) => ((i + 1) % pattern === 0 ? null : window);
  },
  norms: "sandwich",
  qkNorm: () => "head",
  tiedByDefault: true,
});

// Gemma 3 multimodal: the text model in text_config and a SigLIP vision encoder.
export const gemma3: MultimodalArchitecture = {
  textModelType: "gemma3_text",
  addVisionTower(t, { hidden: hv, intermediate: iv, layers: lv, patch, channels, textHidden: ht }, v) {
    // SigLIP (modeling_siglip.py): conv patch embedding, learned positions, pre-LN blocks with biases.
    const image = v.int("image_size");
    t.add("vision_tower.patch_embedding.weight", [hv, channels, patch, patch], "vision");
    t.add("vision_tower.patch_embedding.bias", [hv], "vision");
    t.add("vision_tower.position_embedding.weight", [(image / patch) ** 2, hv], "vision");
    for (let i = 0; i < lv; i++) vitBlock(t, `vision_tower.layers.${i}`, hv, iv, true);
    t.norm("vision_tower.post_layernorm", hv, null, true);
    // Gemma3MultiModalProjector.
    t.add("multi_modal_projector.mm_input_projection_weight", [hv, ht], "vision");
    t.norm("multi_modal_projector.mm_soft_emb_norm", hv, null);
  },
};
