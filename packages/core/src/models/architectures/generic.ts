import { MemlensError } from "../../errors/memlens-error.js";
import { ConfigReader } from "../config-reader.js";
import type { ArchitectureBuilder } from "./common.js";
import { decoder, type MoeLayout } from "./decoder.js";

// A model_type memlens has no builder for, read as a plain Llama-like decoder from the standard
// config.json fields. The result is approximate and its notes say exactly what it rests on.

/** Fields every config must have for the generic path (intermediate_size may be the MoE width). */
const REQUIRED = ["hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size"] as const;
const EXPERT_KEYS = ["num_local_experts", "num_experts", "n_routed_experts"] as const;
const TOP_K_KEYS = ["num_experts_per_tok", "experts_per_token", "top_k_experts"] as const;

/** The fields the generic decoder reads, in the order the note lists them. */
const READ = [
  ...REQUIRED,
  "intermediate_size",
  "num_key_value_heads",
  "head_dim",
  "tie_word_embeddings",
  "attention_bias",
  "mlp_bias",
  "max_position_embeddings",
  "sliding_window",
  "sliding_window_size",
  "use_sliding_window",
  "layer_types",
  "attention_chunk_size",
  ...EXPERT_KEYS,
  ...TOP_K_KEYS,
  "moe_intermediate_size",
  "shared_expert_intermediate_size",
  "n_shared_experts",
  "first_k_dense_replace",
  "mlp_only_layers",
  "topk_method",
] as const;

/** Fields that carry no weights and no cache: reading them would not change the estimate. */
const NO_EFFECT = new Set([
  "model_type",
  "architectures",
  "transformers_version",
  "torch_dtype",
  "dtype",
  "use_cache",
  "bos_token_id",
  "eos_token_id",
  "pad_token_id",
  "rms_norm_eps",
  "layer_norm_eps",
  "layernorm_epsilon",
  "layer_norm_epsilon",
  "auto_map",
  "num_logits_to_keep",
  "residual_in_fp32",
  "norm_eps",
  "initializer_range",
  "attention_dropout",
  "hidden_dropout",
  "hidden_act",
  "hidden_activation",
  "rope_theta",
  "rope_scaling",
  "rope_parameters",
  "partial_rotary_factor",
  "rotary_dim",
  "max_window_layers",
  "router_aux_loss_coef",
  "output_router_logits",
  "norm_topk_prob",
  "scoring_func",
  "routed_scaling_factor",
  "n_group",
  "topk_group",
  "ep_size",
  "pretraining_tp",
  "tie_word_embeddings",
  "quantization_config",
]);

/** Layer kinds the decoder models as they are; any other `layer_types` entry is read as full attention. */
const ATTENTION_LAYER_TYPES = new Set([
  "full_attention",
  "sliding_attention",
  "chunked_attention",
  "attention",
]);

// Every layer MoE when the config names experts, except the first `first_k_dense_replace` and
// `mlp_only_layers`; experts are `moe_intermediate_size` wide (else `intermediate_size`).
const genericMoe: MoeLayout = {
  layers: (cfg) => {
    const experts = EXPERT_KEYS.some((k) => cfg.intOr(k, 0) > 0);
    const firstDense = cfg.intOr("first_k_dense_replace", 0);
    const only = new Set(cfg.intArray("mlp_only_layers") ?? []);
    return (i) => experts && i >= firstDense && !only.has(i);
  },
  widths: (cfg) => {
    const expert = cfg.intOr("moe_intermediate_size", null) ?? cfg.int("intermediate_size");
    const sharedWidth = cfg.intOr("shared_expert_intermediate_size", 0);
    if (sharedWidth > 0) return { expert, numShared: 1, sharedInter: sharedWidth };
    const numShared = cfg.intOr("n_shared_experts", 0);
    return { expert, numShared, sharedInter: numShared * expert };
  },
};

// Without layer_types, the window applies to every layer unless use_sliding_window is false (Mistral; Qwen2 off).
const llamaLike = decoder({
  moe: genericMoe,
  slidingWindow: (cfg, window) => {
    const w = cfg.bool("use_sliding_window", true) ? window : null;
    return () => w;
  },
});

/**
 * The builder for a `model_type` memlens does not know: a Llama-like decoder from the standard
 * fields, with notes naming the fields read, the assumptions and the fields left unread.
 * Throws a MemlensError naming every missing required field.
 */
export function genericArchitecture(modelType: string): ArchitectureBuilder {
  return (cfg, t, notes) => {
    const isMoe = EXPERT_KEYS.some((k) => cfg.intOr(k, 0) > 0);
    const missing: string[] = REQUIRED.filter((k) => !cfg.has(k));
    const topKKey = TOP_K_KEYS.find((k) => cfg.has(k));
    if (isMoe && topKKey === undefined) missing.push("num_experts_per_tok");
    const needsDense =
      !isMoe ||
      cfg.intOr("first_k_dense_replace", 0) > 0 ||
      (cfg.intArray("mlp_only_layers") ?? []).length > 0;
    if (!cfg.has("intermediate_size") && (needsDense || !cfg.has("moe_intermediate_size")))
      missing.push("intermediate_size");
    if (missing.length > 0)
      throw new MemlensError(
        "unsupported-architecture",
        `model_type "${modelType}" is not supported and ${cfg.path} lacks the standard field(s) a generic estimate needs: ${missing.join(", ")}`,
        "config.model_type",
      );
    // A name like "toString" is a JavaScript property, not a model family.
    if (modelType in Object.prototype)
      throw new MemlensError(
        "unsupported-architecture",
        `model_type "${modelType}" is not supported`,
        "config.model_type",
      );

    // layer_types the decoder cannot take (wrong length) is set aside rather than refused.
    const n = cfg.int("num_hidden_layers");
    const layerTypes = cfg.strArray("layer_types");
    const ignored: string[] = [];
    const raw: Record<string, unknown> = { ...cfg.raw };
    if (layerTypes && layerTypes.length !== n) {
      delete raw.layer_types;
      ignored.push(`layer_types (${layerTypes.length} entries for ${n} layers)`);
    }
    // The decoder reads experts per token as num_experts_per_tok; other spellings are copied there.
    if (isMoe && topKKey !== undefined && !cfg.has("num_experts_per_tok"))
      raw.num_experts_per_tok = cfg.raw[topKKey];
    const read = new ConfigReader(raw, cfg.path);
    const layers = llamaLike(read, t, notes);

    const used = READ.filter((k) => read.has(k));
    const window = read.intOr("sliding_window", null) ?? read.intOr("sliding_window_size", null);
    const assumptions = [
      "every layer the same pre-norm block with RMSNorm and rotary positions (no position-embedding weights)",
      "a gated MLP (gate, up and down projections)",
      `standard attention with separate q/k/v/o projections${read.has("attention_bias") ? "" : " and no biases"}`,
      read.has("tie_word_embeddings") ? null : "an untied output projection (no tie_word_embeddings)",
      isMoe
        ? `MoE from layer ${read.intOr("first_k_dense_replace", 0)}: a linear router and stacked gated experts`
        : null,
      window !== null && !layerTypes && read.bool("use_sliding_window", true)
        ? `a ${window}-token sliding window on every layer (no layer_types says which layers slide)`
        : null,
    ].filter((x): x is string => x !== null);
    notes.push(
      `Approximate: model_type "${modelType}" is not one memlens knows, so it is estimated as a Llama-like decoder from ${cfg.path} fields ${used.join(", ")}; assumed ${assumptions.join("; ")}.`,
    );

    const otherLayers = [...new Set((layerTypes ?? []).filter((x) => !ATTENTION_LAYER_TYPES.has(x)))];
    if (otherLayers.length > 0 && !ignored.length)
      notes.push(
        `Approximate: layer_types names ${otherLayers.join(", ")} layers, which the generic path counts as full attention (their weights and state are not modelled; their KV cache is overstated).`,
      );
    for (const [k, v] of Object.entries(cfg.raw)) {
      if (v === null || v === undefined || NO_EFFECT.has(k) || (READ as readonly string[]).includes(k))
        continue;
      if (typeof v === "object" && !Array.isArray(v)) ignored.push(`${k} (a sub-config)`);
      else ignored.push(k);
    }
    if (ignored.length > 0)
      notes.push(
        `Approximate: fields present but not read by the generic path (what they describe, e.g. linear attention, MLA, Mamba or per-layer shapes, is not modelled): ${ignored.join(", ")}.`,
      );
    return layers;
  };
}
