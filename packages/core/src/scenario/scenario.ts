import { MemlensError } from "../errors/memlens-error.js";

/** Where the model comes from (SCENARIO.md). Files are read by the caller; core sees data. */
export type ModelRef =
  | { readonly id: string }
  | { readonly config: string }
  | { readonly gguf: string }
  | { readonly safetensors: string }
  | { readonly hfConfig: Readonly<Record<string, unknown>> };

export const INFERENCE_ENGINES = ["transformers", "vllm", "llama.cpp", "sglang", "ollama"] as const;
export const TRAINING_ENGINES = [
  "transformers",
  "torchtune",
  "deepspeed",
  "litgpt",
  "unsloth",
  "trl",
  "axolotl",
] as const;
export type InferenceEngine = (typeof INFERENCE_ENGINES)[number];
export type TrainingEngine = (typeof TRAINING_ENGINES)[number];
export type Engine = InferenceEngine | TrainingEngine;

export type Hardware =
  | { readonly gpu: string; readonly count: number }
  | { readonly memoryBytes: number; readonly count: number };

export interface Parallel {
  readonly tensor: number;
  readonly pipeline: number;
  readonly data: number;
  readonly expert: number;
}

export interface LoraOptions {
  readonly rank: number;
  readonly alpha: number;
  readonly targets: readonly string[];
}

export interface TrainingOptions {
  readonly method: "full" | "lora" | "qlora";
  readonly optimizer: "adamw" | "adamw-8bit" | "sgd" | "adafactor";
  readonly precision: "bf16-mixed" | "fp16-mixed" | "bf16" | "fp32";
  readonly microBatch: number;
  readonly sequenceLength: number;
  readonly gradientAccumulation: number;
  readonly activationCheckpointing: "none" | "selective" | "full";
  readonly zeroStage: 0 | 1 | 2 | 3;
  readonly fsdp: boolean;
  readonly offload: "none" | "optimizer-cpu" | "all-cpu" | "nvme";
  readonly activationOffloading: boolean;
  readonly optimizerInBackward: boolean;
  readonly lossChunks: number;
  readonly packed: boolean;
  readonly lora: LoraOptions;
}

/** Engine options; each engine reads its own and ignores the rest. */
export interface EngineOptions {
  readonly gpuMemoryUtilization?: number;
  readonly blockSize?: number;
  readonly maxNumBatchedTokens?: number;
  readonly enforceEager?: boolean;
  readonly enablePrefixCaching?: boolean;
  readonly nBatch?: number;
  readonly nUbatch?: number;
  readonly flashAttention?: "auto" | boolean;
  readonly gpuLayers?: number;
  readonly typeK?: string;
  readonly typeV?: string;
  readonly mmap?: boolean;
  /** llama.cpp: --tensor-split proportions per GPU. */
  readonly tensorSplit?: readonly number[];
  /** llama.cpp: --override-tensor rules, "regex=CPU" or "regex=CUDA1". */
  readonly overrideTensors?: readonly string[];
  /** llama.cpp: --cpu-moe (all experts in host memory) and --n-cpu-moe N (experts of the first N layers). */
  readonly cpuMoe?: boolean;
  readonly nCpuMoe?: number;
  /** llama.cpp: --swa-full, --kv-unified, --no-kv-offload (kvOffload false), --no-op-offload, --no-host. */
  readonly swaFull?: boolean;
  readonly kvUnified?: boolean;
  readonly kvOffload?: boolean;
  readonly opOffload?: boolean;
  readonly noHost?: boolean;
  /** llama.cpp build: "gpu" (default with GPU hardware) or "cpu" (no GPU backend). */
  readonly backend?: "gpu" | "cpu";
  /** llama.cpp CPU features deciding weight repacking: avx2 (default), avx512, amx, neon, none. */
  readonly cpuFeatures?: "avx2" | "avx512" | "amx" | "neon" | "none";
  readonly memFractionStatic?: number;
  /** Engine release whose allocation rules apply, e.g. "0.19.0" for vLLM (engines/vllm/behaviour.ts). */
  readonly engineVersion?: string;
  /** transformers: attn_implementation ("sdpa" default, "eager", "flash"). */
  readonly attention?: "eager" | "sdpa" | "flash";
  /** training: the model and loss run under torch.compile (torchtune `compile: True`, HF Trainer
   * `torch_compile`), which changes what autograd saves (training-activations.ts). Default false. */
  readonly compile?: boolean;
  /** ollama: OLLAMA_GPU_OVERHEAD, bytes its scheduler keeps back on every GPU (default 0). */
  readonly gpuOverheadBytes?: number;
}

/** A scenario with every default filled in (the `scenario` echoed in an estimate). */
export interface Scenario {
  readonly model: ModelRef;
  readonly engine: Engine;
  readonly task: "inference" | "training";
  /** undefined = the checkpoint's own dtype / native quantization. */
  readonly weights: string | undefined;
  readonly kvCache: string;
  readonly contextLength: number;
  readonly batch: number;
  readonly hardware: Hardware;
  readonly parallel: Parallel;
  readonly engineOptions: EngineOptions;
  readonly training: TrainingOptions | undefined;
}

export const DEFAULT_LORA: LoraOptions = {
  rank: 16,
  alpha: 32,
  targets: ["q_proj", "k_proj", "v_proj", "o_proj"],
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function bad(field: string, message: string, allowed?: readonly string[]): never {
  throw new MemlensError("invalid-value", `${field}: ${message}`, field, allowed);
}

function positiveInt(v: unknown, field: string, fallback: number, max = 2 ** 40): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max)
    bad(field, `must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v))
    bad(field, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`, allowed);
  return v as T;
}

function bool(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean")
    bad(field, `must be true or false, got ${JSON.stringify(v)}`, ["true", "false"]);
  return v;
}

function fraction(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !(v > 0 && v <= 1))
    bad(field, `must be a number in (0, 1], got ${JSON.stringify(v)}`);
  return v;
}

const KNOWN_TOP = new Set([
  "model",
  "engine",
  "task",
  "weights",
  "kvCache",
  "contextLength",
  "batch",
  "hardware",
  "parallel",
  "engineOptions",
  "training",
]);

/**
 * Validates a scenario object (SCENARIO.md v1) and fills in its defaults. Errors name the field
 * and what it allows; unknown top-level fields are rejected so typos do not pass silently.
 */
export function parseScenario(raw: unknown): Scenario {
  if (!isObject(raw)) bad("scenario", "must be a JSON object");
  for (const k of Object.keys(raw))
    if (!KNOWN_TOP.has(k)) bad(k, `unknown field; allowed: ${[...KNOWN_TOP].join(", ")}`, [...KNOWN_TOP]);

  const model = parseModelRef(raw.model);
  const task = oneOf(raw.task, "task", ["inference", "training"] as const, "inference");
  const engines: readonly string[] = task === "training" ? TRAINING_ENGINES : INFERENCE_ENGINES;
  const engine = oneOf(raw.engine, "engine", engines as readonly Engine[], "transformers");
  if (raw.weights !== undefined && (typeof raw.weights !== "string" || raw.weights === ""))
    bad("weights", "must be a weight format name such as bf16, fp8, gptq, nf4 or Q4_K_M");
  if (raw.kvCache !== undefined && typeof raw.kvCache !== "string")
    bad("kvCache", "must be a string such as auto, fp16, fp8 or q8_0");
  const contextLength = positiveInt(raw.contextLength, "contextLength", 8192, 2 ** 31);
  const batch = positiveInt(raw.batch, "batch", 1, 1 << 20);
  const hardware = parseHardware(raw.hardware);
  const parallel = parseParallel(raw.parallel);
  const engineOptions = parseEngineOptions(raw.engineOptions);
  const training = task === "training" ? parseTraining(raw.training) : undefined;
  if (task === "inference" && raw.training !== undefined)
    bad("training", 'only allowed with "task": "training"');
  return {
    model,
    engine,
    task,
    weights: raw.weights as string | undefined,
    kvCache: (raw.kvCache as string | undefined) ?? "auto",
    contextLength,
    batch,
    hardware,
    parallel,
    engineOptions,
    training,
  };
}

/** Refuses keys an object block does not define, so a misspelt option is an error, not a default. */
function onlyKeys(v: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  for (const k of Object.keys(v))
    if (!allowed.includes(k)) bad(`${field}.${k}`, `unknown field; allowed: ${allowed.join(", ")}`, allowed);
}

function parseModelRef(v: unknown): ModelRef {
  const allowed = ["id", "config", "gguf", "safetensors", "hfConfig"];
  if (!isObject(v)) bad("model", `must be an object with one of ${allowed.join(", ")}`, allowed);
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  if (keys.length !== 1 || !allowed.includes(keys[0]!))
    bad("model", `must have exactly one of ${allowed.join(", ")}; got ${keys.join(", ") || "none"}`, allowed);
  const k = keys[0]!;
  if (k === "hfConfig") {
    if (!isObject(v.hfConfig)) bad("model.hfConfig", "must be a config.json object");
    return { hfConfig: v.hfConfig };
  }
  const s = v[k];
  if (typeof s !== "string" || s.trim() === "") bad(`model.${k}`, "must be a non-empty string");
  switch (k) {
    case "id":
      return { id: s };
    case "config":
      return { config: s };
    case "gguf":
      return { gguf: s };
    default:
      return { safetensors: s };
  }
}

function parseHardware(v: unknown): Hardware {
  if (v === undefined) return { gpu: "H100-SXM-80GB", count: 1 };
  if (!isObject(v)) bad("hardware", "must be an object with gpu or memoryBytes, and count");
  onlyKeys(v, "hardware", ["gpu", "memoryBytes", "count"]);
  const count = positiveInt(v.count, "hardware.count", 1, 4096);
  if (v.gpu !== undefined && v.memoryBytes !== undefined)
    bad("hardware", "give gpu or memoryBytes, not both");
  if (v.gpu !== undefined) {
    if (typeof v.gpu !== "string" || v.gpu === "")
      bad("hardware.gpu", "must be a GPU id such as H100-SXM-80GB or RTX-4090");
    return { gpu: v.gpu, count };
  }
  if (v.memoryBytes !== undefined) {
    const m = v.memoryBytes;
    if (typeof m !== "number" || !Number.isSafeInteger(m) || m <= 0)
      bad("hardware.memoryBytes", `must be a positive whole number of bytes, got ${JSON.stringify(m)}`);
    return { memoryBytes: m, count };
  }
  bad("hardware", "needs gpu (a catalog id) or memoryBytes");
}

function parseParallel(v: unknown): Parallel {
  if (v === undefined) return { tensor: 1, pipeline: 1, data: 1, expert: 1 };
  if (!isObject(v)) bad("parallel", "must be an object {tensor, pipeline, data, expert}");
  onlyKeys(v, "parallel", ["tensor", "pipeline", "data", "expert"]);
  return {
    tensor: positiveInt(v.tensor, "parallel.tensor", 1, 1024),
    pipeline: positiveInt(v.pipeline, "parallel.pipeline", 1, 1024),
    data: positiveInt(v.data, "parallel.data", 1, 65536),
    expert: positiveInt(v.expert, "parallel.expert", 1, 1024),
  };
}

/** Every engineOptions key memlens reads (SCENARIO.md's, plus the llama.cpp placement options). */
export const ENGINE_OPTION_KEYS = [
  "gpuMemoryUtilization",
  "memFractionStatic",
  "engineVersion",
  "blockSize",
  "maxNumBatchedTokens",
  "enforceEager",
  "enablePrefixCaching",
  "nBatch",
  "nUbatch",
  "flashAttention",
  "gpuLayers",
  "typeK",
  "typeV",
  "mmap",
  "tensorSplit",
  "overrideTensors",
  "cpuMoe",
  "swaFull",
  "kvUnified",
  "kvOffload",
  "opOffload",
  "noHost",
  "nCpuMoe",
  "backend",
  "cpuFeatures",
  "attention",
  "compile",
  "gpuOverheadBytes",
] as const;

function parseEngineOptions(v: unknown): EngineOptions {
  if (v === undefined) return {};
  if (!isObject(v)) bad("engineOptions", "must be an object");
  // A misspelt option must not be dropped silently (the estimate would answer another question).
  for (const k of Object.keys(v))
    if (!(ENGINE_OPTION_KEYS as readonly string[]).includes(k))
      bad(
        `engineOptions.${k}`,
        `unknown option; allowed: ${ENGINE_OPTION_KEYS.join(", ")}`,
        ENGINE_OPTION_KEYS,
      );
  const o: Record<string, unknown> = {};
  const set = (k: string, x: unknown) => {
    if (x !== undefined) o[k] = x;
  };
  set("gpuMemoryUtilization", fraction(v.gpuMemoryUtilization, "engineOptions.gpuMemoryUtilization"));
  set("memFractionStatic", fraction(v.memFractionStatic, "engineOptions.memFractionStatic"));
  if (v.engineVersion !== undefined) {
    if (typeof v.engineVersion !== "string" || !/^v?\d+(\.\d+)*/.test(v.engineVersion))
      bad(
        "engineOptions.engineVersion",
        'must be a release such as "0.19.0" (or "v0" for vLLM\'s legacy engine)',
      );
    set("engineVersion", v.engineVersion);
  }
  if (v.blockSize !== undefined)
    set("blockSize", positiveInt(v.blockSize, "engineOptions.blockSize", 16, 4096));
  if (v.maxNumBatchedTokens !== undefined)
    set(
      "maxNumBatchedTokens",
      positiveInt(v.maxNumBatchedTokens, "engineOptions.maxNumBatchedTokens", 8192, 2 ** 24),
    );
  if (v.enforceEager !== undefined)
    set("enforceEager", bool(v.enforceEager, "engineOptions.enforceEager", false));
  if (v.enablePrefixCaching !== undefined)
    set("enablePrefixCaching", bool(v.enablePrefixCaching, "engineOptions.enablePrefixCaching", false));
  if (v.nBatch !== undefined) set("nBatch", positiveInt(v.nBatch, "engineOptions.nBatch", 2048, 2 ** 20));
  if (v.nUbatch !== undefined) set("nUbatch", positiveInt(v.nUbatch, "engineOptions.nUbatch", 512, 2 ** 20));
  if (v.flashAttention !== undefined) {
    if (v.flashAttention !== "auto" && typeof v.flashAttention !== "boolean")
      bad("engineOptions.flashAttention", 'must be "auto", true or false', ["auto", "true", "false"]);
    set("flashAttention", v.flashAttention);
  }
  if (v.gpuLayers !== undefined) {
    const g = v.gpuLayers;
    if (typeof g !== "number" || !Number.isInteger(g) || g < 0 || g > 10000)
      bad("engineOptions.gpuLayers", `must be a whole number from 0 to 10000, got ${JSON.stringify(g)}`);
    set("gpuLayers", g);
  }
  for (const k of ["typeK", "typeV"] as const)
    if (v[k] !== undefined) {
      if (typeof v[k] !== "string")
        bad(`engineOptions.${k}`, "must be a ggml type name such as f16, q8_0 or q4_0");
      set(k, v[k]);
    }
  if (v.mmap !== undefined) set("mmap", bool(v.mmap, "engineOptions.mmap", true));
  // llama.cpp placement and cache options (engines/llamacpp/settings.ts)
  if (v.tensorSplit !== undefined) {
    const ts = v.tensorSplit;
    if (
      !Array.isArray(ts) ||
      ts.length === 0 ||
      !ts.every((x) => typeof x === "number" && x >= 0 && Number.isFinite(x))
    )
      bad("engineOptions.tensorSplit", "must be a non-empty array of non-negative numbers, e.g. [3, 1]");
    set("tensorSplit", ts);
  }
  if (v.overrideTensors !== undefined) {
    const ot = v.overrideTensors;
    if (!Array.isArray(ot) || !ot.every((x) => typeof x === "string" && x.includes("=")))
      bad("engineOptions.overrideTensors", 'must be an array of "regex=CPU" or "regex=CUDA0" rules');
    set("overrideTensors", ot);
  }
  for (const k of ["cpuMoe", "swaFull", "kvUnified", "kvOffload", "opOffload", "noHost"] as const)
    if (v[k] !== undefined) set(k, bool(v[k], `engineOptions.${k}`, false));
  if (v.nCpuMoe !== undefined) {
    const n = v.nCpuMoe;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 10000)
      bad("engineOptions.nCpuMoe", `must be a whole number from 0 to 10000, got ${JSON.stringify(n)}`);
    set("nCpuMoe", n);
  }
  if (v.backend !== undefined)
    set("backend", oneOf(v.backend, "engineOptions.backend", ["gpu", "cpu"] as const, "gpu"));
  if (v.cpuFeatures !== undefined)
    set(
      "cpuFeatures",
      oneOf(
        v.cpuFeatures,
        "engineOptions.cpuFeatures",
        ["avx2", "avx512", "amx", "neon", "none"] as const,
        "avx2",
      ),
    );
  if (v.attention !== undefined)
    set(
      "attention",
      oneOf(v.attention, "engineOptions.attention", ["eager", "sdpa", "flash"] as const, "sdpa"),
    );
  if (v.compile !== undefined) set("compile", bool(v.compile, "engineOptions.compile", false));
  if (v.gpuOverheadBytes !== undefined) {
    const g = v.gpuOverheadBytes;
    if (typeof g !== "number" || !Number.isSafeInteger(g) || g < 0)
      bad(
        "engineOptions.gpuOverheadBytes",
        `must be a whole number of bytes, 0 or more, got ${JSON.stringify(g)}`,
      );
    set("gpuOverheadBytes", g);
  }
  return o as EngineOptions;
}

/** Every training key SCENARIO.md defines. */
const TRAINING_KEYS = [
  "method",
  "optimizer",
  "precision",
  "microBatch",
  "sequenceLength",
  "gradientAccumulation",
  "activationCheckpointing",
  "zeroStage",
  "fsdp",
  "offload",
  "activationOffloading",
  "optimizerInBackward",
  "lossChunks",
  "packed",
  "lora",
] as const;

function parseTraining(v: unknown): TrainingOptions {
  const t = v === undefined ? {} : v;
  if (!isObject(t)) bad("training", "must be an object");
  onlyKeys(t, "training", TRAINING_KEYS);
  const method = oneOf(t.method, "training.method", ["full", "lora", "qlora"] as const, "full");
  let lora = DEFAULT_LORA;
  if (t.lora !== undefined) {
    if (!isObject(t.lora)) bad("training.lora", "must be an object {rank, alpha, targets}");
    onlyKeys(t.lora, "training.lora", ["rank", "alpha", "targets"]);
    const alpha = t.lora.alpha;
    if (alpha !== undefined && (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha <= 0))
      bad("training.lora.alpha", `must be a positive number, got ${JSON.stringify(alpha)}`);
    const targets = t.lora.targets ?? DEFAULT_LORA.targets;
    if (
      !Array.isArray(targets) ||
      targets.length === 0 ||
      !targets.every((x) => typeof x === "string" && x !== "")
    )
      bad("training.lora.targets", 'must be a non-empty array of module names such as "q_proj"');
    lora = {
      rank: positiveInt(t.lora.rank, "training.lora.rank", DEFAULT_LORA.rank, 65536),
      alpha: (alpha as number | undefined) ?? DEFAULT_LORA.alpha,
      targets: targets as string[],
    };
  }
  const zero = t.zeroStage;
  if (zero !== undefined && zero !== 0 && zero !== 1 && zero !== 2 && zero !== 3)
    bad("training.zeroStage", `must be 0, 1, 2 or 3, got ${JSON.stringify(zero)}`, ["0", "1", "2", "3"]);
  return {
    method,
    optimizer: oneOf(
      t.optimizer,
      "training.optimizer",
      ["adamw", "adamw-8bit", "sgd", "adafactor"] as const,
      "adamw",
    ),
    precision: oneOf(
      t.precision,
      "training.precision",
      ["bf16-mixed", "fp16-mixed", "bf16", "fp32"] as const,
      "bf16-mixed",
    ),
    microBatch: positiveInt(t.microBatch, "training.microBatch", 1, 1 << 16),
    sequenceLength: positiveInt(t.sequenceLength, "training.sequenceLength", 2048, 1 << 24),
    gradientAccumulation: positiveInt(t.gradientAccumulation, "training.gradientAccumulation", 1, 1 << 16),
    activationCheckpointing: oneOf(
      t.activationCheckpointing,
      "training.activationCheckpointing",
      ["none", "selective", "full"] as const,
      "none",
    ),
    zeroStage: (zero as 0 | 1 | 2 | 3 | undefined) ?? 0,
    fsdp: bool(t.fsdp, "training.fsdp", false),
    offload: oneOf(
      t.offload,
      "training.offload",
      ["none", "optimizer-cpu", "all-cpu", "nvme"] as const,
      "none",
    ),
    activationOffloading: bool(t.activationOffloading, "training.activationOffloading", false),
    optimizerInBackward: bool(t.optimizerInBackward, "training.optimizerInBackward", false),
    lossChunks: positiveInt(t.lossChunks, "training.lossChunks", 1, 1024),
    packed: bool(t.packed, "training.packed", false),
    lora,
  };
}

/** The JSON form of a scenario, as echoed in an estimate (undefined fields omitted). */
export function scenarioToJson(s: Scenario): Record<string, unknown> {
  return JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
}
