/**
 * Training memory from core: `resolveTrainingSetup` + `trainingMemory` (the peak of one step,
 * without `estimate()`'s max-length searches, so widgets stay interactive), and core's per-layer
 * activation inventory for the store-vs-recompute trade.
 */
import {
  DEFAULT_EFFICIENCY,
  type DeviceBytes,
  type GpuSpec,
  heldBytes,
  layerActivations,
  lossActivations,
  type ModelSpec,
  type PeakMoment,
  parseScenario,
  resolveTrainingSetup,
  type TrainingActivationInput,
  type TrainingSetup,
  trainingMemory,
} from "@memlens/core";
import type { ModelChoice } from "../lib/models.js";
import { attempt, modelRef, type Outcome } from "./scenario.js";

export type Checkpointing = "none" | "selective" | "full";
export const CHECKPOINTING: readonly Checkpointing[] = ["none", "selective", "full"];
export type ZeroStage = 0 | 1 | 2 | 3;

export interface TrainingInput {
  readonly model: ModelChoice;
  readonly gpu: GpuSpec;
  /** Data-parallel GPUs the ZeRO stage shards over. */
  readonly gpuCount: number;
  readonly zeroStage: ZeroStage;
  readonly checkpointing: Checkpointing;
  readonly sequenceLength: number;
  readonly microBatch: number;
}

export interface TrainingPeak {
  /** Per GPU at the step's peak. */
  readonly perGpu: DeviceBytes;
  readonly moment: PeakMoment;
  /** Total per GPU at the end of the forward pass (activations all held). */
  readonly forwardBytes: number;
  readonly notes: readonly string[];
}

export const PEAK_MOMENT_TEXT: Record<PeakMoment, string> = {
  forward: "the end of the forward pass",
  "loss-backward": "the start of the backward pass (loss gradients)",
  backward: "the backward pass",
  "optimizer-step": "the optimizer step (activations already freed)",
};

/**
 * The SCENARIO.md object of a full fine-tune with DeepSpeed (bf16 mixed precision, AdamW: 2 + 2 +
 * 12 bytes per parameter), data parallel over `gpuCount` GPUs.
 */
export function trainingScenario(i: TrainingInput): Record<string, unknown> {
  return {
    model: modelRef(i.model),
    engine: "deepspeed",
    task: "training",
    contextLength: i.sequenceLength,
    batch: i.microBatch,
    hardware: { gpu: i.gpu.id, count: i.gpuCount },
    parallel: { tensor: 1, pipeline: 1, data: i.gpuCount },
    training: {
      method: "full",
      optimizer: "adamw",
      precision: "bf16-mixed",
      microBatch: i.microBatch,
      sequenceLength: i.sequenceLength,
      activationCheckpointing: i.checkpointing,
      zeroStage: i.zeroStage,
    },
  };
}

export function trainingSetup(i: TrainingInput): TrainingSetup {
  return resolveTrainingSetup(parseScenario(trainingScenario(i)), i.model.spec);
}

/** Core's per-GPU memory at the peak of one training step. */
export function trainingPeak(i: TrainingInput): Outcome<TrainingPeak> {
  return attempt(() => {
    const setup = trainingSetup(i);
    const m = trainingMemory(setup, i.microBatch, i.sequenceLength);
    return {
      perGpu: m.devices[0]!,
      moment: m.peakMoments[0] ?? "forward",
      forwardBytes: m.forwardBytes[0] ?? 0,
      notes: setup.notes,
    };
  });
}

/** Core's activation-inventory input for a setup (mirrors estimate/training.ts activationInput for one GPU). */
function activationInput(setup: TrainingSetup, micro: number, seq: number): TrainingActivationInput {
  const expandKv =
    setup.expandKvOverride ?? (setup.attention === "eager" || (setup.attention === "sdpa" && micro > 1));
  return {
    spec: setup.spec,
    dtypes: setup.dtypes,
    fullTraining: true,
    adaptedModules: new Set(),
    loraRank: 0,
    quantizedBase: false,
    microBatch: micro,
    sequenceLength: seq,
    packed: false,
    attention: setup.attention,
    expandKv,
    attentionDropout: setup.attentionDropout,
    hiddenDropout: setup.hiddenDropout,
    softmaxFp32: setup.spec.architecture !== "gpt2",
    tensorParallel: 1,
    sequenceParallel: false,
  };
}

export interface RecomputeProfile {
  /** Bytes each layer keeps for backward when stored (no recomputation). */
  readonly storedPerLayer: readonly number[];
  /** Bytes each layer keeps when checkpointed (its input only). */
  readonly checkpointedPerLayer: readonly number[];
  /** Final norm and output-head inputs saved for the loss. */
  readonly lossSavedBytes: number;
}

/** Core's per-layer activation inventory of one training micro-batch. */
export function recomputeProfile(
  model: ModelChoice,
  gpu: GpuSpec,
  seq: number,
  micro: number,
): RecomputeProfile {
  const setup = trainingSetup({
    model,
    gpu,
    gpuCount: 1,
    zeroStage: 0,
    checkpointing: "none",
    sequenceLength: seq,
    microBatch: micro,
  });
  const ax = activationInput(setup, micro, seq);
  const layers = model.spec.layers.map((l) => layerActivations(ax, l));
  const loss = lossActivations({
    spec: model.spec,
    dtypes: setup.dtypes,
    fullTraining: true,
    tokens: micro * seq,
    lossChunks: 1,
    lossChunkTokens: 0,
    fused: false,
    compiled: false,
    upcast: true,
    headDequantBytes: 0,
    tensorParallel: 1,
    sequenceParallel: false,
  });
  return {
    storedPerLayer: layers.map((l) => heldBytes(l, "none")),
    checkpointedPerLayer: layers.map((l) => heldBytes(l, "full")),
    lossSavedBytes: loss.savedBytes,
  };
}

/** Activations kept for backward with the last `k` layers checkpointed and the rest stored. */
export function heldWithRecompute(p: RecomputeProfile, k: number): number {
  const n = p.storedPerLayer.length;
  let sum = p.lossSavedBytes;
  for (let i = 0; i < n; i++) sum += i >= n - k ? p.checkpointedPerLayer[i]! : p.storedPerLayer[i]!;
  return sum;
}

/**
 * Extra forward FLOPs per step from recomputing `k` layers: their share of a forward pass at
 * 2·N FLOPs per token (Kaplan et al. 2020: C ≈ 2N forward, 6N forward + backward).
 * TODO(core): core does not estimate training speed yet; move this there when it does.
 */
export function recomputeFlops(spec: ModelSpec, tokens: number, k: number): number {
  return (k / spec.numLayers) * 2 * spec.activeParameters * tokens;
}

/** FLOPs of one training step (6·N per token, Kaplan et al. 2020). */
export const stepFlops = (spec: ModelSpec, tokens: number): number => 6 * spec.activeParameters * tokens;

/** Seconds `flops` take on `gpu` at bf16 peak times core's default compute efficiency. */
export function flopsSeconds(flops: number, gpu: GpuSpec): number {
  const f = gpu.flopsPerSecond;
  const peak = f.bf16 ?? f.fp16 ?? f.fp32 ?? 0;
  return peak > 0 ? flops / (peak * DEFAULT_EFFICIENCY.compute) : Number.POSITIVE_INFINITY;
}
