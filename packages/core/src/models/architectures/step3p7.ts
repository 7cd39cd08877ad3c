import type { ConfigReader } from "../config-reader.js";
import type { ArchitectureBuilder } from "./common.js";
import { decoder } from "./decoder.js";
import { addDecoderLayerAs, mtpNote } from "./mtp.js";

// StepFun Step-3.7-Flash (model_type step3p7; vLLM model_executor/models/step3p5.py @ 01b50b9 and
// step3p5_mtp.py @ 12c9ac2): GQA with per-head q/k norms, full and sliding-window layers as
// layer_types says, dense MLPs for the first first_k_dense_replace layers (or those not in
// moe_layers_enum), then MoE layers of sigmoid-routed experts with a router bias and one shared
// expert share_expert_dim wide. Each of num_nextn_predict_layers MTP layers (model.layers.{n + j})
// has enorm, hnorm, eh_proj over [embedding; hidden], a shared_head (norm and its own output
// projection) and one MoE decoder block.

const moeLayers = (cfg: ConfigReader) => {
  const enumerated = cfg.str("moe_layers_enum");
  if (enumerated !== undefined) {
    const set = new Set(enumerated.split(",").map((x) => Number(x.trim())));
    return (i: number) => set.has(i);
  }
  const firstDense = cfg.intOr("first_k_dense_replace", 1);
  return (i: number) => i >= firstDense;
};

const base = decoder({
  qkNorm: () => "head",
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

export const step3p7: ArchitectureBuilder = (cfg, t, notes) => {
  const layers = base(cfg, t, notes);
  if (cfg.bool("use_head_wise_attn_gate", false))
    for (const l of layers)
      if (l.mixer.kind === "attention")
        t.linear(
          `model.layers.${l.index}.self_attn.g_proj`,
          l.mixer.numHeads,
          cfg.int("hidden_size"),
          "attention",
          l.index,
        );
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
          { layer_types: ["full_attention"], first_k_dense_replace: 0, moe_layers_enum: null },
          t,
          p,
        );
      }
    });
    notes.push(mtpNote(n));
  }
  return layers;
};
