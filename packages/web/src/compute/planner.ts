/**
 * The planner: a full inference scenario from the form, core's estimate of it, and core's
 * ranked single changes that make it fit (or run faster).
 */
import { type Estimate, estimate, type SuggestedChange, suggestChanges } from "@memlens/core";
import type { ModelChoice } from "../lib/models.js";
import { attempt, inferenceScenario, type Outcome } from "./scenario.js";

export interface PlannerForm {
  readonly engine: string;
  /** "" = as published. */
  readonly weights: string;
  readonly kvCache: string;
  readonly contextLength: number;
  readonly batch: number;
  readonly gpuId: string;
  readonly gpuCount: number;
  readonly tensorParallel: number;
}

export interface PlannerResult {
  readonly scenario: Record<string, unknown>;
  readonly estimate: Outcome<Estimate>;
  readonly changes: Outcome<readonly SuggestedChange[]>;
}

export function plan(model: ModelChoice, f: PlannerForm): PlannerResult {
  const scenario = inferenceScenario({
    model,
    gpuId: f.gpuId,
    gpuCount: f.gpuCount,
    tensorParallel: f.tensorParallel,
    engine: f.engine,
    weights: f.weights === "" ? undefined : f.weights,
    kvCache: f.kvCache,
    contextLength: f.contextLength,
    batch: f.batch,
  });
  const est = attempt(() => estimate(scenario, { modelSpec: model.spec }));
  const changes: Outcome<readonly SuggestedChange[]> = est.ok
    ? attempt(() => suggestChanges(scenario, { modelSpec: model.spec }).slice(0, 6))
    : { ok: false, code: est.code, message: est.message };
  return { scenario, estimate: est, changes };
}
