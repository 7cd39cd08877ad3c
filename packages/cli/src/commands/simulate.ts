import {
  describeAllowed,
  type Estimate,
  estimate,
  findGpu,
  formatCount,
  formatDecimalBytes,
  formatRate,
  formatSeconds,
  type GpuSpec,
  kvBytesPerToken,
  kvShareOfRank,
  MEMLENS_VERSION,
  MemlensError,
  parseWeightFormat,
} from "@memlens/core";
import {
  type ArrivalProcess,
  generateWorkload,
  type KvEviction,
  type KvStorage,
  kvBitsPerElement,
  type LengthDistribution,
  type LinearStepCoefficients,
  linearStepTime,
  parseTrace,
  type ServingMetrics,
  type SimulationResult,
  simulateServing,
  TRACE_FORMATS,
  type TraceFormat,
  type WorkloadRequest,
  withArrivals,
} from "@memlens/core/sim";
import { intFlag, numberFlag, parseFlags } from "../args.js";
import { type CliIo, readJsonFile, readTextFile, styler } from "../io.js";
import { resolveModelFlag } from "./model-ref.js";
import { type StepTimeSummary, stepTimeFromModel } from "./simulate-step-time.js";

const HELP = `memlens simulate: serve a workload on a simulated engine (paged KV, continuous batching,
prefix caching); throughput and TTFT / TPOT / end-to-end latency

  memlens simulate --model ID|CONFIG.json --gpu ID --workload FILE [options] [--json]
  memlens simulate --model ID --gpu ID --requests N --rate R --input-len N --output-len N [options]

Engine:
  --engine vllm|static          vLLM v1 continuous batching (default) or static batching
  --tp N                        tensor-parallel GPUs (default 1)
  --max-num-seqs N              (default 256; static: the batch size)
  --max-num-batched-tokens N    token budget per step (default: vLLM's for the GPU)
  --max-model-len N             longer requests are rejected (default: the model's context)
  --block-size N                tokens per KV block (default 16)
  --enable-prefix-caching / --no-enable-prefix-caching   (default on, as vLLM v1)
  --kv-dtype auto|bf16|fp16|fp8|int8|int4|kivi2   KV storage (default auto)
  --kv-group-size N             int8|int4|kivi2: values per 16-bit scale group (default 32)
  --kivi-residual-tokens N      kivi2: most recent tokens kept at 16 bits (default 32, KIVI's residual_length)
  --gpu-memory-utilization F    (default 0.9)   --engine-version V (vLLM release, e.g. 0.19.0)
  --weights FORMAT              bf16, fp8, awq... (default: the checkpoint's)
  --num-gpu-blocks N            override the KV pool (default: core's vLLM start-up estimate)
  --kv-manager paged|contiguous|radix   vLLM's block pool (default), max-length reservation, SGLang's radix cache
  --no-enable-chunked-prefill   --long-prefill-token-threshold N
  --calibration FILE            step time from fitted coefficients {"a","b","c","d"[,"e"]} (seconds:
                                per step, per prefill token, per decoding sequence, per KV token read
                                [, per prefill query·key pair]) instead of the roofline
KV eviction (paged KV only; turns prefix caching off, as retained tokens differ per request):
  --kv-eviction none|streaming-llm|h2o|snapkv   (default none)
  --kv-sink-tokens N            streaming-llm: attention sinks kept (default 4)
  --kv-window-tokens N          streaming-llm: recent tokens kept (required)
  --kv-budget-tokens N          h2o: tokens held after prefill; snapkv: prompt tokens kept after prefill
  --kv-budget-ratio F           h2o: budget as a fraction of the prompt (0-1], instead of --kv-budget-tokens
Disaggregated prefill/decode (vllm engine): one prefill and one decode engine, each of --tp GPUs
with its own KV pool, the prompt's KV sent between them:
  --disaggregate                --transfer-bytes-per-second B (required, e.g. 25e9)
  --transfer-latency-seconds S  fixed latency per KV transfer (default 0)
Workload (a file, or generated):
  --workload FILE [--format ${TRACE_FORMATS.join("|")}]
  --requests N --input-len N --output-len N [--length-sigma S] [--rate R]
  [--arrival poisson|gamma|constant|all-at-once] [--cv X] [--shared-prefix N --prefix-groups G]
  --seed S                      (default 0; also gives arrivals to a length-only trace with --rate)

--json prints {memlensVersion, scenario (with kvStorage, kvEviction, disaggregation), workload, kvPool, stepTime, metrics, timeSeries, notes}; metrics are
throughputTokensPerSecond, ttftSeconds, tpotSeconds, e2eSeconds ({mean,p50,p90,p99}), kvCacheBlocks,
prefixCacheHitRate, preemptions and the rest of the simulator's ServingMetrics.
`;

const FLAGS = {
  model: { type: "string" },
  gpu: { type: "string" },
  engine: { type: "string" },
  tp: { type: "string" },
  "max-num-seqs": { type: "string" },
  "max-num-batched-tokens": { type: "string" },
  "max-model-len": { type: "string" },
  "block-size": { type: "string" },
  "enable-prefix-caching": { type: "boolean" },
  "no-enable-prefix-caching": { type: "boolean" },
  "kv-dtype": { type: "string" },
  "kv-group-size": { type: "string" },
  "kivi-residual-tokens": { type: "string" },
  "kv-eviction": { type: "string" },
  "kv-sink-tokens": { type: "string" },
  "kv-window-tokens": { type: "string" },
  "kv-budget-tokens": { type: "string" },
  "kv-budget-ratio": { type: "string" },
  disaggregate: { type: "boolean" },
  "transfer-bytes-per-second": { type: "string" },
  "transfer-latency-seconds": { type: "string" },
  "gpu-memory-utilization": { type: "string" },
  "engine-version": { type: "string" },
  weights: { type: "string" },
  "num-gpu-blocks": { type: "string" },
  "kv-manager": { type: "string" },
  "no-enable-chunked-prefill": { type: "boolean" },
  "long-prefill-token-threshold": { type: "string" },
  calibration: { type: "string" },
  workload: { type: "string" },
  format: { type: "string" },
  requests: { type: "string" },
  "input-len": { type: "string" },
  "output-len": { type: "string" },
  "length-sigma": { type: "string" },
  rate: { type: "string" },
  arrival: { type: "string" },
  cv: { type: "string" },
  "shared-prefix": { type: "string" },
  "prefix-groups": { type: "string" },
  seed: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const SIMULATE_ENGINES = ["vllm", "static"] as const;
export const SIMULATE_KV_DTYPES = ["auto", "bf16", "fp16", "fp8", "int8", "int4", "kivi2"] as const;
type SimKvDtype = (typeof SIMULATE_KV_DTYPES)[number];
const ARRIVALS = ["poisson", "gamma", "constant", "all-at-once"] as const;
export const KV_MANAGERS = ["paged", "contiguous", "radix"] as const;
/** core's KvEviction kinds (sim/kv-policy.ts). */
export const KV_EVICTIONS = ["none", "streaming-llm", "h2o", "snapkv"] as const;
/** vLLM's own --kv-cache-dtype values: the start-up estimate sizes the pool in these directly. */
const VLLM_KV_DTYPES: readonly SimKvDtype[] = ["auto", "bf16", "fp16", "fp8"];

/** Largest trace file memlens reads whole: far above the public traces (Azure conv 2023: 0.7 MB). */
export const MAX_TRACE_BYTES = 256 * 1024 * 1024;

function oneOf<T extends string>(v: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new MemlensError(
      "invalid-value",
      `${flag} must be one of ${describeAllowed(allowed)}, got "${v}"`,
      flag,
      allowed,
    );
  return v as T;
}

/** Scenario fields of core's estimate, by the flag they came from (errors name the flag). */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  "model.id": "--model",
  "hardware.gpu": "--gpu",
  "hardware.count": "--tp",
  "parallel.tensor": "--tp",
  contextLength: "--max-model-len",
  batch: "--max-num-seqs",
  kvCache: "--kv-dtype",
  weights: "--weights",
  "engineOptions.blockSize": "--block-size",
  "engineOptions.gpuMemoryUtilization": "--gpu-memory-utilization",
  "engineOptions.maxNumBatchedTokens": "--max-num-batched-tokens",
  "engineOptions.engineVersion": "--engine-version",
};

function withFlag<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    const flag = e instanceof MemlensError && e.field !== undefined ? FLAG_OF_FIELD[e.field] : undefined;
    if (e instanceof MemlensError && flag)
      throw new MemlensError(e.code, `${flag}: ${e.message}`, flag, e.allowed);
    throw e;
  }
}

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>["values"];

/** A flag that only means something alongside another choice: refuse it elsewhere rather than ignore it. */
function onlyWith(v: Values, flags: readonly (keyof Values)[], ok: boolean, needs: string): void {
  if (ok) return;
  const given = flags.find((f) => v[f] !== undefined);
  if (given !== undefined)
    throw new MemlensError("invalid-value", `--${given} applies only with ${needs}`, `--${given}`);
}

/** `--kv-dtype` plus `--kv-group-size` / `--kivi-residual-tokens` → core's KvStorage. */
function storageFromFlags(v: Values, d: SimKvDtype): KvStorage {
  onlyWith(v, ["kv-group-size"], d === "int8" || d === "int4" || d === "kivi2", "--kv-dtype int8|int4|kivi2");
  onlyWith(v, ["kivi-residual-tokens"], d === "kivi2", "--kv-dtype kivi2");
  const groupSize = intFlag(v["kv-group-size"], "--kv-group-size", 1, 65536);
  const group = groupSize !== undefined ? { groupSize } : {};
  switch (d) {
    case "auto":
    case "bf16":
    case "fp16":
      return { kind: "bf16" };
    case "fp8":
      return { kind: "fp8" };
    case "int8":
      return { kind: "int8", ...group };
    case "int4":
      return { kind: "int4", ...group };
    case "kivi2": {
      const residualTokens = intFlag(v["kivi-residual-tokens"], "--kivi-residual-tokens", 0, 2 ** 31);
      return { kind: "kivi2", ...group, ...(residualTokens !== undefined ? { residualTokens } : {}) };
    }
  }
}

/** `--kv-eviction` and its budget flags → core's KvEviction (each flag checked against the policy). */
function evictionFromFlags(v: Values): KvEviction {
  const kind = oneOf(v["kv-eviction"], "--kv-eviction", KV_EVICTIONS) ?? "none";
  const policy = (k: string) => `--kv-eviction ${k}`;
  onlyWith(v, ["kv-sink-tokens", "kv-window-tokens"], kind === "streaming-llm", policy("streaming-llm"));
  onlyWith(v, ["kv-budget-tokens"], kind === "h2o" || kind === "snapkv", policy("h2o|snapkv"));
  onlyWith(v, ["kv-budget-ratio"], kind === "h2o", policy("h2o"));
  const budgetTokens = intFlag(v["kv-budget-tokens"], "--kv-budget-tokens", 1, 2 ** 31);
  switch (kind) {
    case "none":
      return { kind };
    case "streaming-llm": {
      const windowTokens = intFlag(v["kv-window-tokens"], "--kv-window-tokens", 1, 2 ** 31);
      if (windowTokens === undefined)
        throw new MemlensError(
          "missing-field",
          "--kv-window-tokens N (recent tokens kept) is needed with --kv-eviction streaming-llm",
          "--kv-window-tokens",
        );
      const sinkTokens = intFlag(v["kv-sink-tokens"], "--kv-sink-tokens", 0, 2 ** 31);
      return { kind, windowTokens, ...(sinkTokens !== undefined ? { sinkTokens } : {}) };
    }
    case "h2o": {
      const budgetRatio = numberFlag(v["kv-budget-ratio"], "--kv-budget-ratio", 0, 1, true);
      if ((budgetTokens === undefined) === (budgetRatio === undefined))
        throw new MemlensError(
          budgetTokens === undefined ? "missing-field" : "invalid-value",
          "--kv-eviction h2o needs one of --kv-budget-tokens N or --kv-budget-ratio F",
          "--kv-budget-tokens",
        );
      return budgetTokens !== undefined ? { kind, budgetTokens } : { kind, budgetRatio: budgetRatio! };
    }
    case "snapkv":
      if (budgetTokens === undefined)
        throw new MemlensError(
          "missing-field",
          "--kv-budget-tokens N (prompt tokens kept after prefill) is needed with --kv-eviction snapkv",
          "--kv-budget-tokens",
        );
      return { kind, budgetTokens };
  }
}

/** What `--disaggregate` ran: one prefill and one decode engine (core's DisaggregationOptions). */
export interface DisaggregationSummary {
  readonly prefillGpus: number;
  readonly decodeGpus: number;
  readonly transferBytesPerSecond: number;
  readonly transferLatencySeconds: number;
}

function disaggregationFromFlags(v: Values, engine: string, tp: number): DisaggregationSummary | null {
  onlyWith(
    v,
    ["transfer-bytes-per-second", "transfer-latency-seconds"],
    v.disaggregate === true,
    "--disaggregate",
  );
  if (v.disaggregate !== true) return null;
  if (engine !== "vllm")
    throw new MemlensError(
      "invalid-value",
      `--disaggregate needs --engine vllm (core's prefill/decode split runs vLLM's scheduler), got --engine ${engine}`,
      "--disaggregate",
      ["vllm"],
    );
  const bw = numberFlag(v["transfer-bytes-per-second"], "--transfer-bytes-per-second", 0, 1e15, true);
  if (bw === undefined)
    throw new MemlensError(
      "missing-field",
      "--transfer-bytes-per-second B (KV link bandwidth, bytes/s; e.g. 25e9 for 200 Gb/s InfiniBand) is needed with --disaggregate",
      "--transfer-bytes-per-second",
    );
  const latency = numberFlag(v["transfer-latency-seconds"], "--transfer-latency-seconds", 0, 3600) ?? 0;
  return { prefillGpus: tp, decodeGpus: tp, transferBytesPerSecond: bw, transferLatencySeconds: latency };
}

interface WorkloadOut {
  readonly requests: WorkloadRequest[];
  readonly describe: Record<string, unknown>;
  readonly notes: string[];
}

function workloadFromFlags(v: Values): WorkloadOut {
  const seed = intFlag(v.seed, "--seed", 0, 2 ** 32 - 1) ?? 0;
  const rate = numberFlag(v.rate, "--rate", 0, 1e9, true);
  const generatedFlags = ["requests", "input-len", "output-len", "length-sigma", "shared-prefix"] as const;
  const generated = generatedFlags.filter((k) => v[k] !== undefined);
  if (v.workload !== undefined && generated.length > 0)
    throw new MemlensError(
      "invalid-value",
      `--workload cannot be combined with --${generated[0]}; give a trace file or a generated workload`,
      "--workload",
    );
  if (v.workload !== undefined) {
    const format = oneOf<TraceFormat>(v.format, "--format", TRACE_FORMATS);
    const text = readTextFile(v.workload, "--workload", MAX_TRACE_BYTES);
    let parsed: ReturnType<typeof parseTrace>;
    try {
      parsed = parseTrace(text, format);
    } catch (e) {
      if (e instanceof MemlensError && e.field === "format")
        throw new MemlensError(
          e.code,
          `--workload: cannot tell the format of "${v.workload}" from its first line; give --format ${TRACE_FORMATS.join("|")}`,
          "--format",
          TRACE_FORMATS,
        );
      if (e instanceof MemlensError)
        throw new MemlensError(
          e.code,
          `--workload: ${v.workload}: ${e.message}`,
          e.field === "format" ? "--format" : "--workload",
          e.allowed,
        );
      throw e;
    }
    const notes: string[] = [];
    let requests = parsed.requests;
    let arrivals = "from the trace";
    if (!parsed.hasArrivals) {
      if (rate !== undefined) {
        requests = withArrivals(requests, { kind: "poisson", ratePerSecond: rate }, seed);
        arrivals = `Poisson at ${rate} req/s (seed ${seed})`;
      } else arrivals = "all at t = 0 (the trace has no timestamps; give --rate for Poisson arrivals)";
      notes.push(`Arrivals: ${arrivals}.`);
    } else if (rate !== undefined)
      throw new MemlensError(
        "invalid-value",
        `--rate applies to generated workloads and length-only traces; ${parsed.format} has its own timestamps`,
        "--rate",
      );
    return {
      requests,
      describe: {
        source: "file",
        path: v.workload,
        format: parsed.format,
        requests: requests.length,
        arrivals,
      },
      notes,
    };
  }
  const n = intFlag(v.requests, "--requests", 1, 10_000_000);
  if (n === undefined)
    throw new MemlensError(
      "missing-field",
      "workload: give --workload FILE or a generated workload (--requests N --input-len N --output-len N --rate R)",
      "--workload",
    );
  const inputLen = intFlag(v["input-len"], "--input-len", 1, 10_000_000);
  const outputLen = intFlag(v["output-len"], "--output-len", 1, 10_000_000);
  if (inputLen === undefined || outputLen === undefined)
    throw new MemlensError(
      "missing-field",
      `${inputLen === undefined ? "--input-len" : "--output-len"} is needed with --requests`,
      inputLen === undefined ? "--input-len" : "--output-len",
    );
  const sigma = numberFlag(v["length-sigma"], "--length-sigma", 0, 5, true);
  const length = (tokens: number): LengthDistribution =>
    sigma === undefined ? { kind: "fixed", tokens } : { kind: "lognormal", median: tokens, sigma, min: 1 };
  const arrivalKind =
    oneOf(v.arrival, "--arrival", ARRIVALS) ?? (rate === undefined ? "all-at-once" : "poisson");
  let arrival: ArrivalProcess;
  if (arrivalKind === "all-at-once") arrival = { kind: "all-at-once" };
  else {
    if (rate === undefined)
      throw new MemlensError(
        "missing-field",
        `--rate R (requests per second) is needed with --arrival ${arrivalKind}`,
        "--rate",
      );
    arrival =
      arrivalKind === "gamma"
        ? { kind: "gamma", ratePerSecond: rate, cv: numberFlag(v.cv, "--cv", 0, 100, true) ?? 2 }
        : { kind: arrivalKind, ratePerSecond: rate };
  }
  const sharedTokens = intFlag(v["shared-prefix"], "--shared-prefix", 1, 10_000_000);
  const groups = intFlag(v["prefix-groups"], "--prefix-groups", 1, 1_000_000) ?? 1;
  const w = {
    requests: n,
    arrival,
    promptTokens: length(inputLen),
    outputTokens: length(outputLen),
    seed,
    ...(sharedTokens !== undefined ? { sharedPrefix: { tokens: sharedTokens, groups } } : {}),
  };
  return { requests: generateWorkload(w), describe: { source: "generated", ...w }, notes: [] };
}

/** Everything `memlens simulate --json` prints. */
export interface SimulateReport {
  readonly memlensVersion: string;
  readonly scenario: {
    readonly model: string;
    readonly gpu: string;
    readonly tp: number;
    readonly engine: (typeof SIMULATE_ENGINES)[number];
    readonly engineVersion: string | undefined;
    readonly weights: string | undefined;
    readonly maxNumSeqs: number;
    readonly maxNumBatchedTokens: number;
    readonly maxModelLen: number;
    readonly blockSize: number;
    readonly enablePrefixCaching: boolean;
    readonly kvDtype: SimKvDtype;
    /** The storage format simulated (core's KvStorage; group size and KIVI residual when given). */
    readonly kvStorage: KvStorage;
    /** Token eviction in the loop (core's KvEviction); `{kind: "none"}` keeps every token. */
    readonly kvEviction: KvEviction;
    /** Prefill/decode split, or null for one engine doing both. */
    readonly disaggregation: DisaggregationSummary | null;
    readonly gpuMemoryUtilization: number;
  };
  readonly workload: Record<string, unknown>;
  readonly kvPool: {
    /** Blocks per engine (with --disaggregate, each of the two engines has this many). */
    readonly numGpuBlocks: number;
    readonly source: "estimate" | "--num-gpu-blocks";
    readonly estimatedNumGpuBlocks: number | undefined;
    readonly kvBytesPerTokenPerGpu: number;
  };
  readonly stepTime:
    | StepTimeSummary
    | { readonly kind: "linear"; readonly coefficients: LinearStepCoefficients; readonly source: string };
  readonly metrics: ServingMetrics;
  /** Thinned series (≤ 256 points): time (s), KV usage (0–1), running and waiting requests. */
  readonly timeSeries: SimulationResult["timeSeries"];
  readonly notes: readonly string[];
}

const COEFFICIENTS = ["a", "b", "c", "d", "e"] as const;

/** `--calibration FILE`: linear step coefficients (JSON), each a finite number ≥ 0; e optional. */
function readCalibration(path: string): LinearStepCoefficients {
  const raw = readJsonFile(path, "--calibration");
  const o = (typeof raw === "object" && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<
    string,
    unknown
  >;
  const c = (typeof o.coefficients === "object" && o.coefficients !== null ? o.coefficients : o) as Record<
    string,
    unknown
  >;
  const out: Record<string, number> = {};
  for (const k of COEFFICIENTS) {
    const x = c[k];
    if (x === undefined && k === "e") continue;
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0)
      throw new MemlensError(
        "malformed-file",
        `--calibration: "${path}" needs numbers ≥ 0 for ${COEFFICIENTS.slice(0, 4).join(", ")} (and optionally e), seconds; "${k}" is ${JSON.stringify(x)}`,
        "--calibration",
      );
    out[k] = x;
  }
  return out as unknown as LinearStepCoefficients;
}

/** Parses flags, sizes the KV pool with core's vLLM estimate, simulates, reports. */
export function simulateFromArgs(
  argv: readonly string[],
  onProgress?: (fraction: number) => void,
): SimulateReport {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.model === undefined)
    throw new MemlensError("missing-field", "--model ID is needed (see `memlens models`)", "--model");
  if (v.gpu === undefined)
    throw new MemlensError("missing-field", "--gpu ID is needed (see `memlens gpus`)", "--gpu");
  const gpu: GpuSpec = findGpu(v.gpu, "--gpu");
  const { spec, ref } = resolveModelFlag(v.model);
  const engine = oneOf(v.engine, "--engine", SIMULATE_ENGINES) ?? "vllm";
  const tp = intFlag(v.tp, "--tp", 1, 1024) ?? 1;
  const maxNumSeqs = intFlag(v["max-num-seqs"], "--max-num-seqs", 1, 1 << 20) ?? 256;
  const mnbtFlag = intFlag(v["max-num-batched-tokens"], "--max-num-batched-tokens", 1, 2 ** 24);
  const maxModelLen =
    intFlag(v["max-model-len"], "--max-model-len", 1, 2 ** 31) ??
    spec.maxPositionEmbeddings ??
    (() => {
      throw new MemlensError(
        "missing-field",
        `--max-model-len is needed: ${spec.id} does not state its context`,
        "--max-model-len",
      );
    })();
  const blockSize = intFlag(v["block-size"], "--block-size", 1, 4096) ?? 16;
  if (v["enable-prefix-caching"] && v["no-enable-prefix-caching"])
    throw new MemlensError(
      "invalid-value",
      "--enable-prefix-caching and --no-enable-prefix-caching contradict each other; give one",
      "--enable-prefix-caching",
    );
  const kvDtype = oneOf(v["kv-dtype"], "--kv-dtype", SIMULATE_KV_DTYPES) ?? "auto";
  const storage = storageFromFlags(v, kvDtype);
  const eviction = evictionFromFlags(v);
  // core's PagedKvManager: any eviction policy turns prefix caching off (retained tokens differ per request).
  const enablePrefixCaching = v["no-enable-prefix-caching"] !== true && eviction.kind === "none";
  const util = numberFlag(v["gpu-memory-utilization"], "--gpu-memory-utilization", 0, 1, true) ?? 0.9;
  const numGpuBlocksFlag = intFlag(v["num-gpu-blocks"], "--num-gpu-blocks", 2, 2 ** 31);
  const manager = oneOf(v["kv-manager"], "--kv-manager", KV_MANAGERS) ?? "paged";
  if (manager !== "paged" && eviction.kind !== "none")
    throw new MemlensError(
      "invalid-value",
      `--kv-eviction ${eviction.kind} needs --kv-manager paged (core evicts blocks from the paged pool only), got --kv-manager ${manager}`,
      "--kv-eviction",
      ["none"],
    );
  onlyWith(v, ["kivi-residual-tokens"], manager === "paged", "--kv-manager paged");
  const disaggregation = disaggregationFromFlags(v, engine, tp);
  const longPrefill = intFlag(
    v["long-prefill-token-threshold"],
    "--long-prefill-token-threshold",
    0,
    2 ** 31,
  );
  const calibration = v.calibration !== undefined ? readCalibration(v.calibration) : undefined;
  const format = withFlag(() => parseWeightFormat(v.weights, spec, "--weights"));
  const work = workloadFromFlags(v);
  const notes: string[] = [...work.notes];
  if (eviction.kind !== "none" && v["no-enable-prefix-caching"] !== true)
    notes.push(
      `Prefix caching is off under --kv-eviction ${eviction.kind}: retained tokens differ per request.`,
    );
  if (disaggregation)
    notes.push(
      `Disaggregated: a prefill and a decode engine, each ${tp}× ${gpu.id} with its own KV pool of the size below (${2 * tp} GPUs in all); the prompt's KV crosses the link after prefill.`,
    );

  // The KV pool: core's vLLM start-up estimate for these settings (batch is max_num_seqs, engines/vllm.ts).
  const startupKv = VLLM_KV_DTYPES.includes(kvDtype) ? kvDtype : "auto";
  const scenario = {
    model: ref,
    engine: "vllm",
    hardware: { gpu: gpu.id, count: tp },
    parallel: { tensor: tp },
    contextLength: maxModelLen,
    batch: maxNumSeqs,
    kvCache: startupKv,
    ...(v.weights !== undefined ? { weights: v.weights } : {}),
    engineOptions: {
      gpuMemoryUtilization: util,
      blockSize,
      enablePrefixCaching,
      ...(mnbtFlag !== undefined ? { maxNumBatchedTokens: mnbtFlag } : {}),
      ...(v["engine-version"] !== undefined ? { engineVersion: v["engine-version"] } : {}),
    },
  };
  const est: Estimate = withFlag(() => estimate(scenario, { modelSpec: spec }));
  const eng = est.engine as Record<string, unknown>;
  const num = (k: string): number | undefined =>
    typeof eng[k] === "number" ? (eng[k] as number) : undefined;
  const estimatedBlocks = num("numGpuBlocks");
  const maxNumBatchedTokens = mnbtFlag ?? num("maxNumBatchedTokens") ?? 2048;
  const weightBytesPerGpu = num("weightsBytes") ?? est.devices[0]?.bytes.weights ?? 0;
  const engineVersion = typeof eng.engineVersion === "string" ? eng.engineVersion : undefined;

  // KV bytes per token at 16 bits on one GPU: all layers, this rank's share of the KV heads.
  const kv16PerGpu =
    kvBytesPerToken(spec, {
      kDtype: "bf16",
      vDtype: "bf16",
      mla: "latent",
      recurrent: "hf",
      recurrentDtypeBytes: 2,
    }) * kvShareOfRank(spec, tp);
  let numGpuBlocks: number;
  let memoryBytes: number | undefined;
  if (numGpuBlocksFlag !== undefined) numGpuBlocks = numGpuBlocksFlag;
  else {
    if (estimatedBlocks === undefined || estimatedBlocks < 2)
      throw new MemlensError(
        "invalid-value",
        `--gpu: ${spec.id} on ${tp}× ${gpu.id} leaves no KV cache after the weights (${estimatedBlocks ?? 0} blocks); raise --tp, pick a larger GPU or quantize with --weights`,
        "--gpu",
      );
    numGpuBlocks = estimatedBlocks;
    if (!VLLM_KV_DTYPES.includes(kvDtype)) {
      // Not a vLLM dtype: the same pool memory, cut into blocks of the smaller format by the simulator.
      memoryBytes = num("kvCacheBytes");
      notes.push(
        `--kv-dtype ${kvDtype} is not a vLLM --kv-cache-dtype: the pool is vLLM's 16-bit KV memory re-cut at ${kvBitsPerElement(storage)} bits per element.`,
      );
    }
  }
  if (est.fits === false && numGpuBlocksFlag === undefined)
    notes.push(
      `vLLM would refuse to start: max-model-len ${maxModelLen} needs more KV than the pool holds (${est.maxContextLength ?? 0} tokens); requests longer than the pool are rejected.`,
    );
  const { model: stepTime, summary } = stepTimeFromModel({
    spec,
    gpu,
    format,
    weightBytesPerGpu,
    kvBytesPerTokenPerGpu: (kv16PerGpu * kvBitsPerElement(storage)) / 16,
    tensorParallel: tp,
  });
  if (calibration) notes.push(`Step time: linear model fitted elsewhere (--calibration ${v.calibration}).`);
  else {
    if (tp > 1) notes.push("Tensor-parallel all-reduce time is not in the step time (roofline per GPU).");
    notes.push(
      `Step time: roofline at ${summary.computeEfficiency} of peak ${summary.computeDtype} FLOP/s and ${summary.memoryEfficiency} of bandwidth, no fixed per-step overhead; real engines add scheduling and launch time.`,
    );
  }

  const result = simulateServing(
    {
      workload: work.requests,
      stepTime: calibration ? linearStepTime(calibration) : stepTime,
      scheduler: engine,
      maxNumSeqs,
      maxNumBatchedTokens,
      maxModelLen,
      enableChunkedPrefill: v["no-enable-chunked-prefill"] !== true,
      ...(longPrefill !== undefined ? { longPrefillTokenThreshold: longPrefill } : {}),
      kvCache: {
        manager,
        ...(memoryBytes !== undefined ? { memoryBytes } : { numGpuBlocks }),
        bytesPerToken: kv16PerGpu,
        blockSize,
        enablePrefixCaching,
        storage,
        eviction,
      },
      ...(disaggregation
        ? {
            disaggregation: {
              transferBytesPerSecond: disaggregation.transferBytesPerSecond,
              transferLatencySeconds: disaggregation.transferLatencySeconds,
            },
          }
        : {}),
    },
    onProgress,
  );
  return {
    memlensVersion: MEMLENS_VERSION,
    scenario: {
      model: spec.id,
      gpu: gpu.id,
      tp,
      engine,
      engineVersion,
      weights: typeof est.scenario.weights === "string" ? est.scenario.weights : undefined,
      maxNumSeqs,
      maxNumBatchedTokens,
      maxModelLen,
      blockSize,
      enablePrefixCaching,
      kvDtype,
      kvStorage: storage,
      kvEviction: eviction,
      disaggregation,
      gpuMemoryUtilization: util,
    },
    workload: work.describe,
    kvPool: {
      numGpuBlocks: result.engines[0]?.kvCacheBlocks ?? result.metrics.kvCacheBlocks,
      source: numGpuBlocksFlag !== undefined ? "--num-gpu-blocks" : "estimate",
      estimatedNumGpuBlocks: estimatedBlocks,
      kvBytesPerTokenPerGpu: summary.kvBytesPerTokenPerGpu,
    },
    stepTime: calibration
      ? { kind: "linear", coefficients: calibration, source: v.calibration ?? "" }
      : summary,
    metrics: result.metrics,
    timeSeries: result.timeSeries,
    notes,
  };
}

/** One line for a storage format: `kivi2 (groups of 32, last 32 tokens at 16 bits)`. */
export function describeKvStorage(dtype: SimKvDtype, k: KvStorage): string {
  switch (k.kind) {
    case "bf16":
    case "fp8":
      return dtype;
    case "int8":
    case "int4":
      return `${dtype} (groups of ${k.groupSize ?? 32})`;
    case "kivi2":
      return `${dtype} (groups of ${k.groupSize ?? 32}, last ${k.residualTokens ?? 32} tokens at 16 bits)`;
  }
}

/** One line for an eviction policy, defaults filled as core fills them (sim/kv-policy.ts). */
export function describeKvEviction(e: KvEviction): string {
  switch (e.kind) {
    case "none":
      return "none (every token kept)";
    case "streaming-llm":
      return `StreamingLLM: ${e.sinkTokens ?? 4} sink + ${e.windowTokens} recent tokens kept`;
    case "h2o":
      return `H2O: ${e.budgetTokens !== undefined ? `${e.budgetTokens} tokens` : `${e.budgetRatio} of the prompt`} kept after prefill`;
    case "snapkv":
      return `SnapKV: prompt compressed to ${e.budgetTokens} tokens after prefill, generated tokens kept`;
  }
}

/** The human-readable report. */
export function renderSimulate(r: SimulateReport, io: CliIo): string {
  const st = styler(io);
  const m = r.metrics;
  const s = r.scenario;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const row = (name: string, l: { mean: number; p50: number; p90: number; p99: number }) =>
    `  ${name.padEnd(10)}${[l.mean, l.p50, l.p90, l.p99].map((x) => formatSeconds(x).padStart(11)).join("")}`;
  const w = r.workload;
  const d = s.disaggregation;
  const lines = [
    st.bold(
      `${s.model} on ${s.tp}× ${s.gpu}: ${s.engine === "vllm" ? `vLLM${s.engineVersion ? ` ${s.engineVersion}` : ""} continuous batching` : "static batching"}`,
    ),
    `workload   ${w.source === "file" ? `${String(w.path)} (${String(w.format)})` : "generated"}, ${formatCount(m.completedRequests + m.rejectedRequests)} requests`,
    `KV pool    ${r.kvPool.numGpuBlocks.toLocaleString("en-US")} blocks × ${s.blockSize} tokens${d ? " per engine" : ""} (${r.kvPool.source === "estimate" ? "core's vLLM start-up estimate" : "--num-gpu-blocks"}), KV ${describeKvStorage(s.kvDtype, s.kvStorage)}, prefix caching ${s.enablePrefixCaching ? "on" : "off"}`,
    `eviction   ${describeKvEviction(s.kvEviction)}`,
    ...(d
      ? [
          `disagg     prefill ${d.prefillGpus}× ${s.gpu} → decode ${d.decodeGpus}× ${s.gpu}, KV transfer ${formatDecimalBytes(d.transferBytesPerSecond)}/s + ${formatSeconds(d.transferLatencySeconds)} per request`,
        ]
      : []),
    `scheduler  max-num-seqs ${s.maxNumSeqs}, max-num-batched-tokens ${s.maxNumBatchedTokens}, max-model-len ${s.maxModelLen}`,
    "",
    st.dim(`  ${"".padEnd(10)}${["mean", "p50", "p90", "p99"].map((h) => h.padStart(11)).join("")}`),
    row("TTFT", m.ttftSeconds),
    row("TPOT", m.tpotSeconds),
    row("E2E", m.e2eSeconds),
    row("queueing", m.queueingSeconds),
    "",
    `throughput ${formatRate(m.throughputTokensPerSecond, "output tok/s")}, ${formatRate(m.totalTokensPerSecond, "tok/s")} in + out, ${m.requestsPerSecond.toFixed(2)} req/s over ${formatSeconds(m.durationSeconds)}`,
    `requests   ${m.completedRequests} completed, ${m.rejectedRequests} rejected, ${m.preemptions} preemptions (${m.preemptedRequests} requests)`,
    `KV cache   usage mean ${pct(m.kvCacheUsage.mean)}, peak ${pct(m.kvCacheUsage.peak)}; prefix-cache hit rate ${pct(m.prefixCacheHitRate)}`,
    ...r.notes.map((n) => st.dim(`note: ${n}`)),
  ];
  return `${lines.join("\n")}\n`;
}

/** `memlens simulate ...`: argv after "simulate" → exit code. */
export async function runSimulate(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(HELP);
    return 0;
  }
  const json = argv.includes("--json");
  const bar = !json && io.stderr.isTTY === true;
  let drawn = -1;
  const onProgress = bar
    ? (f: number) => {
        const cells = Math.round(f * 30);
        if (cells === drawn) return;
        drawn = cells;
        io.stderr.write(
          `\rsimulating [${"#".repeat(cells)}${".".repeat(30 - cells)}] ${Math.round(f * 100)}%`,
        );
      }
    : undefined;
  let report: SimulateReport;
  try {
    report = simulateFromArgs(argv, onProgress);
  } finally {
    if (bar && drawn >= 0) io.stderr.write("\r\u001b[K");
  }
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderSimulate(report, io));
  return 0;
}
