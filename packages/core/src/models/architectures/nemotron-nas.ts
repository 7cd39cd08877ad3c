import { MemlensError } from "../../errors/memlens-error.js";
import { ConfigReader } from "../config-reader.js";
import type { FfnSpec, LayerSpec, MixerSpec } from "../model-spec.js";
import { type ArchitectureBuilder, attentionMixer, denseFfn } from "./common.js";

// Llama-3.x-Nemotron Super/Ultra (model_type nemotron-nas, DeciLM): a Llama decoder whose layers
// differ, one `block_configs` entry each. Layout from vllm-project/vllm
// vllm/model_executor/models/nemotron_nas.py @ 00bd1493 (DeciLMDecoderLayer): attention with
// num_attention_heads / n_heads_in_group KV heads, or none (no_op, no input_layernorm either); a
// gated MLP of _ffn_mult_to_intermediate_size(ffn_mult), or none (no_op, no post_attention_layernorm).
// replace_with_linear (a single hidden × hidden map, HF modeling_decilm.py linear_attn / linear_mlp)
// is counted as such; no published checkpoint in the fixtures uses it.

/** DeciLM's _ffn_mult_to_intermediate_size: int(2 · mult · hidden / 3), rounded up to a multiple of 256. */
export function ffnMultToIntermediate(ffnMult: number, hidden: number): number {
  const size = Math.trunc((2 * ffnMult * hidden) / 3);
  return Math.ceil(size / 256) * 256;
}

const MAX_BLOCKS = 4096;

export const nemotronNas: ArchitectureBuilder = (cfg, t) => {
  const h = cfg.int("hidden_size");
  const vocab = cfg.int("vocab_size");
  const heads = cfg.int("num_attention_heads");
  const n = cfg.int("num_hidden_layers");
  const headDim = cfg.intOr("head_dim", null) ?? h / heads;
  const blocks = cfg.raw.block_configs;
  if (!Array.isArray(blocks) || blocks.length !== n || n > MAX_BLOCKS)
    throw new MemlensError(
      "malformed-config",
      `${cfg.path}.block_configs must be an array of one entry per layer (num_hidden_layers ${n})`,
      `${cfg.path}.block_configs`,
    );
  const attnBias = cfg.bool("attention_bias", false);
  const mlpBias = cfg.bool("mlp_bias", false);
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = blocks.map((raw, i) => {
    const block = new ConfigReader(
      typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {},
      `${cfg.path}.block_configs[${i}]`,
    );
    const attn = block.child("attention");
    const ffn = block.child("ffn");
    if (!attn || !ffn)
      throw new MemlensError(
        "malformed-config",
        `${block.path} needs "attention" and "ffn" objects`,
        block.path,
      );
    const p = `model.layers.${i}`;
    let mixer: MixerSpec = { kind: "none" };
    if (!attn.bool("no_op", false)) {
      t.norm(`${p}.input_layernorm`, h, i);
      if (attn.bool("replace_with_linear", false))
        t.linear(`${p}.self_attn.linear_attn`, h, h, "attention", i);
      else {
        const group = attn.int("n_heads_in_group");
        const kvHeads = heads / group;
        if (!Number.isInteger(kvHeads))
          throw new MemlensError(
            "malformed-config",
            `${attn.path}.n_heads_in_group ${group} does not divide num_attention_heads ${heads}`,
            `${attn.path}.n_heads_in_group`,
          );
        t.linear(`${p}.self_attn.q_proj`, heads * headDim, h, "attention", i, attnBias);
        t.linear(`${p}.self_attn.k_proj`, kvHeads * headDim, h, "attention", i, attnBias);
        t.linear(`${p}.self_attn.v_proj`, kvHeads * headDim, h, "attention", i, attnBias);
        t.linear(`${p}.self_attn.o_proj`, h, heads * headDim, "attention", i, attnBias);
        mixer = attentionMixer(heads, headDim, kvHeads);
      }
    }
    let f: FfnSpec = { kind: "none" };
    if (!ffn.bool("no_op", false)) {
      t.norm(`${p}.post_attention_layernorm`, h, i);
      if (ffn.bool("replace_with_linear", false)) t.linear(`${p}.mlp.linear_mlp`, h, h, "mlp", i);
      else {
        const mult = ffn.num("ffn_mult");
        const inter =
          ffn.intOr("intermediate_size", null) ??
          (mult !== undefined && mult > 0 ? ffnMultToIntermediate(mult, h) : null);
        if (inter === null)
          throw new MemlensError(
            "malformed-config",
            `${ffn.path} needs ffn_mult (a positive number) or intermediate_size`,
            `${ffn.path}.ffn_mult`,
          );
        t.gatedMlp(`${p}.mlp`, h, inter, "mlp", i, mlpBias);
        f = denseFfn(inter, true);
      }
    }
    return { index: i, mixer, ffn: f };
  });
  t.norm("model.norm", h, null);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
};
