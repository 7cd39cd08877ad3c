import { MemlensError } from "../../../errors/memlens-error.js";
import type { Bytes } from "../../../units/units.js";
import { type AttentionImplementation, estimateInferenceActivations } from "../../activations.js";
import { kvShareOfRank, splitWeights, stageOfLayers } from "../../devices.js";
import type { DeviceBytes, EngineInput } from "../../estimate-types.js";
import {
  type KvDtype,
  type KvLayoutOptions,
  layerKvBytes,
  layerRecurrentStateBytes,
} from "../../kv-cache.js";
import { computeDtypeOf, isCheckpointWeightName } from "../../weights.js";
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
    const { spec, scenario } = input;
    const notes: string[] = [];
    const tp = scenario.parallel.tensor;
    // accelerate's device_map="auto" splits layers across all GPUs when no parallelism is asked for.
    const pp = tp === 1 && scenario.parallel.pipeline === 1 ? input.deviceCount : scenario.parallel.pipeline;
    if (pp > 1 && scenario.parallel.pipeline === 1)
      notes.push(
        `Layers split in order over ${pp} GPUs (accelerate device_map="auto"); one GPU works at a time.`,
      );
    const kvLayout = transformersKvLayout(input);
    const attention = scenario.engineOptions.attention ?? "sdpa";
    const dtypeBytes = kvLayout.kDtype === "fp32" ? 4 : 2;

    const weights = splitWeights(spec, input.format, { tensor: tp, pipeline: pp });
    // KV per pipeline stage (each stage holds its layers' cache), split by KV heads under TP.
    const stageOf = stageOfLayers(spec.numLayers, pp);
    const kvPerStage = new Array<number>(pp).fill(0);
    const share = kvShareOfRank(spec, tp);
    for (const l of spec.layers) {
      const bytes =
        layerKvBytes(l, kvLayout, contextLength) * batch * (l.mixer.kind === "attention" ? share : 1);
      const state = layerRecurrentStateBytes(l.mixer, kvLayout) * batch;
      const s = stageOf[l.index] ?? 0;
      kvPerStage[s] = (kvPerStage[s] ?? 0) + bytes + state;
    }
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

    const devices: DeviceBytes[] = weights.map((w, i) => {
      const stage = Math.floor(i / tp);
      const kv = Math.ceil((kvPerStage[stage] ?? 0) / 1);
      const overhead = CUDA_CONTEXT_BYTES;
      return {
        weights: w,
        kvCache: kv,
        activations: actPerRank,
        gradients: 0,
        optimizerStates: 0,
        overhead,
        total: w + kv + actPerRank + overhead,
      };
    });
    return {
      devices,
      report: {
        engine: "transformers",
        attention,
        torchAllocatedPeakBytes: Math.max(...devices.map((d) => d.total - d.overhead)),
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
