/**
 * Scenarios for core's `estimate()`: one place builds the SCENARIO.md object from a page's
 * controls, and one place turns core's input errors into a message the page shows.
 */
import { type Estimate, engineNames, estimate, isInputError, MemlensError } from "@memlens/core";
import type { ModelChoice } from "../lib/models.js";

export interface InferenceInput {
  readonly model: ModelChoice;
  readonly gpuId: string;
  readonly gpuCount?: number;
  readonly tensorParallel?: number;
  readonly engine?: string;
  /** Scenario `weights` name; undefined = the checkpoint as published. */
  readonly weights?: string | undefined;
  readonly kvCache?: string;
  readonly contextLength: number;
  readonly batch: number;
  readonly attention?: "eager" | "sdpa" | "flash";
}

/** The model reference of a scenario: catalog id, or the uploaded config inline. */
export function modelRef(model: ModelChoice): Record<string, unknown> {
  switch (model.origin) {
    case "catalog":
      return { id: model.key };
    case "config":
      return { hfConfig: model.config };
    case "gguf":
      return { gguf: model.gguf?.fileName ?? model.spec.id };
    case "hub":
      return { id: model.key };
  }
}

/** The SCENARIO.md object for an inference question. */
export function inferenceScenario(i: InferenceInput): Record<string, unknown> {
  const s: Record<string, unknown> = {
    model: modelRef(i.model),
    engine: i.engine ?? "transformers",
    task: "inference",
    kvCache: i.kvCache ?? "auto",
    contextLength: i.contextLength,
    batch: i.batch,
    hardware: { gpu: i.gpuId, count: i.gpuCount ?? 1 },
    parallel: { tensor: i.tensorParallel ?? 1, pipeline: 1 },
  };
  if (i.weights !== undefined) s.weights = i.weights;
  if (i.attention !== undefined) s.engineOptions = { attention: i.attention };
  return s;
}

export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Runs `f`, turning core's MemlensError into data (any other error is a bug and propagates). */
export function attempt<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof MemlensError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

/** `estimate()` of an inference scenario, with the page's ModelSpec. */
export function runInference(i: InferenceInput): Outcome<Estimate> {
  return attempt(() => estimate(inferenceScenario(i), { modelSpec: i.model.spec }));
}

/** Engines core models today (the others answer "not modelled yet"). */
export const modelledEngines = (): string[] => engineNames();

export { isInputError };
