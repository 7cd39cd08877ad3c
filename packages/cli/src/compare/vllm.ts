/**
 * vLLM start-up logs (V1 engine: vllm/v1/worker/gpu_model_runner.py "Model loading took",
 * vllm/v1/worker/gpu_worker.py "Memory profiling takes … Total non KV cache memory …" and
 * "Available KV cache memory", vllm/v1/core/kv_cache_utils.py "GPU KV cache size" and "Maximum
 * concurrency"; the legacy V0 worker's "the current vLLM instance can use total_gpu_memory …",
 * "model weights take …" and "# GPU blocks" lines), parsed, turned back into a scenario and compared
 * with memlens' vLLM engine.
 */
import { catalogModelSpec, estimate, findModelRow, MemlensError, type ModelSpec } from "@memlens/core";
import type { CompareOptions, CompareReport, CompareRow, LogComparer } from "./types.js";

const GIB = 1024 ** 3;

/** A figure read from a vLLM log, with the line it came from. */
export interface VllmFigure {
  readonly value: number;
  readonly line: string;
}

/** Everything memlens reads from a vLLM start-up log. */
export interface VllmLog {
  readonly version: string | null;
  /** "V1 LLM engine" / "V0 engine" when the log says so. */
  readonly engine: "v0" | "v1" | null;
  readonly model: string | null;
  /** The log says the CUDA graph estimate is subtracted (v0.21+). */
  readonly cudaGraphProfiling: boolean;
  readonly settings: {
    tensorParallel?: number;
    pipelineParallel?: number;
    maxModelLen?: number;
    maxNumSeqs?: number;
    maxNumBatchedTokens?: number;
    gpuMemoryUtilization?: number;
    dtype?: string;
    quantization?: string | null;
    kvCacheDtype?: string;
    enforceEager?: boolean;
    blockSize?: number;
  };
  /** Bytes unless named otherwise. */
  readonly figures: {
    totalMemory?: VllmFigure;
    weights?: VllmFigure;
    nonKvCache?: VllmFigure;
    activationPeak?: VllmFigure;
    nonTorch?: VllmFigure;
    availableKv?: VllmFigure;
    /** Tokens. */
    kvTokens?: VllmFigure;
    /** Blocks (V0 "# GPU blocks"). */
    gpuBlocks?: VllmFigure;
    /** Requests of max_model_len ("Maximum concurrency for N tokens per request: X"). */
    maxConcurrency?: VllmFigure & { readonly tokensPerRequest: number };
    cudaGraphEstimate?: VllmFigure;
    cudaGraphActual?: VllmFigure;
  };
}

const gib = (s: string) => Math.round(Number(s) * GIB);
const intOf = (s: string) => Number(s.replace(/,/g, ""));

/** Pulls `key=value` or `'key': value` settings out of vLLM's config and non-default-args lines. */
function readSetting(line: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|[\\s,{(])'?${key}'?\\s*[=:]\\s*('[^']*'|"[^"]*"|[^,)}\\s]+)`).exec(line);
  if (!m) return undefined;
  return m[1]!.replace(/^['"]|['"]$/g, "");
}

/** Parses the memory lines and engine settings of a vLLM start-up log. */
export function parseVllmLog(text: string | readonly string[]): VllmLog {
  const lines = typeof text === "string" ? text.split(/\r?\n/) : text;
  const log: {
    version: string | null;
    engine: "v0" | "v1" | null;
    model: string | null;
    cudaGraphProfiling: boolean;
    settings: VllmLog["settings"];
    figures: VllmLog["figures"];
  } = { version: null, engine: null, model: null, cudaGraphProfiling: false, settings: {}, figures: {} };
  const f = log.figures;
  const s = log.settings;
  for (const raw of lines) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    m = /vLLM API server version\s+v?([\d.]+\w*)/.exec(line);
    if (m) log.version = m[1]!;
    m = /Initializing a (V\d) LLM engine \(v?([\d.]+[\w.+-]*)\)/.exec(line);
    if (m) {
      log.engine = m[1] === "V0" ? "v0" : "v1";
      log.version ??= m[2]!;
    }
    m = /Initializing an LLM engine \(v?([\d.]+[\w.+-]*)\)/.exec(line);
    if (m) {
      log.engine = "v0";
      log.version ??= m[1]!;
    }
    // Engine config and non-default args: model, parallelism, lengths, dtype, quantization.
    if (/with config:|non-default args:|non_default_args/.test(line)) {
      const model = readSetting(line, "model") ?? readSetting(line, "model_tag");
      if (model && !log.model) log.model = model;
      const n = (k: string) => {
        const v = readSetting(line, k);
        return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
      };
      const tp = n("tensor_parallel_size");
      if (tp !== undefined) s.tensorParallel = tp;
      const pp = n("pipeline_parallel_size");
      if (pp !== undefined) s.pipelineParallel = pp;
      const len = n("max_model_len") ?? n("max_seq_len");
      if (len !== undefined) s.maxModelLen = len;
      const seqs = n("max_num_seqs");
      if (seqs !== undefined) s.maxNumSeqs = seqs;
      const mnbt = n("max_num_batched_tokens");
      if (mnbt !== undefined) s.maxNumBatchedTokens = mnbt;
      const bs = n("block_size");
      if (bs !== undefined) s.blockSize = bs;
      const gmu = readSetting(line, "gpu_memory_utilization");
      if (gmu !== undefined && Number.isFinite(Number(gmu))) s.gpuMemoryUtilization = Number(gmu);
      const dtype = readSetting(line, "dtype");
      if (dtype) s.dtype = dtype.replace(/^torch\./, "");
      const q = readSetting(line, "quantization");
      if (q !== undefined) s.quantization = q === "None" ? null : q;
      const kv = readSetting(line, "kv_cache_dtype");
      if (kv) s.kvCacheDtype = kv;
      const eager = readSetting(line, "enforce_eager");
      if (eager !== undefined) s.enforceEager = eager === "True" || eager === "true";
    }
    m = /(?:Model loading took|Loading model weights took)\s+([\d.]+)\s*(?:GiB|GB)/.exec(line);
    if (m) f.weights = { value: gib(m[1]!), line };
    m = /Total non KV cache memory:\s*([\d.]+)\s*GiB/.exec(line);
    if (m) f.nonKvCache = { value: gib(m[1]!), line };
    m = /torch peak memory increase:\s*([\d.]+)\s*GiB/.exec(line);
    if (m) f.activationPeak = { value: gib(m[1]!), line };
    m = /non-torch forward increase memory:\s*([\d.]+)\s*GiB/.exec(line);
    if (m) f.nonTorch = { value: gib(m[1]!), line };
    m = /weights memory:\s*([\d.]+)\s*GiB/.exec(line);
    if (m && !f.weights) f.weights = { value: gib(m[1]!), line };
    // V0 / early V1 worker.py summary lines.
    m = /total_gpu_memory \(([\d.]+)\s*GiB\)\s*x\s*gpu_memory_utilization \(([\d.]+)\)/.exec(line);
    m ??= /total_gpu_memory \(([\d.]+)\s*GiB\)\s*x\s*([\d.]+)/.exec(line);
    if (m) {
      f.totalMemory = { value: gib(m[1]!), line };
      s.gpuMemoryUtilization ??= Number(m[2]);
    }
    m = /model weights take\s+([\d.]+)\s*GiB/.exec(line);
    if (m) f.weights ??= { value: gib(m[1]!), line };
    m = /non_torch_memory(?: takes)?\s+([\d.]+)\s*GiB/.exec(line);
    if (m) f.nonTorch = { value: gib(m[1]!), line };
    m = /activation peak memory takes\s+([\d.]+)\s*GiB/.exec(line);
    if (m) f.activationPeak = { value: gib(m[1]!), line };
    m = /reserved for KV Cache is\s+([\d.]+)\s*GiB/.exec(line);
    if (m) f.availableKv = { value: gib(m[1]!), line };
    m = /Free memory on device \(([\d.]+)\/([\d.]+) GiB\)/.exec(line);
    if (m) f.totalMemory = { value: gib(m[2]!), line };
    m = /Requested memory:\s*([\d.]+) \(util\),\s*([\d.]+)\s*GiB/.exec(line);
    if (m) {
      s.gpuMemoryUtilization ??= Number(m[1]);
      f.totalMemory ??= { value: Math.round(gib(m[2]!) / Number(m[1])), line };
    }
    m = /Available KV cache memory:\s*([\d.]+)\s*GiB/.exec(line);
    if (m) f.availableKv = { value: gib(m[1]!), line };
    m = /GPU KV cache size:\s*([\d,]+)\s*tokens/.exec(line);
    if (m) f.kvTokens = { value: intOf(m[1]!), line };
    m = /# (?:GPU|cuda) blocks:\s*([\d,]+)/i.exec(line);
    if (m) f.gpuBlocks = { value: intOf(m[1]!), line };
    m =
      /Maximum concurrency for ([\d,]+) tokens(?: per request|\/request)\s*[:=]?\s*(?:[\d,]+\s*÷\s*[\d,]+\s*=\s*)?([\d.]+)\s*[x×]/.exec(
        line,
      );
    if (m) {
      f.maxConcurrency = { value: Number(m[2]), line, tokensPerRequest: intOf(m[1]!) };
      s.maxModelLen ??= intOf(m[1]!);
    }
    if (/CUDA graph memory profiling is enabled/.test(line)) log.cudaGraphProfiling = true;
    m = /Estimated CUDA graph memory:\s*([\d.]+)\s*GiB/.exec(line);
    if (m) f.cudaGraphEstimate = { value: gib(m[1]!), line };
    m = /Graph capturing finished in [\d.]+ secs?, took\s+([\d.]+)\s*GiB/.exec(line);
    if (m) f.cudaGraphActual = { value: gib(m[1]!), line };
    if (/\[(?:model_runner|worker)\.py:\d+\]/.test(line) && !/v1\//.test(line)) log.engine ??= "v0";
    if (/\[(?:v1\/|gpu_worker\.py|gpu_model_runner\.py|kv_cache_utils\.py)/.test(line)) log.engine ??= "v1";
  }
  return log;
}

/** vLLM --quantization (and the checkpoint's name) as a memlens weight format. */
function weightsOf(log: VllmLog, modelName: string): string | undefined {
  const q = log.settings.quantization;
  const name = modelName.toLowerCase();
  if (q === null || q === undefined) {
    const d = log.settings.dtype;
    if (d === "float16" || d === "half") return "fp16";
    if (d === "bfloat16") return "bf16";
    if (d === "float32") return "fp32";
    return undefined;
  }
  if (/fp8/.test(q)) return "fp8";
  if (/awq/.test(q)) return "awq";
  if (/gptq/.test(q)) return "gptq";
  if (/mxfp4/.test(q)) return "mxfp4";
  if (/bitsandbytes/.test(q)) return "nf4";
  if (q === "compressed-tensors") {
    if (/fp8/.test(name)) return "fp8";
    if (/w8a8|int8/.test(name)) return "w8a8";
    if (/w4a16|int4/.test(name)) return "w4a16";
  }
  return undefined;
}

/** The catalog model a logged model path names: exact id, then its last path part. */
function catalogIdOf(model: string): string | undefined {
  const exact = findModelRow(model);
  if (exact) return exact.id;
  const tail = model.split("/").filter(Boolean).pop();
  return tail ? findModelRow(tail)?.id : undefined;
}

interface VllmRow extends CompareRow {
  /** What the measured and estimated numbers count. */
  readonly unit: "bytes" | "tokens" | "blocks" | "requests";
}

/**
 * Rebuilds the scenario a vLLM log describes, runs memlens' vLLM engine on it and lines the two up.
 * The device memory is the log's total_memory when it prints one (the figure vLLM itself uses).
 */
export function compareVllm(lines: readonly string[], options: CompareOptions = {}): CompareReport {
  const log = parseVllmLog(lines);
  const o = options.overrides ?? {};
  const assumptions: string[] = [];
  let spec: ModelSpec | undefined = options.modelSpec;
  let source = options.modelSource ?? spec?.id ?? "";
  if (!spec) {
    const id = log.model ? catalogIdOf(log.model) : undefined;
    if (!id)
      throw new MemlensError(
        "missing-field",
        `compare: ${log.model ? `the log's model "${log.model}" is not in the catalog` : "the log does not name its model"}; give --model (catalog id or config.json)`,
        "--model",
      );
    spec = catalogModelSpec(id);
    source = log.model === id ? "catalog" : `catalog ${id} for ${log.model}`;
  }
  const s = log.settings;
  const f = log.figures;
  const oParallel = (o.parallel ?? {}) as { tensor?: number; pipeline?: number };
  const oEngine = (o.engineOptions ?? {}) as Record<string, unknown>;
  const tp = oParallel.tensor ?? s.tensorParallel ?? 1;
  const pp = oParallel.pipeline ?? s.pipelineParallel ?? 1;
  const gmu = (oEngine.gpuMemoryUtilization as number | undefined) ?? s.gpuMemoryUtilization ?? 0.9;
  if (s.gpuMemoryUtilization === undefined && oEngine.gpuMemoryUtilization === undefined)
    assumptions.push("gpu_memory_utilization not in the log: vLLM's default 0.9.");
  // total_memory as vLLM saw it: printed, or requested / utilization, or (available + non-KV) / utilization.
  let total = f.totalMemory?.value;
  if (total === undefined && f.availableKv && f.nonKvCache) {
    total = Math.round((f.availableKv.value + f.nonKvCache.value) / gmu);
    assumptions.push(
      "GPU memory = (available KV cache + non-KV memory) / gpu_memory_utilization, from the log's rounded GiB figures.",
    );
  }
  const hardware = o.hardware as Record<string, unknown> | undefined;
  if (total === undefined && !hardware)
    throw new MemlensError(
      "missing-field",
      "compare: the log does not show the GPU's total memory; give the GPU (--gpu) or the scenario's hardware",
      "--gpu",
    );
  const maxModelLen =
    (o.contextLength as number | undefined) ?? s.maxModelLen ?? spec.maxPositionEmbeddings ?? 8192;
  if (s.maxModelLen === undefined && o.contextLength === undefined)
    assumptions.push(`max_model_len not in the log: ${maxModelLen} (the model's maximum).`);
  const defaultSeqs = (total ?? 80 * GIB) >= 70 * GIB ? 1024 : 256;
  const maxNumSeqs = (o.batch as number | undefined) ?? s.maxNumSeqs ?? defaultSeqs;
  if (s.maxNumSeqs === undefined && o.batch === undefined)
    assumptions.push(`max_num_seqs not in the log: vLLM's default ${defaultSeqs} for this GPU size.`);
  const weights = (o.weights as string | undefined) ?? weightsOf(log, log.model ?? spec.id);
  const engine = log.engine ?? "v1";
  let version =
    (oEngine.engineVersion as string | undefined) ?? (engine === "v0" ? "v0" : (log.version ?? undefined));
  if (!version) {
    // v0.21+ announce that the CUDA graph estimate comes out of the KV budget; without that line
    // the log is from an earlier v1 release, whose arithmetic memlens runs as 0.20.
    version = log.cudaGraphProfiling ? "0.21.0" : "0.20.0";
    assumptions.push(
      `vLLM version not in the log: ${log.cudaGraphProfiling ? "v0.21 or later (CUDA graph memory taken from the KV budget)" : 'before v0.21 (no "CUDA graph memory profiling is enabled" line)'}.`,
    );
  }
  const engineOptions: Record<string, unknown> = {
    gpuMemoryUtilization: gmu,
    ...(version ? { engineVersion: version } : {}),
    ...(s.maxNumBatchedTokens ? { maxNumBatchedTokens: s.maxNumBatchedTokens } : {}),
    ...(s.blockSize ? { blockSize: s.blockSize } : {}),
    ...(s.enforceEager !== undefined ? { enforceEager: s.enforceEager } : {}),
    ...oEngine,
  };
  const kvCache =
    s.kvCacheDtype && s.kvCacheDtype !== "auto"
      ? s.kvCacheDtype.startsWith("fp8")
        ? "fp8"
        : s.kvCacheDtype
      : "auto";
  const scenario: Record<string, unknown> = {
    model: { id: spec.id },
    engine: "vllm",
    ...(weights ? { weights } : {}),
    kvCache,
    contextLength: maxModelLen,
    batch: maxNumSeqs,
    hardware: hardware ? { ...hardware, count: tp * pp } : { memoryBytes: total, count: tp * pp },
    parallel: { tensor: tp, pipeline: pp },
    engineOptions,
  };
  const est = estimate(scenario, { modelSpec: spec });
  const e = est.engine as Record<string, number>;
  const rows: VllmRow[] = [];
  const row = (
    quantity: string,
    fig: VllmFigure | undefined,
    estimated: number | undefined,
    unit: VllmRow["unit"],
  ) => {
    if (!fig) return;
    const est = estimated ?? null;
    rows.push({
      quantity,
      line: fig.line,
      measuredBytes: fig.value,
      estimatedBytes: est,
      error: est === null || fig.value === 0 ? null : (est - fig.value) / fig.value,
      unit,
    });
  };
  row("weights (model loading)", f.weights, e.weightsBytes, "bytes");
  row("torch activation peak", f.activationPeak, e.activationPeakBytes, "bytes");
  row("non-torch memory", f.nonTorch, e.nonTorchBytes, "bytes");
  row("non-KV memory", f.nonKvCache, e.nonKvCacheBytes, "bytes");
  row("available KV cache memory", f.availableKv, e.kvCacheBytes, "bytes");
  row("GPU KV cache size (tokens)", f.kvTokens, e.kvCacheTokens, "tokens");
  row("GPU blocks", f.gpuBlocks, e.numGpuBlocks, "blocks");
  row("maximum concurrency (requests)", f.maxConcurrency, e.maxConcurrency, "requests");
  row("CUDA graph memory (estimated)", f.cudaGraphEstimate, e.cudaGraphBytes, "bytes");
  return {
    engine: "vllm",
    scenario: { ...est.scenario, gpus: tp * pp, engineVersion: version ?? null },
    model: { name: spec.id, source },
    rows,
    assumptions,
  };
}

export const vllmComparer: LogComparer = {
  engine: "vllm",
  detect(lines) {
    return lines.some((l) =>
      /Available KV cache memory|GPU KV cache size|Maximum concurrency for|vLLM API server version|Model loading took|Loading model weights took|total_gpu_memory \(|# (?:GPU|cuda) blocks/.test(
        l,
      ),
    );
  },
  compare(lines, options) {
    return compareVllm(lines, options);
  },
};
