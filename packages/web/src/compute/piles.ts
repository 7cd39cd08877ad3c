/**
 * The four piles on the GPU (weights, activations, KV cache, optimizer + gradients) for one
 * model, in inference and in training, as core computes them.
 */
import type { DeviceBytes, GpuSpec } from "@memlens/core";
import type { ModelChoice } from "../lib/models.js";
import { type Outcome, runInference } from "./scenario.js";
import { type Checkpointing, type TrainingPeak, trainingPeak } from "./training.js";

export const PILES = [
  "weights",
  "activations",
  "kvCache",
  "gradients",
  "optimizerStates",
  "overhead",
] as const;
export type Pile = (typeof PILES)[number];

export const PILE_LABEL: Record<Pile, string> = {
  weights: "Weights",
  activations: "Activations",
  kvCache: "KV cache",
  gradients: "Gradients",
  optimizerStates: "Optimizer states",
  overhead: "Runtime overhead",
};

/** One colour per pile, the same on every chart (mid tones that read on light and dark). */
export const PILE_COLOR: Record<Pile, string> = {
  weights: "#5b8cff",
  activations: "#2bb673",
  kvCache: "#14a3a3",
  gradients: "#e0556b",
  optimizerStates: "#f0a020",
  overhead: "#8a94a6",
};

export interface PilesInput {
  readonly model: ModelChoice;
  readonly gpu: GpuSpec;
  /** Scenario weights name for inference; undefined = as published. */
  readonly weights: string | undefined;
  readonly contextLength: number;
  readonly batch: number;
  readonly checkpointing: Checkpointing;
}

export interface PilesResult {
  readonly inference: Outcome<DeviceBytes>;
  readonly training: Outcome<TrainingPeak>;
  readonly capacityBytes: number;
}

/**
 * Inference: `estimate()` with transformers at the context and batch. Training: core's peak of
 * one step of a full fine-tune (DeepSpeed, bf16 mixed precision, AdamW) with a micro-batch of
 * `batch` sequences of `contextLength` tokens, on one GPU.
 */
export function computePiles(i: PilesInput): PilesResult {
  const inf = runInference({
    model: i.model,
    gpuId: i.gpu.id,
    weights: i.weights,
    contextLength: i.contextLength,
    batch: i.batch,
  });
  const inference: Outcome<DeviceBytes> = inf.ok
    ? { ok: true, value: inf.value.devices[0]!.bytes }
    : { ok: false, code: inf.code, message: inf.message };
  const training = trainingPeak({
    model: i.model,
    gpu: i.gpu,
    gpuCount: 1,
    zeroStage: 0,
    checkpointing: i.checkpointing,
    sequenceLength: i.contextLength,
    microBatch: i.batch,
  });
  return { inference, training, capacityBytes: i.gpu.memoryBytes };
}
