import { findGpu } from "../catalog/gpu-lookup.js";
import type { GpuSpec } from "../catalog/gpu-types.js";
import { catalogModelSpec } from "../catalog/models.js";
import { MemlensError } from "../errors/memlens-error.js";
import { modelSpecFromHfConfig } from "../models/from-hf-config.js";
import type { ModelSpec } from "../models/model-spec.js";
import { parallelCommunication } from "../perf/communication.js";
import {
  DEFAULT_EFFICIENCY,
  type Efficiency,
  estimatePerformance,
  type PerformanceEstimate,
  type RooflineInput,
} from "../perf/roofline.js";
import { type SpeculativeOptions, speculativePerformance } from "../perf/speculative.js";
import { kvReadBytesPerContextToken, kvReadProfile } from "../perf/step-cost.js";
import { parseScenario, type Scenario, scenarioToJson } from "../scenario/scenario.js";
import { plainCopy } from "../units/memo.js";
import { bytes } from "../units/units.js";
import { fitCapacityBytes } from "./engines/cuda-context.js";
import {
  type Engine,
  type EngineIssue,
  type EngineReport,
  type EngineResult,
  engineOf,
  issueText,
} from "./engines/index.js";
import { estimateMemo, estimateMemoKey } from "./estimate-memo.js";
import { type DeviceEstimate, type EngineInput, type Estimate, estimateModel } from "./estimate-types.js";
import { type KvLayoutOptions, kvBytesPerToken } from "./kv-cache.js";
import { largestFitting } from "./largest-fitting.js";
import { estimateTraining } from "./training.js";
import { estimateWeights, parseWeightFormat, weightFormatName } from "./weights.js";

export const MEMLENS_VERSION = "0.1.0";

export interface EstimateOptions {
  /** A ModelSpec the caller built from a file (core reads no files). */
  readonly modelSpec?: ModelSpec;
  /** Speed efficiency factors; defaults to DEFAULT_EFFICIENCY. */
  readonly efficiency?: Efficiency;
  /** Prompt length for time to first token; defaults to the scenario's contextLength. */
  readonly promptTokens?: number;
  /** Speculative decoding (perf/speculative.ts): adds `speculative` to the answer. */
  readonly speculative?: SpeculativeOptions;
}

/** The ModelSpec a scenario names: a catalog id or an inline config.json. */
export function resolveModelSpec(scenario: Scenario, given?: ModelSpec): ModelSpec {
  if (given) return given;
  const m = scenario.model;
  if ("id" in m) return catalogModelSpec(m.id);
  if ("hfConfig" in m) return modelSpecFromHfConfig(m.hfConfig, "inline config");
  const kind = Object.keys(m)[0] ?? "model";
  throw new MemlensError(
    "unsupported",
    `model.${kind} names a file; read it with the CLI or pass a ModelSpec`,
    `model.${kind}`,
  );
}

/**
 * Answers a scenario (SCENARIO.md): memory per device, whether it fits, the largest context and
 * concurrency that fit, and roofline speed.
 * @example estimate({ model: { id: "meta-llama/Llama-3.1-8B" }, hardware: { gpu: "RTX-4090", count: 1 }, contextLength: 8192 }).fits
 */
export function estimate(rawScenario: unknown, options: EstimateOptions = {}): Estimate {
  const scenario = parseScenario(rawScenario);
  // A repeated question is a memo hit. The memo keeps its own copy and hands out copies, so a
  // caller that changes its answer changes no other caller's.
  const scenarioJson = JSON.stringify(scenario);
  const key = estimateMemoKey(rawScenario, scenarioJson, options);
  const hit = estimateMemo.get(key);
  if (hit) return plainCopy(hit);
  const answer = answerScenario(rawScenario, scenario, options, scenarioJson).estimate;
  estimateMemo.set(key, plainCopy(answer));
  return answer;
}

/** An estimate with the engine's typed report and issues (what `estimate.engine` and its notes are made from). */
export interface EstimateWithReport {
  readonly estimate: Estimate;
  /** The inference engine's report at the scenario's context and batch; null for training scenarios. */
  readonly report: EngineReport | null;
  readonly issues: readonly EngineIssue[];
}

/**
 * The engine input a scenario resolves to: the GPU, its capacity, the weight format. Throws when
 * the parallel layout needs more GPUs than the hardware has.
 */
export function resolveEngineInput(scenario: Scenario, spec: ModelSpec): EngineInput {
  const hw = scenario.hardware;
  const gpu: GpuSpec | undefined = "gpu" in hw ? findGpu(hw.gpu) : undefined;
  // Engines that fit against what the driver reports (llama.cpp, transformers) get the GPU's
  // reported total where the catalog has it; the others, and GPUs without one, its marketed size.
  const capacityBytes = gpu
    ? scenario.task === "inference"
      ? fitCapacityBytes(engineOf(scenario.engine), gpu)
      : gpu.memoryBytes
    : bytes((hw as { memoryBytes: number }).memoryBytes);
  const { tensor, pipeline } = scenario.parallel;
  if (tensor * pipeline > hw.count)
    throw new MemlensError(
      "invalid-value",
      `parallel.tensor × parallel.pipeline = ${tensor * pipeline} needs that many GPUs but hardware.count is ${hw.count}`,
      "hardware.count",
    );
  const format = parseWeightFormat(scenario.weights, spec);
  return { scenario, spec, format, capacityBytes, gpu, deviceCount: hw.count };
}

/**
 * `estimate()` with the engine's typed report and issues, for callers that read engine figures
 * (the CLI's comparisons, the web pages) instead of the JSON record's string keys.
 */
export function estimateWithReport(rawScenario: unknown, options: EstimateOptions = {}): EstimateWithReport {
  return answerScenario(rawScenario, parseScenario(rawScenario), options);
}

/** The answer to a parsed scenario; `parsedJson` is JSON.stringify(parsed) where the caller has it. */
function answerScenario(
  rawScenario: unknown,
  parsed: Scenario,
  options: EstimateOptions,
  parsedJson?: string,
): EstimateWithReport {
  let scenario = parsed;
  const spec = resolveModelSpec(scenario, options.modelSpec);
  if (scenario.task === "training")
    return { estimate: estimateTraining(scenario, spec, MEMLENS_VERSION), report: null, issues: [] };

  const engine = engineOf(scenario.engine);
  let input = resolveEngineInput(scenario, spec);
  // An engine that picks its own context when none is named (ollama's num_ctx by VRAM).
  if (engine.defaultContextLength && (rawScenario as Record<string, unknown>).contextLength === undefined) {
    scenario = { ...scenario, contextLength: engine.defaultContextLength(input) };
    input = { ...input, scenario };
  }
  const { capacityBytes, gpu, format } = input;
  const mem = engine.memory(input, scenario.contextLength, scenario.batch);
  const devices: DeviceEstimate[] = mem.devices.map((b, i) => ({
    name: `GPU${i}`,
    capacityBytes,
    bytes: b,
    fits: b.total <= capacityBytes,
  }));
  // Pool-sizing engines (vLLM, SGLang) fill memory with a KV pool whatever the context and report
  // kvPoolTokens: tokens of contextLength-long sequences the pool holds. Such a scenario fits when
  // the pool holds one sequence (the engine refuses to start otherwise); concurrency is how many
  // sequences it holds. Other engines fit when every device's total is within its capacity.
  const fits = devices.every((d) => d.fits) && poolHolds(mem, scenario.contextLength);
  const fitsAt = (ctx: number, batch: number): boolean => engineFitsAt(engine, input, ctx, batch);

  // Every engine's longest context stops at the model's trained positions (vLLM and SGLang refuse
  // more; transformers and llama.cpp run past them with degraded output), whatever memory allows.
  const contextCap = spec.maxPositionEmbeddings ?? 1 << 24;
  const maxContextLength = largestFitting(1, Math.min(contextCap, 1 << 24), (c) => fitsAt(c, scenario.batch));
  const maxConcurrentSequences =
    mem.kvPoolTokens !== undefined
      ? fits
        ? Math.floor(mem.kvPoolTokens / scenario.contextLength)
        : 0
      : (largestFitting(1, 1 << 20, (b) => fitsAt(scenario.contextLength, b)) ?? 0);

  const kvPerToken = kvBytesPerToken(spec, mem.kvLayout);
  const ctx = scenario.contextLength;
  // Prose only here, at the edge: the engine's notes, then its issues.
  const notes = [...spec.notes, ...mem.notes, ...mem.issues.map(issueText)];
  if (gpu && capacityBytes !== gpu.memoryBytes)
    notes.push(reportedCapacityNote(engine.label, gpu, capacityBytes));
  // What the checkpoint's quantization keeps in 16 bit: always for the checkpoint's own format; for
  // an FP8 checkpoint read as plain fp8, when its config names the modules it keeps (Qwen3-FP8).
  const q = spec.nativeQuantization;
  const asShipped =
    format.kind === "checkpoint" ||
    (format.kind === "fp8" && scenario.weights === undefined && q?.namesUnquantized === true);
  if (asShipped && q?.appliedNote) notes.splice(spec.notes.length, 0, q.appliedNote);
  if (maxContextLength !== null && maxContextLength === spec.maxPositionEmbeddings)
    notes.push(
      `The longest context is the model's max_position_embeddings (${maxContextLength}); memory would hold more.`,
    );
  let performance: Estimate["performance"] = {
    prefillTokensPerSecond: 0,
    decodeTokensPerSecond: 0,
    timeToFirstTokenSeconds: 0,
    bound: "memory",
  };
  if (gpu) {
    const p = scenarioPerformance(input, mem.kvLayout, scenario.batch, ctx, options);
    performance = {
      prefillTokensPerSecond: p.prefillTokensPerSecond,
      decodeTokensPerSecond: p.decodeTokensPerSecond,
      timeToFirstTokenSeconds: p.timeToFirstTokenSeconds,
      bound: p.bound,
    };
    notes.push(
      `Speed is a roofline at ${Math.round((options.efficiency ?? DEFAULT_EFFICIENCY).compute * 100)}% of peak ${p.computeDtype} FLOP/s and ${Math.round((options.efficiency ?? DEFAULT_EFFICIENCY).memory * 100)}% of memory bandwidth; decode is measured at a full ${ctx}-token context.`,
    );
  } else notes.push("No GPU named (hardware.memoryBytes only): speed is not estimated.");
  let speculative: Estimate["speculative"];
  if (options.speculative) {
    if (!gpu)
      throw new MemlensError(
        "invalid-value",
        "speculative decoding speed needs a GPU from the catalog",
        "hardware.gpu",
      );
    const x = scenarioRooflineInput(input, mem.kvLayout, scenario.batch, ctx, options);
    const sp = speculativePerformance(x, options.speculative);
    const tp = scenario.parallel.tensor;
    speculative = {
      ...sp,
      draftWeightBytesPerDevice: Math.ceil(sp.draftWeightBytes / tp),
      draftKvBytesPerTokenPerDevice: Math.ceil(sp.draftKvBytesPerToken / tp),
    };
    notes.push(
      `Speculative decoding (${sp.method}, k = ${sp.numSpeculativeTokens}, acceptance ${sp.acceptanceRate}): ${sp.expectedTokensPerStep.toFixed(2)} tokens per sequence per step (Leviathan et al. 2023), ${sp.decodeTokensPerSecond.toFixed(1)} tokens/s against ${performance.decodeTokensPerSecond.toFixed(1)} without. The drafter's weights and KV (speculative.draft*) are not yet taken from the devices' totals or the KV pool.`,
    );
  }

  // Defaults filled in: the weight format and KV dtype the engine resolved (set on the fresh JSON
  // copy: a key it has keeps its place, a new one goes last, as an object spread would).
  const echoed =
    parsedJson !== undefined && scenario === parsed
      ? (JSON.parse(parsedJson) as Record<string, unknown>)
      : scenarioToJson(scenario);
  echoed.weights = weightFormatName(format);
  echoed.kvCache =
    mem.kvLayout.kDtype === mem.kvLayout.vDtype
      ? mem.kvLayout.kDtype
      : `${mem.kvLayout.kDtype}/${mem.kvLayout.vDtype}`;
  const answer: Estimate = {
    memlensVersion: MEMLENS_VERSION,
    scenario: echoed,
    model: estimateModel(spec),
    devices,
    engine: engine.toJson(mem.report),
    performance,
    fits,
    maxContextLength,
    maxConcurrentSequences,
    kvBytesPerToken: kvPerToken,
    ...(speculative && { speculative }),
    notes,
  };
  return { estimate: answer, report: mem.report, issues: mem.issues };
}

/** Why a device's capacity is below its marketed size (the driver's reported total). */
function reportedCapacityNote(engine: string, gpu: GpuSpec, capacity: number): string {
  const gib = (b: number) => (b / 2 ** 30).toFixed(2);
  const how =
    engine === "llama.cpp"
      ? "llama.cpp fits its buffers into the free memory the driver reports"
      : `${engine} runs in the reported total less what is already in use`;
  return `Capacity per GPU is the ${gib(capacity)} GiB the driver reports as total on the ${gpu.id}, not its ${gib(gpu.memoryBytes)} GiB marketed size: ${how}.`;
}

/** Pool-sizing engines (vLLM, SGLang) fit a context only when their KV pool holds one sequence of it. */
const poolHolds = (m: EngineResult<EngineReport>, ctx: number): boolean =>
  m.kvPoolTokens === undefined || m.kvPoolTokens >= ctx;

/**
 * Whether `batch` sequences of `contextLength` tokens fit the engine on the input's devices: what
 * estimate() searches for its largest context and concurrency (and `whatFits` for its sweep). A
 * lower bound over capacity refuses the probe without building the engine's full answer.
 */
export function engineFitsAt(
  engine: Engine<EngineReport>,
  input: EngineInput,
  contextLength: number,
  batch: number,
): boolean {
  const cap = input.capacityBytes;
  if (engine.lowerBound?.(input, contextLength, batch).some((b) => b > cap)) return false;
  const m = engine.memory(input, contextLength, batch);
  return m.devices.every((d) => d.total <= cap) && poolHolds(m, contextLength);
}

/**
 * Roofline speed of a scenario's engine input at `contextLength` tokens × `batch` sequences (the
 * `performance` of estimate()); the input must name a GPU.
 */
export function scenarioPerformance(
  input: EngineInput,
  kvLayout: KvLayoutOptions,
  batch: number,
  contextLength: number,
  options: Pick<EstimateOptions, "efficiency" | "promptTokens"> = {},
): PerformanceEstimate {
  return estimatePerformance(scenarioRooflineInput(input, kvLayout, batch, contextLength, options));
}

/** The roofline inputs of a scenario's engine input (what `scenarioPerformance` prices). */
export function scenarioRooflineInput(
  input: EngineInput,
  kvLayout: KvLayoutOptions,
  batch: number,
  contextLength: number,
  options: Pick<EstimateOptions, "efficiency" | "promptTokens"> = {},
): RooflineInput {
  const { spec, format, gpu } = input;
  if (!gpu) throw new MemlensError("invalid-value", "speed needs a GPU from the catalog", "hardware.gpu");
  const weights = estimateWeights(spec, format);
  // Average KV bytes a decode step reads per token of context, with sliding windows applied.
  const kvReadPerToken = kvReadBytesPerContextToken(kvReadProfile(spec, kvLayout), contextLength);
  const communication = parallelCommunication(spec, gpu.interconnect, input.scenario.parallel);
  return {
    ...(communication && { communication }),
    spec,
    gpu,
    format,
    weightBytes: weights.totalBytes,
    expertBytes: weights.expertBytes,
    embeddingBytes: weights.embeddingBytes,
    kvBytesPerToken: kvReadPerToken,
    batch,
    contextTokens: contextLength,
    promptTokens: options.promptTokens ?? contextLength,
    tensorParallel: input.scenario.parallel.tensor,
    efficiency: options.efficiency ?? DEFAULT_EFFICIENCY,
  };
}
