import type { LayerSpec, ModelSpec } from "../../../models/model-spec.js";
import { layerRecurrentStateBytes, mlaIndexerKeyBytes, uniformKvLayout } from "../../kv-cache.js";

/**
 * vLLM v1's paged KV cache, reproduced from vllm/v1/kv_cache_interface.py (per-layer specs and
 * page sizes) and vllm/v1/core/kv_cache_utils.py (KV cache groups, number of blocks, the
 * "GPU KV cache size" and "Maximum concurrency" log lines).
 */

/** One layer's KV cache spec on one tensor-parallel rank. */
export type VllmKvSpec =
  /** FullAttentionSpec: every token kept. */
  | {
      readonly kind: "full";
      readonly blockSize: number;
      readonly numKvHeads: number;
      readonly headSize: number;
      readonly headSizeV: number;
      readonly dtypeBytes: number;
      /**
       * MiniMax-M3 sparse layers: the indexer's side cache (MiniMaxM3Indexer, index heads per rank
       * × sparse_index_dim in the KV dtype) counted in the layer's page; absent elsewhere.
       */
      readonly indexerBytes?: number;
    }
  /** SlidingWindowSpec: the last `window` tokens kept (Gemma 2/3, gpt-oss, Mistral v0.1). */
  | {
      readonly kind: "sliding";
      readonly blockSize: number;
      readonly numKvHeads: number;
      readonly headSize: number;
      readonly dtypeBytes: number;
      readonly window: number;
    }
  /** ChunkedLocalAttentionSpec: attention within chunks of `chunk` tokens (Llama 4). */
  | {
      readonly kind: "chunked";
      readonly blockSize: number;
      readonly numKvHeads: number;
      readonly headSize: number;
      readonly dtypeBytes: number;
      readonly chunk: number;
    }
  /**
   * MLAAttentionSpec: one latent "head" of kv_lora_rank + qk_rope_head_dim, K only; with DSA, the
   * layer's DeepseekV32IndexerCache (an MLAAttentionSpec of `indexerBytes` uint8 per token) in the
   * same block (UniformTypeKVCacheSpecs: one group, the layers' page sizes added).
   */
  | {
      readonly kind: "mla";
      readonly blockSize: number;
      readonly headSize: number;
      readonly dtypeBytes: number;
      readonly indexerBytes: number;
      /**
       * DeepSeek-V4 (MLAAttentionSpec with compress_ratio, model_version "deepseek_v4"): a page
       * holds `blockSize` compressed entries, one per `compressRatio` tokens; 0 = the layer keeps
       * only its `window` (counted like a sliding window). Absent on ordinary MLA layers.
       */
      readonly compressRatio?: number;
      readonly window?: number;
    }
  /** MambaSpec: one constant-size state per sequence, padded to the attention page. */
  | {
      readonly kind: "mamba";
      readonly blockSize: number;
      readonly stateBytes: number;
      readonly paddedBytes: number;
    };

/** Bytes of one block of one layer (`page_size_bytes`). */
export function vllmPageBytes(s: VllmKvSpec): number {
  switch (s.kind) {
    case "full":
      // FullAttentionSpec.real_page_size_bytes: block × heads × (head_size + head_size_v) × dtype.
      return s.blockSize * (s.numKvHeads * (s.headSize + s.headSizeV) * s.dtypeBytes + (s.indexerBytes ?? 0));
    case "sliding":
    case "chunked":
      // AttentionSpec.real_page_size_bytes: coefficient 2 (K and V) × block × heads × head_size.
      return 2 * s.blockSize * s.numKvHeads * s.headSize * s.dtypeBytes;
    case "mla":
      // MLAAttentionSpec.real_page_size_bytes: coefficient 1, one KV head of the latent (+ indexer).
      return s.blockSize * (s.headSize * s.dtypeBytes + s.indexerBytes);
    case "mamba":
      return Math.max(s.stateBytes, s.paddedBytes);
  }
}

const cdiv = (a: number, b: number): number => Math.ceil(a / b);

/** `max_memory_usage_bytes`: what one request of `maxModelLen` tokens needs in one layer. */
export function vllmMaxMemoryBytes(s: VllmKvSpec, maxModelLen: number, maxNumBatchedTokens: number): number {
  const page = vllmPageBytes(s);
  switch (s.kind) {
    case "mla":
      if (s.compressRatio === 0 && s.window !== undefined)
        return (cdiv(Math.min(s.window - 1 + maxNumBatchedTokens, maxModelLen), s.blockSize) + 1) * page;
      if (s.compressRatio !== undefined && s.compressRatio > 0)
        return cdiv(cdiv(maxModelLen, s.compressRatio), s.blockSize) * page;
      return cdiv(maxModelLen, s.blockSize) * page;
    case "full":
      return cdiv(maxModelLen, s.blockSize) * page;
    case "sliding": {
      // SlidingWindowSpec: the window minus one plus a scheduled chunk, +1 block for alignment.
      const tokens = Math.min(s.window - 1 + maxNumBatchedTokens, maxModelLen);
      return (cdiv(tokens, s.blockSize) + 1) * page;
    }
    case "chunked": {
      const tokens = Math.min(s.chunk + maxNumBatchedTokens, maxModelLen);
      return cdiv(tokens, s.blockSize) * page;
    }
    case "mamba":
      // MambaSpec with mamba_cache_mode "none": one state per request.
      return page;
  }
}

const specKey = (s: VllmKvSpec): string => JSON.stringify(s);

export interface VllmKvLayout {
  /** KV cache groups as vLLM builds them: layer indices of each group and their shared spec. */
  readonly groups: readonly { readonly layers: readonly number[]; readonly spec: VllmKvSpec }[];
  /** Page bytes every group shares (after unification). */
  readonly pageBytes: number;
  /** Smallest block size among the groups (tokens per block in the log line). */
  readonly minBlockSize: number;
}

export interface VllmKvOptions {
  readonly blockSize: number;
  /** Bytes per KV element (2 auto/bf16/fp16, 1 fp8). */
  readonly dtypeBytes: number;
  readonly tensorParallel: number;
  /** Llama 4 local layers are chunked attention rather than a sliding window. */
  readonly chunkedLocal: boolean;
  readonly modelDtypeBytes: number;
}

/** The KV spec of one layer on one rank, or null for layers without a cache. */
export function vllmLayerKvSpec(layer: LayerSpec, o: VllmKvOptions): VllmKvSpec | null {
  const m = layer.mixer;
  switch (m.kind) {
    case "attention": {
      // Attention.get_kv_cache_spec: heads per rank, KV heads replicated when tp > n_kv.
      const heads = o.tensorParallel >= m.numKvHeads ? 1 : Math.ceil(m.numKvHeads / o.tensorParallel);
      if (m.slidingWindow !== null) {
        if (o.chunkedLocal)
          return {
            kind: "chunked",
            blockSize: o.blockSize,
            numKvHeads: heads,
            headSize: m.headDim,
            dtypeBytes: o.dtypeBytes,
            chunk: m.slidingWindow,
          };
        return {
          kind: "sliding",
          blockSize: o.blockSize,
          numKvHeads: heads,
          headSize: m.headDim,
          dtypeBytes: o.dtypeBytes,
          window: m.slidingWindow,
        };
      }
      return {
        kind: "full",
        blockSize: o.blockSize,
        numKvHeads: heads,
        headSize: m.headDim,
        headSizeV: m.valueHeadDim,
        dtypeBytes: o.dtypeBytes,
        ...(m.indexKeyDim ? { indexerBytes: heads * (m.indexKeyDim / m.numKvHeads) * o.dtypeBytes } : {}),
      };
    }
    case "mla":
      // The latent is the same on every rank (replicated under tensor parallelism).
      return {
        kind: "mla",
        blockSize: o.blockSize,
        headSize: m.kvLoraRank + m.qkRopeHeadDim,
        dtypeBytes: o.dtypeBytes,
        indexerBytes: mlaIndexerKeyBytes(m),
        ...(m.compressed ? { compressRatio: m.compressed.ratio, window: m.compressed.window } : {}),
      };
    case "mamba":
    case "linear-attention": {
      // Conv and SSM state in the model dtype, split by heads under tensor parallelism; NemotronH's
      // SSM state in mamba_ssm_cache_dtype (vllm/model_executor/models/config.py
      // NemotronHForCausalLMConfig.update_mamba_ssm_cache_dtype; MambaSpec sums each state's bytes).
      let state = layerRecurrentStateBytes(m, uniformKvLayout("bf16", o.modelDtypeBytes));
      if (m.kind === "mamba" && m.ssmStateDtypeBytes !== undefined)
        state += m.dInner * m.dState * (m.ssmStateDtypeBytes - o.modelDtypeBytes);
      return {
        kind: "mamba",
        blockSize: o.blockSize,
        stateBytes: Math.ceil(state / o.tensorParallel),
        paddedBytes: 0,
      };
    }
    case "none":
      return null;
  }
}

// Memoised per model and options (an estimate's searches ask for the same layout at every probe).
const layouts = new WeakMap<ModelSpec, Map<string, VllmKvLayout>>();

/**
 * KV cache groups of the whole model (kv_cache_utils.get_kv_cache_groups): one group when every
 * layer has the same spec; otherwise page sizes are unified and each attention type is split into
 * groups of `group_size` layers (the fewest layers of any type, or the most when that is < 1.5×
 * the fewest), layers[i::num_groups] going to group i. Memoised: the layout is read-only.
 */
export function vllmKvLayout(spec: ModelSpec, o: VllmKvOptions): VllmKvLayout {
  let bySpec = layouts.get(spec);
  if (!bySpec) {
    bySpec = new Map();
    layouts.set(spec, bySpec);
  }
  const key = `${o.blockSize}|${o.dtypeBytes}|${o.tensorParallel}|${o.chunkedLocal}|${o.modelDtypeBytes}`;
  let layout = bySpec.get(key);
  if (!layout) {
    if (bySpec.size >= 64) bySpec.clear();
    layout = buildKvLayout(spec, o);
    bySpec.set(key, layout);
  }
  return layout;
}

function buildKvLayout(spec: ModelSpec, o: VllmKvOptions): VllmKvLayout {
  const perLayer: { layer: number; spec: VllmKvSpec }[] = [];
  for (const l of spec.layers) {
    const s = vllmLayerKvSpec(l, o);
    if (s) perLayer.push({ layer: l.index, spec: s });
  }
  if (perLayer.length === 0) return { groups: [], pageBytes: 0, minBlockSize: o.blockSize };
  const unified = unifyPages(perLayer);
  const byType = new Map<string, { spec: VllmKvSpec; layers: number[] }>();
  for (const x of unified) {
    const k = specKey(x.spec);
    const e = byType.get(k);
    if (e) e.layers.push(x.layer);
    else byType.set(k, { spec: x.spec, layers: [x.layer] });
  }
  const types = [...byType.values()];
  const pageBytes = vllmPageBytes(types[0]!.spec);
  const minBlockSize = Math.min(...types.map((t) => t.spec.blockSize));
  if (types.length === 1)
    return { groups: [{ layers: types[0]!.layers, spec: types[0]!.spec }], pageBytes, minBlockSize };
  const counts = types.map((t) => t.layers.length);
  const minN = Math.min(...counts);
  const maxN = Math.max(...counts);
  const groupSize = maxN < minN * 1.5 ? maxN : minN;
  const groups: { layers: number[]; spec: VllmKvSpec }[] = [];
  for (const t of types) {
    const n = cdiv(t.layers.length, groupSize);
    for (let i = 0; i < n; i++) groups.push({ layers: t.layers.filter((_, j) => j % n === i), spec: t.spec });
  }
  return { groups, pageBytes, minBlockSize };
}

/**
 * unify_kv_cache_spec_page_size: layers with a smaller page get a proportionally larger block.
 * Mamba states are first matched to the attention page the way vLLM's hybrid model config does
 * it: the attention block grows (in steps of 16 tokens) until one page holds a state, then the
 * state is padded to that page (vllm/model_executor/models/config.py).
 */
function unifyPages(layers: { layer: number; spec: VllmKvSpec }[]): { layer: number; spec: VllmKvSpec }[] {
  let xs = layers;
  const mamba = xs.filter((x) => x.spec.kind === "mamba");
  const attn = xs.filter((x) => x.spec.kind !== "mamba");
  if (mamba.length > 0 && attn.length > 0) {
    const stateBytes = Math.max(...mamba.map((x) => (x.spec.kind === "mamba" ? x.spec.stateBytes : 0)));
    const a = attn[0]!.spec;
    const perToken = vllmPageBytes(a) / a.blockSize;
    const block = 16 * cdiv(stateBytes, 16 * perToken);
    const page = block * perToken;
    xs = xs.map((x) =>
      x.spec.kind === "mamba"
        ? { layer: x.layer, spec: { ...x.spec, blockSize: block, paddedBytes: page } }
        : { layer: x.layer, spec: { ...x.spec, blockSize: block } },
    );
  }
  const pages = xs.map((x) => vllmPageBytes(x.spec));
  const maxPage = Math.max(...pages);
  return xs.map((x, i) => {
    const p = pages[i]!;
    if (p === maxPage || x.spec.kind === "mamba") return x;
    const ratio = Math.max(1, Math.round(maxPage / p));
    return { layer: x.layer, spec: { ...x.spec, blockSize: x.spec.blockSize * ratio } };
  });
}

/** Layers of each group that live on a pipeline stage (projected groups). */
export function groupSizeOnStage(layout: VllmKvLayout, stageOf: readonly number[], stage: number): number {
  let max = 0;
  for (const g of layout.groups) max = Math.max(max, g.layers.filter((l) => stageOf[l] === stage).length);
  return max;
}

/** get_num_blocks: available // page_size // group_size (never negative). */
export function vllmNumBlocks(availableBytes: number, pageBytes: number, groupSize: number): number {
  if (groupSize === 0 || pageBytes === 0) return 0;
  return Math.max(0, Math.floor(Math.floor(availableBytes / pageBytes) / groupSize));
}

/** Blocks one request of `maxModelLen` tokens takes across all groups. */
export function vllmBlocksPerRequest(
  layout: VllmKvLayout,
  maxModelLen: number,
  maxNumBatchedTokens: number,
): number {
  let total = 0;
  for (const g of layout.groups) total += vllmMaxMemoryBytes(g.spec, maxModelLen, maxNumBatchedTokens);
  return cdiv(total, layout.pageBytes);
}

/** `GPU KV cache size: N tokens` (_report_kv_cache_config). */
export function vllmKvTokens(layout: VllmKvLayout, numBlocks: number): number {
  if (layout.groups.length === 0) return 0;
  return Math.floor(numBlocks / layout.groups.length) * layout.minBlockSize;
}

/** `Maximum concurrency for N tokens per request: X` (get_max_concurrency_for_kv_cache_config). */
export function vllmMaxConcurrency(
  layout: VllmKvLayout,
  numBlocks: number,
  maxModelLen: number,
  maxNumBatchedTokens: number,
): number {
  const perRequest = vllmBlocksPerRequest(layout, maxModelLen, maxNumBatchedTokens);
  return perRequest === 0 ? Number.POSITIVE_INFINITY : numBlocks / perRequest;
}
