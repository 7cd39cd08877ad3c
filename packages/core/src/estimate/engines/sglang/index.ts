/**
 * SGLang as one Engine: its start-up split (startup.ts) as a typed report; the SCENARIO.md
 * `engine` record is made only by `toJson`.
 */
import type { DeviceBytes, EngineInput } from "../../estimate-types.js";
import { uniformKvLayout } from "../../kv-cache.js";
import { computeDtypeOf } from "../../weights.js";
import type { Engine, EngineIssue, EngineJson, EngineResult } from "../engine.js";
import { VLLM_CAPABILITIES } from "../vllm/index.js";
import { cudaContextBytes } from "../vllm/startup.js";
import { type SglangStartup, sglangKvDtype, sglangStartup } from "./startup.js";

export * from "./startup.js";

/** What SGLang decided at start-up (mem_fraction_static, the token pool). */
export interface SglangReport {
  readonly engine: "sglang";
  readonly startup: SglangStartup;
}

/**
 * SGLang: weights plus a token pool sized from mem_fraction_static (SGLang's own default for the
 * GPU when the scenario gives none); the remaining 1 − mem_fraction_static is left for
 * activations and CUDA graphs. Fits when the pool holds one `contextLength` request.
 */
export const sglangEngine: Engine<SglangReport> = {
  name: "sglang",
  label: "SGLang",
  // vLLM's --kv-cache-dtype and quantization names (vllmKvDtype names the engine that refused).
  ...VLLM_CAPABILITIES,
  defaults(_gpu, deviceCount) {
    return {
      // max_running_requests is sized from the token pool at start-up (scheduler.py): no fixed default.
      maxNumSeqs: null,
      // --page-size 1: the token pool is paged by single tokens.
      blockSize: 1,
      contextBytes: cudaContextBytes(deviceCount),
    };
  },
  memory(input: EngineInput, contextLength: number, _batch: number): EngineResult<SglangReport> {
    const s = sglangStartup(input);
    const tp = input.scenario.parallel.tensor;
    const world = tp * input.scenario.parallel.pipeline;
    const context = cudaContextBytes(world);
    const pool = s.kSizeBytes + s.vSizeBytes;
    const headroom = Math.max(0, Math.floor(s.freeAtStartBytes * (1 - s.memFractionStatic)));
    const one: DeviceBytes = {
      weights: s.weightsBytes,
      kvCache: pool,
      activations: headroom,
      gradients: 0,
      optimizerStates: 0,
      overhead: context,
      total: s.weightsBytes + pool + headroom + context,
    };
    const modelDtype = computeDtypeOf(input.format, input.spec);
    const kv = sglangKvDtype(input);
    const kvLayout = uniformKvLayout(kv, modelDtype === "fp32" ? 4 : 2);
    const notes = [
      `SGLang: mem_fraction_static ${s.memFractionStatic}${input.scenario.engineOptions.memFractionStatic === undefined ? " (SGLang's default for this GPU: chunked_prefill_size " + s.defaults.chunkedPrefillSize + ", cuda_graph_max_bs " + s.defaults.cudaGraphMaxBs + ")" : ""}; token pool = free memory × mem_fraction_static − weights.`,
      "Activations are the 1 − mem_fraction_static headroom SGLang leaves for prefill activations and CUDA graphs.",
    ];
    const maxPos = input.spec.maxPositionEmbeddings;
    const tooLong = maxPos !== null && contextLength > maxPos;
    const issues: EngineIssue[] = [];
    if (s.cellBytes === 0)
      notes.push("No attention layers: SGLang's recurrent-state pools are not modelled.");
    else if (s.maxTotalNumTokens <= 0)
      issues.push({
        code: "engine-refuses",
        engine: "sglang",
        reason: "not enough memory for the KV cache pool",
      });
    if (tooLong)
      issues.push({
        code: "context-over-trained",
        engine: "sglang",
        contextTokens: contextLength,
        maxPositionEmbeddings: maxPos,
      });
    return {
      devices: Array.from({ length: world }, () => one),
      report: { engine: "sglang", startup: s },
      issues,
      kvLayout,
      notes,
      kvPoolTokens: !tooLong && s.maxTotalNumTokens >= contextLength ? s.maxTotalNumTokens : 0,
    };
  },
  toJson({ startup: s }: SglangReport): EngineJson {
    return {
      memFractionStatic: s.memFractionStatic,
      chunkedPrefillSize: s.defaults.chunkedPrefillSize,
      cudaGraphMaxBs: s.defaults.cudaGraphMaxBs,
      weightsBytes: s.weightsBytes,
      maxTotalNumTokens: s.maxTotalNumTokens,
      kvCacheBytes: s.kSizeBytes + s.vSizeBytes,
      kSizeBytes: s.kSizeBytes,
      vSizeBytes: s.vSizeBytes,
    };
  },
};
