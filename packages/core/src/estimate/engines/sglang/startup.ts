import { MemlensError } from "../../../errors/memlens-error.js";
import { MIB } from "../../../units/units.js";
import type { EngineInput } from "../../estimate-types.js";
import { type KvDtype, mlaIndexerKeyBytes } from "../../kv-cache.js";
import { cudaContextBytes, cudaVisibleMemory, vllmKvDtype } from "../vllm/startup.js";
import { vllmRankWeights } from "../vllm/weights.js";

/**
 * SGLang's static memory split, reproduced from python/sglang/srt/server_args.py
 * (_handle_gpu_memory_settings: mem_fraction_static) and
 * python/sglang/srt/model_executor/model_runner.py (profile_max_num_token):
 *   rest_memory = free after loading − free at start × (1 − mem_fraction_static)
 *   max_total_num_tokens = rest_memory // cell_size
 * cell_size = KV heads per rank × head_dim × layers × 2 × dtype bytes, or for MLA
 * (kv_lora_rank + qk_rope_head_dim) × layers × dtype bytes. Weights load as in vLLM (SGLang
 * uses the same vocab-parallel and column/row-parallel layers).
 */

export interface SglangDefaults {
  readonly chunkedPrefillSize: number;
  readonly cudaGraphMaxBs: number;
  readonly memFractionStatic: number;
}

/**
 * server_args.py _handle_gpu_memory_settings for a CUDA GPU of `gpuMemMiB` (nvidia-smi total):
 * chunked_prefill_size and cuda_graph_max_bs by memory tier, then
 * reserved = 512 + max(chunked_prefill_size, 2048) × 1.5 + cuda_graph_max_bs × 2 + tp × pp / 8 × 1024
 * MiB (at least 10 GiB above 60 GiB of memory), mem_fraction_static = round((mem − reserved) / mem, 3).
 */
export function sglangDefaults(gpuMemMiB: number, tp: number, pp: number): SglangDefaults {
  let chunked: number;
  let graphBs: number;
  if (gpuMemMiB < 20 * 1024) [chunked, graphBs] = [2048, 8];
  else if (gpuMemMiB < 35 * 1024) [chunked, graphBs] = [2048, tp < 4 ? 24 : 80];
  else if (gpuMemMiB < 60 * 1024) [chunked, graphBs] = [4096, tp < 4 ? 32 : 160];
  else if (gpuMemMiB < 160 * 1024) [chunked, graphBs] = [8192, tp < 4 ? 256 : 512];
  else [chunked, graphBs] = [16384, 512];
  let reserved = 512 + Math.max(chunked, 2048) * 1.5 + graphBs * 2 + ((tp * pp) / 8) * 1024;
  if (gpuMemMiB > 60 * 1024) reserved = Math.max(reserved, 10 * 1024);
  const mfs = Math.round(((gpuMemMiB - reserved) / gpuMemMiB) * 1000) / 1000;
  return { chunkedPrefillSize: chunked, cudaGraphMaxBs: graphBs, memFractionStatic: mfs };
}

/** SGLang's PR #10975 (merged 2025-09-27) replaced the tensor-parallel tiers with the rule above. */
const RESERVED_MEMORY_RULE_SINCE: readonly [number, number, number] = [0, 5, 3];

/**
 * Whether an SGLang release (engineOptions.engineVersion, e.g. "0.4.6") predates the reserved-
 * memory rule; unset means the current rule. 0.5.3 is taken as the first release after the PR's
 * merge (the cut-off is not pinned to a tag).
 */
export function sglangUsesTpTiers(version: string | undefined): boolean {
  if (version === undefined) return false;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m)
    throw new MemlensError(
      "invalid-value",
      `engineOptions.engineVersion "${version}" is not an SGLang version such as 0.4.6`,
      "engineOptions.engineVersion",
    );
  const v = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  for (let i = 0; i < 3; i++)
    if (v[i] !== RESERVED_MEMORY_RULE_SINCE[i]) return (v[i] ?? 0) < (RESERVED_MEMORY_RULE_SINCE[i] ?? 0);
  return false;
}

/**
 * server_args.py before PR #10975: mem_fraction_static by tensor-parallel size (tp >= 16: 0.79,
 * >= 8: 0.81, >= 4: 0.85, >= 2: 0.87, else 0.88) and chunked_prefill_size 2048 below 25,000 MiB of
 * GPU memory, 8192 above; cuda_graph_max_bs keeps the memory tier of sglangDefaults.
 */
export function sglangLegacyDefaults(gpuMemMiB: number, tp: number, pp: number): SglangDefaults {
  const mfs = tp >= 16 ? 0.79 : tp >= 8 ? 0.81 : tp >= 4 ? 0.85 : tp >= 2 ? 0.87 : 0.88;
  return {
    chunkedPrefillSize: gpuMemMiB < 25_000 ? 2048 : 8192,
    cudaGraphMaxBs: sglangDefaults(gpuMemMiB, tp, pp).cudaGraphMaxBs,
    memFractionStatic: mfs,
  };
}

/** Whether the model's MLA layers carry a DeepSeek sparse-attention indexer (DeepSeek-V3.2, GLM-5). */
function isDsa(input: EngineInput): boolean {
  const m = input.spec.layers.find((l) => l.mixer.kind === "mla")?.mixer;
  return m?.kind === "mla" && mlaIndexerKeyBytes(m) > 0;
}

/**
 * SGLang's KV cache dtype: --kv-cache-dtype as vLLM names it, except that DeepSeek sparse-attention
 * models turn "auto" into fp8_e4m3 on compute capability 10 and later (Blackwell) and bfloat16
 * before (server_args.py, DeepSeek NSA/DSA defaults). Blackwell is recognised by the catalog's
 * FP4 tensor rate (fifth-generation tensor cores).
 */
export function sglangKvDtype(input: EngineInput): KvDtype {
  if (input.scenario.kvCache === "auto" && isDsa(input) && input.gpu?.flopsPerSecond.fp4 !== undefined)
    return "fp8";
  return vllmKvDtype(input);
}

export interface SglangStartup {
  readonly defaults: SglangDefaults;
  readonly memFractionStatic: number;
  readonly freeAtStartBytes: number;
  readonly weightsBytes: number;
  readonly cellBytes: number;
  readonly maxTotalNumTokens: number;
  /** K (and V) buffer bytes per GPU as "KV Cache is allocated ... K size" prints them. */
  readonly kSizeBytes: number;
  readonly vSizeBytes: number;
}

/** SGLang's default `--swa-full-tokens-ratio` (server_args.py ServerArgs.swa_full_tokens_ratio). */
export const SGLANG_SWA_FULL_TOKENS_RATIO = 0.8;

/**
 * DeepSeek-V4 in SGLang: bytes per "full" token of the four pools and the c4 compress state, as
 * DSV4PoolConfigurator._get_bytes_per_full_token sums them (python/sglang/srt/model_executor/
 * pool_configurator.py, its fp8 path, no speculative decoding, no HiSparse):
 *   kv = qk_nope + 2 × qk_rope + 8 (FP8 nope, BF16 rope, scales: 584 for head_dim 512),
 *   indexer = index_head_dim + index_head_dim / 128 × 4 (132);
 *   swa_ratio × kv × layers + kv × (c4 / 4 + c128 / 128) + indexer × c4 / 4
 *   + swa_ratio × (c4 ring 8 / window) × (4 × head_dim + 4 × index_head_dim) × 4 × c4
 * with the compress state in float32 (SGLANG_DSV4_COMPRESS_STATE_DTYPE; taken as its float32
 * default) and swa_ratio SGLang's default 0.8. The c128 state is per request, not per token.
 * Layers of the first pipeline stage (`pp` equal stages). Rounded up to whole bytes.
 */
export function sglangDsv4BytesPerFullToken(spec: EngineInput["spec"], pp = 1): number {
  const stage = spec.layers.slice(0, Math.ceil(spec.layers.length / pp));
  let layers = 0;
  let c4 = 0;
  let c128 = 0;
  let kv = 0;
  let indexer = 0;
  let indexerHeadDim = 0;
  let headDim = 0;
  let window = 1;
  for (const l of stage) {
    const m = l.mixer;
    if (m.kind !== "mla" || !m.compressed) continue;
    layers++;
    kv = m.qkNopeHeadDim + 2 * m.qkRopeHeadDim + 8;
    headDim = m.qkNopeHeadDim + m.qkRopeHeadDim;
    window = m.compressed.window;
    if (m.compressed.ratio === 4) {
      c4++;
      indexer = mlaIndexerKeyBytes(m);
      indexerHeadDim = m.indexerHeadDim ?? 0;
    } else if (m.compressed.ratio === 128) c128++;
  }
  const swa = SGLANG_SWA_FULL_TOKENS_RATIO;
  const c4RingPerWindow = 8 / window;
  const state = swa * c4RingPerWindow * (4 * headDim + 4 * indexerHeadDim) * 4 * c4;
  return Math.ceil(swa * kv * layers + kv * (c4 / 4 + c128 / 128) + (indexer * c4) / 4 + state);
}

/** SGLang's start-up split for a scenario (one GPU of the first pipeline stage). */
export function sglangStartup(input: EngineInput): SglangStartup {
  const { spec, scenario } = input;
  const tp = scenario.parallel.tensor;
  const pp = scenario.parallel.pipeline;
  const visible = cudaVisibleMemory(input);
  const defaults = sglangUsesTpTiers(scenario.engineOptions.engineVersion)
    ? sglangLegacyDefaults(visible / MIB, tp, pp)
    : sglangDefaults(visible / MIB, tp, pp);
  const mfs = scenario.engineOptions.memFractionStatic ?? defaults.memFractionStatic;
  const free = visible - cudaContextBytes(tp * pp);
  // DeepSeek sparse attention (an indexer on the MLA layers) turns DP attention on with
  // dp_size = tp_size on CUDA (server_args.py: "DP attention is enabled for DeepSeek NSA"): the
  // attention TP size is tp / dp = 1, so every rank holds the whole attention weights.
  const dsa = isDsa(input);
  const weights = vllmRankWeights(spec, input.format, tp, pp, dsa ? 1 : tp).loadedBytes[0] ?? 0;
  const kvDtype = sglangKvDtype(input);
  const e = kvDtype === "fp8" ? 1 : kvDtype === "fp32" ? 4 : 2;
  const first = spec.layers.find((l) => l.mixer.kind === "attention" || l.mixer.kind === "mla")?.mixer;
  // model_runner.profile_max_num_token: num_hidden_layers (per stage under PP); hybrid models
  // count only their attention layers (the recurrent ones live in a separate mamba pool).
  const attentionLayers = spec.layers.filter(
    (l) => l.mixer.kind === "attention" || l.mixer.kind === "mla",
  ).length;
  const layers = Math.ceil(attentionLayers / pp);
  let kPerToken = 0;
  let vPerToken = 0;
  if (first?.kind === "mla" && first.compressed) kPerToken = sglangDsv4BytesPerFullToken(spec, pp);
  else if (first?.kind === "mla")
    // DSA models add the indexer key per layer (sglang's pool configurator: "Add indexer KV cache
    // overhead for NSA models", index_head_dim + index_head_dim // 128 × 4 uint8 bytes, all layers).
    kPerToken = ((first.kvLoraRank + first.qkRopeHeadDim) * e + mlaIndexerKeyBytes(first)) * layers;
  else if (first?.kind === "attention") {
    // ModelConfig.get_num_kv_heads: max(1, num_kv_heads // tp).
    const heads = Math.max(1, Math.floor(first.numKvHeads / tp));
    kPerToken = heads * first.headDim * layers * e;
    vPerToken = heads * first.valueHeadDim * layers * e;
    // MiniMax-M3's sparse layers also cache the indexer key per token (sparse_index_dim per KV
    // head), in the KV dtype.
    for (const l of spec.layers.slice(0, Math.ceil(spec.layers.length / pp)))
      if (l.mixer.kind === "attention" && l.mixer.indexKeyDim)
        kPerToken += heads * (l.mixer.indexKeyDim / l.mixer.numKvHeads) * e;
  }
  const cell = kPerToken + vPerToken;
  // model_runner.profile_max_num_token: rest_memory = available_gpu_memory − total_gpu_memory ×
  // (1 − mem_fraction_static), where total_gpu_memory is the minimum free memory over the ranks
  // after torch.distributed is set up (not the card's size) and available_gpu_memory the free
  // memory after loading: rest = (free − weights) − free × (1 − mfs) = free × mfs − weights.
  const rest = free * mfs - weights;
  const tokens = cell > 0 ? Math.max(0, Math.floor(rest / cell)) : 0;
  // memory_pool.py MHATokenToKVPool: buffers of size + page_size (1) tokens per layer.
  return {
    defaults,
    memFractionStatic: mfs,
    freeAtStartBytes: free,
    weightsBytes: weights,
    cellBytes: cell,
    maxTotalNumTokens: tokens,
    kSizeBytes: (tokens + 1) * kPerToken,
    vSizeBytes: (tokens + 1) * vPerToken,
  };
}
