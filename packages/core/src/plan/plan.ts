import { findGpu } from "../catalog/gpu-lookup.js";
import type { GpuSpec } from "../catalog/gpu-types.js";
import { catalogModelSpec } from "../catalog/models.js";
import { qualityCostOf } from "../catalog/quality.js";
import { MemlensError, requireWholeNumber } from "../errors/memlens-error.js";
import { fitCapacityBytes } from "../estimate/engines/cuda-context.js";
import { ENGINES, engineNames } from "../estimate/engines/index.js";
import { estimate } from "../estimate/estimate.js";
import type { EngineInput, Estimate } from "../estimate/estimate-types.js";
import { estimateWeights, parseWeightFormat } from "../estimate/weights.js";
import type { ModelSpec } from "../models/model-spec.js";
import {
  communicationSeconds,
  parallelCommunication,
  type StepCommunication,
} from "../perf/communication.js";
import {
  DEFAULT_EFFICIENCY,
  effectiveRoof,
  IDEAL_EFFICIENCY,
  type Roof,
  rooflineSeconds,
  rooflineTermsOf,
} from "../perf/roofline.js";
import {
  attentionFlopsPerToken,
  type KvReadProfile,
  kvReadBytesPerContextToken,
  kvReadProfile,
  matmulFlopsPerToken,
  type WeightReadInput,
  weightBytesRead,
} from "../perf/step-cost.js";
import { type InferenceEngine, parseScenario } from "../scenario/scenario.js";

/** What the user wants from the hardware. */
export type PlanGoal =
  | { readonly kind: "serve"; readonly contextLength: number; readonly concurrency: number }
  | { readonly kind: "longest-context"; readonly concurrency: number }
  | { readonly kind: "fastest-decode"; readonly contextLength: number; readonly concurrency: number };

export interface PlanRequest {
  /** Catalog id or ModelSpec (for models read from files). */
  readonly model: string | ModelSpec;
  readonly gpu: string;
  readonly gpuCount: number;
  readonly goal: PlanGoal;
  /** Engines to consider; default: every engine memlens models. */
  readonly engines?: readonly InferenceEngine[];
  /** Weight formats to consider; default: a ladder from the checkpoint dtype down to 2-4 bits. */
  readonly weights?: readonly string[];
  /** Called with the fraction of configurations evaluated. */
  readonly onProgress?: (fraction: number) => void;
}

/** One evaluated point of the search. */
export interface PlanCandidate {
  readonly engine: InferenceEngine;
  readonly weights: string;
  readonly kvCache: string;
  readonly tensorParallel: number;
  readonly pipelineParallel: number;
  readonly contextLength: number;
  readonly batch: number;
  /** Largest device total, bytes. */
  readonly peakDeviceBytes: number;
  readonly fits: boolean;
  readonly decodeTokensPerSecond: number;
  /** Published perplexity increase of the weight format; null when none is published. */
  readonly perplexityDelta: number | null;
}

export interface PlanResult {
  /** Candidates evaluated (configurations × contexts × batches). */
  readonly candidatesEvaluated: number;
  /** Fitting candidates not beaten on memory, decode speed and quality at once, best decode first. */
  readonly pareto: readonly PlanCandidate[];
  /** The recommended candidate for the goal, re-checked with the full estimator; null if none fits. */
  readonly best: PlanCandidate | null;
  readonly bestEstimate: Estimate | null;
  readonly notes: readonly string[];
}

/** Configuration-level arithmetic reused by every (context, batch) point. */
interface Config {
  readonly engine: InferenceEngine;
  readonly weights: string;
  readonly kvCache: string;
  readonly tp: number;
  readonly pp: number;
  /** Largest device's bytes at context c and batch b ≈ fixed + perTokenSeq·c·b + act(c·b), fitted on the engine. */
  readonly fixedBytes: number;
  readonly kvBytesPerTokenPerDevice: number;
  readonly actBytesPerToken: number;
  readonly capacityBytes: number;
  /** The weights as a decode step reads them (perf/step-cost.ts weightBytesRead: a batch's MoE experts). */
  readonly weightRead: WeightReadInput;
  /** KV a decode step reads, per layer (sliding-window layers read only their window). */
  readonly kvRead: KvReadProfile;
  /** Peak FLOP/s and bandwidth over the TP group, times DEFAULT_EFFICIENCY. */
  readonly roof: Roof;
  /** All-reduces and stage sends between the GPUs (perf/communication.ts); undefined on one GPU. */
  readonly communication: StepCommunication | undefined;
  /** Matmul FLOPs per token (perf/step-cost.ts matmulFlopsPerToken); attention FLOPs depend on the context. */
  readonly matmulFlopsPerToken: number;
  readonly perplexityDelta: number | null;
  /**
   * Engines that size a KV pool from free memory (vLLM, SGLang): tokens the pool holds at
   * max_num_seqs = 1 and the change per extra sequence (the sampler's activation grows with it),
   * and the longest context the engine accepts. Null for engines that allocate per request.
   */
  readonly pool: {
    readonly tokensAtOne: number;
    readonly tokensPerExtraSeq: number;
    readonly maxContext: number;
  } | null;
}

function divisorsUpTo(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (n % i === 0) out.push(i);
  return out;
}

/**
 * Searches weights × KV dtype × TP/PP × engine × context × batch for a model on given GPUs and
 * returns the Pareto front of memory, decode speed and quality, plus the best plan for the goal,
 * re-checked with the full estimator. Each configuration's memory is measured at two points with
 * the engine's own model and extended linearly in context × batch, so a candidate costs a few
 * arithmetic operations.
 */
export function planDeployment(req: PlanRequest): PlanResult {
  const gpu = findGpu(req.gpu, "gpu");
  requireWholeNumber(req.gpuCount, "gpus", 1, 1024);
  const spec = typeof req.model === "string" ? catalogModelSpec(req.model, "model") : req.model;
  const modelRef = { id: spec.id };
  const specOpt = { modelSpec: spec };
  // By default, engines of their own code only (ollama's candidates are llama.cpp's).
  const engines = (req.engines ?? engineNames().filter((e) => !ENGINES[e].variantOf)).filter(
    (e) => ENGINES[e] !== undefined,
  );
  if (engines.length === 0)
    throw new MemlensError(
      "invalid-value",
      `engines: none of them is modelled; available: ${engineNames().join(", ")}`,
      "engines",
    );

  const notes: string[] = [];
  const configs: Config[] = [];
  const splits: [number, number][] = [];
  for (const tp of divisorsUpTo(req.gpuCount)) splits.push([tp, req.gpuCount / tp]);
  const totalConfigs =
    engines.reduce(
      (s, e) => s + (req.weights ?? ENGINES[e].searchWeights).length * ENGINES[e].searchKvDtypes.length,
      0,
    ) * splits.length;
  let done = 0;
  for (const engine of engines) {
    for (const weights of req.weights ?? ENGINES[engine].searchWeights) {
      for (const kvCache of ENGINES[engine].searchKvDtypes) {
        for (const [tp, pp] of splits) {
          done++;
          const c = buildConfig(modelRef, spec, gpu, req.gpuCount, engine, weights, kvCache, tp, pp);
          if (c) configs.push(c);
          req.onProgress?.((0.5 * done) / totalConfigs);
        }
      }
    }
  }

  const { contexts, batches } = gridFor(req.goal);
  const candidates: PlanCandidate[] = [];
  let evaluated = 0;
  configs.forEach((c, i) => {
    // An engine's own sequence limit (llama.cpp's LLAMA_MAX_SEQ) holds whatever memory allows.
    const maxSequences = ENGINES[c.engine].maxSequences ?? Number.POSITIVE_INFINITY;
    for (const ctx of contexts) {
      // The decode step estimate() prices (perf/step-cost.ts decodeStepCost), term by term.
      const kvReadPerToken = kvReadBytesPerContextToken(c.kvRead, ctx);
      const flopsPerSequence = c.matmulFlopsPerToken + attentionFlopsPerToken(spec, ctx);
      for (const b of batches) {
        evaluated++;
        if (b > maxSequences) continue;
        const tokens = ctx * b;
        const peak = c.fixedBytes + (c.kvBytesPerTokenPerDevice + c.actBytesPerToken) * tokens;
        // Pool engines always fill memory: what decides is whether the pool holds b sequences of ctx.
        const fits = c.pool
          ? ctx <= c.pool.maxContext && c.pool.tokensAtOne + c.pool.tokensPerExtraSeq * (b - 1) >= tokens
          : peak <= c.capacityBytes;
        if (!fits) continue;
        const cost = {
          bytes: weightBytesRead(c.weightRead, b) + kvReadPerToken * tokens,
          flops: b * flopsPerSequence,
        };
        const step =
          rooflineSeconds(rooflineTermsOf(cost, c.roof), IDEAL_EFFICIENCY) +
          (c.communication ? communicationSeconds(c.communication, b) : 0);
        candidates.push({
          engine: c.engine,
          weights: c.weights,
          kvCache: c.kvCache,
          tensorParallel: c.tp,
          pipelineParallel: c.pp,
          contextLength: ctx,
          batch: b,
          peakDeviceBytes: Math.round(peak),
          fits,
          decodeTokensPerSecond: b / step,
          perplexityDelta: c.perplexityDelta,
        });
      }
    }
    req.onProgress?.(0.5 + (0.5 * (i + 1)) / configs.length);
  });

  const meets = candidates.filter((x) => meetsGoal(x, req.goal));
  const pareto = paretoFront(meets);
  // Best: meets the goal, least quality cost, then fastest decode (or longest context).
  const ranked = [...meets].sort((a, b) => {
    const qa = a.perplexityDelta ?? Number.POSITIVE_INFINITY;
    const qb = b.perplexityDelta ?? Number.POSITIVE_INFINITY;
    if (req.goal.kind === "longest-context" && a.contextLength !== b.contextLength)
      return b.contextLength - a.contextLength;
    if (req.goal.kind === "fastest-decode") return b.decodeTokensPerSecond - a.decodeTokensPerSecond;
    if (qa !== qb) return qa - qb;
    return b.decodeTokensPerSecond - a.decodeTokensPerSecond;
  });
  // Re-check with the full estimator: the linear model is a search aid, the estimate is the answer.
  let best: PlanCandidate | null = null;
  let bestEstimate: Estimate | null = null;
  for (const cand of ranked.slice(0, 20)) {
    let e: Estimate;
    try {
      e = estimate(scenarioOf(modelRef, cand, gpu.id, req.gpuCount), specOpt);
    } catch (err) {
      // A candidate the engine itself refuses is not an answer; try the next one.
      if (err instanceof MemlensError) continue;
      throw err;
    }
    if (e.fits) {
      best = cand;
      bestEstimate = e;
      break;
    }
  }
  if (!best)
    notes.push(
      "No configuration meets the goal on this hardware; try more GPUs, a smaller context or fewer sequences.",
    );
  notes.push(
    "Quality costs are published perplexity increases on WikiText-2 for one reference model per format (llama.cpp's quantize table on Llama-3-8B; AWQ/GPTQ on Llama-2-7B); formats without a published figure rank last.",
  );
  return { candidatesEvaluated: evaluated, pareto, best, bestEstimate, notes };
}

/** The scenario a candidate stands for (used to re-check it with `estimate`). */
export function scenarioOf(
  model: { id: string },
  c: PlanCandidate,
  gpu: string,
  count: number,
): Record<string, unknown> {
  return {
    model,
    engine: c.engine,
    weights: c.weights,
    kvCache: c.kvCache,
    contextLength: c.contextLength,
    batch: c.batch,
    hardware: { gpu, count },
    parallel: { tensor: c.tensorParallel, pipeline: c.pipelineParallel },
  };
}

function buildConfig(
  model: { id: string },
  spec: ModelSpec,
  gpu: GpuSpec,
  count: number,
  engine: InferenceEngine,
  weights: string,
  kvCache: string,
  tp: number,
  pp: number,
): Config | null {
  const base = {
    model,
    engine,
    weights,
    kvCache,
    hardware: { gpu: gpu.id, count },
    parallel: { tensor: tp, pipeline: pp },
  };
  const engineModel = ENGINES[engine];
  let scenario: ReturnType<typeof parseScenario>;
  let format: ReturnType<typeof parseWeightFormat>;
  try {
    scenario = parseScenario({ ...base, contextLength: 1024, batch: 1 });
    format = parseWeightFormat(weights, spec);
  } catch {
    return null;
  }
  const input: EngineInput = {
    scenario,
    spec,
    format,
    capacityBytes: fitCapacityBytes(engineModel, gpu),
    gpu,
    deviceCount: count,
  };
  // Two points fix the affine model: 1k × 1 and 8k × 4 tokens.
  let m1: number;
  let m2: number;
  let kv1: number;
  let kv2: number;
  let layout: ReturnType<typeof engineModel.memory>["kvLayout"];
  let pool: Config["pool"] = null;
  try {
    const a = engineModel.memory(input, 1024, 1);
    const b = engineModel.memory(input, 8192, 4);
    layout = a.kvLayout;
    m1 = Math.max(...a.devices.map((d) => d.total));
    m2 = Math.max(...b.devices.map((d) => d.total));
    kv1 = Math.max(...a.devices.map((d) => d.kvCache));
    kv2 = Math.max(...b.devices.map((d) => d.kvCache));
    if (a.kvPoolTokens !== undefined) {
      if (a.kvPoolTokens <= 0) return null; // the engine would refuse to start at all
      const many = engineModel.memory(input, 1024, 256).kvPoolTokens ?? a.kvPoolTokens;
      pool = {
        tokensAtOne: a.kvPoolTokens,
        tokensPerExtraSeq: (many - a.kvPoolTokens) / 255,
        maxContext: spec.maxPositionEmbeddings ?? Number.POSITIVE_INFINITY,
      };
      // The pool's bytes per token, and the memory outside the pool, describe what a candidate uses.
      const perToken = kv1 / a.kvPoolTokens;
      kv1 = perToken * 1024;
      kv2 = perToken * 8192 * 4;
      m1 = m1 - Math.max(...a.devices.map((d) => d.kvCache)) + kv1;
      m2 = m1 + perToken * (8192 * 4 - 1024);
    }
  } catch {
    return null; // the engine rejects this combination (e.g. a KV dtype it does not support)
  }
  const dTokens = 8192 * 4 - 1024;
  const kvPerToken = (kv2 - kv1) / dTokens;
  const actPerToken = Math.max(0, (m2 - m1) / dTokens - kvPerToken);
  const fixed = m1 - (kvPerToken + actPerToken) * 1024;
  const w = estimateWeights(spec, format);
  return {
    engine,
    weights,
    kvCache,
    tp,
    pp,
    fixedBytes: fixed,
    kvBytesPerTokenPerDevice: kvPerToken,
    actBytesPerToken: actPerToken,
    capacityBytes: fitCapacityBytes(engineModel, gpu),
    weightRead: {
      spec,
      weightBytes: w.totalBytes,
      expertBytes: w.expertBytes,
      embeddingBytes: w.embeddingBytes,
    },
    kvRead: kvReadProfile(spec, layout),
    roof: effectiveRoof(gpu, format, tp, DEFAULT_EFFICIENCY),
    communication: parallelCommunication(spec, gpu.interconnect, { tensor: tp, pipeline: pp }),
    matmulFlopsPerToken: matmulFlopsPerToken(spec),
    perplexityDelta: qualityCostOf(weights)?.perplexityDelta ?? null,
    pool,
  };
}

function gridFor(goal: PlanGoal): { contexts: number[]; batches: number[] } {
  // Every concurrency from 1 to 1024 (or the goal's), every context in 256-token steps up to 1M.
  const upTo = (n: number, step: number) =>
    Array.from({ length: Math.floor(n / step) }, (_, i) => (i + 1) * step);
  switch (goal.kind) {
    case "serve":
    case "fastest-decode":
      return { contexts: [goal.contextLength], batches: upTo(Math.max(1024, goal.concurrency), 1) };
    case "longest-context":
      return { contexts: upTo(1 << 20, 256), batches: [goal.concurrency] };
  }
}

function meetsGoal(c: PlanCandidate, goal: PlanGoal): boolean {
  switch (goal.kind) {
    case "serve":
    case "fastest-decode":
      return c.contextLength >= goal.contextLength && c.batch >= goal.concurrency;
    case "longest-context":
      return c.batch >= goal.concurrency;
  }
}

/** Candidates no other candidate beats on memory, speed and quality all at once. */
export function paretoFront(cands: readonly PlanCandidate[]): PlanCandidate[] {
  const q = (c: PlanCandidate) => c.perplexityDelta ?? Number.POSITIVE_INFINITY;
  const sorted = [...cands].sort((a, b) => b.decodeTokensPerSecond - a.decodeTokensPerSecond);
  const front: PlanCandidate[] = [];
  for (const c of sorted) {
    const dominated = front.some(
      (f) =>
        f.decodeTokensPerSecond >= c.decodeTokensPerSecond &&
        f.peakDeviceBytes <= c.peakDeviceBytes &&
        q(f) <= q(c) &&
        (f.decodeTokensPerSecond > c.decodeTokensPerSecond ||
          f.peakDeviceBytes < c.peakDeviceBytes ||
          q(f) < q(c)),
    );
    if (!dominated) front.push(c);
  }
  return front;
}
