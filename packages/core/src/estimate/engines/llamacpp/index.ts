/**
 * llama.cpp (llama-server / llama-cli / ollama's runner) as an Engine: the buffers it allocates,
 * reproduced from its own rules (llama.cpp@de3ff815). The pieces, each in its own file:
 * - settings.ts: llama-server's defaults and flags, cache types, refused context parameters;
 * - placement.ts: each weight's device and buffer type, the model buffers (load_tensors);
 * - buffers.ts: KV cache, output and compute buffers (llamaCppMemory), memoised per model;
 * - graph.ts, ggml-graph.ts, ggml-sched.ts: the reserve graph, ggml-alloc and ggml's scheduler;
 * - tensors.ts, quant.ts, model.ts: the tensors of a GGUF file, or the ones llama-quantize makes;
 * - fit.ts: llama.cpp's --fit search.
 */
import { GGUF_FILE_TYPES } from "../../../catalog/dtypes.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import { bytes } from "../../../units/units.js";
import type { DeviceBytes, EngineInput } from "../../estimate-types.js";
import type { KvLayoutOptions } from "../../kv-cache.js";
import { CUDA_CONTEXT_BYTES } from "../cuda-context.js";
import type { Engine, EngineJson, EngineResult } from "../engine.js";
import {
  atContext,
  type LlamaCppMemory,
  llamaCppBuffers,
  llamaCppHostBytes,
  llamaCppMemory,
  totals,
} from "./buffers.js";
import { cachedModel } from "./model.js";
import { kvDtypeOf, LLAMACPP_CACHE_TYPES, type LlamaCppSettings, llamaCppSettings } from "./settings.js";

export type { LlamaCppKvCache, LlamaCppMemory } from "./buffers.js";
export { llamaCppHostBytes, llamaCppMemory } from "./buffers.js";
export { fitLlamaCpp, LLAMACPP_FIT_MIN_CTX, LLAMACPP_FIT_TARGET_BYTES, type LlamaCppFit } from "./fit.js";
export * from "./ggml-graph.js";
export * from "./graph.js";
export { llamaCppModelOf } from "./model.js";
export { type LlamaCppBuffer, layerDevices } from "./placement.js";
export * from "./quant.js";
export {
  type CpuFeatures,
  LLAMACPP_CACHE_TYPES,
  type LlamaCppSettings,
  llamaCppCacheType,
  llamaCppSettings,
  parseOverride,
  validateLlamaCppContext,
} from "./settings.js";
export * from "./tensors.js";

/** llama.h LLAMA_MAX_SEQ: the most sequences a context can hold. */
export const LLAMA_MAX_SEQ = 256;

/** What llama.cpp decided for one (context, batch) point. */
export interface LlamaCppReport {
  readonly engine: "llama.cpp";
  /** GPUs llama.cpp runs on (0: a CPU-only build, the device is system memory). */
  readonly gpuCount: number;
  /** Every buffer it allocates; null when it would not run (the result's issues say why). */
  readonly memory: LlamaCppMemory | null;
}

/** Engine fields named after llama.cpp's log lines (SCENARIO.md). */
export function llamaCppEngineFields(m: LlamaCppMemory, gpuCount: number) {
  const per = (f: "model" | "kv" | "compute") => {
    if (gpuCount === 0) return totals(m, "host")[f];
    const xs = Array.from({ length: gpuCount }, (_, i) => totals(m, i)[f]);
    return xs.length === 1 ? xs[0]! : xs;
  };
  const host = totals(m, "host");
  return {
    modelBufferBytes: per("model"),
    kvBufferBytes: per("kv"),
    computeBufferBytes: per("compute"),
    outputBufferBytes: m.outputBuffer.bytes,
    hostModelBufferBytes: host.model,
    hostKvBufferBytes: host.kv,
    hostComputeBufferBytes: host.compute,
    hostBytes: llamaCppHostBytes(m),
    nCtx: m.nCtx,
    nUbatch: m.nUbatch,
    kvCells: m.nCtxSeq,
    flashAttention: m.settings.flashAttn,
    typeK: m.settings.typeK.toLowerCase(),
    typeV: m.settings.typeV.toLowerCase(),
    gpuLayers: m.settings.gpuLayers,
  };
}

/** GPUs llama.cpp runs on: the scenario's devices, none for a CPU-only build. */
function gpuCountOf(input: EngineInput): number {
  if (input.scenario.engineOptions.backend === "cpu") return 0;
  return input.deviceCount;
}

/** Plain weight names llama.cpp loads by converting them to a GGUF file type (llamaCppModelOf). */
const PLAIN_WEIGHTS = new Set([
  "fp32",
  "float32",
  "fp16",
  "float16",
  "bf16",
  "bfloat16",
  "int8",
  "w8a8",
  "mxfp4",
]);
const GGUF_NAMES = new Set(GGUF_FILE_TYPES.map((t) => t.name.toLowerCase()));

// The settings of a scenario at its own context and batch, per GPU count; a search's probes take
// them at another context and batch (atContext), reusing their memo key.
const baseSettings = new WeakMap<object, Map<number, LlamaCppSettings>>();
function settingsAt(
  input: EngineInput,
  nLayer: number,
  gpuCount: number,
  contextLength: number,
  batch: number,
) {
  let byCount = baseSettings.get(input.scenario);
  if (!byCount) {
    byCount = new Map();
    baseSettings.set(input.scenario, byCount);
  }
  let base = byCount.get(gpuCount * 1_000_000 + nLayer);
  if (!base) {
    base = llamaCppSettings(input.scenario, nLayer, gpuCount);
    byCount.set(gpuCount * 1_000_000 + nLayer, base);
  }
  return atContext(base, contextLength, batch);
}

/** Past LLAMA_MAX_SEQ in a search probe: a result that fits nowhere, with the issue as data. */
function tooManySequences(gpuCount: number, batch: number): EngineResult<LlamaCppReport> {
  const huge = Number.MAX_SAFE_INTEGER;
  const d: DeviceBytes = {
    weights: 0,
    kvCache: huge,
    activations: 0,
    gradients: 0,
    optimizerStates: 0,
    overhead: 0,
    total: huge,
  };
  return {
    devices: Array.from({ length: Math.max(1, gpuCount) }, () => d),
    report: { engine: "llama.cpp", gpuCount, memory: null },
    issues: [
      { code: "too-many-sequences", engine: "llama.cpp", sequences: batch, maxSequences: LLAMA_MAX_SEQ },
    ],
    kvLayout: {
      kDtype: "fp16",
      vDtype: "fp16",
      mla: "latent",
      recurrent: "llamacpp",
      recurrentDtypeBytes: 4,
    },
    notes: [],
  };
}

export const llamaCppEngine: Engine<LlamaCppReport> = {
  name: "llama.cpp",
  label: "llama.cpp",
  fitCapacity: "reported",
  kvDtypes: LLAMACPP_CACHE_TYPES,
  acceptsWeights: (format) => PLAIN_WEIGHTS.has(format.toLowerCase()) || GGUF_NAMES.has(format.toLowerCase()),
  searchKvDtypes: ["fp16", "q8_0", "q4_0"],
  searchWeights: ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "Q2_K"],
  maxSequences: LLAMA_MAX_SEQ,
  // buffers.ts: n_ctx = pad(contextLength × n_seq, 256), so one sequence's memory steps every 256 tokens.
  contextStep: 256,

  // llama-server's --parallel as memlens models it (n_seq_max = batch, 1 unless named); KV cells
  // are padded to 256 but not paged; the CUDA context outside llama.cpp's buffers per GPU.
  defaults: (_gpu, deviceCount) => ({
    maxNumSeqs: 1,
    blockSize: 1,
    contextBytes: deviceCount === 0 ? bytes(0) : CUDA_CONTEXT_BYTES,
  }),

  /**
   * Each device's total without the compute buffers: no more than `memory()`'s total for the same
   * input (compute buffers are never negative), and cheap (no graph). estimate() refuses a search
   * probe whose bound is over capacity without building its graph. Empty when there is no bound.
   */
  lowerBound(input: EngineInput, contextLength: number, batch: number): number[] {
    if (batch > LLAMA_MAX_SEQ) return [];
    const model = cachedModel(input);
    const gpuCount = gpuCountOf(input);
    const settings = settingsAt(input, model.hparams.nLayer, gpuCount, contextLength, batch);
    const m = llamaCppBuffers(model, settings, false);
    return Array.from({ length: Math.max(1, gpuCount) }, (_, i) => {
      const t = gpuCount === 0 ? totals(m, "host") : totals(m, i);
      const overhead = gpuCount === 0 ? 0 : CUDA_CONTEXT_BYTES;
      return t.model + t.kv + t.output + overhead;
    });
  },

  memory(input: EngineInput, contextLength: number, batch: number): EngineResult<LlamaCppReport> {
    const model = cachedModel(input);
    const gpuCount = gpuCountOf(input);
    if (batch > LLAMA_MAX_SEQ) {
      // The scenario's own batch is an input error; a search probe past the limit just does not fit.
      if (batch === input.scenario.batch)
        throw new MemlensError(
          "invalid-value",
          `batch ${batch}: llama.cpp serves at most ${LLAMA_MAX_SEQ} parallel sequences (LLAMA_MAX_SEQ)`,
          "batch",
        );
      return tooManySequences(gpuCount, batch);
    }
    const settings = settingsAt(input, model.hparams.nLayer, gpuCount, contextLength, batch);
    const m = llamaCppMemory(model, settings);
    const notes = [...m.notes];
    if (model.source === "simulated" && model.fileType)
      notes.push(
        `Tensor types are the ones llama-quantize picks for ${model.fileType} without an importance matrix (llama_tensor_get_type).`,
      );
    if (gpuCount === 0)
      notes.push("CPU-only llama.cpp: the device is system memory; weights are memory-mapped from the file.");
    else
      notes.push(
        "Overhead is the CUDA context outside llama.cpp's buffers (457 MiB, Ollama's per-GPU figure); llama.cpp's own --fit keeps 1024 MiB free per GPU (memlens fit).",
      );
    const devices: DeviceBytes[] = [];
    const n = Math.max(1, gpuCount);
    for (let i = 0; i < n; i++) {
      const t = gpuCount === 0 ? totals(m, "host") : totals(m, i);
      const overhead = gpuCount === 0 ? 0 : CUDA_CONTEXT_BYTES;
      devices.push({
        weights: t.model,
        kvCache: t.kv,
        activations: t.compute + t.output,
        gradients: 0,
        optimizerStates: 0,
        overhead,
        total: t.model + t.kv + t.compute + t.output + overhead,
      });
    }
    const kvLayout: KvLayoutOptions = {
      kDtype: kvDtypeOf(settings.typeK),
      vDtype: kvDtypeOf(settings.typeV),
      mla: "latent",
      recurrent: "llamacpp",
      recurrentDtypeBytes: 4,
    };
    return { devices, report: { engine: "llama.cpp", gpuCount, memory: m }, issues: [], kvLayout, notes };
  },

  toJson: (report): EngineJson => (report.memory ? llamaCppEngineFields(report.memory, report.gpuCount) : {}),
};
