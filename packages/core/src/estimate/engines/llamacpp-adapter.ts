/**
 * TEMPORARY (deleted when engines/llamacpp/ lands): today's llama.cpp engine (EngineModel with
 * memoryLowerBound, in llamacpp.ts) seen through the Engine contract, so the registry and the
 * planner can read its capabilities now.
 */
import { MemlensError } from "../../errors/memlens-error.js";
import type { EngineInput } from "../estimate-types.js";
import { isCheckpointWeightName } from "../weights.js";
import { CUDA_CONTEXT_BYTES } from "./cuda-context.js";
import type { Engine, EngineJson, EngineResult } from "./engine.js";
import { LLAMA_MAX_SEQ, llamaCppEngine as legacy, llamaCppCacheType } from "./llamacpp.js";

/** The record llamacpp.ts returns today (llamaCppEngineFields), as the report. */
export interface LlamaCppReport {
  readonly engine: "llama.cpp";
  readonly fields: EngineJson;
}

/**
 * --cache-type-k/v names llamaCppCacheType accepts, read off its own refusal (KV_TYPE_NAMES in
 * llamacpp.ts is not exported; engines/llamacpp/ will own the list).
 */
function cacheTypeNames(): readonly string[] {
  try {
    llamaCppCacheType("", "kvCache");
  } catch (e) {
    if (e instanceof MemlensError && e.allowed) return e.allowed;
  }
  return [];
}

export const llamaCppEngine: Engine<LlamaCppReport> = {
  name: "llama.cpp",
  label: "llama.cpp",
  kvDtypes: cacheTypeNames(),
  // Every GGUF file type; dense, int8 and mxfp4 checkpoints as the matching GGUF type (llamaCppModelOf).
  acceptsWeights: (format) =>
    !isCheckpointWeightName(format) ||
    ["fp32", "float32", "fp16", "float16", "bf16", "bfloat16", "int8", "w8a8", "mxfp4"].includes(
      format.toLowerCase(),
    ),
  searchKvDtypes: ["fp16", "q8_0", "q4_0"],
  searchWeights: ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "Q2_K"],
  maxSequences: LLAMA_MAX_SEQ,
  // llama-server: --parallel 1 (n_seq_max), no paging, the CUDA context per GPU.
  defaults: () => ({ maxNumSeqs: 1, blockSize: 1, contextBytes: CUDA_CONTEXT_BYTES }),
  memory(input: EngineInput, contextLength: number, batch: number): EngineResult<LlamaCppReport> {
    const { engine, ...m } = legacy.memory(input, contextLength, batch);
    return { ...m, report: { engine: "llama.cpp", fields: engine }, issues: [] };
  },
  lowerBound: (input, contextLength, batch) => legacy.memoryLowerBound(input, contextLength, batch),
  toJson: (r) => r.fields,
};
