/**
 * ollama as an Engine: llama-server (the llama.cpp engine's buffers, unchanged) started with the
 * command line ollama builds, plus the memory ollama's scheduler keeps back on every GPU. ollama's
 * own choices (defaults.ts, each read from ollama's source at OLLAMA_COMMIT):
 * - num_ctx: the scenario's contextLength, or by total VRAM when none is named, cut to the model's
 *   trained context; llama-server gets `-c num_ctx × parallel -np parallel`;
 * - parallel: the scenario's batch (OLLAMA_NUM_PARALLEL, default 1);
 * - num_batch: engineOptions.nBatch (as both -b and -ub), else ollama's automatic batch;
 * - KV cache: kvCache (OLLAMA_KV_CACHE_TYPE, f16), flash attention "auto" (OLLAMA_FLASH_ATTENTION);
 * - layers: num_gpu = engineOptions.gpuLayers, else every layer (llama-server's --fit would offload
 *   fewer when they do not fit: `memlens fit`).
 */
import { bytes, MIB } from "../../../units/units.js";
import type { DeviceBytes, EngineInput } from "../../estimate-types.js";
import { CUDA_CONTEXT_BYTES } from "../cuda-context.js";
import type { Engine, EngineIssue, EngineJson, EngineResult } from "../engine.js";
import { type LlamaCppReport, llamaCppEngine, llamaCppEngineFields } from "../llamacpp/index.js";
import { cachedModel } from "../llamacpp/model.js";
import {
  OLLAMA_GPU_OVERHEAD,
  OLLAMA_KV_CACHE_TYPE,
  OLLAMA_VERSION,
  ollamaAutomaticBatch,
  ollamaDefaultNumCtx,
  ollamaMinimumMemory,
  ollamaPredictedVram,
} from "./defaults.js";

export * from "./defaults.js";

/** The llama-server command line ollama builds for one (context, parallel) point. */
export interface OllamaSettings {
  /** num_ctx per sequence after the cut to the model's trained context. */
  readonly numCtx: number;
  readonly numParallel: number;
  /** -b and -ub. */
  readonly numBatch: number;
  readonly numUbatch: number;
  /** True when ollama chose num_batch itself (none was named). */
  readonly numBatchAuto: boolean;
  readonly flashAttention: "auto" | boolean;
  /** --cache-type-k/v (lower case, llama-server's spelling). */
  readonly kvCacheType: string;
}

/** What ollama decided, llama.cpp's report for the server it starts, and its scheduler's reservation. */
export interface OllamaReport {
  readonly engine: "ollama";
  readonly settings: OllamaSettings;
  readonly llamaCpp: LlamaCppReport;
  /** Per GPU: MinimumMemory (457 MiB; 512 MiB on Metal) + OLLAMA_GPU_OVERHEAD. */
  readonly reservedBytesPerGpu: number;
  readonly gpuOverheadBytes: number;
}

/** Bytes of the GGUF's tensors: the file size ollama's prediction starts from, less the header. */
function tensorBytes(input: EngineInput): number {
  let n = 0;
  for (const t of cachedModel(input).tensors) n += t.bytes;
  return n;
}

/** ollama's settings for `contextLength` tokens per sequence and `batch` parallel sequences. */
export function ollamaSettings(input: EngineInput, contextLength: number, batch: number): OllamaSettings {
  const s = input.scenario;
  const o = s.engineOptions;
  const h = cachedModel(input).hparams;
  // llm/server.go:111-116: num_ctx above n_ctx_train is cut to it
  const numCtx = h.nCtxTrain > 0 && contextLength > h.nCtxTrain ? h.nCtxTrain : contextLength;
  const flashAttention = o.flashAttention ?? "auto";
  const kvCacheType = (s.kvCache === "auto" ? OLLAMA_KV_CACHE_TYPE.value : s.kvCache).toLowerCase();
  let numBatch = o.nBatch;
  const numBatchAuto = numBatch === undefined;
  if (numBatch === undefined) {
    const gpus = Math.max(1, input.deviceCount);
    const effectiveCtx = numCtx * Math.max(batch, 1);
    const predicted = ollamaPredictedVram(tensorBytes(input), h, effectiveCtx);
    // an idle machine: every GPU's free memory is its capacity
    numBatch = ollamaAutomaticBatch(
      effectiveCtx,
      predicted,
      input.capacityBytes * gpus,
      flashAttention === false,
      input.gpu?.vendor === "nvidia" ? input.capacityBytes : null,
    );
  }
  return {
    numCtx,
    numParallel: batch,
    numBatch,
    numUbatch: o.nUbatch ?? numBatch,
    numBatchAuto,
    flashAttention,
    kvCacheType,
  };
}

/**
 * The llama.cpp engine input of the llama-server ollama starts for `contextLength` tokens per
 * sequence and `batch` sequences (what `memlens fit --engine ollama` searches), with the settings.
 */
export function ollamaLlamaServer(
  input: EngineInput,
  contextLength: number,
  batch: number,
): { readonly input: EngineInput; readonly settings: OllamaSettings } {
  const settings = ollamaSettings(input, contextLength, batch);
  const li = llamaServerInput(input, settings);
  return { input: { ...li, scenario: { ...li.scenario, contextLength: settings.numCtx, batch } }, settings };
}

/** The llama.cpp engine input for the llama-server ollama starts with `st`. */
function llamaServerInput(input: EngineInput, st: OllamaSettings): EngineInput {
  const s = input.scenario;
  return {
    ...input,
    scenario: {
      ...s,
      engine: "llama.cpp",
      kvCache: st.kvCacheType,
      engineOptions: {
        ...s.engineOptions,
        nBatch: st.numBatch,
        nUbatch: st.numUbatch,
        flashAttention: st.flashAttention,
      },
    },
  };
}

/** Per-GPU bytes ollama's scheduler keeps back, and how much of that llama.cpp's overhead already counts. */
function reservation(input: EngineInput): { reserved: number; gpuOverhead: number } {
  const gpuOverhead = input.scenario.engineOptions.gpuOverheadBytes ?? OLLAMA_GPU_OVERHEAD.value;
  return { reserved: ollamaMinimumMemory(input.gpu) + gpuOverhead, gpuOverhead };
}

const asOllama = (i: EngineIssue): EngineIssue => ({ ...i, engine: "ollama" });

export const ollamaEngine: Engine<OllamaReport> = {
  name: "ollama",
  label: "ollama",
  variantOf: "llama.cpp",
  kvDtypes: llamaCppEngine.kvDtypes,
  acceptsWeights: llamaCppEngine.acceptsWeights,
  searchKvDtypes: llamaCppEngine.searchKvDtypes,
  searchWeights: llamaCppEngine.searchWeights,
  maxSequences: llamaCppEngine.maxSequences,

  // OLLAMA_NUM_PARALLEL 1; KV cells not paged; MinimumMemory per GPU (OLLAMA_GPU_OVERHEAD 0).
  defaults: (gpu, deviceCount) => ({
    maxNumSeqs: 1,
    blockSize: 1,
    contextBytes: deviceCount === 0 ? bytes(0) : ollamaMinimumMemory(gpu),
  }),

  defaultContextLength(input: EngineInput): number {
    const { gpuOverhead } = reservation(input);
    const perGpu = Math.max(0, input.capacityBytes - gpuOverhead);
    const numCtx = ollamaDefaultNumCtx(perGpu * Math.max(1, input.deviceCount));
    const train = cachedModel(input).hparams.nCtxTrain;
    return train > 0 ? Math.min(numCtx, train) : numCtx;
  },

  lowerBound(input: EngineInput, contextLength: number, batch: number): readonly number[] {
    const st = ollamaSettings(input, contextLength, batch);
    const base = llamaCppEngine.lowerBound?.(llamaServerInput(input, st), st.numCtx, batch) ?? [];
    const cpuOnly = input.deviceCount === 0 || input.scenario.engineOptions.backend === "cpu";
    const extra = cpuOnly ? 0 : reservation(input).reserved - CUDA_CONTEXT_BYTES;
    return base.map((b) => b + extra);
  },

  memory(input: EngineInput, contextLength: number, batch: number): EngineResult<OllamaReport> {
    const st = ollamaSettings(input, contextLength, batch);
    const r = llamaCppEngine.memory(llamaServerInput(input, st), st.numCtx, batch);
    const { reserved, gpuOverhead } = reservation(input);
    const gpuCount = r.report.gpuCount;
    // ollama's reservation replaces the CUDA-context figure llama.cpp's estimate carries (the same
    // 457 MiB on CUDA/ROCm: memlens took it from ollama's MinimumMemory).
    const devices: DeviceBytes[] = r.devices.map((d) =>
      gpuCount === 0 ? d : { ...d, overhead: reserved, total: d.total - d.overhead + reserved },
    );
    const notes = [
      ...r.notes.filter((n) => !n.startsWith("Overhead is the CUDA context")),
      `ollama ${OLLAMA_VERSION} starts llama-server with -c ${st.numCtx * batch} -np ${batch} -b ${st.numBatch} -ub ${st.numUbatch}${st.numBatchAuto ? " (its automatic batch for this context)" : ""}, --cache-type-k/v ${st.kvCacheType}, --flash-attn ${st.flashAttention === true ? "on" : st.flashAttention === false ? "off" : "auto"}.`,
    ];
    if (st.numCtx < contextLength)
      notes.push(`ollama cuts num_ctx ${contextLength} to the model's trained context (${st.numCtx}).`);
    if (gpuCount > 0)
      notes.push(
        `Overhead is what ollama's scheduler keeps back per GPU: MinimumMemory ${(reserved - gpuOverhead) / MIB} MiB plus OLLAMA_GPU_OVERHEAD ${gpuOverhead} bytes; with no num_gpu, llama-server's --fit offloads fewer layers when all do not fit (memlens fit --engine ollama).`,
      );
    return {
      devices,
      report: {
        engine: "ollama",
        settings: st,
        llamaCpp: r.report,
        reservedBytesPerGpu: reserved,
        gpuOverheadBytes: gpuOverhead,
      },
      issues: r.issues.map(asOllama),
      kvLayout: r.kvLayout,
      notes,
      ...(r.kvPoolTokens !== undefined ? { kvPoolTokens: r.kvPoolTokens } : {}),
    };
  },

  toJson: (report): EngineJson => {
    const m = report.llamaCpp.memory;
    if (!m) return {};
    return {
      ...llamaCppEngineFields(m, report.llamaCpp.gpuCount),
      numCtx: report.settings.numCtx,
      numParallel: report.settings.numParallel,
      numBatch: report.settings.numBatch,
      reservedBytesPerGpu: report.reservedBytesPerGpu,
      gpuOverheadBytes: report.gpuOverheadBytes,
      ollamaVersion: OLLAMA_VERSION,
    };
  },
};
