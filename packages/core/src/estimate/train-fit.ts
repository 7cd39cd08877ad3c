import { MemlensError } from "../errors/memlens-error.js";
import type { ModelSpec } from "../models/model-spec.js";
import {
  parseScenario,
  type Scenario,
  type TrainingEngine,
  type TrainingOptions,
} from "../scenario/scenario.js";
import { trainingFrameworkOf } from "./engines/training-frameworks.js";
import {
  maxTrainingMicroBatch,
  maxTrainingSequenceLength,
  type PeakMoment,
  resolveTrainingSetup,
  type TrainingSetup,
  trainingMemory,
} from "./training.js";

type Method = TrainingOptions["method"];
type Checkpointing = TrainingOptions["activationCheckpointing"];
type Offload = TrainingOptions["offload"];

/**
 * The explicit cost train-fit ranks settings by (lower is better), one term per knob:
 * - method: full 0, LoRA 1, QLoRA 2 (fewer trained parameters; QLoRA dequantizes every matmul);
 * - checkpointing: none 0, selective 0.5, full 2 (full recomputation re-runs the forward pass,
 *   about a third more compute per step: Korthikanti et al. 2022, Table 4);
 * - sharding: none 0, ZeRO-1 0.25, ZeRO-2 / FSDP SHARD_GRAD_OP 0.5, ZeRO-3 / FSDP FULL_SHARD 1.5
 *   (ZeRO-3 moves 1.5× the data-parallel communication volume: ZeRO paper §7.2.2);
 * - offload: none 0, optimizer to CPU 3, everything to CPU 5, NVMe 8 (PCIe / disk traffic every step).
 */
export const TRAIN_FIT_COST = {
  method: { full: 0, lora: 1, qlora: 2 },
  checkpointing: { none: 0, selective: 0.5, full: 2 },
  sharding: {
    none: 0,
    "zero-1": 0.25,
    "zero-2": 0.5,
    "fsdp-shard-grad-op": 0.5,
    "zero-3": 1.5,
    "fsdp-full-shard": 1.5,
  },
  offload: { none: 0, "optimizer-cpu": 3, "all-cpu": 5, nvme: 8 },
} as const;

export type ShardingChoice = keyof typeof TRAIN_FIT_COST.sharding;

export interface TrainFitCandidate {
  readonly method: Method;
  readonly sharding: ShardingChoice;
  readonly activationCheckpointing: Checkpointing;
  readonly offload: Offload;
  /** Peak bytes on the fullest GPU at the scenario's micro-batch and sequence length. */
  readonly peakBytes: number;
  readonly peakMoment: PeakMoment;
  readonly fits: boolean;
  /** Largest micro-batch that fits at the scenario's sequence length (0 if none). */
  readonly maxMicroBatch: number;
  readonly cost: number;
  /** The training block to put in a scenario for this setting. */
  readonly training: Partial<TrainingOptions>;
}

export interface TrainFitResult {
  readonly engine: TrainingEngine;
  readonly capacityBytes: number;
  readonly given: {
    readonly peakBytes: number;
    readonly peakMoment: PeakMoment;
    readonly fits: boolean;
    readonly maxMicroBatch: number;
    readonly maxSequenceLength: number | null;
  };
  /** Settings that fit, cheapest first (ties: lower peak first). */
  readonly candidates: readonly TrainFitCandidate[];
  /** Settings evaluated in all. */
  readonly evaluated: number;
}

const fitsAll = (setup: TrainingSetup, micro: number, seq: number) => {
  const m = trainingMemory(setup, micro, seq);
  return m.devices.every((d) => d.total <= setup.capacityBytes);
};

function peakOf(setup: TrainingSetup, micro: number, seq: number): { bytes: number; moment: PeakMoment } {
  const m = trainingMemory(setup, micro, seq);
  let i = 0;
  m.devices.forEach((d, j) => {
    if (d.total > (m.devices[i]?.total ?? 0)) i = j;
  });
  return { bytes: m.devices[i]?.total ?? 0, moment: m.peakMoments[i] ?? "forward" };
}

/**
 * For a training scenario: whether it fits as given, the largest micro-batch and sequence length
 * that fit, and every method × sharding × checkpointing × offload setting the engine supports that
 * fits the GPUs, cheapest first by TRAIN_FIT_COST.
 * @example searchTrainingSettings(scenario, spec, { methods: ["full", "lora", "qlora"] }).candidates[0]?.training
 */
export function searchTrainingSettings(
  rawScenario: unknown,
  spec: ModelSpec,
  options: { readonly methods?: readonly Method[] } = {},
): TrainFitResult {
  const scenario = parseScenario(rawScenario);
  const t = scenario.training;
  if (!t)
    throw new MemlensError("missing-field", "searchTrainingSettings needs a training scenario", "training");
  const engine = scenario.engine as TrainingEngine;
  const given = resolveTrainingSetup(scenario, spec);
  const gp = peakOf(given, t.microBatch, t.sequenceLength);
  const methods = options.methods ?? [t.method];
  const candidates: TrainFitCandidate[] = [];
  let evaluated = 0;
  for (const method of methods)
    for (const choice of trainingFrameworkOf(engine).trainFitChoices)
      for (const ac of ["none", "selective", "full"] as const) {
        const training: TrainingOptions = {
          ...t,
          method,
          zeroStage: choice.zeroStage,
          fsdp: choice.fsdp,
          offload: choice.offload,
          activationCheckpointing: ac,
        };
        const s: Scenario = {
          ...scenario,
          training,
          weights: method === t.method ? scenario.weights : undefined,
        };
        evaluated++;
        const setup = resolveTrainingSetup(s, spec);
        const p = peakOf(setup, t.microBatch, t.sequenceLength);
        const fits = p.bytes <= setup.capacityBytes;
        if (!fits) continue;
        const cost =
          TRAIN_FIT_COST.method[method] +
          TRAIN_FIT_COST.checkpointing[ac] +
          TRAIN_FIT_COST.sharding[choice.sharding] +
          TRAIN_FIT_COST.offload[choice.offload];
        candidates.push({
          method,
          sharding: choice.sharding,
          activationCheckpointing: ac,
          offload: choice.offload,
          peakBytes: p.bytes,
          peakMoment: p.moment,
          fits,
          maxMicroBatch: 0,
          cost,
          training: {
            method,
            zeroStage: choice.zeroStage,
            fsdp: choice.fsdp,
            offload: choice.offload,
            activationCheckpointing: ac,
          },
        });
      }
  candidates.sort((a, b) => a.cost - b.cost || a.peakBytes - b.peakBytes);
  // The largest micro-batch of each fitting setting (binary search; only for settings that fit).
  const ranked = candidates.map((c) => {
    const s: Scenario = {
      ...scenario,
      weights: c.method === t.method ? scenario.weights : undefined,
      training: { ...t, ...c.training },
    };
    const setup = resolveTrainingSetup(s, spec);
    return { ...c, maxMicroBatch: maxTrainingMicroBatch(setup, t.sequenceLength) };
  });
  return {
    engine,
    capacityBytes: given.capacityBytes,
    given: {
      peakBytes: gp.bytes,
      peakMoment: gp.moment,
      fits: fitsAll(given, t.microBatch, t.sequenceLength),
      maxMicroBatch: maxTrainingMicroBatch(given, t.sequenceLength),
      maxSequenceLength: maxTrainingSequenceLength(given, t.microBatch),
    },
    candidates: ranked,
    evaluated,
  };
}
