import { MemlensError } from "../../errors/memlens-error.js";
import type { ConfigReader } from "../config-reader.js";
import type { LayerSpec, MlaMixer } from "../model-spec.js";
import type { TensorList } from "../tensor-list.js";
import type { ArchitectureBuilder } from "./common.js";
import { mtpNote } from "./mtp.js";

// DeepSeek-V4 (model_type deepseek_v4; V4-Flash, V4-Pro). Layout from transformers
// src/transformers/models/deepseek_v4/modeling_deepseek_v4.py @ 01976081 (tensor names are its
// parameter names) and, for the MTP block transformers skips on load, DeepSeek's
// inference/model.py MTPBlock as public ports transcribe it (a full Block with no indexer, plus
// e_proj, h_proj, enorm, hnorm, norm and hc_head_fn/base/scale).
//
// Every layer: shared-KV multi-query attention (one head_dim latent read as both K and V, its
// last qk_rope_head_dim channels rotary), low-rank queries (q_a/q_b), a grouped low-rank output
// projection (o_groups × o_lora_rank), a learnable sink per head; a sliding window of
// `sliding_window` tokens on every layer, plus per compress_ratios[i]: 4 = CSA (a compressor with
// two overlapping series, kv/gate at 2 × head_dim, and a lightning indexer with its own
// compressor at index_head_dim), 128 = HCA (a compressor at head_dim), 0 = the window only.
// Two manifold-constrained hyper-connections per layer (attn_hc, ffn_hc: fn [(2+m)·m, m·h], base,
// scale [3]) over hc_mult residual streams, and a final hc_head. Every layer is MoE (sqrt-softplus
// router, one shared expert); the first num_hash_layers route by a token-id table (tid2eid, an
// integer buffer, not a parameter) and have no score correction bias.

/** compress_ratios[i]; 0 (the window only) past the list's end. */
const compressionOf = (cfg: ConfigReader, i: number): number => cfg.intArray("compress_ratios")?.[i] ?? 0;

function addLayer(
  cfg: ConfigReader,
  t: TensorList,
  p: string,
  i: number | null,
  ratio: number,
  indexer: boolean,
): MlaMixer {
  const h = cfg.int("hidden_size");
  const heads = cfg.int("num_attention_heads");
  const hd = cfg.int("head_dim");
  const rope = cfg.int("qk_rope_head_dim");
  const ql = cfg.int("q_lora_rank");
  const groups = cfg.int("o_groups");
  const ol = cfg.int("o_lora_rank");
  const hc = cfg.int("hc_mult");
  const a = `${p}.self_attn`;
  t.linear(`${a}.q_a_proj`, ql, h, "attention", i);
  t.norm(`${a}.q_a_norm`, ql, i);
  t.linear(`${a}.q_b_proj`, heads * hd, ql, "attention", i);
  t.linear(`${a}.kv_proj`, hd, h, "attention", i);
  t.norm(`${a}.kv_norm`, hd, i);
  t.linear(`${a}.o_a_proj`, groups * ol, (heads * hd) / groups, "attention", i);
  t.linear(`${a}.o_b_proj`, h, groups * ol, "attention", i);
  t.add(`${a}.sinks`, [heads], "attention", i);
  let indexerHeadDim: number | undefined;
  if (ratio > 0) {
    // DeepseekV4CSACompressor (ratio 4: two overlapping series) / DeepseekV4HCACompressor.
    const series = ratio === 4 ? 2 : 1;
    const c = `${a}.compressor`;
    t.linear(`${c}.kv_proj`, series * hd, h, "attention", i);
    t.linear(`${c}.gate_proj`, series * hd, h, "attention", i);
    t.add(`${c}.position_bias`, [ratio, series * hd], "attention", i);
    t.norm(`${c}.kv_norm`, hd, i);
    if (ratio === 4 && indexer) {
      // DeepseekV4Indexer: its own two-series compressor at index_head_dim, q_b_proj, scorer.
      const ih = cfg.int("index_n_heads");
      const id = cfg.int("index_head_dim");
      const x = `${c}.indexer`;
      t.linear(`${x}.kv_proj`, 2 * id, h, "attention", i);
      t.linear(`${x}.gate_proj`, 2 * id, h, "attention", i);
      t.add(`${x}.position_bias`, [ratio, 2 * id], "attention", i);
      t.norm(`${x}.kv_norm`, id, i);
      t.linear(`${x}.q_b_proj`, ih * id, ql, "attention", i);
      t.linear(`${x}.scorer.weights_proj`, ih, h, "attention", i);
      indexerHeadDim = id;
    }
  }
  // DeepseekV4HyperConnection ×2.
  const mix = (2 + hc) * hc;
  for (const part of ["attn_hc", "ffn_hc"]) {
    t.add(`${p}.${part}.fn`, [mix, hc * h], "other", i);
    t.add(`${p}.${part}.base`, [mix], "other", i);
    t.add(`${p}.${part}.scale`, [3], "other", i);
  }
  t.norm(`${p}.input_layernorm`, h, i);
  t.norm(`${p}.post_attention_layernorm`, h, i);
  // DeepseekV4SparseMoeBlock: router (hash or top-k), stacked experts, one shared MLP.
  const experts = cfg.int("n_routed_experts");
  const inter = cfg.int("moe_intermediate_size");
  const shared = cfg.intOr("n_shared_experts", 1);
  const m = `${p}.mlp`;
  t.linear(`${m}.gate`, experts, h, "router", i);
  const hashed = i !== null && i < cfg.intOr("num_hash_layers", 0);
  if (!hashed) t.add(`${m}.gate.e_score_correction_bias`, [experts], "router", i);
  if (i === null) {
    // TensorList.stackedExperts needs a layer index; the MTP block's experts carry none.
    t.add(`${m}.experts.gate_proj`, [experts, inter, h], "expert", null);
    t.add(`${m}.experts.up_proj`, [experts, inter, h], "expert", null);
    t.add(`${m}.experts.down_proj`, [experts, h, inter], "expert", null);
  } else t.stackedExperts(`${m}.experts`, experts, h, inter, i);
  t.gatedMlp(`${m}.shared_experts`, h, shared * inter, "shared-expert", i);
  return {
    kind: "mla",
    numHeads: heads,
    kvLoraRank: hd - rope,
    qLoraRank: ql,
    qkNopeHeadDim: hd - rope,
    qkRopeHeadDim: rope,
    valueHeadDim: hd,
    ...(indexerHeadDim !== undefined ? { indexerHeadDim } : {}),
    compressed: { ratio, window: cfg.int("sliding_window") },
  };
}

function addHcHead(t: TensorList, p: string, hc: number, h: number): void {
  t.add(`${p}_fn`, [hc, hc * h], "other", null);
  t.add(`${p}_base`, [hc], "other", null);
  t.add(`${p}_scale`, [1], "other", null);
}

export const deepseekV4: ArchitectureBuilder = (cfg, t, notes) => {
  const h = cfg.int("hidden_size");
  const vocab = cfg.int("vocab_size");
  const n = cfg.int("num_hidden_layers");
  const hc = cfg.int("hc_mult");
  const ratios = cfg.intArray("compress_ratios") ?? [];
  for (const r of ratios)
    if (r !== 0 && r !== 4 && r !== 128)
      throw new MemlensError(
        "malformed-config",
        `config.compress_ratios holds ${r}; DeepSeek-V4 layers compress by 0, 4 or 128`,
        "config.compress_ratios",
      );
  const topK = cfg.int("num_experts_per_tok");
  const experts = cfg.int("n_routed_experts");
  const inter = cfg.int("moe_intermediate_size");
  const shared = cfg.intOr("n_shared_experts", 1);
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const mixer = addLayer(cfg, t, `model.layers.${i}`, i, compressionOf(cfg, i), true);
    layers.push({
      index: i,
      mixer,
      ffn: {
        kind: "moe",
        numExperts: experts,
        expertsPerToken: topK,
        expertIntermediateSize: inter,
        numSharedExperts: shared,
        sharedIntermediateSize: shared * inter,
      },
    });
  }
  addHcHead(t, "model.hc_head.hc", hc, h);
  t.norm("model.norm", h, null);
  t.add("lm_head.weight", [vocab, h], "output");
  const mtp = cfg.intOr("num_nextn_predict_layers", 0);
  if (mtp > 0) {
    t.mtp(() => {
      for (let j = 0; j < mtp; j++) {
        const p = `mtp.${j}`;
        addLayer(cfg, t, p, null, compressionOf(cfg, n + j), false);
        t.linear(`${p}.e_proj`, h, h, "other", null);
        t.linear(`${p}.h_proj`, h, h, "other", null);
        t.norm(`${p}.enorm`, h, null);
        t.norm(`${p}.hnorm`, h, null);
        t.norm(`${p}.norm`, h, null);
        addHcHead(t, `${p}.hc_head`, hc, h);
      }
    });
    notes.push(mtpNote(mtp));
  }
  const c4 = ratios.slice(0, n).filter((r) => r === 4).length;
  const c128 = ratios.slice(0, n).filter((r) => r === 128).length;
  notes.push(
    `DeepSeek-V4 attention: every layer keeps a ${cfg.int("sliding_window")}-token window of one ${cfg.int("head_dim")}-wide shared K=V latent; ${c4} layers add one compressed latent (and an indexer key) per 4 tokens, ${c128} one per 128 tokens, ${n - c4 - c128} keep the window only (config.compress_ratios).`,
  );
  return layers;
};
