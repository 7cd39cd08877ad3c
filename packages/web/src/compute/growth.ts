/**
 * Growing cache vs constant state: core's KV cache (attention K/V plus recurrent state) of a
 * transformer and of a model whose layers keep a fixed-size state, over context length.
 */
import { estimateKvCache, type ModelSpec } from "@memlens/core";
import { catalogByKind, kvLayout } from "./kv.js";

export interface GrowthPoint {
  readonly model: string;
  readonly tokens: number;
  readonly attentionBytes: number;
  readonly stateBytes: number;
  readonly totalBytes: number;
}

export function growthSeries(spec: ModelSpec, contexts: readonly number[], batch = 1): GrowthPoint[] {
  return contexts.map((tokens) => {
    const kv = estimateKvCache(spec, tokens, batch, kvLayout("bf16"));
    return {
      model: spec.id,
      tokens,
      attentionBytes: kv.attentionBytes,
      stateBytes: kv.recurrentStateBytes,
      totalBytes: kv.totalBytes,
    };
  });
}

/** Catalog models with recurrent (SSM or linear-attention) layers, smallest first. */
export function recurrentModels(): string[] {
  return catalogByKind()
    .filter((m) => m.kind === "ssm")
    .sort((a, b) => a.parameters - b.parameters)
    .map((m) => m.id);
}

/** Share of a model's layers that keep a constant state. */
export function recurrentLayerShare(spec: ModelSpec): number {
  const n = spec.layers.filter((l) => l.mixer.kind === "mamba" || l.mixer.kind === "linear-attention").length;
  return n / spec.layers.length;
}
