import type { GpuSpec } from "../catalog/gpu-types.js";
import type { ModelSpec } from "../models/model-spec.js";
import type { PerformanceEstimate } from "../perf/roofline.js";
import type { SpeculativeEstimate } from "../perf/speculative.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Bytes } from "../units/units.js";
import type { WeightFormat } from "./weights.js";

/** Bytes on one device, by pile (SCENARIO.md `devices[].bytes`). */
export interface DeviceBytes {
  readonly weights: number;
  readonly kvCache: number;
  readonly activations: number;
  readonly gradients: number;
  readonly optimizerStates: number;
  readonly overhead: number;
  readonly total: number;
}

export interface DeviceEstimate {
  readonly name: string;
  readonly capacityBytes: number;
  readonly bytes: DeviceBytes;
  readonly fits: boolean;
}

/** The answer to a scenario (SCENARIO.md "Estimate"). */
export interface Estimate {
  readonly memlensVersion: string;
  readonly scenario: Record<string, unknown>;
  readonly model: {
    readonly name: string;
    readonly architecture: string;
    readonly parameters: number;
    readonly activeParameters: number;
  };
  readonly devices: readonly DeviceEstimate[];
  /** Engine-specific figures named after what the engine prints. */
  readonly engine: Readonly<Record<string, number | readonly number[] | string | boolean>>;
  readonly performance: {
    readonly prefillTokensPerSecond: number;
    readonly decodeTokensPerSecond: number;
    readonly timeToFirstTokenSeconds: number;
    readonly bound: "memory" | "compute";
  };
  /** Everything fits on every device. */
  readonly fits: boolean;
  /** Largest context (tokens per sequence) that fits at this batch; null when even 1 token does not. */
  readonly maxContextLength: number | null;
  /** Most sequences of `contextLength` that fit together; 0 when one does not. */
  readonly maxConcurrentSequences: number;
  readonly kvBytesPerToken: number;
  /**
   * With speculative decoding (EstimateOptions.speculative; CLI --speculative): tokens per step,
   * the verify and draft times, decode speed with speculation, and the drafter's memory.
   */
  readonly speculative?: SpeculativeEstimate & {
    readonly draftWeightBytesPerDevice: number;
    readonly draftKvBytesPerTokenPerDevice: number;
  };
  readonly notes: readonly string[];
}

/** The model as an estimate names it (inference and training alike); active parameters rounded. */
export const estimateModel = (spec: ModelSpec): Estimate["model"] => ({
  name: spec.id,
  architecture: spec.architecture,
  parameters: spec.parameters,
  activeParameters: Math.round(spec.activeParameters),
});

/** What an engine model receives: a validated scenario with everything resolved. */
export interface EngineInput {
  readonly scenario: Scenario;
  readonly spec: ModelSpec;
  readonly format: WeightFormat;
  /** Per-device capacity, and the GPU when the catalog has it. */
  readonly capacityBytes: Bytes;
  readonly gpu: GpuSpec | undefined;
  readonly deviceCount: number;
}

export type { PerformanceEstimate };
