import type { ModelSpec, TensorSpec } from "../../../models/model-spec.js";
import { countElements } from "../../../models/model-spec.js";
import { computeDtypeOf, tensorBytes, type WeightFormat, weightFormatKey } from "../../weights.js";

/**
 * Weights as vLLM loads them, per GPU: tensor-parallel sharding of every layer kind, pipeline
 * stages, vocabulary padding, and the buffers created while loading ("Model loading took X GiB"
 * counts every tensor allocated inside load_model, vllm/v1/worker/gpu_model_runner.py).
 */

// vllm/model_executor/layers/vocab_parallel_embedding.py: DEFAULT_VOCAB_PADDING_SIZE = 64;
// pad_vocab_size() pads the vocabulary to a multiple of 64, then divide(num_embeddings_padded,
// tp_size) gives each rank an equal slice (VocabParallelEmbedding and ParallelLMHead).
export const VLLM_VOCAB_PADDING = 64;

/** Rows of the embedding / LM head one tensor-parallel rank holds. */
export function vllmVocabRowsPerRank(vocabSize: number, tp: number): number {
  const padded = Math.ceil(vocabSize / VLLM_VOCAB_PADDING) * VLLM_VOCAB_PADDING;
  return Math.ceil(padded / tp);
}

/**
 * Layers of each pipeline stage: vllm/distributed/utils.py get_pp_indices gives every stage
 * ⌊L/pp⌋ layers and hands the remainder to the stages before the last, from the second-to-last
 * backwards (the last stage also holds the LM head).
 */
export function vllmLayersPerStage(numLayers: number, pp: number): number[] {
  const base = Math.floor(numLayers / pp);
  const parts = new Array<number>(pp).fill(base);
  const rem = numLayers % pp;
  for (let i = 2; i < rem + 2; i++) {
    const idx = pp - i;
    if (idx >= 0) parts[idx] = (parts[idx] ?? 0) + 1;
  }
  return parts;
}

/** Stage index of every layer. */
export function vllmStageOfLayers(numLayers: number, pp: number): number[] {
  const out: number[] = [];
  vllmLayersPerStage(numLayers, pp).forEach((n, s) => {
    for (let i = 0; i < n; i++) out.push(s);
  });
  return out;
}

// Row-parallel projections (RowParallelLinear: the input dimension is split, the bias stays whole):
// attention output and MLP down projections under every naming scheme memlens parses.
const ROW_PARALLEL = /(^|\.)(o_proj|out_proj|dense|c_proj|down_proj|fc2|dense_4h_to_h|w2|wo)(\.|_bias$|$)/;
// MLA projections vLLM keeps whole on every rank (ReplicatedLinear in deepseek_v2.py).
const REPLICATED_LINEAR = /(q_a_proj|kv_a_proj_with_mqa)(\.|$)/;
const K_OR_V = /(^|\.)(k_proj|v_proj)(\.|$)/;
const FUSED_QKV = /(^|\.)(qkv_proj)(\.|$)/;

interface KvShape {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

/** The attention geometry of the layer a tensor belongs to (null for non-GQA mixers). */
function kvShapeOf(spec: ModelSpec, t: TensorSpec): KvShape | null {
  if (t.layer === null) return null;
  const m = spec.layers[t.layer]?.mixer;
  if (m?.kind !== "attention") return null;
  return { numHeads: m.numHeads, numKvHeads: m.numKvHeads, headDim: m.headDim };
}

// QKVParallelLinear (vllm/model_executor/layers/linear.py): query heads are split, KV heads are
// split when tp ≤ n_kv and replicated (one per rank) when tp > n_kv.
const kvHeadsPerRank = (numKvHeads: number, tp: number): number =>
  tp >= numKvHeads ? 1 : Math.ceil(numKvHeads / tp);

/** The slice of `t` one tensor-parallel rank holds (same name and role, per-rank shape). */
export function vllmShardOf(spec: ModelSpec, t: TensorSpec, tp: number): TensorSpec {
  if (tp === 1) return t;
  const shape = [...t.shape];
  const set = (dim: number, n: number) => {
    shape[dim] = n;
    return { ...t, shape };
  };
  const split = (dim: number) => set(dim, Math.ceil((shape[dim] ?? 1) / tp));
  switch (t.role) {
    case "embedding":
    case "output":
      // 1-D LM-head bias: sharded like the rows.
      return set(0, vllmVocabRowsPerRank(shape[0] ?? 0, tp));
    case "norm":
    case "router":
    case "position-embedding":
      return t;
    case "expert":
      // FusedMoE without expert parallelism: every rank holds every expert's slice of the
      // intermediate dimension (w13 [E, 2I/tp, h], w2 [E, h, I/tp]).
      if (shape.length === 3) return /down/.test(t.name) ? split(2) : split(1);
      if (shape.length === 2) return /down/.test(t.name) ? t : split(1); // per-expert biases
      return t;
    case "vision":
      // Vision encoders shard their projections like the text model (mm_encoder_tp_mode
      // "weights"); patch/position embeddings and norms stay whole.
      if (/(embed|position|norm|class_)/.test(t.name) || shape.length > 2) return t;
      return vllmShardOf(spec, { ...t, role: "other" }, tp);
    case "attention":
    case "mlp":
    case "shared-expert":
    case "ssm":
    case "other": {
      if (REPLICATED_LINEAR.test(t.name)) return t;
      const row = ROW_PARALLEL.test(t.name);
      if (shape.length === 1) return row ? t : split(0);
      if (shape.length !== 2) return split(0);
      if (row) return split(1);
      const kv = kvShapeOf(spec, t);
      if (kv && K_OR_V.test(t.name)) return set(0, kvHeadsPerRank(kv.numKvHeads, tp) * kv.headDim);
      if (kv && FUSED_QKV.test(t.name))
        return set(0, (Math.ceil(kv.numHeads / tp) + 2 * kvHeadsPerRank(kv.numKvHeads, tp)) * kv.headDim);
      return split(0);
    }
  }
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * The shard as the quantized kernel stores it. MXFP4 experts (gpt-oss):
 * vllm/model_executor/layers/quantization/mxfp4.py Mxfp4MoEMethod.create_weights pads the
 * intermediate size per partition to a multiple of 128 and the hidden size to 256 (Marlin and
 * the first Hopper kernels: "n % 256 == 0 and k % 128 == 0").
 */
function kernelShape(t: TensorSpec, shard: TensorSpec, format: WeightFormat): TensorSpec {
  if (format.kind !== "mxfp4" || t.role !== "expert") return shard;
  const s = [...shard.shape];
  const down = /down/.test(t.name);
  if (s.length === 3) {
    s[1] = roundUp(s[1]!, down ? 256 : 128);
    s[2] = roundUp(s[2]!, down ? 128 : 256);
  } else if (s.length === 2 && !down) s[1] = roundUp(s[1]!, 128);
  else if (s.length === 2) s[1] = roundUp(s[1]!, 256);
  return { ...shard, shape: s };
}

/**
 * GPTQ through Marlin (gptq_marlin.py / MarlinLinearKernel.process_weights_after_loading): the
 * weights are repacked to the same 4 (or 8) bits, but symmetric checkpoints' qzeros are replaced by an
 * empty tensor, so their bytes (groups × out / 2) are not on the GPU after loading.
 */
function marlinDroppedBytes(shard: TensorSpec, format: WeightFormat): number {
  // A GPTQ checkpoint read from its config: the same, for its bits and group, when symmetric.
  const s = format.kind === "checkpoint" ? shard.stored : undefined;
  if (s?.scheme === "gptq" && s.symmetric === true && (s.options.bits === 4 || s.options.bits === 8)) {
    const n = shard.shape[shard.shape.length - 2]!;
    const k = shard.shape[shard.shape.length - 1]!;
    const g = s.options.groupSize === -1 ? k : (s.options.groupSize ?? 128);
    const count = shard.shape.length === 3 ? shard.shape[0]! : 1;
    return (count * Math.ceil(k / g) * n * s.options.bits) / 8;
  }
  if (format.kind !== "int4" || format.method !== "gptq") return 0;
  if (!["attention", "mlp", "shared-expert", "expert"].includes(shard.role) || shard.shape.length < 2)
    return 0;
  if (!shard.name.endsWith("weight") && shard.role !== "expert") return 0;
  const n = shard.shape[shard.shape.length - 2]!;
  const k = shard.shape[shard.shape.length - 1]!;
  const count = shard.shape.length === 3 ? shard.shape[0]! : 1;
  return count * Math.ceil(k / format.groupSize) * (n / 2);
}

/** Bytes of a tensor shard; quantized kernels that cannot split a shard fall back to a share. */
function shardBytes(
  spec: ModelSpec,
  t: TensorSpec,
  tp: number,
  format: WeightFormat,
  base: "fp32" | "fp16" | "bf16",
): number {
  const shard = kernelShape(t, vllmShardOf(spec, t, tp), format);
  try {
    return tensorBytes(shard, format, base) - marlinDroppedBytes(shard, format);
  } catch {
    // e.g. a GPTQ shard whose input dimension is not a whole number of groups.
    return (tensorBytes(t, format, base) * countElements(shard.shape)) / countElements(t.shape);
  }
}

export interface VllmRankWeights {
  /** Bytes of parameters on one rank of each pipeline stage. */
  readonly parameterBytes: readonly number[];
  /** Rotary cos/sin cache (a buffer on every rank), bytes. */
  readonly rotaryCacheBytes: number;
  /** MLA: W_UK_T / W_UV built from kv_b_proj after loading, bytes per rank of each stage. */
  readonly mlaAbsorbedBytes: readonly number[];
  /** What vLLM prints as "Model loading took": parameters plus load-time buffers, per stage. */
  readonly loadedBytes: readonly number[];
}

const cache = new WeakMap<ModelSpec, Map<string, VllmRankWeights>>();

/**
 * Weights on one GPU of each pipeline stage as vLLM loads them (memoised per model, format and
 * split: the context and batch searches call this many times). `attentionTp` splits the
 * attention tensors over fewer ranks than the rest (SGLang's DP attention: attention TP size =
 * tp / dp, the attention weights replicated across the DP group).
 */
export function vllmRankWeights(
  spec: ModelSpec,
  format: WeightFormat,
  tp: number,
  pp: number,
  attentionTp: number = tp,
): VllmRankWeights {
  const key = `${weightFormatKey(format)}|${tp}|${pp}|${attentionTp}`;
  let perSpec = cache.get(spec);
  if (!perSpec) {
    perSpec = new Map();
    cache.set(spec, perSpec);
  }
  const hit = perSpec.get(key);
  if (hit) return hit;
  const out = computeRankWeights(spec, format, tp, pp, attentionTp);
  perSpec.set(key, out);
  return out;
}

function computeRankWeights(
  spec: ModelSpec,
  format: WeightFormat,
  tp: number,
  pp: number,
  attentionTp: number,
): VllmRankWeights {
  const base = computeDtypeOf(format, spec);
  const dtypeBytes = base === "fp32" ? 4 : 2;
  const stageOf = vllmStageOfLayers(spec.numLayers, pp);
  const params = new Array<number>(pp).fill(0);
  const mla = new Array<number>(pp).fill(0);
  let embeddingBytes = 0;
  for (const t of spec.tensors) {
    // MTP modules load only into a speculative-decoding draft model (--speculative-config), which
    // memlens does not model: the main model skips them (vLLM qwen3_5.py @ 00def4f load_weights
    // skip_prefixes ["mtp."]; step3p5.py @ 01b50b9 "skip spec decode layers for main model").
    if (t.mtp) continue;
    const split = t.role === "attention" ? attentionTp : tp;
    const b = shardBytes(spec, t, split, format, base);
    if (t.layer !== null) {
      const s = stageOf[t.layer] ?? 0;
      params[s] = (params[s] ?? 0) + b;
      // vllm/model_executor/layers/attention/mla_attention.py process_weights_after_loading:
      // kv_b_proj is (de)quantized to the activation dtype and split into W_UK_T and W_UV.
      if (/kv_b_proj\.weight$/.test(t.name)) {
        const shard = vllmShardOf(spec, t, split);
        mla[s] = (mla[s] ?? 0) + countElements(shard.shape) * dtypeBytes;
      }
    } else if (
      t.role === "output" ||
      /(^|\.)(norm|ln_f|final_layernorm|norm_f)\.(weight|bias)$/.test(t.name)
    ) {
      params[pp - 1] = (params[pp - 1] ?? 0) + b; // LM head and final norm on the last stage
    } else {
      if (t.role === "embedding") embeddingBytes += b;
      params[0] = (params[0] ?? 0) + b; // embeddings and the vision tower on the first
    }
  }
  // Tied embeddings under pipeline parallelism: the last stage builds its own LM head from the
  // embedding weights (ParallelLMHead tie_weights only shares when both live on one rank).
  if (pp > 1 && spec.tiedEmbeddings) params[pp - 1] = (params[pp - 1] ?? 0) + embeddingBytes;
  const rotary = rotaryCacheBytes(spec, dtypeBytes);
  const loaded = params.map((p, s) => Math.ceil(p + rotary + (mla[s] ?? 0)));
  return {
    parameterBytes: params.map((p) => Math.ceil(p)),
    rotaryCacheBytes: rotary,
    mlaAbsorbedBytes: mla,
    loadedBytes: loaded,
  };
}

/**
 * vllm/model_executor/layers/rotary_embedding: RotaryEmbedding registers cos_sin_cache
 * [max_position_embeddings, rotary_dim] in the model dtype, once per distinct (head size, base)
 * (get_rope caches instances); Gemma 3 keeps a second one for its local layers. Llama 4's
 * 10M-position cache is 2.5 GiB on every rank.
 */
export function rotaryCacheBytes(spec: ModelSpec, dtypeBytes: number): number {
  const maxPos = spec.maxPositionEmbeddings;
  if (maxPos === null) return 0;
  if (spec.tensors.some((t) => t.role === "position-embedding")) return 0; // learned positions
  const dims = new Set<number>();
  let windowed = false;
  let global = false;
  for (const l of spec.layers) {
    if (l.mixer.kind === "attention") {
      dims.add(l.mixer.headDim);
      if (l.mixer.slidingWindow !== null) windowed = true;
      else global = true;
    } else if (l.mixer.kind === "mla") dims.add(l.mixer.qkRopeHeadDim);
  }
  let total = 0;
  for (const d of dims) total += maxPos * d * dtypeBytes;
  // gemma3: rope_local_base_freq gives the sliding layers their own rotary embedding.
  if (spec.architecture.startsWith("gemma3") && windowed && global) total *= 2;
  return total;
}
