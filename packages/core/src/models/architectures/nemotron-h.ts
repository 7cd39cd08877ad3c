import { MemlensError } from "../../errors/memlens-error.js";
import type { ConfigReader } from "../config-reader.js";
import type { FfnSpec, LayerSpec, MixerSpec } from "../model-spec.js";
import type { TensorList } from "../tensor-list.js";
import { type ArchitectureBuilder, attentionMixer, denseFfn } from "./common.js";

// Nemotron-H and the Nemotron-3 Nano/Super/Ultra hybrids (model_type nemotron_h). Layout from
// vllm-project/vllm vllm/model_executor/models/nemotron_h.py @ 00b08dc4 (NemotronHMLP, NemotronHMoE,
// MambaMixer2, NemotronHAttention) and nemotron_h_mtp.py @ 01ca2773 (the MTP block): every layer is
// one RMSNorm and one mixer (Mamba-2, attention, a non-gated ReLU² MLP, or a non-gated MoE), named
// after `hybrid_override_pattern` (M * - E) or `layers_block_type`.

type Block = "mamba" | "attention" | "mlp" | "moe";

const PATTERN: Readonly<Record<string, Block>> = { M: "mamba", "*": "attention", "-": "mlp", E: "moe" };
const BLOCK_TYPES: readonly Block[] = ["mamba", "attention", "mlp", "moe"];

/** The block kinds of `pattern` (hybrid_override_pattern / mtp_hybrid_override_pattern), or an error naming `key`. */
function patternBlocks(cfg: ConfigReader, key: string): Block[] | undefined {
  const pattern = cfg.str(key);
  if (pattern === undefined) return undefined;
  if (pattern.length > 4096)
    throw new MemlensError(
      "malformed-config",
      `${cfg.path}.${key} is longer than 4096 layers`,
      `${cfg.path}.${key}`,
    );
  return [...pattern].map((c) => {
    const b = PATTERN[c];
    if (!b)
      throw new MemlensError(
        "malformed-config",
        `${cfg.path}.${key} has "${c}"; allowed: M (Mamba-2), * (attention), - (MLP), E (MoE)`,
        `${cfg.path}.${key}`,
      );
    return b;
  });
}

/** `layers_block_type` / `mtp_layers_block_type` (newer configs), checked against the allowed kinds. */
function listBlocks(cfg: ConfigReader, key: string): Block[] | undefined {
  const xs = cfg.strArray(key);
  if (!xs) return undefined;
  return xs.map((x) => {
    if (!(BLOCK_TYPES as readonly string[]).includes(x))
      throw new MemlensError(
        "malformed-config",
        `${cfg.path}.${key} has "${x}"; allowed: ${BLOCK_TYPES.join(", ")}`,
        `${cfg.path}.${key}`,
      );
    return x as Block;
  });
}

/**
 * Bytes of vLLM's Mamba SSM state element: config.json `mamba_ssm_cache_dtype`, float32 when
 * absent (vllm/model_executor/models/config.py NemotronHForCausalLMConfig,
 * DEFAULT_MAMBA_SSM_CACHE_DTYPE "float32": "Only float32 is known to have no accuracy issues").
 */
function ssmStateDtypeBytes(cfg: ConfigReader): number {
  const d = cfg.str("mamba_ssm_cache_dtype") ?? "float32";
  if (d === "float32") return 4;
  if (d === "bfloat16" || d === "float16") return 2;
  throw new MemlensError(
    "malformed-config",
    `${cfg.path}.mamba_ssm_cache_dtype must be float32, bfloat16 or float16, got "${d}"`,
    `${cfg.path}.mamba_ssm_cache_dtype`,
  );
}

interface Dims {
  readonly h: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** One block's tensors under `p` (its `norm` and `mixer`; `i` null outside the layer stack), and its LayerSpec. */
function addBlock(
  cfg: ConfigReader,
  t: TensorList,
  p: string,
  i: number | null,
  kind: Block,
  d: Dims,
): LayerSpec {
  const index = i ?? -1;
  const { h } = d;
  const m = `${p}.mixer`;
  t.norm(`${p}.norm`, h, i);
  const none: MixerSpec = { kind: "none" };
  switch (kind) {
    case "mamba": {
      // MambaMixer2: in_proj → [z, x, B, C, dt]; depthwise conv over x, B, C; gated RMSNorm over d_inner.
      const nHeads = cfg.int("mamba_num_heads");
      const dInner = nHeads * cfg.int("mamba_head_dim");
      const nGroups = cfg.intOr("n_groups", 1);
      const dState = cfg.int("ssm_state_size");
      const dConv = cfg.intOr("conv_kernel", 4);
      const convDim = dInner + 2 * nGroups * dState;
      const bias = cfg.bool("use_bias", false);
      t.linear(`${m}.in_proj`, dInner + convDim + nHeads, h, "ssm", i, bias);
      t.add(`${m}.conv1d.weight`, [convDim, 1, dConv], "ssm", i);
      if (cfg.bool("use_conv_bias", true)) t.add(`${m}.conv1d.bias`, [convDim], "ssm", i);
      t.add(`${m}.dt_bias`, [nHeads], "ssm", i);
      t.add(`${m}.A_log`, [nHeads], "ssm", i);
      t.add(`${m}.D`, [nHeads], "ssm", i);
      t.norm(`${m}.norm`, dInner, i);
      t.linear(`${m}.out_proj`, h, dInner, "ssm", i, bias);
      const mixer: MixerSpec = {
        kind: "mamba",
        version: 2,
        dInner,
        dState,
        dConv,
        nGroups,
        numHeads: nHeads,
        ssmStateDtypeBytes: ssmStateDtypeBytes(cfg),
      };
      return { index, mixer, ffn: { kind: "none" } };
    }
    case "attention": {
      const bias = cfg.bool("attention_bias", false);
      t.linear(`${m}.q_proj`, d.heads * d.headDim, h, "attention", i, bias);
      t.linear(`${m}.k_proj`, d.kvHeads * d.headDim, h, "attention", i, bias);
      t.linear(`${m}.v_proj`, d.kvHeads * d.headDim, h, "attention", i, bias);
      t.linear(`${m}.o_proj`, h, d.heads * d.headDim, "attention", i, bias);
      return { index, mixer: attentionMixer(d.heads, d.headDim, d.kvHeads), ffn: { kind: "none" } };
    }
    case "mlp": {
      // NemotronHMLP: up and down, ReLU² between them (no gate).
      const inter = cfg.int("intermediate_size");
      const bias = cfg.bool("mlp_bias", false);
      t.linear(`${m}.up_proj`, inter, h, "mlp", i, bias);
      t.linear(`${m}.down_proj`, h, inter, "mlp", i, bias);
      return { index, mixer: none, ffn: denseFfn(inter, false) };
    }
    case "moe":
      return { index, mixer: none, ffn: addMoe(cfg, t, m, i, h) };
  }
}

// NemotronHMoE: sigmoid router with a score correction bias, non-gated experts (up, down), a
// non-gated shared expert, and on latent MoE (moe_latent_size) projections into and out of the
// narrower space the routed experts work in.
function addMoe(cfg: ConfigReader, t: TensorList, m: string, i: number | null, h: number): FfnSpec {
  const numExperts = cfg.int("n_routed_experts");
  const inter = cfg.int("moe_intermediate_size");
  const latent = cfg.intOr("moe_latent_size", null);
  const bias = cfg.bool("mlp_bias", false);
  const expertIn = latent ?? h;
  t.linear(`${m}.gate`, numExperts, h, "router", i);
  t.add(`${m}.gate.e_score_correction_bias`, [numExperts], "router", i);
  t.add(`${m}.experts.up_proj`, [numExperts, inter, expertIn], "expert", i);
  t.add(`${m}.experts.down_proj`, [numExperts, expertIn, inter], "expert", i);
  const numShared = cfg.intOr("n_shared_experts", 0);
  const shared = numShared * cfg.intOr("moe_shared_expert_intermediate_size", 0);
  if (shared > 0) {
    t.linear(`${m}.shared_experts.up_proj`, shared, h, "shared-expert", i, bias);
    t.linear(`${m}.shared_experts.down_proj`, h, shared, "shared-expert", i, bias);
  }
  if (latent !== null) {
    t.linear(`${m}.fc1_latent_proj`, latent, h, "mlp", i, bias);
    t.linear(`${m}.fc2_latent_proj`, h, latent, "mlp", i, bias);
  }
  return {
    kind: "moe",
    numExperts,
    expertsPerToken: cfg.int("num_experts_per_tok"),
    expertIntermediateSize: inter,
    numSharedExperts: shared > 0 ? numShared : 0,
    sharedIntermediateSize: shared,
  };
}

export const nemotronH: ArchitectureBuilder = (cfg, t, notes) => {
  const h = cfg.int("hidden_size");
  const vocab = cfg.int("vocab_size");
  const blocks = patternBlocks(cfg, "hybrid_override_pattern") ?? listBlocks(cfg, "layers_block_type");
  if (!blocks)
    throw new MemlensError(
      "malformed-config",
      `${cfg.path} needs hybrid_override_pattern or layers_block_type (which layer is Mamba-2, attention, MLP or MoE)`,
      `${cfg.path}.hybrid_override_pattern`,
    );
  const n = cfg.intOr("num_hidden_layers", blocks.length);
  if (n !== blocks.length)
    throw new MemlensError(
      "malformed-config",
      `${cfg.path}.hybrid_override_pattern names ${blocks.length} layers but num_hidden_layers is ${n}`,
      `${cfg.path}.hybrid_override_pattern`,
    );
  const heads = cfg.int("num_attention_heads");
  const d: Dims = {
    h,
    heads,
    kvHeads: cfg.intOr("num_key_value_heads", heads),
    headDim: cfg.intOr("head_dim", null) ?? cfg.intOr("attention_head_dim", null) ?? h / heads,
  };
  t.add("backbone.embeddings.weight", [vocab, h], "embedding");
  const layers = blocks.map((b, i) => addBlock(cfg, t, `backbone.layers.${i}`, i, b, d));
  t.norm("backbone.norm_f", h, null);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null);

  // MTP (nemotron_h_mtp.py): num_nextn_predict_layers steps of the MTP pattern; the first block of a
  // step fuses the embedding and the hidden state (enorm, hnorm, eh_proj), the last ends in a norm.
  const steps = cfg.intOr("num_nextn_predict_layers", 0);
  const mtp = patternBlocks(cfg, "mtp_hybrid_override_pattern") ?? listBlocks(cfg, "mtp_layers_block_type");
  if (steps > 0 && mtp && mtp.length > 0) {
    let j = 0;
    for (let s = 0; s < steps; s++)
      mtp.forEach((b, k) => {
        const p = `mtp.layers.${j}`;
        if (k === 0) {
          t.norm(`${p}.enorm`, h, null);
          t.norm(`${p}.hnorm`, h, null);
          t.linear(`${p}.eh_proj`, h, 2 * h, "other", null);
        }
        // Counted in the weights, outside the layer stack (vLLM loads it only for speculative decoding).
        addBlock(cfg, t, p, null, b, d);
        if (k === mtp.length - 1) t.norm(`${p}.final_layernorm`, h, null);
        j++;
      });
    notes.push(
      `The ${steps * mtp.length} multi-token-prediction block(s) (mtp_hybrid_override_pattern) are counted in the weights.`,
    );
  }
  return layers;
};
