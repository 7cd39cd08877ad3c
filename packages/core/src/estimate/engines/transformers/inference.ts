import { MemlensError } from "../../../errors/memlens-error.js";
import type { ModelSpec } from "../../../models/model-spec.js";
import { OwnerMemo } from "../../../units/memo.js";
import type { Bytes } from "../../../units/units.js";
import { type AttentionImplementation, estimateInferenceActivations } from "../../activations.js";
import { kvShareOfRank, splitWeights, stageOfLayers } from "../../devices.js";
import type { DeviceBytes, EngineInput } from "../../estimate-types.js";
import {
  type KvDtype,
  type KvLayoutOptions,
  kvLayoutKey,
  layerKvBytes,
  layerKvBytesPerToken,
  layerRecurrentStateBytes,
} from "../../kv-cache.js";
import { computeDtypeOf, isCheckpointWeightName, weightFormatKey } from "../../weights.js";
import { CUDA_CONTEXT_BYTES } from "../cuda-context.js";
import type { Engine, EngineJson, EngineResult } from "../engine.js";

const TRANSFORMERS_KV: readonly KvDtype[] = ["fp32", "fp16", "bf16"];

/** What `generate()` allocates: the attention implementation and torch's allocated peak. */
export interface TransformersReport {
  readonly engine: "transformers";
  readonly attention: AttentionImplementation;
  /** Largest device total less the CUDA context. */
  readonly torchAllocatedPeakBytes: number;
  readonly cudaContextBytes: Bytes;
}

/** KV layout of transformers' DynamicCache for a scenario. */
export function transformersKvLayout(input: EngineInput): KvLayoutOptions {
  const modelDtype = computeDtypeOf(input.format, input.spec);
  const requested = input.scenario.kvCache;
  const dtype = requested === "auto" ? modelDtype : (requested as KvDtype);
  if (!TRANSFORMERS_KV.includes(dtype))
    throw new MemlensError(
      "invalid-value",
      `kvCache "${requested}" is not a transformers DynamicCache dtype; allowed with engine transformers: ${transformersEngine.kvDtypes.join(", ")}`,
      "kvCache",
      transformersEngine.kvDtypes,
    );
  return {
    kDtype: dtype,
    vDtype: dtype,
    mla: "expanded",
    recurrent: "hf",
    recurrentDtypeBytes: dtype === "fp32" ? 4 : 2,
  };
}

/** Per layer, what its cache holds per token and per sequence (typed rows, for the searches' probes). */
interface LayerKvRows {
  readonly index: Int32Array;
  /** K + V bytes one token adds. */
  readonly kvBytesPerToken: Float64Array;
  /** Tokens kept at most (sliding window), −1 for every token. */
  readonly window: Float64Array;
  /** 1 for an attention mixer (its KV heads split under tensor parallelism). */
  readonly attention: Uint8Array;
  /** Recurrent state bytes of one sequence. */
  readonly stateBytes: Float64Array;
}

const kvRows = new OwnerMemo<ModelSpec, LayerKvRows>(16);

/**
 * The per-layer terms of the KV cache (layerKvBytesPerToken, tokensKeptByLayer,
 * layerRecurrentStateBytes), memoised per model and layout: every probe of the context and batch
 * searches recombines them with the same arithmetic, layer by layer.
 */
function layerKvRows(spec: ModelSpec, o: KvLayoutOptions): LayerKvRows {
  return kvRows.get(spec, kvLayoutKey(o), () => {
    const n = spec.layers.length;
    const rows = {
      index: new Int32Array(n),
      kvBytesPerToken: new Float64Array(n),
      window: new Float64Array(n),
      attention: new Uint8Array(n),
      stateBytes: new Float64Array(n),
    };
    spec.layers.forEach((l, i) => {
      const { k, v } = layerKvBytesPerToken(l.mixer, o);
      rows.index[i] = l.index;
      rows.kvBytesPerToken[i] = k + v;
      rows.window[i] =
        l.mixer.kind === "attention" && l.mixer.slidingWindow !== null ? l.mixer.slidingWindow : -1;
      rows.attention[i] = l.mixer.kind === "attention" ? 1 : 0;
      rows.stateBytes[i] = layerRecurrentStateBytes(l.mixer, o);
    });
    return rows;
  });
}

/** What memory() reads at every context and batch of one input. */
interface Prepared {
  readonly tp: number;
  readonly pp: number;
  readonly kvLayout: KvLayoutOptions;
  readonly attention: AttentionImplementation;
  readonly dtypeBytes: number;
  readonly weights: readonly number[];
  readonly stageOf: readonly number[];
  readonly share: number;
  readonly rows: LayerKvRows;
  /** Per stage, the layer terms summed (null where the sums would not be exact). */
  readonly stageSums: StageKvSums | null;
  /** Whether any layer is a DeepSeek-V4 compressed one (its KV is not a per-token product). */
  readonly compressed: boolean;
}

/**
 * A stage's KV terms added up: K + V per token of attention layers keeping every token and of
 * windowed ones by window (both × the rank's share of KV heads), of other layers (MLA, whole on
 * every rank), and recurrent states per sequence.
 */
interface StageKvSums {
  readonly stages: readonly {
    readonly sharedBytesPerToken: number;
    readonly windows: readonly { readonly window: number; readonly bytesPerToken: number }[];
    readonly wholeBytesPerToken: number;
    readonly stateBytes: number;
  }[];
  /** share × 2^shareBits is a whole number: every term is a whole multiple of 2^−shareBits. */
  readonly shareBits: number;
}

/**
 * The per-layer terms summed per stage. Each layer-by-layer term is a whole number times the
 * share (a multiple of 2^−k when the share is m / 2^k: 1, 1/2, 3/8, ...), and a sum of such
 * values is exact in any order while it stays below 2^(53−k); the probe checks that bound, so its
 * closed form equals the layer-by-layer sum bit for bit. Null for shares such as 1/3.
 */
function stageKvSums(
  rows: LayerKvRows,
  stageOf: readonly number[],
  pp: number,
  share: number,
): StageKvSums | null {
  let shareBits = 0;
  while (shareBits <= 16 && !Number.isInteger(share * 2 ** shareBits)) shareBits++;
  if (shareBits > 16) return null;
  const stages = Array.from({ length: pp }, () => ({
    shared: 0,
    windows: new Map<number, number>(),
    whole: 0,
    state: 0,
  }));
  for (let i = 0; i < rows.kvBytesPerToken.length; i++) {
    const kv = rows.kvBytesPerToken[i]!;
    const state = rows.stateBytes[i]!;
    if (!Number.isSafeInteger(kv) || !Number.isSafeInteger(state)) return null;
    const st = stages[stageOf[rows.index[i]!] ?? 0]!;
    const w = rows.window[i]!;
    if (rows.attention[i] !== 1) st.whole += kv;
    else if (w < 0) st.shared += kv;
    else st.windows.set(w, (st.windows.get(w) ?? 0) + kv);
    st.state += state;
  }
  return {
    stages: stages.map((st) => ({
      sharedBytesPerToken: st.shared,
      windows: [...st.windows].map(([window, bytesPerToken]) => ({ window, bytesPerToken })),
      wholeBytesPerToken: st.whole,
      stateBytes: st.state,
    })),
    shareBits,
  };
}

/**
 * KV bytes of each stage at `contextLength` tokens × `batch` sequences: each layer's K + V per
 * token × tokens it keeps × batch (× the rank's share of KV heads for attention) plus its
 * recurrent state × batch, added layer by layer.
 */
function kvBytesPerStage(p: Prepared, spec: ModelSpec, contextLength: number, batch: number): number[] {
  const kvPerStage: number[] = [];
  for (let s = 0; s < p.pp; s++) kvPerStage.push(0);
  // DeepSeek-V4's compressed layers keep a window plus one entry per `ratio` tokens: not a per-token
  // product, so neither shortcut below applies; sum them layer by layer (kv-cache.ts layerKvBytes).
  if (p.compressed) {
    for (const l of spec.layers) {
      const bytes =
        layerKvBytes(l, p.kvLayout, contextLength) * batch * (l.mixer.kind === "attention" ? p.share : 1);
      const state = layerRecurrentStateBytes(l.mixer, p.kvLayout) * batch;
      const s = p.stageOf[l.index] ?? 0;
      kvPerStage[s] = (kvPerStage[s] ?? 0) + bytes + state;
    }
    return kvPerStage;
  }
  const sums = p.stageSums;
  if (sums && Number.isInteger(contextLength) && Number.isInteger(batch) && batch >= 0) {
    const limit = Number.MAX_SAFE_INTEGER / 2 ** sums.shareBits;
    let exact = true;
    for (let s = 0; s < sums.stages.length; s++) {
      const st = sums.stages[s]!;
      let sharedPerToken = st.sharedBytesPerToken * contextLength;
      for (const w of st.windows) sharedPerToken += w.bytesPerToken * Math.min(contextLength, w.window);
      const shared = sharedPerToken * batch;
      const whole = st.wholeBytesPerToken * contextLength * batch + st.stateBytes * batch;
      // Every partial sum of the layer-by-layer order is at most shared + whole (terms ≥ 0).
      if (!(shared + whole <= limit)) exact = false;
      kvPerStage[s] = shared * p.share + whole;
    }
    if (exact) return kvPerStage;
    kvPerStage.fill(0);
  }
  const { rows, stageOf, share } = p;
  for (let i = 0; i < rows.kvBytesPerToken.length; i++) {
    const window = rows.window[i]!;
    const kept = window < 0 ? contextLength : Math.min(contextLength, window);
    const bytes = rows.kvBytesPerToken[i]! * kept * batch * (rows.attention[i] === 1 ? share : 1);
    const state = rows.stateBytes[i]! * batch;
    const s = stageOf[rows.index[i]!] ?? 0;
    kvPerStage[s] = (kvPerStage[s] ?? 0) + bytes + state;
  }
  return kvPerStage;
}

// Memoised per input object (the searches probe one input many times), then per model and
// everything else prepared() reads (later estimates of the same deployment at other contexts).
const preparedInputs = new WeakMap<EngineInput, Prepared>();
const preparedSpecs = new OwnerMemo<ModelSpec, Prepared>(64);

function prepared(input: EngineInput): Prepared {
  let p = preparedInputs.get(input);
  if (p) return p;
  const { spec, scenario } = input;
  const tp = scenario.parallel.tensor;
  // accelerate's device_map="auto" splits layers across all GPUs when no parallelism is asked for.
  const pp = tp === 1 && scenario.parallel.pipeline === 1 ? input.deviceCount : scenario.parallel.pipeline;
  const attention = scenario.engineOptions.attention ?? "sdpa";
  const key = `${weightFormatKey(input.format)}|${scenario.kvCache}|${tp}|${pp}|${attention}`;
  p = preparedSpecs.get(spec, key, () => {
    const kvLayout = transformersKvLayout(input);
    const stageOf = stageOfLayers(spec.numLayers, pp);
    const share = kvShareOfRank(spec, tp);
    const rows = layerKvRows(spec, kvLayout);
    return {
      tp,
      pp,
      kvLayout,
      attention,
      dtypeBytes: kvLayout.kDtype === "fp32" ? 4 : 2,
      weights: splitWeights(spec, input.format, { tensor: tp, pipeline: pp }),
      stageOf,
      share,
      rows,
      stageSums: stageKvSums(rows, stageOf, pp, share),
      compressed: spec.layers.some((l) => l.mixer.kind === "mla" && l.mixer.compressed !== undefined),
    };
  });
  preparedInputs.set(input, p);
  return p;
}

/**
 * Hugging Face transformers `generate()`: weights as loaded, a DynamicCache grown to the full
 * context (sliding-window layers keep their window), the prefill forward pass's activations
 * with the chosen attention implementation, and the CUDA context.
 * Several GPUs without tensor parallelism split the layers in order (accelerate device_map="auto").
 */
export const transformersEngine: Engine<TransformersReport> = {
  name: "transformers",
  label: "transformers",
  fitCapacity: "reported",
  kvDtypes: ["auto", ...TRANSFORMERS_KV],
  acceptsWeights: isCheckpointWeightName,
  searchKvDtypes: ["auto"],
  searchWeights: ["bf16", "int8", "nf4"],
  maxSequences: null,
  // generate() runs the batch it is given: no scheduler, no sequence limit of its own.
  defaults: () => ({ maxNumSeqs: null, blockSize: 1, contextBytes: CUDA_CONTEXT_BYTES }),
  memory(input: EngineInput, contextLength: number, batch: number): EngineResult<TransformersReport> {
    const { spec } = input;
    const p = prepared(input);
    const { tp, pp, kvLayout, attention, dtypeBytes, weights } = p;
    // KV per pipeline stage (each stage holds its layers' cache), split by KV heads under TP.
    const kvPerStage = kvBytesPerStage(p, spec, contextLength, batch);
    // Prefill of the whole context in one forward pass: the activation peak of generate().
    const act = estimateInferenceActivations(spec, {
      batch,
      queryTokens: contextLength,
      keyTokens: contextLength,
      attention,
      dtypeBytes,
      logitPositions: 1,
      mlaExpanded: true,
    });
    const actPerRank = Math.ceil(act.peakBytes / tp);
    // Prose for estimate(): constant sentences but two (cheap to build at every probe).
    const notes: string[] = [];
    if (pp > 1 && input.scenario.parallel.pipeline === 1)
      notes.push(
        `Layers split in order over ${pp} GPUs (accelerate device_map="auto"); one GPU works at a time.`,
      );
    if (attention === "eager" && act.attentionScoresBytes > 0)
      notes.push(
        `Eager attention materialises ${contextLength}×${contextLength} scores per head; SDPA or flash attention avoid it.`,
      );
    notes.push(
      "Activations are the prefill forward pass of the whole context in one batch (generate() keeps logits of the last position only).",
    );
    notes.push(
      "Overhead is the CUDA context and kernels outside PyTorch's allocator (457 MiB, Ollama's per-GPU figure); PyTorch's caching allocator may reserve more than it allocates.",
    );

    const devices: DeviceBytes[] = [];
    let torchAllocatedPeakBytes = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      const stage = Math.floor(i / tp);
      const kv = Math.ceil((kvPerStage[stage] ?? 0) / 1);
      const overhead = CUDA_CONTEXT_BYTES;
      const total = w + kv + actPerRank + overhead;
      devices.push({
        weights: w,
        kvCache: kv,
        activations: actPerRank,
        gradients: 0,
        optimizerStates: 0,
        overhead,
        total,
      });
      torchAllocatedPeakBytes = Math.max(torchAllocatedPeakBytes, total - overhead);
    }
    return {
      devices,
      report: {
        engine: "transformers",
        attention,
        torchAllocatedPeakBytes,
        cudaContextBytes: CUDA_CONTEXT_BYTES,
      },
      issues: [],
      kvLayout,
      notes,
    };
  },
  toJson: (r: TransformersReport): EngineJson => ({
    attention: r.attention,
    torchAllocatedPeakBytes: r.torchAllocatedPeakBytes,
    cudaContextBytes: r.cudaContextBytes,
  }),
};
