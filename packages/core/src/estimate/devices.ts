import type { ModelSpec, TensorSpec } from "../models/model-spec.js";
import { countElements } from "../models/model-spec.js";
import { computeDtypeOf, tensorBytes, type WeightFormat, weightFormatKey } from "./weights.js";

/**
 * How one model replica is split over GPUs: tensor parallel (every layer split `tensor` ways) ×
 * pipeline parallel (`pipeline` contiguous groups of layers). Device index = stage · tensor + rank.
 */
export interface Split {
  readonly tensor: number;
  readonly pipeline: number;
}

/** Layers per pipeline stage, as even as possible with the remainder on the first stages. */
export function layersPerStage(numLayers: number, stages: number): number[] {
  const base = Math.floor(numLayers / stages);
  const extra = numLayers % stages;
  return Array.from({ length: stages }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Stage of every layer. */
export function stageOfLayers(numLayers: number, stages: number): number[] {
  const out: number[] = [];
  layersPerStage(numLayers, stages).forEach((n, s) => {
    for (let i = 0; i < n; i++) out.push(s);
  });
  return out;
}

// 1-D tensors (norms, biases of replicated layers) are replicated on every tensor-parallel rank;
// projections, experts and the vocabulary (VocabParallelEmbedding) are split across ranks
// (Megatron-LM column/row parallel linear layers; vLLM model_executor/layers/linear.py).
function shardFactor(t: TensorSpec, tp: number): number {
  if (tp === 1) return 1;
  if (t.role === "norm" || t.shape.length < 2 || t.role === "router") return 1;
  return tp;
}

// Weights do not change with context or batch: searches over those reuse the split.
const splitCache = new WeakMap<ModelSpec, Map<string, readonly number[]>>();

/** Weight bytes on each device of one replica (memoised per model, format and split). */
export function splitWeights(spec: ModelSpec, format: WeightFormat, split: Split): readonly number[] {
  const key = `${weightFormatKey(format)}|${split.tensor}|${split.pipeline}`;
  let perSpec = splitCache.get(spec);
  if (!perSpec) {
    perSpec = new Map();
    splitCache.set(spec, perSpec);
  }
  const hit = perSpec.get(key);
  if (hit) return hit;
  const out = computeSplitWeights(spec, format, split);
  perSpec.set(key, out);
  return out;
}

function computeSplitWeights(spec: ModelSpec, format: WeightFormat, split: Split): number[] {
  const stages = stageOfLayers(spec.numLayers, split.pipeline);
  const perStage = new Array<number>(split.pipeline).fill(0);
  const baseDtype = computeDtypeOf(format, spec);
  for (const t of spec.tensors) {
    const bytes = tensorBytes(t, format, baseDtype) / shardFactor(t, split.tensor);
    let stage: number;
    if (t.layer !== null) stage = stages[t.layer] ?? 0;
    else if (
      t.role === "output" ||
      t.name.endsWith("norm.weight") ||
      t.name.endsWith("norm_f.weight") ||
      t.name.includes("ln_f")
    )
      stage = split.pipeline - 1; // the head and final norm live on the last stage
    else stage = 0; // embeddings and vision tower on the first
    perStage[stage] = (perStage[stage] ?? 0) + bytes;
  }
  const out: number[] = [];
  for (let s = 0; s < split.pipeline; s++)
    for (let r = 0; r < split.tensor; r++) out.push(Math.ceil(perStage[s] ?? 0));
  return out;
}

/**
 * Fraction of a layer's KV heads one tensor-parallel rank holds. vLLM replicates KV heads when
 * tp > num_kv_heads (each rank keeps one); MLA's single latent "head" is replicated on every rank.
 */
export function kvShareOfRank(spec: ModelSpec, tp: number): number {
  const first = spec.layers.find((l) => l.mixer.kind === "attention")?.mixer;
  if (first?.kind !== "attention" || tp === 1) return 1;
  return Math.max(1, Math.ceil(first.numKvHeads / tp)) / first.numKvHeads;
}

/** Parameter elements on each pipeline stage (for per-layer offload arithmetic). */
export function parametersPerLayer(spec: ModelSpec): number[] {
  const out = new Array<number>(spec.numLayers).fill(0);
  for (const t of spec.tensors)
    if (t.layer !== null) out[t.layer] = (out[t.layer] ?? 0) + countElements(t.shape);
  return out;
}
