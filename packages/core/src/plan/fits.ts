/**
 * The reverse of `estimate`: every catalog model × weight format an engine loads that runs on a
 * GPU (or machine), each with its largest context, its GPU layers where llama.cpp offloads only
 * part of the model, its speed and the quality cost of its format, ranked (FITS_RANKING).
 */
import { findGpu, GPU_LIST } from "../catalog/gpu-lookup.js";
import type { GpuSpec } from "../catalog/gpu-types.js";
import { catalogModelSpec, MODEL_ROWS } from "../catalog/models.js";
import { qualityCostOf } from "../catalog/quality.js";
import { MemlensError, requireWholeNumber } from "../errors/memlens-error.js";
import { type Engine, type EngineReport, type EngineResult, engineOf } from "../estimate/engines/index.js";
import { engineFitsAt, resolveEngineInput, scenarioPerformance } from "../estimate/estimate.js";
import type { EngineInput } from "../estimate/estimate-types.js";
import { type FitProbe, largestFitting, largestFittingGuided } from "../estimate/largest-fitting.js";
import { estimateWeights } from "../estimate/weights.js";
import type { ModelSpec } from "../models/model-spec.js";
import { DEFAULT_EFFICIENCY, offloadedSpeed } from "../perf/roofline.js";
import { type InferenceEngine, parseScenario } from "../scenario/scenario.js";

/** The context `whatFits` answers at when the request names none (llama.cpp's --fit-ctx default, fit.ts). */
export const FITS_DEFAULT_CONTEXT = 4096;

/**
 * The ranking rule, as the CLI help and the web page print it. Entries that run at the context
 * (fully or partly on the GPU) and meet the decode floor come first; among them the largest model
 * (parameters), then the least quality cost (published perplexity increase; unpublished last),
 * then entirely on the GPU before partly offloaded, then the fastest decode.
 */
export const FITS_RANKING =
  "runs at --ctx and meets --min-decode first; then the largest model (parameters); then the least quality cost (published perplexity increase, unpublished last); then all layers on the GPU; then the fastest decode";

export interface FitsRequest {
  /** GPU or machine catalog id. */
  readonly gpu: string;
  readonly gpuCount?: number | undefined;
  /** Default: llama.cpp. */
  readonly engine?: string | undefined;
  /** Tokens per sequence for `atCtx` figures and speed; default FITS_DEFAULT_CONTEXT. */
  readonly contextLength?: number | undefined;
  /** Parallel sequences; default 1. */
  readonly concurrency?: number | undefined;
  /** Decode floor, tokens/s per sequence × sequences (what estimate's decodeTokensPerSecond says); default 0. */
  readonly minDecodeTokensPerSecond?: number | undefined;
  /** Keep only models of this family (case-insensitive, see `modelFamily`). */
  readonly family?: string | undefined;
  /** Catalog ids to sweep; default every catalog model. */
  readonly models?: readonly string[] | undefined;
  /** Weight formats to try; default the engine's `searchWeights`. */
  readonly weights?: readonly string[] | undefined;
  /**
   * CPU machine (a catalog row of kind "cpu") holding the layers llama.cpp leaves off the GPU:
   * its RAM bounds what may be offloaded, its bandwidth prices those layers. Default: the first
   * CPU row of the catalog. Engines that do not offload layers ignore it.
   */
  readonly host?: string | undefined;
  /** Called with the fraction of (model, format) pairs done. */
  readonly onProgress?: ((fraction: number) => void) | undefined;
}

export interface FitsEntry {
  readonly model: string;
  readonly family: string;
  readonly weights: string;
  readonly engine: InferenceEngine;
  /** Runs at `contextLength` × `concurrency` (all layers on the GPUs, or `gpuLayers` of them). */
  readonly fits: boolean;
  /** Largest context (a multiple of `granularity`, or the model's trained positions) with every layer on the GPUs; null if none. */
  readonly maxContext: number | null;
  /** llama.cpp's n_gpu_layers at `contextLength` (output layer counted); equals `totalLayers` when all fit; null for engines that place no layers. */
  readonly gpuLayers: number | null;
  readonly totalLayers: number | null;
  readonly decodeTokensPerSecond: number;
  readonly prefillTokensPerSecond: number;
  /** Published perplexity increase of the format (catalog/quality.ts); null when none is published. */
  readonly qualityCost: number | null;
  /** Largest device's total at `contextLength` (with `gpuLayers`). */
  readonly bytes: number;
  /** Bytes left in host memory by a partial offload (model buffers and the like); 0 when all is on the GPU. */
  readonly hostBytes: number;
  readonly parameters: number;
  readonly contextLength: number;
  readonly meetsSpeedFloor: boolean;
}

export interface FitsResult {
  readonly gpu: string;
  readonly gpuCount: number;
  readonly engine: InferenceEngine;
  readonly host: string | null;
  readonly contextLength: number;
  readonly concurrency: number;
  readonly minDecodeTokensPerSecond: number;
  /** Step of the largest-context search: maxContext fits, maxContext + granularity does not (or is past the trained positions). */
  readonly granularity: number;
  readonly ranking: string;
  /** Ranked as FITS_RANKING says; each entry's `family` groups them. */
  readonly entries: readonly FitsEntry[];
  /** Pairs evaluated, and (model, format) pairs that do not run even at the smallest context. */
  readonly evaluated: number;
  readonly rejected: number;
  /** Models the engine cannot run at all, with the engine's reason. */
  readonly skipped: readonly { readonly model: string; readonly reason: string }[];
  readonly notes: readonly string[];
}

/** A size-like name part ("8B", "0.5b", "8x7B", "A3B", "410m", "4k", a "0325" date): the family ends before it. */
const SIZE_PART = /^(\d+(\.\d+)?[bmk]|\d+x\d+(\.\d+)?b|a\d+(\.\d+)?b|\d{4})$/i;

/**
 * A model's family: its name (org dropped) up to the first size-like part.
 * @example modelFamily("meta-llama/Llama-3.1-8B") // "Llama-3.1"
 * @example modelFamily("Qwen/Qwen3-30B-A3B") // "Qwen3"
 */
export function modelFamily(id: string): string {
  const name = id.slice(id.lastIndexOf("/") + 1);
  const parts = name.split("-");
  const out: string[] = [];
  for (const p of parts) {
    if (SIZE_PART.test(p)) break;
    out.push(p);
  }
  return out.length > 0 ? out.join("-") : name;
}

/** The layers an engine's report placed (llama.cpp's memory report), or null for engines that place none. */
function layerReport(
  r: EngineReport,
): { gpuLayers: number; hostBytes: number; hostModelBytes: number } | null {
  type Buf = { readonly device: unknown; readonly bytes: number };
  const mem = (r as { memory?: unknown }).memory as
    | {
        settings?: { gpuLayers?: number };
        modelBuffers?: readonly Buf[];
        kvBuffers?: readonly Buf[];
        computeBuffers?: readonly Buf[];
        outputBuffer?: Buf;
      }
    | null
    | undefined;
  if (!mem?.settings || typeof mem.settings.gpuLayers !== "number") return null;
  // What llama.cpp holds in system memory (buffers.ts llamaCppHostBytes): every host buffer.
  const bufs = [...(mem.modelBuffers ?? []), ...(mem.kvBuffers ?? []), ...(mem.computeBuffers ?? [])];
  const hostBytes =
    bufs.filter((b) => b.device === "host").reduce((s, b) => s + b.bytes, 0) + (mem.outputBuffer?.bytes ?? 0);
  const hostModelBytes = (mem.modelBuffers ?? [])
    .filter((b) => b.device === "host")
    .reduce((s, b) => s + b.bytes, 0);
  return { gpuLayers: mem.settings.gpuLayers, hostBytes, hostModelBytes };
}

const maxTotal = (m: EngineResult<EngineReport>) => Math.max(...m.devices.map((d) => d.total));

/**
 * Sweeps models × formats for one engine on given GPUs. Per pair: the largest context with every
 * layer on the GPUs (estimate's own fit test, `engineFitsAt`, searched in `granularity` steps,
 * starting from the previous larger format's answer), the answer at the requested context and,
 * for llama.cpp when not every layer fits there, the most GPU layers that do (partial offload,
 * priced by perf/roofline.ts `offloadedSpeed`). Pairs that do not run at the smallest context are
 * dropped; models the engine cannot run are listed in `skipped`.
 */
export function whatFits(req: FitsRequest): FitsResult {
  const gpu = findGpu(req.gpu, "gpu");
  const gpuCount = req.gpuCount ?? 1;
  requireWholeNumber(gpuCount, "gpus", 1, 1024);
  const engine = engineOf(req.engine ?? "llama.cpp");
  const ctx = req.contextLength ?? FITS_DEFAULT_CONTEXT;
  requireWholeNumber(ctx, "ctx", 1, 1 << 24);
  const batch = req.concurrency ?? 1;
  requireWholeNumber(batch, "concurrency", 1, 1 << 20);
  const floor = req.minDecodeTokensPerSecond ?? 0;
  if (!Number.isFinite(floor) || floor < 0)
    throw new MemlensError("invalid-value", `min-decode must be a number from 0, got ${floor}`, "min-decode");
  const host = hostOf(req.host);
  const weightsList = req.weights ?? engine.searchWeights;
  for (const w of weightsList)
    if (!engine.acceptsWeights(w))
      throw new MemlensError("invalid-value", `weights "${w}": ${engine.label} does not load it`, "weights");

  let ids = req.models ?? MODEL_ROWS.map((r) => r.id);
  if (req.family !== undefined) {
    const f = req.family.toLowerCase();
    const families = [...new Set(ids.map(modelFamily))].sort();
    ids = ids.filter((id) => modelFamily(id).toLowerCase() === f);
    if (ids.length === 0)
      throw new MemlensError(
        "invalid-value",
        `family "${req.family}" is not a catalog family; allowed: ${families.join(", ")}`,
        "family",
        families,
      );
  }

  const g = engine.contextStep ?? 1;
  const entries: FitsEntry[] = [];
  const skipped: { model: string; reason: string }[] = [];
  let evaluated = 0;
  let rejected = 0;
  const total = ids.length * weightsList.length;
  for (const id of ids) {
    const spec = catalogModelSpec(id, "models");
    const cap = Math.min(spec.maxPositionEmbeddings ?? 1 << 24, 1 << 24);
    let firstError: string | null = null;
    let anyRan = false;
    for (const weights of weightsList) {
      evaluated++;
      try {
        const input = inputFor(spec, engine, gpu, gpuCount, weights, ctx, batch, null);
        const e = evaluate(spec, engine, input, weights, ctx, batch, cap, g, gpu, host, gpuCount);
        anyRan = true;
        if (e) {
          // The contract's keys first, in the order the issue names them; the rest after.
          const { model, weights: w, engine: en, fits, maxContext, gpuLayers, ...rest } = e;
          const { decodeTokensPerSecond, qualityCost, bytes, ...more } = rest;
          entries.push({
            model,
            weights: w,
            engine: en,
            fits,
            maxContext,
            gpuLayers,
            decodeTokensPerSecond,
            qualityCost,
            bytes,
            ...more,
            meetsSpeedFloor: e.decodeTokensPerSecond >= floor,
          });
        } else rejected++;
      } catch (err) {
        if (!(err instanceof MemlensError)) throw err;
        firstError ??= err.message;
        rejected++;
      }
      req.onProgress?.(evaluated / total);
    }
    if (!anyRan && firstError !== null) skipped.push({ model: id, reason: firstError });
  }
  entries.sort(rank);
  const notes = [
    `Ranked: ${FITS_RANKING}.`,
    "Quality costs are published perplexity increases on WikiText-2 for one reference model per format (llama.cpp's quantize table on Llama-3-8B; AWQ/GPTQ on Llama-2-7B); formats without a published figure rank last.",
  ];
  if (host && entries.some((e) => e.gpuLayers !== null && e.gpuLayers !== e.totalLayers))
    notes.push(
      `Partly offloaded entries keep their other layers in ${host.id}'s ${Math.round(host.memoryBytes / 2 ** 30)} GiB of RAM; those layers are read at its ${Math.round(host.bandwidthBytesPerSecond / 1e9)} GB/s on the CPU (--host names another).`,
    );
  return {
    gpu: gpu.id,
    gpuCount,
    engine: engine.name,
    host: host?.id ?? null,
    contextLength: ctx,
    concurrency: batch,
    minDecodeTokensPerSecond: floor,
    granularity: g,
    ranking: FITS_RANKING,
    entries,
    evaluated,
    rejected,
    skipped,
    notes,
  };
}

/** The CPU machine for partial offload: a catalog row of kind "cpu". */
function hostOf(id: string | undefined): GpuSpec | null {
  const h = id === undefined ? GPU_LIST.find((x) => x.kind === "cpu") : findGpu(id, "host");
  if (!h) return null;
  if (h.kind !== "cpu")
    throw new MemlensError("invalid-value", `host "${id}" is not a CPU machine of the catalog`, "host");
  return h;
}

/** The engine input of one pair; null when the format does not apply to the model (e.g. fp8 of an fp8 checkpoint named twice). */
function inputFor(
  spec: ModelSpec,
  engine: Engine<EngineReport>,
  gpu: GpuSpec,
  count: number,
  weights: string,
  ctx: number,
  batch: number,
  gpuLayers: number | null,
): EngineInput {
  const scenario = parseScenario({
    model: { id: spec.id },
    engine: engine.name,
    weights,
    contextLength: ctx,
    batch,
    hardware: { gpu: gpu.id, count },
    ...(engine.kvPool && count > 1 ? { parallel: { tensor: count, pipeline: 1 } } : {}),
    ...(gpuLayers !== null ? { engineOptions: { gpuLayers } } : {}),
  });
  return resolveEngineInput(scenario, spec);
}

function evaluate(
  spec: ModelSpec,
  engine: Engine<EngineReport>,
  input: EngineInput,
  weights: string,
  ctx: number,
  batch: number,
  cap: number,
  g: number,
  gpu: GpuSpec,
  host: GpuSpec | null,
  gpuCount: number,
): Omit<FitsEntry, "meetsSpeedFloor"> | null {
  // Weights well beyond the GPUs and the host's RAM together (estimateWeights, 10% beside the
  // engine's own file) cannot run however they are split: no engine model is built for them.
  const room =
    gpu.memoryBytes * gpuCount + (host && !gpu.unifiedMemory && gpu.kind !== "cpu" ? host.memoryBytes : 0);
  if (estimateWeights(spec, input.format).totalBytes > 1.1 * room) return null;
  const fitsAt = (c: number) => engineFitsAt(engine, input, c, batch);
  // Largest context with every layer on the GPUs, in steps of g (the trained positions cap it).
  const hiK = Math.floor(cap / g);
  let maxContext: number | null = null;
  if (cap % g !== 0 && fitsAt(cap)) maxContext = cap;
  else if (hiK >= 1) {
    const k =
      poolGuess(engine, input, batch, g, hiK, fitsAt) ??
      largestOf(engine, input, batch, 1, hiK, (k) => ({ input, contextLength: k * g }));
    maxContext = k === null ? null : k * g;
  }
  const common = {
    model: spec.id,
    family: modelFamily(spec.id),
    weights,
    engine: engine.name,
    maxContext,
    parameters: spec.parameters,
    contextLength: ctx,
    qualityCost: qualityCostOf(weights)?.perplexityDelta ?? null,
  };
  const fullAtCtx =
    maxContext !== null && (ctx <= maxContext || (ctx < maxContext + g && ctx <= cap && fitsAt(ctx)));
  if (fullAtCtx) {
    const m = engine.memory(input, ctx, batch);
    const p = scenarioPerformance(input, m.kvLayout, batch, ctx);
    const layers = layerReport(m.report);
    return {
      ...common,
      fits: true,
      gpuLayers: layers?.gpuLayers ?? null,
      totalLayers: layers ? spec.numLayers + 1 : null,
      decodeTokensPerSecond: p.decodeTokensPerSecond,
      prefillTokensPerSecond: p.prefillTokensPerSecond,
      bytes: maxTotal(m),
      hostBytes: 0,
    };
  }
  // Not every layer fits at ctx: llama.cpp runs the rest on the CPU (n_gpu_layers), when the host holds them.
  // Whether the engine places layers at all. Engines with a lower bound (llama.cpp and ollama, which
  // memoise their answers) are asked at ctx, the graph sizes of the search's probes, so usually no
  // new compute graph, and the fallback below reads the same answer again.
  const full = engine.memory(input, engine.lowerBound ? ctx : Math.min(ctx, g), batch);
  const layers = layerReport(full.report);
  // A unified-memory or CPU machine has no second pool to offload to.
  if (layers && host && !gpu.unifiedMemory && gpu.kind !== "cpu") {
    const nAll = spec.numLayers + 1;
    // one input per layer count: the search's bounds and probes ask the same counts again, and the
    // engine's memos are keyed by the input's scenario
    const inputs = new Map<number, EngineInput>();
    const inputAt = (n: number) => {
      let inp = inputs.get(n);
      if (!inp) {
        inp = inputFor(spec, engine, gpu, gpuCount, weights, ctx, batch, n);
        inputs.set(n, inp);
      }
      return inp;
    };
    const hostOk = (m: EngineResult<EngineReport>) =>
      (layerReport(m.report)?.hostBytes ?? 0) <= host.memoryBytes;
    const n = largestOf(
      engine,
      input,
      batch,
      1,
      nAll - 1,
      (n) => ({ input: inputAt(n), contextLength: ctx }),
      hostOk,
    );
    if (n !== null) {
      const inp = inputAt(n);
      const m = engine.memory(inp, ctx, batch);
      const placed = layerReport(m.report);
      const hostBytes = placed?.hostBytes ?? 0;
      const p = scenarioPerformance(inp, m.kvLayout, batch, ctx);
      const s = offloadedSpeed(p, placed?.hostModelBytes ?? 0, ctx, gpu, host, DEFAULT_EFFICIENCY);
      return {
        ...common,
        fits: true,
        gpuLayers: n,
        totalLayers: nAll,
        decodeTokensPerSecond: s.decodeTokensPerSecond,
        prefillTokensPerSecond: s.prefillTokensPerSecond,
        bytes: maxTotal(m),
        hostBytes,
      };
    }
  }
  if (maxContext === null) return null;
  // Runs only at a shorter context: listed with fits false and its figures at ctx.
  const m = engine.memory(input, ctx, batch);
  const p = scenarioPerformance(input, m.kvLayout, batch, ctx);
  return {
    ...common,
    fits: false,
    gpuLayers: layers ? nAllOf(spec) : null,
    totalLayers: layers ? nAllOf(spec) : null,
    decodeTokensPerSecond: p.decodeTokensPerSecond,
    prefillTokensPerSecond: p.prefillTokensPerSecond,
    bytes: maxTotal(m),
    hostBytes: 0,
  };
}

/**
 * Pool engines (vLLM, SGLang) fit a context when their KV pool holds it: the pool's size at the
 * smallest context is the guess, taken only when estimate's test confirms it fits and the next
 * step does not (the pool may shrink as the context grows); null sends the search to bisection.
 */
function poolGuess(
  engine: Engine<EngineReport>,
  input: EngineInput,
  batch: number,
  g: number,
  hiK: number,
  fitsAt: (c: number) => boolean,
): number | null {
  if (!engine.kvPool) return null;
  const pool = engine.memory(input, g, batch).kvPoolTokens;
  if (pool === undefined) return null;
  const k = Math.min(Math.floor(pool / g), hiK);
  if (k < 1 || !fitsAt(k * g)) return null;
  return k === hiK || !fitsAt((k + 1) * g) ? k : null;
}

/**
 * Largest n in [lo, hi] whose point (an engine input and a context) fits, n being a context step
 * or a GPU layer count: guided by the engine's lower bound where it has one (largestFittingGuided:
 * two or three full answers instead of a bisection's ~log2(hi - lo)), estimate's own test otherwise.
 */
function largestOf(
  engine: Engine<EngineReport>,
  input: EngineInput,
  batch: number,
  lo: number,
  hi: number,
  at: (n: number) => { input: EngineInput; contextLength: number },
  extraOk: (m: EngineResult<EngineReport>) => boolean = () => true,
): number | null {
  const cap = input.capacityBytes;
  const lowerBound = engine.lowerBound;
  if (!lowerBound)
    return largestFitting(lo, hi, (n) => {
      const p = at(n);
      return (
        engineFitsAt(engine, p.input, p.contextLength, batch) &&
        extraOk(engine.memory(p.input, p.contextLength, batch))
      );
    });
  const probe = (n: number): FitProbe => {
    const p = at(n);
    const m = engine.memory(p.input, p.contextLength, batch);
    const totals = m.devices.map((d) => d.total);
    const holds = m.kvPoolTokens === undefined || m.kvPoolTokens >= p.contextLength;
    return { ok: holds && totals.every((t) => t <= cap) && extraOk(m), totals };
  };
  const bound = (n: number) => {
    const p = at(n);
    return lowerBound.call(engine, p.input, p.contextLength, batch);
  };
  return largestFittingGuided(lo, hi, probe, bound, cap);
}

const nAllOf = (spec: ModelSpec) => spec.numLayers + 1;

/** FITS_RANKING as a comparator. */
function rank(a: Omit<FitsEntry, never>, b: Omit<FitsEntry, never>): number {
  const okA = a.fits && a.meetsSpeedFloor ? 0 : 1;
  const okB = b.fits && b.meetsSpeedFloor ? 0 : 1;
  if (okA !== okB) return okA - okB;
  if (a.parameters !== b.parameters) return b.parameters - a.parameters;
  const qa = a.qualityCost ?? Number.POSITIVE_INFINITY;
  const qb = b.qualityCost ?? Number.POSITIVE_INFINITY;
  if (qa !== qb) return qa - qb;
  const fullA = a.gpuLayers === a.totalLayers ? 0 : 1;
  const fullB = b.gpuLayers === b.totalLayers ? 0 : 1;
  if (fullA !== fullB) return fullA - fullB;
  return b.decodeTokensPerSecond - a.decodeTokensPerSecond;
}
