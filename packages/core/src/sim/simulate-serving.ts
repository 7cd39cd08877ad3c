import { MemlensError } from "../errors/memlens-error.js";
import { ContiguousKvManager, type ContiguousReservation } from "./contiguous-kv-manager.js";
import type { Engine, EngineHooks, KvCost } from "./engine.js";
import { EventQueue } from "./event-queue.js";
import { makeRouter, parseRouter, type ReplicaMetrics, type Router, replicaMetrics } from "./fleet.js";
import type { KvManager } from "./kv-manager.js";
import { blocksForTokens, type KvEviction, type KvStorage, kvStorageSizes } from "./kv-policy.js";
import { type LatencySummary, SeriesSampler, summarize } from "./metrics.js";
import { PagedKvManager } from "./paged-kv-manager.js";
import { RadixKvManager } from "./radix-kv-manager.js";
import { createSimRequest, type SimRequest, type WorkloadRequest } from "./request.js";
import { StaticBatchEngine } from "./static-engine.js";
import type { StepTimeModel } from "./step-time.js";
import { VllmEngine, type VllmSchedulerConfig } from "./vllm-engine.js";

/** KV memory of one engine. Give `numGpuBlocks`, or `memoryBytes` with `bytesPerToken`. */
export interface KvCacheOptions {
  /**
   * Allocator: vLLM's paged block pool (default), contiguous max-length reservation (the
   * pre-PagedAttention baseline) or SGLang's radix-tree token cache. CLI: `--kv-manager`.
   */
  readonly manager?: "paged" | "contiguous" | "radix";
  /**
   * Blocks in the pool, null block included, as vLLM logs `num_gpu_blocks` (CLI `--num-gpu-blocks`).
   * Contiguous: the same memory, (numGpuBlocks − 1) × blockSize token slots. Radix: pages of
   * `blockSize` tokens.
   */
  readonly numGpuBlocks?: number;
  /** KV memory per engine in bytes; blocks = floor(bytes / (blockSize × bytes per token of `storage`)). */
  readonly memoryBytes?: number;
  /** KV bytes per token at 16 bits, all layers, per GPU (e.g. 131072 for Llama-3.1-8B). Needed with memoryBytes and for disaggregated transfers. */
  readonly bytesPerToken?: number;
  /** Tokens per block (vLLM `--block-size`, default 16). For radix, the page size (default 1). */
  readonly blockSize?: number;
  /** Prefix caching (vLLM `--enable-prefix-caching`, default true; radix cache for SGLang). */
  readonly enablePrefixCaching?: boolean;
  /** Storage format (vLLM `--kv-cache-dtype`): bf16 (auto), fp8, int8, int4, kivi2. */
  readonly storage?: KvStorage;
  /** Token eviction: StreamingLLM, H2O or SnapKV budgets; turns prefix caching off. */
  readonly eviction?: KvEviction;
  /** Contiguous manager only: reserve max-model-len (default) or prompt + output. */
  readonly reservation?: ContiguousReservation;
  /** Paged only: free blocks held back at admission (vLLM `watermark` in blocks; default 0). */
  readonly watermarkBlocks?: number;
}

/** Disaggregated prefill/decode (DistServe, Splitwise): two engines and a KV transfer between them. */
export interface DisaggregationOptions {
  /** KV memory of the prefill engine (default: `kvCache`). */
  readonly prefillKvCache?: KvCacheOptions;
  /** KV memory of the decode engine (default: `kvCache`). */
  readonly decodeKvCache?: KvCacheOptions;
  /** Step time of the prefill engine (default: `stepTime`). */
  readonly prefillStepTime?: StepTimeModel;
  /** Step time of the decode engine (default: `stepTime`). */
  readonly decodeStepTime?: StepTimeModel;
  /** Link bandwidth for the KV transfer, bytes/s (e.g. 25e9 for 200 Gb/s InfiniBand). */
  readonly transferBytesPerSecond: number;
  /** Fixed latency per transfer, seconds (default 0). */
  readonly transferLatencySeconds?: number;
}

/**
 * Options of `simulateServing`; every field maps to a `memlens simulate` flag (named in each doc).
 * @example
 * simulateServing({
 *   workload: parseAzureTrace(csvText),
 *   stepTime: rooflineStepTime({ ... }),
 *   maxModelLen: 16384,
 *   kvCache: { numGpuBlocks: 30000, blockSize: 16 },
 * });
 */
export interface SimulateServingOptions {
  /** Requests (a parsed trace or `generateWorkload`). CLI: `--workload FILE` or generated-workload flags. */
  readonly workload: readonly WorkloadRequest[];
  /** Seconds per step (roofline, fitted linear, or any model). CLI: derived from `--model --gpu --tp [--calibration]`. */
  readonly stepTime: StepTimeModel;
  /** `vllm` continuous batching (default) or `static` batching. CLI: `--scheduler`. */
  readonly scheduler?: "vllm" | "static";
  /** `--max-num-seqs` (default 256). For static batching, the batch size. */
  readonly maxNumSeqs?: number;
  /** `--max-num-batched-tokens` (default 2048, vLLM's OpenAI-server default below 70 GiB). */
  readonly maxNumBatchedTokens?: number;
  /** `--enable-chunked-prefill` (default true). */
  readonly enableChunkedPrefill?: boolean;
  /** `--long-prefill-token-threshold` (default 0 = off). */
  readonly longPrefillTokenThreshold?: number;
  /** `--max-model-len`: longer requests (prompt + output) are rejected, as vLLM's API does. */
  readonly maxModelLen: number;
  /** `--reserve-full-isl` (vLLM 0.19 `scheduler_reserve_full_isl`, default true). */
  readonly reserveFullIsl?: boolean;
  /** KV memory. CLI: `--num-gpu-blocks`, `--block-size`, `--enable-prefix-caching`, `--kv-cache-dtype`, `--kv-eviction`. */
  readonly kvCache: KvCacheOptions;
  /** Split prefill and decode onto two engines. CLI: `--disaggregate`. */
  readonly disaggregation?: DisaggregationOptions;
  /** Data-parallel replicas, each its own scheduler and KV pool (default 1). CLI: `--dp`. */
  readonly replicas?: number;
  /** How arriving requests are spread over the replicas (default round-robin). CLI: `--router`. */
  readonly router?: Router;
  /** Points kept in each time series (default 256). */
  readonly timeSeriesPoints?: number;
  /** Keep per-request timings in the result (default false). */
  readonly recordRequests?: boolean;
  /** Check the KV managers' invariants after every step and throw on a violation (slow; for tests). */
  readonly checkInvariants?: boolean;
}

/** Serving metrics, named as the `memlens simulate --json` contract expects. */
export interface ServingMetrics {
  /** Output tokens per second over the run (first arrival to last token). */
  readonly throughputTokensPerSecond: number;
  /** Prompt + output tokens per second. */
  readonly totalTokensPerSecond: number;
  readonly requestsPerSecond: number;
  /** Time to first token: first token − arrival. */
  readonly ttftSeconds: LatencySummary;
  /** Time per output token: (last − first) / (output − 1), requests with ≥ 2 output tokens. */
  readonly tpotSeconds: LatencySummary;
  /** End to end: last token − arrival. */
  readonly e2eSeconds: LatencySummary;
  /** Queueing: first scheduled − arrival. */
  readonly queueingSeconds: LatencySummary;
  /** Blocks in the KV pool (vLLM's num_gpu_blocks; token slots for a token-granular pool); summed over engines. */
  readonly kvCacheBlocks: number;
  /** Token slots per engine's KV pool (usable). */
  readonly kvCacheTokens: number;
  /** KV usage (held / usable), time-weighted mean and peak. */
  readonly kvCacheUsage: { readonly mean: number; readonly peak: number };
  /**
   * Fragmentation: held slots holding no token (paged: block tails; contiguous: reserved-unused), as
   * a fraction of held slots (time-weighted mean, peak), and free slots unusable because they are
   * split (contiguous: free outside the largest hole) as a fraction of the pool.
   */
  readonly fragmentation: {
    readonly internalMean: number;
    readonly internalPeak: number;
    readonly externalMean: number;
  };
  /** Prompt tokens served from the prefix cache / prompt tokens looked up, at first admission. */
  readonly prefixCacheHitRate: number;
  readonly prefixHitTokens: number;
  /** Preemptions (recompute) over the run. */
  readonly preemptions: number;
  /** Requests preempted at least once. */
  readonly preemptedRequests: number;
  /** Tokens computed again after preemption. */
  readonly recomputedTokens: number;
  /** Cached blocks evicted to make room (radix: tokens). */
  readonly evictedCachedBlocks: number;
  readonly copyOnWrites: number;
  readonly completedRequests: number;
  /** Requests refused at intake: longer than max-model-len or than the whole KV pool. */
  readonly rejectedRequests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** First arrival to last token, seconds. */
  readonly durationSeconds: number;
  /** Engine steps run. */
  readonly steps: number;
}

/** Per-request timings (with `recordRequests`). */
export interface RequestTiming {
  readonly id: number;
  readonly arrivalSeconds: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly ttftSeconds: number;
  readonly tpotSeconds: number;
  readonly e2eSeconds: number;
  readonly queueingSeconds: number;
  readonly preemptions: number;
  readonly prefixHitTokens: number;
}

/** What `simulateServing` returns. */
export interface SimulationResult {
  readonly metrics: ServingMetrics;
  /** Thinned time series: time (s), KV usage, running and waiting requests (summed over engines). */
  readonly timeSeries: {
    readonly timeSeconds: readonly number[];
    readonly kvCacheUsage: readonly number[];
    readonly running: readonly number[];
    readonly waiting: readonly number[];
  };
  /** The pool sizes actually simulated, per engine. */
  readonly engines: readonly {
    readonly role: string;
    readonly kvCacheBlocks: number;
    readonly blockSize: number;
    /** Slots still held after the run: 0 unless KV leaked. */
    readonly usedSlotsAtEnd: number;
  }[];
  readonly requests?: readonly RequestTiming[];
  /** Each replica's share, with more than one replica (`replicas`). */
  readonly replicas?: readonly ReplicaMetrics[];
}

const positiveInt = (v: number, field: string, min = 1): number => {
  if (!Number.isInteger(v) || v < min)
    throw new MemlensError("invalid-value", `${field} must be an integer ≥ ${min}, got ${v}`, field);
  return v;
};

interface BuiltKv {
  readonly kv: KvManager;
  readonly cost: KvCost;
  /** Largest KV (tokens) one request may need on this engine and still fit alone. */
  readonly fitsAlone: (req: SimRequest, tokens: number) => boolean;
}

function buildKv(o: KvCacheOptions, maxModelLen: number, field: string): BuiltKv {
  const manager = o.manager ?? "paged";
  const storage = o.storage ?? { kind: "bf16" };
  const eviction = o.eviction ?? { kind: "none" };
  const sizes = kvStorageSizes(storage, o.bytesPerToken ?? 0);
  const blockSize = positiveInt(o.blockSize ?? (manager === "radix" ? 1 : 16), `${field}.blockSize`);
  let blocks: number;
  if (o.numGpuBlocks !== undefined) blocks = positiveInt(o.numGpuBlocks, `${field}.numGpuBlocks`, 2);
  else if (o.memoryBytes !== undefined) {
    if (!(o.bytesPerToken! > 0))
      throw new MemlensError(
        "missing-field",
        `${field}.bytesPerToken is needed with memoryBytes`,
        `${field}.bytesPerToken`,
      );
    // vLLM kv_cache_utils.py get_num_blocks: available_memory // page_size // num_layers.
    blocks = Math.floor(o.memoryBytes / (blockSize * sizes.bytesPerToken));
    positiveInt(blocks, `${field}.memoryBytes (as blocks)`, 2);
  } else
    throw new MemlensError(
      "missing-field",
      `${field} needs numGpuBlocks or memoryBytes`,
      `${field}.numGpuBlocks`,
    );
  const cost: KvCost = { eviction, sizes };
  switch (manager) {
    case "paged": {
      const kv = new PagedKvManager({
        numGpuBlocks: blocks,
        blockSize,
        enablePrefixCaching: o.enablePrefixCaching ?? true,
        watermarkBlocks: o.watermarkBlocks ?? 0,
        eviction,
        storage: sizes,
      });
      return {
        kv,
        cost,
        // Peak over the request's life: the whole prompt before H2O/SnapKV compress it, or the end.
        fitsAlone: (req, tokens) =>
          Math.max(
            blocksForTokens(eviction, sizes, blockSize, Math.min(tokens, req.promptTokens), req.promptTokens),
            blocksForTokens(eviction, sizes, blockSize, tokens, req.promptTokens),
          ) <=
          blocks - 1,
      };
    }
    case "contiguous": {
      const kv = new ContiguousKvManager({
        capacityTokens: (blocks - 1) * blockSize,
        maxModelLen,
        reservation: o.reservation ?? "max-model-len",
      });
      return { kv, cost, fitsAlone: (req) => kv.reservationOf(req) <= kv.capacityTokens };
    }
    case "radix": {
      const kv = new RadixKvManager({
        capacityTokens: blocks * blockSize,
        pageSize: blockSize,
        enableCache: o.enablePrefixCaching ?? true,
      });
      return { kv, cost, fitsAlone: (_req, tokens) => tokens <= kv.capacityTokens };
    }
    default:
      throw new MemlensError(
        "invalid-value",
        `${field}.manager must be paged, contiguous or radix, got ${String(manager)}`,
        `${field}.manager`,
        ["paged", "contiguous", "radix"],
      );
  }
}

type SimEvent =
  | { readonly kind: "arrival"; readonly req: SimRequest }
  | { readonly kind: "step-end"; readonly engine: number }
  | { readonly kind: "transfer-done"; readonly req: SimRequest };

/**
 * Simulates an LLM server on a workload: discrete events (arrivals, step ends, KV transfers), one
 * engine (or a prefill and a decode engine) with vLLM v1's scheduler or static batching over a
 * paged, contiguous or radix KV cache, step times from `stepTime`. Deterministic: the same options
 * give the same result. Cost is linear in requests × steps; `onProgress(fractionDone)` is called
 * about 100 times.
 * @example
 * const r = simulateServing({ workload, stepTime, maxModelLen: 8192, kvCache: { numGpuBlocks: 2588 } });
 * r.metrics.ttftSeconds.p50;
 */
export function simulateServing(
  options: SimulateServingOptions,
  onProgress?: (fractionDone: number) => void,
): SimulationResult {
  const maxModelLen = positiveInt(options.maxModelLen, "maxModelLen");
  const cfg: VllmSchedulerConfig = {
    maxNumSeqs: positiveInt(options.maxNumSeqs ?? 256, "maxNumSeqs"),
    maxNumBatchedTokens: positiveInt(options.maxNumBatchedTokens ?? 2048, "maxNumBatchedTokens"),
    enableChunkedPrefill: options.enableChunkedPrefill ?? true,
    longPrefillTokenThreshold: positiveInt(
      options.longPrefillTokenThreshold ?? 0,
      "longPrefillTokenThreshold",
      0,
    ),
    maxModelLen,
    reserveFullIsl: options.reserveFullIsl ?? true,
  };
  const scheduler = options.scheduler ?? "vllm";
  if (scheduler !== "vllm" && scheduler !== "static")
    throw new MemlensError(
      "invalid-value",
      `scheduler must be vllm or static, got ${String(scheduler)}`,
      "scheduler",
      ["vllm", "static"],
    );

  // Requests in arrival order (stable).
  const work = options.workload;
  const order = Array.from({ length: work.length }, (_, i) => i);
  for (let i = 0; i < work.length; i++) {
    const w = work[i]!;
    if (!(w.arrivalSeconds >= 0) || !Number.isFinite(w.arrivalSeconds))
      throw new MemlensError(
        "invalid-value",
        `workload[${i}].arrivalSeconds must be ≥ 0`,
        `workload[${i}].arrivalSeconds`,
      );
    positiveInt(w.promptTokens, `workload[${i}].promptTokens`);
    positiveInt(w.outputTokens, `workload[${i}].outputTokens`);
  }
  order.sort((a, b) => work[a]!.arrivalSeconds - work[b]!.arrivalSeconds || a - b);
  const reqs: SimRequest[] = order.map((i) => createSimRequest(i, work[i]!));

  const events = new EventQueue<SimEvent>();
  const engines: Engine[] = [];
  const built: BuiltKv[] = [];
  const roles: string[] = [];
  let completed = 0;
  let lastTokenTime = 0;
  const total = reqs.length;
  const progressEvery = Math.max(1, Math.floor(total / 100));
  const disagg = options.disaggregation;
  const replicas = positiveInt(options.replicas ?? 1, "replicas");
  const router = parseRouter(options.router ?? "round-robin");
  if (replicas > 1 && disagg)
    throw new MemlensError(
      "unsupported",
      "replicas: disaggregation runs one prefill/decode pair",
      "replicas",
    );
  if (router === "prefix-aware" && scheduler !== "vllm")
    throw new MemlensError("unsupported", "router prefix-aware needs the vllm scheduler", "router");

  const hooks = (engineIndex: number): EngineHooks => ({
    onToken: (req, now) => {
      if (Number.isNaN(req.firstTokenSeconds)) req.firstTokenSeconds = now;
      req.lastTokenSeconds = now;
      if (now > lastTokenTime) lastTokenTime = now;
    },
    onFinish: () => {
      completed++;
      if (onProgress && completed % progressEvery === 0) onProgress(completed / total);
    },
    onHandoff: (req, now) => {
      const bytes = req.promptTokens * built[engineIndex]!.cost.sizes.bytesPerToken;
      const d = disagg!;
      if (req.generated >= req.outputTokens) {
        // One-token request: done at the prefill engine.
        engines[engineIndex]!.release(req);
        completed++;
        if (onProgress && completed % progressEvery === 0) onProgress(completed / total);
        return;
      }
      events.push(now + (d.transferLatencySeconds ?? 0) + bytes / d.transferBytesPerSecond, {
        kind: "transfer-done",
        req,
      });
    },
  });

  const makeEngine = (
    kvOpts: KvCacheOptions,
    step: StepTimeModel,
    role: "both" | "prefill" | "decode",
    field: string,
  ) => {
    const b = buildKv(kvOpts, maxModelLen, field);
    const index = engines.length;
    built.push(b);
    roles.push(role);
    const e: Engine =
      scheduler === "static"
        ? new StaticBatchEngine(b.kv, cfg.maxNumSeqs, step, b.cost, hooks(index))
        : new VllmEngine(b.kv, cfg, step, b.cost, hooks(index), role);
    engines.push(e);
  };

  if (disagg) {
    if (scheduler !== "vllm")
      throw new MemlensError("unsupported", "disaggregation needs the vllm scheduler", "disaggregation");
    if (!(disagg.transferBytesPerSecond > 0))
      throw new MemlensError(
        "invalid-value",
        "disaggregation.transferBytesPerSecond must be > 0",
        "disaggregation.transferBytesPerSecond",
      );
    makeEngine(
      disagg.prefillKvCache ?? options.kvCache,
      disagg.prefillStepTime ?? options.stepTime,
      "prefill",
      "disaggregation.prefillKvCache",
    );
    makeEngine(
      disagg.decodeKvCache ?? options.kvCache,
      disagg.decodeStepTime ?? options.stepTime,
      "decode",
      "disaggregation.decodeKvCache",
    );
  } else for (let i = 0; i < replicas; i++) makeEngine(options.kvCache, options.stepTime, "both", "kvCache");
  const route = makeRouter(router, engines, cfg.maxNumSeqs);
  const replicaOf: number[] = [];

  // Intake: vLLM rejects prompt + max_tokens > max_model_len; a request needing more KV than a whole
  // pool could never finish (it would preempt itself forever), so it is rejected too.
  const accepted: SimRequest[] = [];
  let rejected = 0;
  for (const r of reqs) {
    const kvTokens = r.promptTokens + r.outputTokens - 1;
    let ok = r.promptTokens + r.outputTokens <= maxModelLen;
    if (ok && disagg) ok = built[0]!.fitsAlone(r, r.promptTokens) && built[1]!.fitsAlone(r, kvTokens);
    else if (ok) ok = built[0]!.fitsAlone(r, kvTokens);
    if (ok) accepted.push(r);
    else rejected++;
  }

  const busy = new Uint8Array(engines.length);
  const kick = (e: number, now: number) => {
    if (busy[e]) return;
    const d = engines[e]!.startStep(now);
    if (d < 0) return;
    busy[e] = 1;
    events.push(now + d, { kind: "step-end", engine: e });
  };

  // Time-weighted KV statistics over all engines.
  const series = new SeriesSampler(Math.max(2, options.timeSeriesPoints ?? 256), 3);
  const capacity = built.reduce((s, b) => s + b.kv.capacityTokens, 0);
  let lastT = 0;
  let usageNow = 0;
  let internalNow = 0;
  let externalNow = 0;
  let usageArea = 0;
  let internalArea = 0;
  let externalArea = 0;
  let usagePeak = 0;
  let internalPeak = 0;
  const observe = (now: number) => {
    const dt = now - lastT;
    if (dt > 0) {
      usageArea += usageNow * dt;
      internalArea += internalNow * dt;
      externalArea += externalNow * dt;
    }
    lastT = now;
    let used = 0;
    let waste = 0;
    let ext = 0;
    let running = 0;
    let waiting = 0;
    for (const e of engines) {
      used += e.kv.usedSlots();
      waste += e.kv.wasteSlots();
      ext += e.kv.externalFragmentSlots();
      running += e.runningCount;
      waiting += e.waitingCount;
    }
    usageNow = used / capacity;
    internalNow = used > 0 ? waste / used : 0;
    externalNow = ext / capacity;
    if (usageNow > usagePeak) usagePeak = usageNow;
    if (internalNow > internalPeak) internalPeak = internalNow;
    series.record(now, usageNow, running, waiting);
  };

  let next = 0;
  const pushNextArrival = () => {
    if (next < accepted.length) {
      const r = accepted[next++]!;
      events.push(r.arrivalSeconds, { kind: "arrival", req: r });
    }
  };
  pushNextArrival();
  const firstArrival = accepted[0]?.arrivalSeconds ?? 0;
  lastT = firstArrival;

  for (;;) {
    const ev = events.pop();
    if (!ev) break;
    const now = ev.time;
    const item = ev.item;
    switch (item.kind) {
      case "arrival": {
        const e = disagg ? 0 : route(item.req);
        replicaOf[next - 1] = e;
        engines[e]!.enqueue(item.req);
        pushNextArrival();
        kick(e, now);
        break;
      }
      case "step-end":
        engines[item.engine]!.finishStep(now);
        busy[item.engine] = 0;
        if (options.checkInvariants) {
          const errors = built[item.engine]!.kv.checkInvariants();
          if (errors.length > 0)
            throw new MemlensError(
              "internal",
              `KV invariants broken at t=${now}: ${errors.slice(0, 3).join("; ")}`,
            );
        }
        kick(item.engine, now);
        break;
      case "transfer-done": {
        engines[0]!.release(item.req);
        item.req.externalTokens = item.req.promptTokens;
        item.req.computed = 0;
        engines[1]!.enqueue(item.req);
        kick(1, now);
        kick(0, now);
        break;
      }
    }
    observe(now);
  }

  // Everything that could run has run: any request still waiting could not be admitted.
  const stuck = engines.reduce((s, e) => s + e.waitingCount + e.runningCount, 0);
  if (stuck > 0)
    throw new MemlensError(
      "internal",
      `simulation ended with ${stuck} requests unserved (scheduler deadlock); this is a bug`,
    );
  if (onProgress) onProgress(1);

  const n = accepted.length;
  const ttft = new Float64Array(n);
  const tpot = new Float64Array(n);
  const e2e = new Float64Array(n);
  const queue = new Float64Array(n);
  let inputTokens = 0;
  let outputTokens = 0;
  let hit = 0;
  let queried = 0;
  let recomputed = 0;
  let preemptedRequests = 0;
  const timings: RequestTiming[] = [];
  for (let i = 0; i < n; i++) {
    const r = accepted[i]!;
    ttft[i] = r.firstTokenSeconds - r.arrivalSeconds;
    tpot[i] =
      r.outputTokens > 1 ? (r.lastTokenSeconds - r.firstTokenSeconds) / (r.outputTokens - 1) : Number.NaN;
    e2e[i] = r.lastTokenSeconds - r.arrivalSeconds;
    queue[i] = r.firstScheduledSeconds - r.arrivalSeconds;
    inputTokens += r.promptTokens;
    outputTokens += r.generated;
    hit += r.prefixHitTokens;
    queried += r.prefixQueriedTokens;
    recomputed += r.recomputedTokens;
    if (r.preemptions > 0) preemptedRequests++;
    if (options.recordRequests)
      timings.push({
        id: r.id,
        arrivalSeconds: r.arrivalSeconds,
        promptTokens: r.promptTokens,
        outputTokens: r.outputTokens,
        ttftSeconds: ttft[i]!,
        tpotSeconds: tpot[i]!,
        e2eSeconds: e2e[i]!,
        queueingSeconds: queue[i]!,
        preemptions: r.preemptions,
        prefixHitTokens: r.prefixHitTokens,
      });
  }
  const duration = Math.max(0, lastTokenTime - firstArrival);
  const span = lastT - firstArrival;
  let evicted = 0;
  let cow = 0;
  for (const b of built) {
    const s = b.kv.stats();
    evicted += s.evictedCachedBlocks;
    cow += s.copyOnWrites;
  }
  const metrics: ServingMetrics = {
    throughputTokensPerSecond: duration > 0 ? outputTokens / duration : 0,
    totalTokensPerSecond: duration > 0 ? (inputTokens + outputTokens) / duration : 0,
    requestsPerSecond: duration > 0 ? completed / duration : 0,
    ttftSeconds: summarize(ttft),
    tpotSeconds: summarize(tpot),
    e2eSeconds: summarize(e2e),
    queueingSeconds: summarize(queue),
    kvCacheBlocks: built.reduce((s, b) => s + b.kv.totalBlocks, 0),
    kvCacheTokens: built[built.length - 1]!.kv.capacityTokens,
    kvCacheUsage: { mean: span > 0 ? usageArea / span : 0, peak: usagePeak },
    fragmentation: {
      internalMean: span > 0 ? internalArea / span : 0,
      internalPeak,
      externalMean: span > 0 ? externalArea / span : 0,
    },
    prefixCacheHitRate: queried > 0 ? hit / queried : 0,
    prefixHitTokens: hit,
    preemptions: engines.reduce((s, e) => s + e.preemptions, 0),
    preemptedRequests,
    recomputedTokens: recomputed,
    evictedCachedBlocks: evicted,
    copyOnWrites: cow,
    completedRequests: completed,
    rejectedRequests: rejected,
    inputTokens,
    outputTokens,
    durationSeconds: duration,
    steps: engines.reduce((s, e) => s + e.steps, 0),
  };
  return {
    metrics,
    timeSeries: {
      timeSeconds: series.time,
      kvCacheUsage: series.values[0]!,
      running: series.values[1]!,
      waiting: series.values[2]!,
    },
    engines: built.map((b, i) => ({
      role: roles[i]!,
      kvCacheBlocks: b.kv.totalBlocks,
      blockSize: b.kv.blockSize,
      usedSlotsAtEnd: b.kv.usedSlots(),
    })),
    ...(options.recordRequests ? { requests: timings } : {}),
    ...(replicas > 1 ? { replicas: replicaMetrics(accepted, replicaOf, engines, duration) } : {}),
  };
}
