import { qualityCostOf } from "../catalog/quality.js";
import { ENGINES } from "../estimate/engines/index.js";
import { type EstimateOptions, estimate } from "../estimate/estimate.js";
import type { Estimate } from "../estimate/estimate-types.js";
import { formatBinaryBytes } from "../format/format.js";
import { type InferenceEngine, parseScenario } from "../scenario/scenario.js";

/** One change to the user's scenario, already re-checked by the estimator. */
export interface SuggestedChange {
  /** What to do, in words a person acts on. */
  readonly description: string;
  /** The scenario field changed, and its new value. */
  readonly field: string;
  readonly value: unknown;
  readonly scenario: Record<string, unknown>;
  readonly estimate: Estimate;
  /** Bytes the busiest GPU saves (negative: it costs memory). */
  readonly memorySavedBytes: number;
  /** New decode speed / old decode speed (1 = unchanged). */
  readonly decodeSpeedup: number;
  /** Published perplexity cost of a weight change; 0 for changes that do not touch weights; null if unknown. */
  readonly perplexityDelta: number | null;
  /** True when the change gives up part of the goal (shorter context, fewer sequences). */
  readonly changesGoal: boolean;
}

/** KV dtypes smaller than the engine's default: its search list after the default it starts with. */
const kvLadder = (engine: InferenceEngine): readonly string[] =>
  ENGINES[engine]?.searchKvDtypes.slice(1) ?? [];

const peak = (e: Estimate) => Math.max(...e.devices.map((d) => d.bytes.total));

/**
 * Single changes to a scenario, each re-run through `estimate`, keeping those that fit, ranked:
 * changes that keep the goal before those that shrink it, then least quality cost, most memory
 * saved, fastest decode.
 */
export function suggestChanges(rawScenario: unknown, options: EstimateOptions = {}): SuggestedChange[] {
  const s = parseScenario(rawScenario);
  const base = estimate(rawScenario, options);
  const raw = { ...(rawScenario as Record<string, unknown>) };
  const engine = s.engine as InferenceEngine;
  const tries: { field: string; value: unknown; patch: Record<string, unknown>; words: string }[] = [];
  const currentWeights = String(base.scenario.weights);
  // The engine's own search ladder; a format that saves nothing is dropped below.
  for (const w of ENGINES[engine]?.searchWeights ?? [])
    if (w !== currentWeights)
      tries.push({ field: "weights", value: w, patch: { weights: w }, words: `Store the weights as ${w}` });
  for (const kv of kvLadder(engine))
    if (kv !== base.scenario.kvCache)
      tries.push({
        field: "kvCache",
        value: kv,
        patch: { kvCache: kv },
        words: `Keep the KV cache in ${kv}`,
      });
  if (base.maxContextLength !== null && base.maxContextLength < s.contextLength)
    tries.push({
      field: "contextLength",
      value: base.maxContextLength,
      patch: { contextLength: base.maxContextLength },
      words: `Shorten the context to ${base.maxContextLength.toLocaleString("en-US")} tokens`,
    });
  else if (s.contextLength > 1024)
    tries.push({
      field: "contextLength",
      value: Math.floor(s.contextLength / 2),
      patch: { contextLength: Math.floor(s.contextLength / 2) },
      words: `Halve the context to ${Math.floor(s.contextLength / 2).toLocaleString("en-US")} tokens`,
    });
  if (s.batch > 1) {
    const b = Math.max(
      1,
      base.maxConcurrentSequences > 0 && base.maxConcurrentSequences < s.batch
        ? base.maxConcurrentSequences
        : Math.floor(s.batch / 2),
    );
    tries.push({
      field: "batch",
      value: b,
      patch: { batch: b },
      words: `Serve ${b} sequence${b === 1 ? "" : "s"} at a time instead of ${s.batch}`,
    });
  }
  const hw = s.hardware;
  const tp = s.parallel.tensor * 2;
  const needed = tp * s.parallel.pipeline;
  const count = Math.max(hw.count, needed);
  tries.push({
    field: "parallel.tensor",
    value: tp,
    patch: { parallel: { ...s.parallel, tensor: tp }, hardware: { ...hw, count } },
    words:
      count > hw.count
        ? `Use ${count} GPUs with tensor parallelism ${tp}`
        : `Split every layer over ${tp} GPUs (tensor parallelism ${tp})`,
  });
  if (engine === "transformers" && (s.engineOptions.attention ?? "sdpa") !== "flash")
    tries.push({
      field: "engineOptions.attention",
      value: "flash",
      patch: { engineOptions: { ...s.engineOptions, attention: "flash" } },
      words: "Use flash attention",
    });

  const out: SuggestedChange[] = [];
  for (const t of tries) {
    const scenario = { ...raw, ...t.patch };
    let e: Estimate;
    try {
      e = estimate(scenario, options);
    } catch {
      continue; // the engine rejects this change
    }
    if (!e.fits) continue;
    const saved = peak(base) - peak(e);
    const speed =
      base.performance.decodeTokensPerSecond > 0
        ? e.performance.decodeTokensPerSecond / base.performance.decodeTokensPerSecond
        : 1;
    // A change that neither frees memory nor speeds decode up is not advice.
    if (saved <= 0 && speed < 1.005) continue;
    const q = t.field === "weights" ? (qualityCostOf(String(t.value))?.perplexityDelta ?? null) : 0;
    const parts = [
      saved >= 0
        ? `saves ${formatBinaryBytes(saved)} on the busiest GPU`
        : `costs ${formatBinaryBytes(-saved)} more per GPU`,
      speed >= 1.005
        ? `decode ${speed.toFixed(2)}× faster`
        : speed <= 0.995
          ? `decode ${(1 / speed).toFixed(2)}× slower`
          : "decode speed unchanged",
      q === null
        ? "quality cost not published"
        : q === 0
          ? "no quality cost"
          : `+${q} perplexity (${qualityCostOf(String(t.value))?.measuredOn}, WikiText-2)`,
    ];
    out.push({
      description: `${t.words}: ${parts.join("; ")}.`,
      field: t.field,
      value: t.value,
      scenario,
      estimate: e,
      memorySavedBytes: saved,
      decodeSpeedup: speed,
      perplexityDelta: q,
      changesGoal: t.field === "contextLength" || t.field === "batch",
    });
  }
  const qk = (c: SuggestedChange) => c.perplexityDelta ?? Number.POSITIVE_INFINITY;
  return out.sort(
    (a, b) =>
      Number(a.changesGoal) - Number(b.changesGoal) ||
      qk(a) - qk(b) ||
      b.memorySavedBytes - a.memorySavedBytes ||
      b.decodeSpeedup - a.decodeSpeedup,
  );
}
