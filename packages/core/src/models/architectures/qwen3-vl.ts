import type { ConfigReader } from "../config-reader.js";
import type { TensorList } from "../tensor-list.js";
import type { MultimodalArchitecture, VisionDims } from "./common.js";

// Qwen3-VL (transformers src/transformers/models/qwen3_vl/modular_qwen3_vl.py @ 00709b8): a Qwen3
// (or Qwen3-MoE) text model in text_config, read by the qwen3 / qwen3_moe builders, and the
// vision tower below, which Qwen3.5 (modular_qwen3_5.py Qwen3_5VisionConfig) reuses.

/**
 * Qwen3VLVisionModel: a Conv3d patch embedding (temporal × spatial patches, with bias), learned
 * positions (num_position_embeddings), `depth` pre-LN blocks (fused qkv and proj with biases,
 * linear_fc1/fc2 MLP), the patch merger to the text width, and one DeepStack merger per
 * deepstack_visual_indexes entry (post-shuffle LayerNorm) whose outputs are added to the first
 * text layers' hidden states (no text-side weights).
 */
export function addQwen3VlVisionTower(t: TensorList, d: VisionDims, v: ConfigReader): void {
  const { hidden: hv, intermediate: iv, layers, patch, channels } = d;
  const temporal = v.intOr("temporal_patch_size", 2);
  const merge = v.intOr("spatial_merge_size", 2);
  const out = v.intOr("out_hidden_size", d.textHidden);
  const p = "model.visual";
  t.add(`${p}.patch_embed.proj.weight`, [hv, channels, temporal, patch, patch], "vision");
  t.add(`${p}.patch_embed.proj.bias`, [hv], "vision");
  t.add(`${p}.pos_embed.weight`, [v.int("num_position_embeddings"), hv], "vision");
  for (let i = 0; i < layers; i++) {
    const b = `${p}.blocks.${i}`;
    t.norm(`${b}.norm1`, hv, null, true);
    t.norm(`${b}.norm2`, hv, null, true);
    t.linear(`${b}.attn.qkv`, 3 * hv, hv, "vision", null, true);
    t.linear(`${b}.attn.proj`, hv, hv, "vision", null, true);
    t.linear(`${b}.mlp.linear_fc1`, iv, hv, "vision", null, true);
    t.linear(`${b}.mlp.linear_fc2`, hv, iv, "vision", null, true);
  }
  // Qwen3VLVisionPatchMerger: merge × merge patches concatenated, then a 2-layer MLP.
  const merged = hv * merge * merge;
  const merger = (m: string, postShuffleNorm: boolean) => {
    t.norm(`${m}.norm`, postShuffleNorm ? merged : hv, null, true);
    t.linear(`${m}.linear_fc1`, merged, merged, "vision", null, true);
    t.linear(`${m}.linear_fc2`, out, merged, "vision", null, true);
  };
  merger(`${p}.merger`, false);
  const deepstack = v.intArray("deepstack_visual_indexes") ?? [];
  for (let j = 0; j < deepstack.length; j++) merger(`${p}.deepstack_merger_list.${j}`, true);
}

export const qwen3Vl: MultimodalArchitecture = {
  textModelType: "qwen3_vl_text",
  addVisionTower: (t, dims, v) => addQwen3VlVisionTower(t, dims, v),
};

export const qwen3VlMoe: MultimodalArchitecture = {
  textModelType: "qwen3_vl_moe_text",
  addVisionTower: (t, dims, v) => addQwen3VlVisionTower(t, dims, v),
};
