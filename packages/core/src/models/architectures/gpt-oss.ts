import { allLayers, decoder } from "./decoder.js";

// modeling_gpt_oss.py: attention sinks, every layer MoE with biased router and experts
// (sliding and full layers come from layer_types).
export const gptOss = decoder({
  sinks: true,
  moe: {
    layers: allLayers,
    widths: (cfg) => ({ expert: cfg.int("intermediate_size"), numShared: 0, sharedInter: 0 }),
    routerBias: true,
    expertBias: true,
  },
});
