/**
 * The buffers llama.cpp allocates (llama.cpp@de3ff815), from the placement of the weights
 * (placement.ts):
 * - KV cache: n_ctx padded to 256, per-sequence streams, a window-sized cache for SWA layers
 *   (llama_kv_cache_iswa), quantized K/V block sizes, K only for MLA, recurrent state;
 * - output buffer: n_vocab × n_seq_max floats (llama_context::output_reserve);
 * - compute buffers: the reserve graph (graph.ts) scheduled across backends (ggml-sched.ts) and
 *   replayed through ggml-alloc (ggml-graph.ts).
 * Placements and compute sizes are memoised per model (exact keys, bounded maps).
 */
import { lookupGgmlType } from "../../../catalog/dtypes.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import type { LlamaCppModel } from "../../../models/gguf-model.js";
import {
  type AffineBufferSizes,
  type AffineGraph,
  affineGraph,
  allocateAffineAt,
  allocateGraph,
  type GgmlGraph,
} from "./ggml-graph.js";
import { scheduleGraph } from "./ggml-sched.js";
import { buildLlamaCppGraph, kvWidths } from "./graph.js";
import {
  CPU_ALIGN,
  CUDA_ALIGN,
  gpuName,
  HOST_BUFFER,
  type LlamaCppBuffer,
  type ModelPlacement,
  pad,
  placeModel,
} from "./placement.js";
import { type LlamaCppSettings, validateLlamaCppContext } from "./settings.js";

export interface LlamaCppKvCache {
  /** "kv", or "non-SWA" / "SWA" for an interleaved-SWA model, or "recurrent". */
  readonly cache: string;
  readonly cells: number;
  readonly layers: number;
  readonly kBytes: number;
  readonly vBytes: number;
}

export interface LlamaCppMemory {
  readonly settings: LlamaCppSettings;
  /** n_ctx (all sequences, padded), n_ctx_seq, and the reserved ubatch. */
  readonly nCtx: number;
  readonly nCtxSeq: number;
  readonly nUbatch: number;
  readonly modelBuffers: readonly LlamaCppBuffer[];
  readonly kvBuffers: readonly LlamaCppBuffer[];
  readonly kvCaches: readonly LlamaCppKvCache[];
  readonly outputBuffer: LlamaCppBuffer;
  readonly computeBuffers: readonly LlamaCppBuffer[];
  /** Device of each layer (GPU index or "host"), and of the output layer. */
  readonly layerDevices: readonly (number | "host")[];
  readonly outputDevice: number | "host";
  readonly notes: readonly string[];
}

// memoisation (exact: each memo is keyed by every input its function reads)

interface ModelMemo {
  readonly placements: Map<string, ModelPlacement>;
  /** Whole answers by every setting (the same call again returns the same, read-only, object). */
  readonly results: Map<string, LlamaCppMemory>;
  /** KV cache groups with each layer's K and V row bytes and device, by settings (no context). */
  readonly kvPlans: Map<string, readonly KvGroupPlan[]>;
}

interface KvGroupPlan {
  readonly cache: string;
  readonly swa: boolean;
  readonly layers: readonly number[];
  readonly kRow: readonly number[];
  readonly vRow: readonly number[];
  readonly devs: readonly (number | "host")[];
}

/** Compute buffer sizes at nKv = x0 + 256·j for j in [lo, hi]: sizes + slopes·j (allocateGraphAffine). */
interface ComputeSegment extends AffineBufferSizes {
  readonly x0: number;
  /**
   * Weights the scheduler copies into a compute buffer, with their ggml types: the only tensors of
   * the graph whose size depends on the weights' types (every op's result is F32/F16/I32 whatever
   * the weight type; weights themselves are not in a compute buffer). Another quantization of the
   * same shapes, placed alike, reads this segment when its copied weights have these types.
   */
  readonly copied: readonly (readonly [string, string])[];
}

// Bounded so that a long-lived process (the web app) does not grow without end.
const PLACEMENT_MEMO_SIZE = 16;
const COMPUTE_MEMO_SIZE = 256;
const RESULT_MEMO_SIZE = 256;
const SEGMENTS_PER_KEY = 32;
const memos = new WeakMap<LlamaCppModel, ModelMemo>();
/**
 * Compute segments shared by every model of the same tensor shapes and hparams (the quantizations
 * of one architecture), keyed by shape id, placement, settings and graph sizes but nKv.
 */
const computeMemo = new Map<string, ComputeSegment[]>();

// Interned ids of a model's shapes (hparams, tensor names and dimensions: not their types) and of
// a placement's devices, so that memo keys stay short.
const shapeIds = new Map<string, number>();
const shapeIdOf = new WeakMap<LlamaCppModel, number>();
const placementIds = new Map<string, number>();
const placementIdOf = new WeakMap<ModelPlacement, number>();
const typesOf = new WeakMap<LlamaCppModel, ReadonlyMap<string, string>>();

let nextInternId = 0;
/** Set by replayingEveryGraph: compute buffers by a plain replay, no memo (the reference tests check). */
let plainReplay = false;

/** `f()` with every compute buffer from a plain replay of its graph, reading and writing no memo. */
export function replayingEveryGraph<T>(f: () => T): T {
  plainReplay = true;
  try {
    return f();
  } finally {
    plainReplay = false;
  }
}

function intern(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) {
    // bounded: past the limit, start over (ids stay unique: they only grow)
    if (ids.size >= 4096) ids.clear();
    id = nextInternId++;
    ids.set(key, id);
  }
  return id;
}

function shapeId(model: LlamaCppModel): number {
  let id = shapeIdOf.get(model);
  if (id === undefined) {
    const tensors = model.tensors.map((t) => `${t.name}:${t.ne.join("x")}`).join(",");
    id = intern(shapeIds, `${keyOf(model.hparams)}|${tensors}`);
    shapeIdOf.set(model, id);
  }
  return id;
}

function placementId(p: ModelPlacement): number {
  let id = placementIdOf.get(p);
  if (id === undefined) {
    const weights = [...p.weightBackend].map(([n, b]) => `${n}=${b}`).join(",");
    id = intern(placementIds, `${keyOf(p.devs)}|${keyOf(p.outDev)}|${weights}`);
    placementIdOf.set(p, id);
  }
  return id;
}

function typeOf(model: LlamaCppModel, name: string): string | undefined {
  let m = typesOf.get(model);
  if (!m) {
    m = new Map(model.tensors.map((t) => [t.name, t.type]));
    typesOf.set(model, m);
  }
  return m.get(name);
}

function memoOf(model: LlamaCppModel): ModelMemo {
  let m = memos.get(model);
  if (!m) {
    m = { placements: new Map(), results: new Map(), kvPlans: new Map() };
    memos.set(model, m);
  }
  return m;
}

function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  if (map.size >= limit && !map.has(key)) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** An injective text form of a settings value (numbers keep NaN, -0 and their type apart from strings). */
function keyOf(v: unknown): string {
  if (Array.isArray(v)) return `[${Array.from(v, keyOf).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${keyOf((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  if (typeof v === "string") return JSON.stringify(v);
  if (Object.is(v, -0)) return "number:-0";
  return `${typeof v}:${String(v)}`;
}

// JSON with the numbers JSON loses kept apart (NaN, ±Infinity, -0); fields in the object's own order,
// so that two equal settings built in another order only miss the memo, never share a wrong entry.
const exactNumbers = (_key: string, v: unknown): unknown =>
  typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))
    ? `number:${Object.is(v, -0) ? "-0" : String(v)}`
    : v;
const settingsKeys = new WeakMap<LlamaCppSettings, string>();
/**
 * `base` at another context length and sequence count: the same settings key without computing it
 * again (the key leaves exactly these two out), so a search's probes key their memos cheaply.
 */
export function atContext(base: LlamaCppSettings, contextLength: number, nSeq: number): LlamaCppSettings {
  const s = { ...base, contextLength, nSeq };
  settingsKeys.set(s, settingsKey(base));
  return s;
}

/** Every setting but the context length and the sequence count (an injective text form). */
function settingsKey(s: LlamaCppSettings): string {
  let key = settingsKeys.get(s);
  if (key === undefined) {
    key = JSON.stringify({ ...s, contextLength: 0, nSeq: 0 }, exactNumbers);
    settingsKeys.set(s, key);
  }
  return key;
}

/** The graph sizes the compute buffers depend on (with the settings and the placement). */
interface GraphSizes {
  readonly nTokens: number;
  readonly nOutputs: number;
  readonly nStream: number;
  readonly nKv: number;
  readonly nKvSwa: number;
}

/** The reserve graph, scheduled across backends (llama_context::sched_reserve, graph_reserve). */
function computeGraph(
  model: LlamaCppModel,
  s: LlamaCppSettings,
  placement: ModelPlacement,
  sizes: GraphSizes,
): GgmlGraph {
  const { devs, outDev } = placement;
  const cpuBackend = s.gpuCount; // the CPU is the last backend
  const backendOf = (d: number | "host") => (d === "host" ? cpuBackend : d);
  const kvDevice = (il: number): number | "host" => (s.kvOffload ? (devs[il] ?? "host") : "host");
  const graph = buildLlamaCppGraph(model, {
    ...sizes,
    flashAttn: s.flashAttn,
    typeK: s.typeK,
    typeV: s.typeV,
    layerBackend: (il) => backendOf(devs[il] ?? "host"),
    outputBackend: backendOf(outDev),
    inputBackend: cpuBackend,
    legacyInputs: s.legacyGraph === true,
  });
  if (s.gpuCount > 0)
    scheduleGraph(graph, {
      nBackends: s.gpuCount + 1,
      weightBackend: (name) => placement.weightBackend.get(name) ?? cpuBackend,
      kvBackend: (il) => backendOf(kvDevice(il)),
      opOffload: s.opOffload,
      nTokens: sizes.nTokens,
    });
  return graph;
}

const alignmentsOf = (s: LlamaCppSettings): number[] =>
  s.gpuCount === 0 ? [CPU_ALIGN] : [...Array.from({ length: s.gpuCount }, () => CUDA_ALIGN), CPU_ALIGN];

/** The reserve graph of one compute key, built at nKv = x0 and x0 + 256, in affine form. */
interface GraphPair {
  readonly x0: number;
  readonly affine: AffineGraph;
  readonly copied: readonly (readonly [string, string])[];
}
const GRAPH_PAIR_MEMO_SIZE = 24;
const PAIRS_PER_KEY = 4;
/** Graph pairs by compute key (every graph size but nKv): one build serves every cache size. */
const graphPairs = new Map<string, GraphPair[]>();
/** Compute keys replayed once without a pair (computeBufferSizes). */
const plainOnce = new Map<string, true>();

/** Weights the scheduler copies into a compute buffer, with their types (ComputeSegment.copied). */
function copiedWeights(g: GgmlGraph): [string, string][] {
  const copied: [string, string][] = [];
  for (const n of g.nodes) {
    const src = n.src[0];
    if (n.op === "CPY" && n.src.length === 1 && src?.external) copied.push([src.name, src.type]);
  }
  return copied;
}

const copiesAlike = (model: LlamaCppModel, copied: readonly (readonly [string, string])[]): boolean =>
  copied.every(([name, type]) => typeOf(model, name) === type);

/**
 * Compute buffer bytes per backend at these sizes and, where the allocator provably decides alike,
 * at every nKv = sizes.nKv + 256·j of a window (allocateAffineAt). The reserve graph is built at
 * some nKv and at nKv + 256 (and the SWA cache with it when its size is nKv's) once per compute
 * key, then replayed at each cache size asked: graph.ts reads nKv and nKvSwa only as whole tensor
 * dimensions, never in a branch, so every tensor's size is affine in the step (affineGraph checks
 * the two graphs agree in everything else; where they do not, a plain replay at this very size).
 */
function computeBufferSizes(
  model: LlamaCppModel,
  s: LlamaCppSettings,
  placement: ModelPlacement,
  sizes: GraphSizes,
  key: string,
): ComputeSegment {
  const alignment = alignmentsOf(s);
  const pairs = graphPairs.get(key) ?? [];
  let pair = pairs.find((p) => (sizes.nKv - p.x0) % 256 === 0 && copiesAlike(model, p.copied));
  if (!pair) {
    const g0 = computeGraph(model, s, placement, sizes);
    const copied = copiedWeights(g0);
    // A partial offload is mostly asked at one cache size (a layer search at one context): its
    // first graph is replayed as it is; a second size of the same key builds the pair.
    if (s.gpuCount > 0 && s.gpuLayers <= model.hparams.nLayer && !plainOnce.has(key)) {
      remember(plainOnce, key, true, GRAPH_PAIR_MEMO_SIZE * 8);
      const plain = allocateGraph(g0, alignment);
      return { sizes: plain, slopes: plain.map(() => 0), lo: 0, hi: 0, x0: sizes.nKv, copied };
    }
    const tied = sizes.nKvSwa === sizes.nKv;
    const g1 = computeGraph(model, s, placement, {
      ...sizes,
      nKv: sizes.nKv + 256,
      nKvSwa: tied ? sizes.nKv + 256 : sizes.nKvSwa,
    });
    const affine = affineGraph(g0, g1);
    if (!affine) {
      const plain = allocateGraph(g0, alignment);
      return { sizes: plain, slopes: plain.map(() => 0), lo: 0, hi: 0, x0: sizes.nKv, copied };
    }
    pair = { x0: sizes.nKv, affine, copied };
    if (pairs.length >= PAIRS_PER_KEY) pairs.shift();
    pairs.push(pair);
    remember(graphPairs, key, pairs, GRAPH_PAIR_MEMO_SIZE);
  }
  const r = allocateAffineAt(pair.affine, (sizes.nKv - pair.x0) / 256, alignment);
  return { ...r, x0: sizes.nKv, copied: pair.copied };
}

/** The sizes a segment holds for this model at nKv, or null when nKv is outside its window. */
function sizesAt(seg: ComputeSegment, model: LlamaCppModel, nKv: number): number[] | null {
  const d = nKv - seg.x0;
  if (d % 256 !== 0) return null;
  const j = d / 256;
  if (j < seg.lo || j > seg.hi) return null;
  for (const [name, type] of seg.copied) if (typeOf(model, name) !== type) return null;
  return seg.sizes.map((v, b) => v + seg.slopes[b]! * j);
}

/**
 * Every buffer llama.cpp allocates for `model` with these settings.
 * @example llamaCppMemory(model, settings).kvBuffers[0].bytes
 */
export function llamaCppMemory(model: LlamaCppModel, s: LlamaCppSettings): LlamaCppMemory {
  return llamaCppBuffers(model, s, true);
}

/** llamaCppMemory, or without `withCompute` the same buffers but no compute buffers (a lower bound). */
export function llamaCppBuffers(
  model: LlamaCppModel,
  s: LlamaCppSettings,
  withCompute: boolean,
): LlamaCppMemory {
  validateLlamaCppContext(model, s);
  // Everything but the context and the sequence count: weights, their buffers and devices do not
  // depend on either, so an estimate's context and batch searches place the model once.
  const baseKey = settingsKey(s);
  const memo = memoOf(model);
  const resultKey = `${withCompute ? "all" : "bound"}|${s.contextLength}|${s.nSeq}|${baseKey}`;
  const known = plainReplay ? undefined : memo.results.get(resultKey);
  if (known) return known;
  const result = buffersOf(model, s, withCompute, memo, baseKey);
  if (!plainReplay) remember(memo.results, resultKey, result, RESULT_MEMO_SIZE);
  return result;
}

function buffersOf(
  model: LlamaCppModel,
  s: LlamaCppSettings,
  withCompute: boolean,
  memo: ModelMemo,
  baseKey: string,
): LlamaCppMemory {
  const h = model.hparams;
  const notes: string[] = [];
  let placement = memo.placements.get(baseKey);
  if (!placement) {
    placement = placeModel(model, s);
    remember(memo.placements, baseKey, placement, PLACEMENT_MEMO_SIZE);
  }
  const { devs, outDev } = placement;
  const modelBuffers = placement.modelBuffers.map((b) => ({ ...b }));

  // --- context sizes (llama_context constructor, src/llama-context.cpp:246-305) ---
  const nSeq = s.nSeq;
  let nCtx = pad(s.contextLength * nSeq, 256);
  let nCtxSeq = nCtx;
  if (!s.kvUnified) {
    nCtxSeq = pad(Math.floor(nCtx / nSeq), 256);
    nCtx = nCtxSeq * nSeq;
  }
  const nBatch = Math.min(nCtx, s.nBatch);
  const nUbatch = Math.min(nBatch, s.nUbatch);
  const nStream = s.kvUnified ? 1 : nSeq;

  // --- KV cache (llama_kv_cache constructor; llama_kv_cache_iswa: size_swa) ---
  const kvBytesBy = new Map<string, { device: number | "host"; bytes: number }>();
  const caches: LlamaCppKvCache[] = [];
  const kvDevice = (il: number): number | "host" => (s.kvOffload ? (devs[il] ?? "host") : "host");
  const addKv = (dev: number | "host", bytes: number) => {
    const name = dev === "host" ? "CPU" : gpuName(dev);
    const prev = kvBytesBy.get(name);
    kvBytesBy.set(name, { device: dev, bytes: (prev?.bytes ?? 0) + bytes });
  };
  const vTrans = !s.flashAttn;
  const kvTypes = new Map([s.typeK, s.typeV].map((type) => [type, lookupGgmlType(type)]));
  const row = (type: string, n: number) => {
    const t = kvTypes.get(type)!;
    if (n % t.blockSize !== 0)
      throw new MemlensError(
        "invalid-value",
        `a KV row of ${n} values is not a whole number of ${type} blocks (${t.blockSize})`,
        "kvCache",
      );
    return (n / t.blockSize) * t.typeSizeBytes;
  };
  const iswa = h.isSwa.some(Boolean);
  const sizeSwa = s.swaFull
    ? nCtxSeq
    : pad(Math.min(nCtxSeq, h.nSwa * (s.kvUnified ? nSeq : 1) + nUbatch), 256);
  // Each group's layers, their K and V row bytes and devices depend on the settings but not on the
  // context or the sequence count: built once per setting, then sized per call.
  let plan = memo.kvPlans.get(baseKey);
  if (!plan) {
    const attnLayers = Array.from({ length: h.nLayer }, (_, il) => il).filter((il) => !h.isRecurrent[il]);
    const defs: { cache: string; swa: boolean; layers: number[] }[] = [];
    if (iswa) {
      defs.push({ cache: "non-SWA", swa: false, layers: attnLayers.filter((il) => !h.isSwa[il]) });
      defs.push({ cache: "SWA", swa: true, layers: attnLayers.filter((il) => h.isSwa[il]) });
    } else if (attnLayers.length) defs.push({ cache: "kv", swa: false, layers: attnLayers });
    plan = defs.map((d) => {
      const kRow: number[] = [];
      const vRow: number[] = [];
      for (const il of d.layers) {
        const w = kvWidths(h, il, vTrans);
        kRow.push(row(s.typeK, h.mla ? h.mla.nLoraKv + h.nRot : w.k));
        vRow.push(h.mla ? 0 : row(s.typeV, w.v));
      }
      return { ...d, kRow, vRow, devs: d.layers.map(kvDevice) };
    });
    remember(memo.kvPlans, baseKey, plan, PLACEMENT_MEMO_SIZE);
  }
  const kvBuffers: LlamaCppBuffer[] = [];
  for (const g of plan) {
    const size = g.swa ? sizeSwa : nCtxSeq;
    let k = 0;
    let v = 0;
    const perDev = new Map<number | "host", number>();
    for (let i = 0; i < g.layers.length; i++) {
      const kb = g.kRow[i]! * size * nStream;
      const vb = g.vRow[i]! * size * nStream;
      k += kb;
      v += vb;
      const dev = g.devs[i]!;
      const align = dev === "host" ? CPU_ALIGN : CUDA_ALIGN;
      perDev.set(dev, (perDev.get(dev) ?? 0) + pad(kb, align) + (h.mla ? 0 : pad(vb, align)));
    }
    caches.push({ cache: g.cache, cells: size, layers: g.layers.length, kBytes: k, vBytes: v });
    for (const [dev, bytes] of perDev) {
      kvBuffers.push({ name: dev === "host" ? "CPU" : gpuName(dev), device: dev, bytes });
      addKv(dev, bytes);
    }
  }
  // Recurrent state (llama_memory_recurrent: r [n_embd_r, rows], s [n_embd_s, rows], F32)
  const recurrent = Array.from({ length: h.nLayer }, (_, il) => il).filter((il) => h.isRecurrent[il]);
  if (recurrent.length && h.ssm) {
    const ssm = h.ssm;
    const nEmbdR = (ssm.dConv > 0 ? ssm.dConv - 1 : 0) * (ssm.dInner + 2 * ssm.nGroup * ssm.dState);
    const nEmbdS = ssm.dState * ssm.dInner;
    const rows = Math.max(1, nSeq);
    let r = 0;
    let st = 0;
    const perDev = new Map<number | "host", number>();
    for (const il of recurrent) {
      r += nEmbdR * rows * 4;
      st += nEmbdS * rows * 4;
      const dev = kvDevice(il);
      const align = dev === "host" ? CPU_ALIGN : CUDA_ALIGN;
      perDev.set(dev, (perDev.get(dev) ?? 0) + pad(nEmbdR * rows * 4, align) + pad(nEmbdS * rows * 4, align));
    }
    caches.push({ cache: "recurrent", cells: rows, layers: recurrent.length, kBytes: r, vBytes: st });
    for (const [dev, bytes] of perDev)
      kvBuffers.push({ name: dev === "host" ? "CPU" : gpuName(dev), device: dev, bytes });
  }

  // --- output buffer (llama_context::output_reserve) ---
  const outputBuffer: LlamaCppBuffer = {
    name: s.gpuCount > 0 && outDev !== "host" ? HOST_BUFFER : "CPU",
    device: "host",
    bytes: h.nVocab * nSeq * 4,
  };

  // --- compute buffers (llama_context::sched_reserve, graph_reserve) ---
  let nTokens = Math.min(nCtx, nUbatch);
  const nOutputs = nTokens;
  if (nTokens % nSeq !== 0) nTokens = Math.ceil(nTokens / nSeq) * nSeq;
  const cpuBackend = s.gpuCount; // the CPU is the last backend
  const nKvSwa = iswa ? sizeSwa : 0;
  // The compute buffers are a function of the settings and of these five graph sizes alone, and
  // affine in the cache size over windows (computeBufferSizes): contexts and sequence counts whose
  // other sizes agree read one replay.
  let computeSizes: readonly number[] = [];
  if (withCompute && plainReplay)
    computeSizes = allocateGraph(
      computeGraph(model, s, placement, { nTokens, nOutputs, nStream, nKv: nCtxSeq, nKvSwa }),
      alignmentsOf(s),
    );
  else if (withCompute) {
    const graphSizes = `${nTokens},${nOutputs},${nStream},${nKvSwa === nCtxSeq ? "=" : nKvSwa}`;
    const computeKey = `${shapeId(model)}|${placementId(placement)}|${baseKey}|${graphSizes}`;
    const segs = computeMemo.get(computeKey) ?? [];
    let found: number[] | null = null;
    for (const seg of segs) {
      found = sizesAt(seg, model, nCtxSeq);
      if (found) break;
    }
    if (!found) {
      const seg = computeBufferSizes(
        model,
        s,
        placement,
        { nTokens, nOutputs, nStream, nKv: nCtxSeq, nKvSwa },
        computeKey,
      );
      if (segs.length >= SEGMENTS_PER_KEY) segs.shift();
      segs.push(seg);
      remember(computeMemo, computeKey, segs, COMPUTE_MEMO_SIZE);
      found = sizesAt(seg, model, nCtxSeq)!;
    }
    computeSizes = found;
  }
  if (s.gpuCount > 0)
    notes.push(
      "GPU compute buffers follow ggml's scheduler approximately (weights on other devices are copied in, large-batch ops on host weights are offloaded).",
    );
  const computeBuffers: LlamaCppBuffer[] = computeSizes
    .map((bytes, b) =>
      b === cpuBackend
        ? { name: s.gpuCount > 0 ? HOST_BUFFER : "CPU", device: "host" as const, bytes }
        : { name: gpuName(b), device: b, bytes },
    )
    .filter((b) => b.bytes > 1 || b.device === "host");

  return {
    settings: s,
    nCtx,
    nCtxSeq,
    nUbatch,
    modelBuffers,
    kvBuffers,
    kvCaches: caches,
    outputBuffer,
    computeBuffers,
    layerDevices: [...devs],
    outputDevice: outDev,
    notes,
  };
}

/** Bytes of one device's model, KV and compute buffers (and the output buffer on the host). */
export function totals(m: LlamaCppMemory, device: number | "host") {
  const sum = (xs: readonly LlamaCppBuffer[]) =>
    xs.filter((b) => b.device === device).reduce((a, b) => a + b.bytes, 0);
  return {
    model: sum(m.modelBuffers),
    kv: sum(m.kvBuffers),
    compute: sum(m.computeBuffers),
    output: device === "host" ? m.outputBuffer.bytes : 0,
  };
}

/** Bytes llama.cpp holds in system memory (model buffers in RAM or page cache, KV, compute, output). */
export function llamaCppHostBytes(m: LlamaCppMemory): number {
  const t = totals(m, "host");
  return t.model + t.kv + t.compute + t.output;
}
