import type { ConfigReader } from "../config-reader.js";
import type { LayerSpec, MixerSpec } from "../model-spec.js";
import type { TensorList } from "../tensor-list.js";
import type { ArchitectureBuilder } from "./common.js";

/** A Mamba-1 mixer's sizes. */
export interface MambaDims {
  dInner: number;
  dState: number;
  dConv: number;
  dtRank: number;
}

/** `config[key]` when it is a number, else configuration_mamba.py's "auto": ceil(hidden_size / 16). */
export const dtRankOf = (cfg: ConfigReader, key: string, h: number): number =>
  typeof cfg.raw[key] === "number" ? cfg.int(key) : Math.ceil(h / 16);

/**
 * modeling_mamba.py MambaMixer (Mamba-1) under `p`; Falcon-Mamba and Jamba add weightless RMS
 * norms on B, C and dt (`innerNorms`).
 */
export function addMambaMixer(
  t: TensorList,
  p: string,
  i: number,
  h: number,
  m: MambaDims,
  convBias: boolean,
  projBias: boolean,
  innerNorms: boolean,
): MixerSpec {
  t.linear(`${p}.in_proj`, 2 * m.dInner, h, "ssm", i, projBias);
  t.add(`${p}.conv1d.weight`, [m.dInner, 1, m.dConv], "ssm", i);
  if (convBias) t.add(`${p}.conv1d.bias`, [m.dInner], "ssm", i);
  t.linear(`${p}.x_proj`, m.dtRank + 2 * m.dState, m.dInner, "ssm", i);
  t.linear(`${p}.dt_proj`, m.dInner, m.dtRank, "ssm", i, true);
  t.add(`${p}.A_log`, [m.dInner, m.dState], "ssm", i);
  t.add(`${p}.D`, [m.dInner], "ssm", i);
  t.linear(`${p}.out_proj`, h, m.dInner, "ssm", i, projBias);
  if (innerNorms) {
    t.norm(`${p}.dt_layernorm`, m.dtRank, i);
    t.norm(`${p}.b_layernorm`, m.dState, i);
    t.norm(`${p}.c_layernorm`, m.dState, i);
  }
  return {
    kind: "mamba",
    version: 1,
    dInner: m.dInner,
    dState: m.dState,
    dConv: m.dConv,
    nGroups: 1,
    numHeads: 1,
  };
}

// modeling_mamba.py (and Falcon-Mamba): Mamba-1 layers only, no MLP.
export const mamba: ArchitectureBuilder = (cfg, t) => {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const expand = cfg.intOr("expand", 2);
  const dInner = cfg.intOr("intermediate_size", null) ?? expand * h;
  const dtRank = dtRankOf(cfg, "time_step_rank", h);
  const dims: MambaDims = {
    dInner,
    dState: cfg.intOr("state_size", 16),
    dConv: cfg.intOr("conv_kernel", 4),
    dtRank,
  };
  t.add("backbone.embeddings.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `backbone.layers.${i}`;
    t.norm(`${p}.norm`, h, i);
    const mixer = addMambaMixer(
      t,
      `${p}.mixer`,
      i,
      h,
      dims,
      cfg.bool("use_conv_bias", true),
      cfg.bool("use_bias", false),
      false,
    );
    layers.push({ index: i, mixer, ffn: { kind: "none" } });
  }
  t.norm("backbone.norm_f", h, null);
  if (!cfg.bool("tie_word_embeddings", true)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
};
