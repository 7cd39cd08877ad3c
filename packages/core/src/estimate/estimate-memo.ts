/**
 * The memo behind `estimate()`: a repeated question is answered from a bounded LRU of
 * answers, keyed by the normalised scenario (parseScenario's output, defaults filled in) and every
 * option that changes the answer. Catalog models and GPUs are fixed data, so the scenario names
 * them fully; a caller's own ModelSpec is keyed by identity (specs are read-only).
 */
import type { ModelSpec } from "../models/model-spec.js";
import type { Efficiency } from "../perf/roofline.js";
import type { SpeculativeOptions } from "../perf/speculative.js";
import { BoundedLru } from "../units/memo.js";
import type { Estimate } from "./estimate-types.js";

/** Answers kept: 512, enough for a page's or a sweep's working set, a few MB at most. */
export const estimateMemo = new BoundedLru<string, Estimate>(512);
const specIds = new WeakMap<ModelSpec, number>();
let nextSpecId = 1;

/** The options of `estimate()` that change its answer. */
export interface EstimateMemoOptions {
  readonly modelSpec?: ModelSpec;
  readonly efficiency?: Efficiency;
  readonly promptTokens?: number;
  readonly speculative?: SpeculativeOptions;
}

/** A caller's ModelSpec by identity: a small number per spec object, 0 for none. */
function specId(spec: ModelSpec | undefined): number {
  if (!spec) return 0;
  let id = specIds.get(spec);
  if (id === undefined) {
    id = nextSpecId++;
    specIds.set(spec, id);
  }
  return id;
}

/**
 * The memo key of a question: the normalised scenario (`JSON.stringify` of parseScenario's
 * output), whether the raw scenario named a context
 * (engines such as ollama pick their own otherwise), the caller's ModelSpec by identity, the
 * efficiency, the prompt length and the speculative-decoding options (the draft model by identity).
 */
export function estimateMemoKey(rawScenario: unknown, scenarioJson: string, o: EstimateMemoOptions): string {
  const spec = specId(o.modelSpec);
  const namedContext = (rawScenario as Record<string, unknown>).contextLength !== undefined;
  const e = o.efficiency;
  const sp = o.speculative;
  const speculative = sp
    ? `${sp.method}|${sp.numSpeculativeTokens}|${sp.acceptanceRate}|${specId(sp.draft)}`
    : "-";
  return `${spec}|${namedContext}|${e ? `${e.compute}|${e.memory}` : "-"}|${o.promptTokens ?? "-"}|${speculative}|${scenarioJson}`;
}

/** Forgets every memoised answer (tests compare the first, computed answer with a repeated one). */
export function clearEstimateMemo(): void {
  estimateMemo.clear();
}
