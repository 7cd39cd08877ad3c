/** `memlens simulate`'s flags → core's simulator inputs: KV storage and eviction, disaggregation, workload, calibration. */
import { describeAllowed, MemlensError } from "@memlens/core";
import {
  type ArrivalProcess,
  generateWorkload,
  type KvEviction,
  type KvStorage,
  type KvStorageDtype,
  kvStorageOfDtype,
  type LengthDistribution,
  type LinearStepCoefficients,
  parseTrace,
  TRACE_FORMATS,
  type TraceFormat,
  type WorkloadRequest,
  withArrivals,
} from "@memlens/core/sim";
import { intFlag, numberFlag, type parseFlags } from "../../args.js";
import { readJsonFile, readTextFile } from "../../io.js";

export const FLAGS = {
  model: { type: "string" },
  gpu: { type: "string" },
  engine: { type: "string" },
  tp: { type: "string" },
  dp: { type: "string" },
  router: { type: "string" },
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
const ARRIVALS = ["poisson", "gamma", "constant", "all-at-once"] as const;
export const KV_MANAGERS = ["paged", "contiguous", "radix"] as const;
/** core's KvEviction kinds (sim/kv-policy.ts). */
export const KV_EVICTIONS = ["none", "streaming-llm", "h2o", "snapkv"] as const;

/** Largest trace file memlens reads whole: far above the public traces (Azure conv 2023: 0.7 MB). */
export const MAX_TRACE_BYTES = 256 * 1024 * 1024;

export function oneOf<T extends string>(
  v: string | undefined,
  flag: string,
  allowed: readonly T[],
): T | undefined {
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

export function withFlag<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    const flag = e instanceof MemlensError && e.field !== undefined ? FLAG_OF_FIELD[e.field] : undefined;
    if (e instanceof MemlensError && flag)
      throw new MemlensError(e.code, `${flag}: ${e.message}`, flag, e.allowed);
    throw e;
  }
}

export type Values = ReturnType<typeof parseFlags<typeof FLAGS>>["values"];

/** A flag that only means something alongside another choice: refuse it elsewhere rather than ignore it. */
export function onlyWith(v: Values, flags: readonly (keyof Values)[], ok: boolean, needs: string): void {
  if (ok) return;
  const given = flags.find((f) => v[f] !== undefined);
  if (given !== undefined)
    throw new MemlensError("invalid-value", `--${given} applies only with ${needs}`, `--${given}`);
}

/** `--kv-dtype` plus `--kv-group-size` / `--kivi-residual-tokens` → core's KvStorage. */
export function storageFromFlags(v: Values, d: KvStorageDtype): KvStorage {
  onlyWith(v, ["kv-group-size"], d === "int8" || d === "int4" || d === "kivi2", "--kv-dtype int8|int4|kivi2");
  onlyWith(v, ["kivi-residual-tokens"], d === "kivi2", "--kv-dtype kivi2");
  const groupSize = intFlag(v["kv-group-size"], "--kv-group-size", 1, 65536);
  const residualTokens =
    d === "kivi2" ? intFlag(v["kivi-residual-tokens"], "--kivi-residual-tokens", 0, 2 ** 31) : undefined;
  return kvStorageOfDtype(d, {
    ...(groupSize !== undefined ? { groupSize } : {}),
    ...(residualTokens !== undefined ? { residualTokens } : {}),
  });
}

/** `--kv-eviction` and its budget flags → core's KvEviction (each flag checked against the policy). */
export function evictionFromFlags(v: Values): KvEviction {
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

export function disaggregationFromFlags(v: Values, engine: string, tp: number): DisaggregationSummary | null {
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

export interface WorkloadOut {
  readonly requests: WorkloadRequest[];
  readonly describe: Record<string, unknown>;
  readonly notes: string[];
}

export function workloadFromFlags(v: Values): WorkloadOut {
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

const COEFFICIENTS = ["a", "b", "c", "d", "e"] as const;

/** `--calibration FILE`: linear step coefficients (JSON), each a finite number ≥ 0; e optional. */
export function readCalibration(path: string): LinearStepCoefficients {
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
