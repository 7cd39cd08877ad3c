import type { TensorList } from "../tensor-list.js";
import type { MultimodalArchitecture } from "./common.js";

// Kimi-K2.5 (model_type kimi_k25): Kimi K2's DeepSeek-V3 text model in text_config (kimi_k2, built
// by deepseek.ts) and the MoonViT-3D vision tower with its patch-merging projector. Layout from
// vllm-project/vllm vllm/model_executor/models/kimi_k25_vit.py (MoonVision3dPatchEmbed,
// Learnable2DInterpPosEmbDivided_fixed, MoonViTEncoderLayer with packed wqkv and biases, LayerNorms,
// KimiK25MultiModalProjector) and kimi_k25.py @ 009dff45 (vision_tower, mm_projector).
// LayerNorms (weight and bias) of the tower, kept in the "vision" role like the rest of it
// (llama.cpp loads the tower from a separate mmproj file, never with the text weights).
const layerNorm = (t: TensorList, p: string, n: number): void => {
  t.add(`${p}.weight`, [n], "vision");
  t.add(`${p}.bias`, [n], "vision");
};

export const kimiK25: MultimodalArchitecture = {
  textModelType: "kimi_k2",
  visionKeyPrefix: "vt_",
  addVisionTower(t, { hidden: hv, intermediate: iv, layers: lv, patch, channels, textHidden }, v) {
    const vt = "vision_tower";
    t.add(`${vt}.patch_embed.proj.weight`, [hv, channels, patch, patch], "vision");
    t.add(`${vt}.patch_embed.proj.bias`, [hv], "vision");
    // Learned 2-D position table, interpolated to each image's grid.
    const ph = v.intOr("init_pos_emb_height", 64);
    const pw = v.intOr("init_pos_emb_width", 64);
    t.add(`${vt}.patch_embed.pos_emb.weight`, [ph, pw, hv], "vision");
    for (let i = 0; i < lv; i++) {
      const p = `${vt}.encoder.blocks.${i}`;
      layerNorm(t, `${p}.norm0`, hv);
      layerNorm(t, `${p}.norm1`, hv);
      t.linear(`${p}.wqkv`, 3 * hv, hv, "vision", null, true);
      t.linear(`${p}.wo`, hv, hv, "vision", null, true);
      t.linear(`${p}.mlp.fc0`, iv, hv, "vision", null, true);
      t.linear(`${p}.mlp.fc1`, hv, iv, "vision", null, true);
    }
    layerNorm(t, `${vt}.encoder.final_layernorm`, hv);
    // Projector: LayerNorm, then kh·kw merged patches → itself → the text width.
    const merge = v.intArray("merge_kernel_size") ?? [2, 2];
    const merged = hv * merge.reduce((a, b) => a * b, 1);
    const out = v.intOr("text_hidden_size", textHidden);
    layerNorm(t, "mm_projector.pre_norm", hv);
    t.linear("mm_projector.linear_1", merged, merged, "vision", null, true);
    t.linear("mm_projector.linear_2", out, merged, "vision", null, true);
  },
};
