import { MemlensError } from "../../errors/memlens-error.js";
import type { ConfigReader } from "../config-reader.js";
import type { LayerSpec, MixerSpec } from "../model-spec.js";
import type { TensorList } from "../tensor-list.js";
import type { ArchitectureBuilder, MultimodalArchitecture } from "./common.js";
import { kimiK25 } from "./kimi-k25.js";

// Kimi Linear (model_type kimi_linear; Kimi-Linear-48B, and Kimi-K3's text model in text_config
// of the kimi_k3 wrapper). Layout from vLLM's kimi_linear.py with Kimi-K3 support (KimiMLP,
// KimiMoE, KimiMLAAttention, KimiDecoderLayer, KimiLinearModel) and SGLang's Kimi-K3
// KimiK3DeltaAttention (the KDA layer with use_full_rank_gate):
// - linear_attn_config.kda_layers / full_attn_layers list the layers 1-BASED: KDA layers (Kimi
//   Delta Attention: q/k/v projections of num_heads × head_dim, a depthwise short conv on each,
//   a low-rank forget gate f_a/f_b, beta b_proj, an output gate (K3: full-rank g_proj; Kimi-Linear:
//   low-rank g_a/g_b), A_log, dt_bias, a gated RMSNorm o_norm, o_proj), the others MLA (DeepSeek-V3's
//   with q LoRA; mla_use_output_gate adds g_proj, heads × v_head_dim wide);
// - MoE from first_k_dense_replace on (every moe_layer_freq), sigmoid router with an fp32
//   e_score_correction_bias, num_shared_experts shared experts of moe_intermediate_size; with
//   routed_expert_hidden_size (K3's latent MoE) the routed experts work in that narrower width
//   between routed_expert_down_proj, an RMSNorm (latent_moe_use_norm) and routed_expert_up_proj;
// - attn_res_block_size (K3's block attention residuals): per layer two RMSNorms and two
//   1 × hidden projections (self_attention_res_*, mlp_res_*), and one more pair on the output.

/** Layer i (0-based) is KDA: linear_attn_config.kda_layers lists 1-based indices. */
function kdaLayers(cfg: ConfigReader, n: number): (i: number) => boolean {
  const la = cfg.child("linear_attn_config");
  const kda = new Set(la?.intArray("kda_layers") ?? []);
  const full = new Set(la?.intArray("full_attn_layers") ?? []);
  for (let i = 1; i <= n; i++)
    if (kda.has(i) === full.has(i))
      throw new MemlensError(
        "malformed-config",
        `config.linear_attn_config lists layer ${i} (1-based) ${kda.has(i) ? "in both kda_layers and full_attn_layers" : "in neither kda_layers nor full_attn_layers"}`,
        "config.linear_attn_config",
      );
  return (i) => kda.has(i + 1);
}

function kda(cfg: ConfigReader, t: TensorList, a: string, i: number, h: number): MixerSpec {
  const la = cfg.child("linear_attn_config")!;
  const heads = la.int("num_heads");
  const hd = la.int("head_dim");
  const k = la.int("short_conv_kernel_size");
  const fullRankGate = la.bool("use_full_rank_gate", false);
  const p = heads * hd;
  for (const x of ["q", "k", "v"]) {
    t.linear(`${a}.${x}_proj`, p, h, "attention", i);
    t.add(`${a}.${x}_conv1d.weight`, [p, 1, k], "attention", i);
  }
  t.linear(`${a}.b_proj`, heads, h, "attention", i);
  t.linear(`${a}.f_a_proj`, hd, h, "attention", i);
  t.linear(`${a}.f_b_proj`, p, hd, "attention", i);
  if (fullRankGate) t.linear(`${a}.g_proj`, p, h, "attention", i);
  else {
    t.linear(`${a}.g_a_proj`, hd, h, "attention", i);
    t.linear(`${a}.g_b_proj`, p, hd, "attention", i);
  }
  // SGLang: "K3 checkpoint stores A_log as [head_dim]"; Kimi-Linear as [1, 1, num_heads, 1].
  t.add(`${a}.A_log`, [fullRankGate ? hd : heads], "attention", i);
  t.add(`${a}.dt_bias`, [p], "attention", i);
  t.norm(`${a}.o_norm`, hd, i);
  t.linear(`${a}.o_proj`, h, p, "attention", i);
  return {
    kind: "linear-attention",
    numKeyHeads: heads,
    numValueHeads: heads,
    keyHeadDim: hd,
    valueHeadDim: cfg.intOr("v_head_dim", hd),
    convKernel: k,
  };
}

function mla(cfg: ConfigReader, t: TensorList, a: string, i: number, h: number): MixerSpec {
  const heads = cfg.int("num_attention_heads");
  const ql = cfg.intOr("q_lora_rank", null);
  const kvl = cfg.int("kv_lora_rank");
  const nope = cfg.int("qk_nope_head_dim");
  const rope = cfg.int("qk_rope_head_dim");
  const v = cfg.int("v_head_dim");
  if (ql !== null) {
    t.linear(`${a}.q_a_proj`, ql, h, "attention", i);
    t.norm(`${a}.q_a_layernorm`, ql, i);
    t.linear(`${a}.q_b_proj`, heads * (nope + rope), ql, "attention", i);
  } else t.linear(`${a}.q_proj`, heads * (nope + rope), h, "attention", i);
  t.linear(`${a}.kv_a_proj_with_mqa`, kvl + rope, h, "attention", i);
  t.norm(`${a}.kv_a_layernorm`, kvl, i);
  t.linear(`${a}.kv_b_proj`, heads * (nope + v), kvl, "attention", i);
  t.linear(`${a}.o_proj`, h, heads * v, "attention", i);
  if (cfg.bool("mla_use_output_gate", false)) t.linear(`${a}.g_proj`, heads * v, h, "attention", i);
  return {
    kind: "mla",
    numHeads: heads,
    kvLoraRank: kvl,
    qLoraRank: ql,
    qkNopeHeadDim: nope,
    qkRopeHeadDim: rope,
    valueHeadDim: v,
  };
}

function attnRes(t: TensorList, p: string, h: number, i: number | null, parts: readonly string[]): void {
  for (const part of parts) {
    t.norm(`${p}.${part}_res_norm`, h, i);
    t.linear(`${p}.${part}_res_proj`, 1, h, "other", i);
  }
}

export const kimiLinear: ArchitectureBuilder = (cfg, t, notes) => {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const isKda = kdaLayers(cfg, n);
  const experts = cfg.intAny(["num_experts", "n_routed_experts"]);
  const topK = cfg.intAny(["num_experts_per_token", "num_experts_per_tok"]);
  const inter = cfg.int("moe_intermediate_size");
  const dense = cfg.int("intermediate_size");
  const shared = cfg.intAny(["num_shared_experts", "n_shared_experts"]);
  const firstDense = cfg.intOr("first_k_dense_replace", 0);
  const freq = Math.max(1, cfg.intOr("moe_layer_freq", 1));
  const latent = cfg.intOr("routed_expert_hidden_size", null);
  const blocks = cfg.intOr("attn_res_block_size", null);
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    t.norm(`${p}.input_layernorm`, h, i);
    t.norm(`${p}.post_attention_layernorm`, h, i);
    if (blocks !== null) attnRes(t, p, h, i, ["self_attention", "mlp"]);
    const a = `${p}.self_attn`;
    const mixer = isKda(i) ? kda(cfg, t, a, i, h) : mla(cfg, t, a, i, h);
    const moe = i >= firstDense && i % freq === 0;
    if (moe) {
      const m = `${p}.block_sparse_moe`;
      t.linear(`${m}.gate`, experts, h, "router", i);
      t.add(`${m}.gate.e_score_correction_bias`, [experts], "router", i);
      const width = latent ?? h;
      if (latent !== null) {
        // Role "other": vLLM builds both with quant_config=None (stored unquantized).
        t.linear(`${m}.routed_expert_down_proj`, latent, h, "other", i);
        if (cfg.bool("latent_moe_use_norm", false)) t.norm(`${m}.routed_expert_norm`, latent, i);
        t.linear(`${m}.routed_expert_up_proj`, h, latent, "other", i);
      }
      t.add(`${m}.experts.w1`, [experts, inter, width], "expert", i);
      t.add(`${m}.experts.w3`, [experts, inter, width], "expert", i);
      t.add(`${m}.experts.w2`, [experts, width, inter], "expert", i);
      t.gatedMlp(`${m}.shared_experts`, h, shared * inter, "shared-expert", i);
    } else t.gatedMlp(`${p}.mlp`, h, dense, "mlp", i);
    layers.push({
      index: i,
      mixer,
      ffn: moe
        ? {
            kind: "moe",
            numExperts: experts,
            expertsPerToken: topK,
            expertIntermediateSize: inter,
            numSharedExperts: shared,
            sharedIntermediateSize: shared * inter,
          }
        : { kind: "dense", intermediateSize: dense, gated: true },
    });
  }
  t.norm("model.norm", h, null);
  if (blocks !== null) attnRes(t, "model", h, null, ["output_attn"]);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null);
  const kdaCount = layers.filter((l) => l.mixer.kind === "linear-attention").length;
  notes.push(
    `Kimi Delta Attention on ${kdaCount} of ${n} layers (a fixed-size recurrent state per sequence, no KV), MLA on the other ${n - kdaCount}.`,
  );
  if (latent !== null)
    notes.push(
      `Latent MoE: the routed experts work at ${latent} wide (routed_expert_hidden_size), between a down and an up projection of the ${h}-wide stream.`,
    );
  return layers;
};

/**
 * Kimi-K3 (model_type kimi_k3): kimi_linear in text_config and a MoonViT-V2 tower in
 * vision_config. The tower is counted with Kimi-K2.5's MoonViT layout (kimi-k25.ts), which K3's
 * config describes with the same vt_* sizes but does not match exactly.
 */
export const kimiK3: MultimodalArchitecture = {
  textModelType: "kimi_linear",
  visionKeyPrefix: "vt_",
  addVisionTower(t, dims, vision, root, notes) {
    kimiK25.addVisionTower(t, dims, vision, root, notes);
    notes.push(
      "Approximate: the vision tower is counted with Kimi-K2.5's MoonViT layout (vt_hidden_size, vt_intermediate_size, vt_num_hidden_layers, patch_size, merge_kernel_size); K3's own vision_config fields qkv_hidden_size, mlp_type, mm_projector_type, mm_hidden_size, norm_type, linear_bias, attn_bias and init_pos_emb_time are not read (its modeling file was not found).",
    );
  },
};
