import type { ArchitectureBuilder, MultimodalArchitecture } from "./common.js";
import { decoder } from "./decoder.js";
import { addDecoderLayerAs, mtpNote } from "./mtp.js";
import { qwen2MoeLayout } from "./qwen2.js";
import { gatedDeltaNetOf, hybridLinearLayers } from "./qwen3-next.js";
import { addQwen3VlVisionTower } from "./qwen3-vl.js";

// Qwen3.5 / Qwen3.6, dense and MoE (transformers src/transformers/models/qwen3_5/modular_qwen3_5.py
// @ 009e78d, qwen3_5_moe likewise): Qwen3-Next's layout (Gated DeltaNet layers, a gated
// full-attention layer every full_attention_interval layers, Qwen2-MoE experts with a gated shared
// expert) with the DeltaNet projections split, a Qwen3-VL vision tower, and an MTP module
// (vLLM model_executor/models/qwen3_5_mtp.py: mtp.fc over [embedding; hidden], its two pre-norms,
// mtp_num_hidden_layers full-attention decoder layers and mtp.norm; embeddings and lm_head shared).

const family = {
  customMixer: hybridLinearLayers(gatedDeltaNetOf(true)),
  gatedQuery: true,
  qkNorm: () => "head" as const,
};
const dense = decoder(family);
const moe = decoder({ ...family, moe: qwen2MoeLayout });

const withMtp =
  (base: ArchitectureBuilder): ArchitectureBuilder =>
  (cfg, t, notes) => {
    const layers = base(cfg, t, notes);
    const n = cfg.intOr("mtp_num_hidden_layers", 0);
    if (n > 0) {
      const h = cfg.int("hidden_size");
      t.mtp(() => {
        t.linear("mtp.fc", h, 2 * h, "other", null);
        t.norm("mtp.pre_fc_norm_embedding", h, null);
        t.norm("mtp.pre_fc_norm_hidden", h, null);
        for (let j = 0; j < n; j++)
          addDecoderLayerAs(
            base,
            cfg,
            { layer_types: ["full_attention"], mlp_only_layers: [] },
            t,
            `mtp.layers.${j}`,
          );
        t.norm("mtp.norm", h, null);
        if (cfg.bool("mtp_use_dedicated_embeddings", false))
          t.add("mtp.embed_tokens.weight", [cfg.int("vocab_size"), h], "embedding");
      });
      notes.push(mtpNote(n));
    }
    return layers;
  };

export const qwen35Text = withMtp(dense);
export const qwen35MoeText = withMtp(moe);

export const qwen35: MultimodalArchitecture = {
  textModelType: "qwen3_5_text",
  addVisionTower: (t, dims, v) => addQwen3VlVisionTower(t, dims, v),
};

export const qwen35Moe: MultimodalArchitecture = {
  textModelType: "qwen3_5_moe_text",
  addVisionTower: (t, dims, v) => addQwen3VlVisionTower(t, dims, v),
};
