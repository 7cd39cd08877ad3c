/**
 * The planner: a full inference scenario from the form, core's estimate of it, and core's
 * ranked single changes that make it fit (or run faster); and core's plan search, whose Pareto
 * front of memory, decode speed and quality cost the page draws.
 */
import {
  type Estimate,
  estimate,
  type InferenceEngine,
  type PlanCandidate,
  paretoFront,
  planDeployment,
  type SuggestedChange,
  suggestChanges,
} from "@memlens/core";
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

/** Engines the in-browser search covers (see PARETO_SEARCH_NOTE). */
export const PARETO_ENGINES = [
  "vllm",
  "sglang",
  "transformers",
] as const satisfies readonly InferenceEngine[];

/**
 * Why llama.cpp is left out of the browser's search. planDeployment for Llama-3.1-70B on H100s at
 * 8,192 tokens × 32 sequences, measured on the 2-core dev machine: every engine, in Node, 0.9-1.1 s
 * on 2 GPUs and 1.5-2.3 s on 8 (llama.cpp alone 0.9-1.3 s: its memory model prices every tensor,
 * for 7 weight × 3 KV types per split); without llama.cpp, 25 ms and 55 ms warm in Node, and in
 * Chromium 12-105 ms on 2 GPUs and 42-196 ms on 8 after a first, cold search of 93 and 350 ms.
 */
export const PARETO_SEARCH_NOTE =
  "To answer while you edit, the browser searches vLLM, SGLang and transformers with core's full weight and KV ladders; adding llama.cpp's GGUF ladder makes the search take 1 to 2 seconds.";

export interface ParetoForm {
  readonly gpuId: string;
  readonly gpuCount: number;
  readonly contextLength: number;
  /** Concurrent sequences the deployment must serve. */
  readonly concurrency: number;
}

export interface ParetoPlan {
  /** One point per configuration at the goal's concurrency, none beaten on memory, speed and quality. */
  readonly front: readonly PlanCandidate[];
  readonly candidatesEvaluated: number;
  /** Wall time of planDeployment, milliseconds. */
  readonly searchMilliseconds: number;
  readonly best: PlanCandidate | null;
  readonly notes: readonly string[];
}

/** Engine · weights · KV · split: the words a chart point and a list item carry. */
export function candidateLabel(c: PlanCandidate): string {
  const split =
    c.pipelineParallel > 1 ? `TP${c.tensorParallel}×PP${c.pipelineParallel}` : `TP${c.tensorParallel}`;
  return `${c.engine} · ${c.weights} · KV ${c.kvCache} · ${split}`;
}

const configKey = (c: PlanCandidate) =>
  `${c.engine}|${c.weights}|${c.kvCache}|${c.tensorParallel}|${c.pipelineParallel}`;

/**
 * Core's plan search for a serving goal (context × concurrency) over PARETO_ENGINES. Core's front
 * spans every batch from the goal's concurrency up; each configuration is drawn once, at the
 * smallest batch it keeps on the front (the goal's concurrency when it is there), and the
 * configurations are filtered again with core's `paretoFront`.
 */
export function paretoPlan(model: ModelChoice, f: ParetoForm): Outcome<ParetoPlan> {
  return attempt(() => {
    const t0 = performance.now();
    const r = planDeployment({
      model: model.spec,
      gpu: f.gpuId,
      gpuCount: f.gpuCount,
      engines: PARETO_ENGINES,
      goal: { kind: "serve", contextLength: f.contextLength, concurrency: f.concurrency },
    });
    const searchMilliseconds = performance.now() - t0;
    const perConfig = new Map<string, PlanCandidate>();
    for (const c of r.pareto) {
      const k = configKey(c);
      const seen = perConfig.get(k);
      if (!seen || c.batch < seen.batch) perConfig.set(k, c);
    }
    const front = paretoFront([...perConfig.values()]);
    return {
      front,
      candidatesEvaluated: r.candidatesEvaluated,
      searchMilliseconds,
      best: r.best,
      notes: r.notes,
    };
  });
}
