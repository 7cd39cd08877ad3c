import {
  type Estimate,
  findGpu,
  formatCount,
  formatDecimalBytes,
  formatRate,
  formatSeconds,
  type GpuSpec,
  MEMLENS_VERSION,
  MemlensError,
  parseWeightFormat,
} from "@memlens/core";
import {
  KV_STORAGE_DTYPES,
  type KvEviction,
  type KvStorage,
  type KvStorageDtype,
  kvBitsPerElement,
  type LinearStepCoefficients,
  linearStepTime,
  modelStepTime,
  parseRouter,
  type ReplicaMetrics,
  type Router,
  type ServingMetrics,
  type SimulationResult,
  servingSetup,
  simulateServing,
  TRACE_FORMATS,
} from "@memlens/core/sim";
import { intFlag, numberFlag, parseFlags } from "../args.js";
import { type CliIo, progressBar, styler } from "../io.js";
import { resolveModelFlag } from "./model-ref.js";
import {
  type DisaggregationSummary,
  disaggregationFromFlags,
  evictionFromFlags,
  FLAGS,
  KV_MANAGERS,
  oneOf,
  onlyWith,
  readCalibration,
  SIMULATE_ENGINES,
  storageFromFlags,
  withFlag,
  workloadFromFlags,
} from "./simulate/flags.js";
import { type StepTimeSummary, stepTimeSummary } from "./simulate-step-time.js";

const HELP = `memlens simulate: serve a workload on a simulated engine (paged KV, continuous batching,
prefix caching); throughput and TTFT / TPOT / end-to-end latency

  memlens simulate --model ID|CONFIG.json --gpu ID --workload FILE [options] [--json]
  memlens simulate --model ID --gpu ID --requests N --rate R --input-len N --output-len N [options]

Engine:
  --engine vllm|static          vLLM v1 continuous batching (default) or static batching
  --tp N                        tensor-parallel GPUs (default 1)
  --dp N                        data-parallel replicas of --tp GPUs each, its own scheduler and KV pool (default 1)
  --router round-robin|least-requests|prefix-aware   how requests reach the replicas (default round-robin)
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
    readonly kvDtype: KvStorageDtype;
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
  /** With --dp above 1: the replicas, the router and each replica's metrics (same names as `metrics`). */
  readonly fleet?: {
    readonly dp: number;
    readonly router: Router;
    readonly replicas: readonly ReplicaMetrics[];
  };
  /** Thinned series (≤ 256 points): time (s), KV usage (0–1), running and waiting requests. */
  readonly timeSeries: SimulationResult["timeSeries"];
  readonly notes: readonly string[];
}

/** Parses flags, sizes the KV pool with core's vLLM estimate, simulates, reports. */
export async function simulateFromArgs(
  argv: readonly string[],
  io: CliIo,
  onProgress?: (fraction: number) => void,
): Promise<SimulateReport> {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.model === undefined)
    throw new MemlensError("missing-field", "--model ID is needed (see `memlens models`)", "--model");
  if (v.gpu === undefined)
    throw new MemlensError("missing-field", "--gpu ID is needed (see `memlens gpus`)", "--gpu");
  const gpu: GpuSpec = findGpu(v.gpu, "--gpu");
  const { spec, ref } = await resolveModelFlag(v.model, io);
  const engine = oneOf(v.engine, "--engine", SIMULATE_ENGINES) ?? "vllm";
  const tp = intFlag(v.tp, "--tp", 1, 1024) ?? 1;
  const dp = intFlag(v.dp, "--dp", 1, 4096) ?? 1;
  const router = v.router === undefined ? "round-robin" : withFlag(() => parseRouter(v.router, "--router"));
  onlyWith(v, ["router"], dp > 1, "--dp above 1");
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
  const kvDtype = oneOf(v["kv-dtype"], "--kv-dtype", KV_STORAGE_DTYPES) ?? "auto";
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
  if (dp > 1 && disaggregation)
    throw new MemlensError("invalid-value", "--dp above 1 and --disaggregate cannot be combined yet", "--dp");
  if (router === "prefix-aware" && engine !== "vllm")
    throw new MemlensError("invalid-value", "--router prefix-aware needs --engine vllm", "--router");
  const longPrefill = intFlag(
    v["long-prefill-token-threshold"],
    "--long-prefill-token-threshold",
    0,
    2 ** 31,
  );
  const calibration = v.calibration !== undefined ? readCalibration(v.calibration) : undefined;
  // Checked before the workload, so a bad --weights is reported first.
  withFlag(() => parseWeightFormat(v.weights, spec, "--weights"));
  const work = workloadFromFlags(v);
  const notes: string[] = [...work.notes];
  if (eviction.kind !== "none" && v["no-enable-prefix-caching"] !== true)
    notes.push(
      `Prefix caching is off under --kv-eviction ${eviction.kind}: retained tokens differ per request.`,
    );
  if (dp > 1)
    notes.push(
      `Data parallel: ${dp} replicas of ${tp}× ${gpu.id} (${dp * tp} GPUs), each its own scheduler and KV pool of the size below; --router ${router}. metrics are the fleet's, fleet.replicas each replica's.`,
    );
  if (disaggregation)
    notes.push(
      `Disaggregated: a prefill and a decode engine, each ${tp}× ${gpu.id} with its own KV pool of the size below (${2 * tp} GPUs in all); the prompt's KV crosses the link after prefill.`,
    );

  // The KV pool, token budget and step-time inputs: core's vLLM start-up estimate (sim/serving-setup.ts).
  const setup = withFlag(() =>
    servingSetup({
      model: ref,
      spec,
      gpu: gpu.id,
      tensorParallel: tp,
      maxModelLen,
      maxNumSeqs,
      blockSize,
      enablePrefixCaching,
      kvDtype,
      kvStorage: storage,
      kvManager: manager,
      kvEviction: eviction,
      ...(v.weights !== undefined ? { weights: v.weights } : {}),
      gpuMemoryUtilization: util,
      ...(mnbtFlag !== undefined ? { maxNumBatchedTokens: mnbtFlag } : {}),
      ...(v["engine-version"] !== undefined ? { engineVersion: v["engine-version"] } : {}),
      ...(numGpuBlocksFlag !== undefined ? { numGpuBlocks: numGpuBlocksFlag } : {}),
    }),
  );
  const est: Estimate = setup.estimate;
  const estimatedBlocks = setup.startup.numGpuBlocks;
  const maxNumBatchedTokens = setup.maxNumBatchedTokens;
  const engineVersion = setup.startup.behaviour.version;
  if (numGpuBlocksFlag === undefined) {
    if (estimatedBlocks < 2)
      throw new MemlensError(
        "invalid-value",
        `--gpu: ${spec.id} on ${tp}× ${gpu.id} leaves no KV cache after the weights (${estimatedBlocks} blocks); raise --tp, pick a larger GPU or quantize with --weights`,
        "--gpu",
      );
    if (!setup.vllmKvDtype)
      notes.push(
        `--kv-dtype ${kvDtype} is not a vLLM --kv-cache-dtype: the pool is vLLM's 16-bit KV memory re-cut at ${kvBitsPerElement(storage)} bits per element.`,
      );
  }
  if (est.fits === false && numGpuBlocksFlag === undefined)
    notes.push(
      `vLLM would refuse to start: max-model-len ${maxModelLen} needs more KV than the pool holds (${est.maxContextLength ?? 0} tokens); requests longer than the pool are rejected.`,
    );
  const stepTime = modelStepTime(setup.step);
  const summary = stepTimeSummary(setup.step);
  if (calibration) notes.push(`Step time: linear model fitted elsewhere (--calibration ${v.calibration}).`);
  else {
    if (tp > 1)
      notes.push(
        `Tensor-parallel all-reduces (two per layer) are in the step time: NCCL's ring cost model over the ${gpu.interconnect.kind} link.`,
      );
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
      kvCache: setup.kvCache,
      ...(dp > 1 ? { replicas: dp, router } : {}),
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
    ...(result.replicas ? { fleet: { dp, router, replicas: result.replicas } } : {}),
    timeSeries: result.timeSeries,
    notes,
  };
}

/** One line for a storage format: `kivi2 (groups of 32, last 32 tokens at 16 bits)`. */
export function describeKvStorage(dtype: KvStorageDtype, k: KvStorage): string {
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
  const bar = progressBar(io, "simulating", json);
  let report: SimulateReport;
  try {
    report = await simulateFromArgs(argv, io, bar.update);
  } finally {
    bar.done();
  }
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderSimulate(report, io));
  return 0;
}
