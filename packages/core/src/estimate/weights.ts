import { GGUF_FILE_TYPES, ggmlTensorBytes, lookupGgmlType, quantizedMatrixBytes } from "../catalog/dtypes.js";
import { describeAllowed, MemlensError } from "../errors/memlens-error.js";
import { countElements, type ModelSpec, type TensorRole, type TensorSpec } from "../models/model-spec.js";
import { deepFreeze, OwnerMemo } from "../units/memo.js";

/** How the weights are stored in memory. */
export type WeightFormat =
  | { readonly kind: "dense"; readonly dtype: "fp32" | "fp16" | "bf16" }
  /** FP8 E4M3 linear weights; `block` = [rows, cols] of one FP32 scale (DeepSeek-V3), or per-tensor. */
  | { readonly kind: "fp8"; readonly block: readonly [number, number] | null }
  /** int8 linear weights: bitsandbytes LLM.int8 ("int8") or compressed-tensors W8A8 ("w8a8"). */
  | { readonly kind: "int8"; readonly method: "int8" | "w8a8" }
  /** 4-bit integer linear weights with per-group FP16 scales (GPTQ / AWQ / W4A16). */
  | { readonly kind: "int4"; readonly method: "gptq" | "awq" | "w4a16"; readonly groupSize: number }
  /** bitsandbytes NF4 (QLoRA), with or without double quantization of the absmax constants. */
  | { readonly kind: "nf4"; readonly doubleQuant: boolean }
  /** MXFP4 routed experts (gpt-oss); everything else at the checkpoint dtype. */
  | { readonly kind: "mxfp4" }
  /** A GGUF file type: llama.cpp's ftype name, e.g. "Q4_K_M". */
  | { readonly kind: "gguf"; readonly fileType: string }
  /**
   * A pre-quantized checkpoint as it ships (NVFP4, FP8 with exclusions, AWQ, GPTQ, bitsandbytes,
   * compressed-tensors, ModelOpt mixed precision): each tensor's own `stored` format, the rest at
   * the checkpoint dtype. `name` is the checkpoint's method ("nvfp4", "fp8", "awq", ...).
   */
  | { readonly kind: "checkpoint"; readonly name: string };

export const WEIGHT_FORMAT_NAMES = [
  "fp32",
  "bf16",
  "fp16",
  "fp8",
  "int8",
  "w8a8",
  "w4a16",
  "awq",
  "gptq",
  "nf4",
  "mxfp4",
] as const;

/**
 * A Hugging Face checkpoint format (one of WEIGHT_FORMAT_NAMES or a dtype alias such as
 * "bfloat16"), as opposed to a GGUF file type: what vLLM, SGLang and transformers load.
 */
export function isCheckpointWeightName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    (WEIGHT_FORMAT_NAMES as readonly string[]).includes(lower) ||
    DTYPE_ALIASES.includes(lower) ||
    CHECKPOINT_ONLY_NAMES.includes(lower)
  );
}
const DTYPE_ALIASES: readonly string[] = ["float32", "float16", "bfloat16"];
/** Methods memlens reads only from a checkpoint that ships them (checkpoint-quant.ts). */
const CHECKPOINT_ONLY_NAMES: readonly string[] = ["nvfp4", "mixed"];

/** All names the `weights` field accepts: the plain formats plus every GGUF file type. */
export function allowedWeightNames(): string[] {
  return [...WEIGHT_FORMAT_NAMES, ...GGUF_FILE_TYPES.map((t) => t.name)];
}

/**
 * Parses a scenario `weights` value. `undefined` means the checkpoint as published: its dtype,
 * or its native quantization (FP8 for DeepSeek-V3, MXFP4 experts for gpt-oss).
 */
export function parseWeightFormat(
  name: string | undefined,
  spec: ModelSpec,
  field = "weights",
): WeightFormat {
  if (name === undefined) return nativeWeightFormat(spec);
  const lower = name.toLowerCase();
  // The checkpoint's own method name means the checkpoint as it ships.
  if (spec.nativeQuantization?.appliedNote !== undefined && lower === spec.nativeQuantization.method)
    return nativeWeightFormat(spec);
  switch (lower) {
    case "fp32":
    case "float32":
      return { kind: "dense", dtype: "fp32" };
    case "fp16":
    case "float16":
      return { kind: "dense", dtype: "fp16" };
    case "bf16":
    case "bfloat16":
      return { kind: "dense", dtype: "bf16" };
    case "fp8":
      return { kind: "fp8", block: spec.nativeQuantization?.method === "fp8" ? [128, 128] : null };
    case "int8":
    case "w8a8":
      return { kind: "int8", method: lower };
    case "gptq":
    case "awq":
    case "w4a16":
      return { kind: "int4", method: lower, groupSize: 128 };
    case "nf4":
      return { kind: "nf4", doubleQuant: false };
    case "mxfp4":
      return { kind: "mxfp4" };
  }
  const ggufType = GGUF_FILE_TYPES.find((t) => t.name.toLowerCase() === lower);
  if (ggufType) return { kind: "gguf", fileType: ggufType.name };
  throw new MemlensError(
    "unknown-dtype",
    `${field} "${name}" is not a known weight format; allowed: ${describeAllowed(allowedWeightNames(), 30)}`,
    field,
    allowedWeightNames(),
  );
}

/**
 * The checkpoint as published: its dtype, or its own quantization. A checkpoint whose tensors are
 * stored exactly as a plain format would store them (DeepSeek-V3's FP8 blocks on every decoder
 * linear layer, gpt-oss's MXFP4 experts) reads as that format; any other (NVFP4, exclusion lists
 * that keep decoder layers in 16 bit, AWQ, GPTQ, ...) as `checkpoint`.
 */
function nativeWeightFormat(spec: ModelSpec): WeightFormat {
  let f = nativeFormats.get(spec);
  if (!f) {
    f = deepFreeze(computeNativeWeightFormat(spec));
    nativeFormats.set(spec, f);
  }
  return f;
}

// What depends only on the model is memoised per ModelSpec (specs are read-only): the native
// format scans every tensor, and every estimate asks for it.
const nativeFormats = new WeakMap<ModelSpec, WeightFormat>();

function computeNativeWeightFormat(spec: ModelSpec): WeightFormat {
  const q = spec.nativeQuantization;
  if (q?.appliedNote === undefined) {
    if (q?.method === "fp8") return { kind: "fp8", block: [128, 128] };
    if (q?.method === "mxfp4") return { kind: "mxfp4" };
    return { kind: "dense", dtype: spec.checkpointDtype };
  }
  const plain = plainEquivalent(spec);
  return plain ?? { kind: "checkpoint", name: q.method };
}

function plainEquivalent(spec: ModelSpec): WeightFormat | null {
  const first = spec.tensors.find((t) => t.stored)?.stored;
  if (!first) return null;
  let plain: WeightFormat;
  if (first.scheme === "mxfp4") plain = { kind: "mxfp4" };
  else if (first.scheme === "fp8" && first.options.scaleGranularity === "block") {
    const [bn, bk] = first.options.blockShape ?? [128, 128];
    if (bn !== 128 || bk !== 128) return null;
    plain = { kind: "fp8", block: [128, 128] };
  } else return null;
  for (const t of spec.tensors) {
    const lin = linearDims(t) !== null && (plain.kind !== "mxfp4" || t.role === "expert");
    if (lin !== (t.stored !== undefined)) return null;
    if (t.stored && JSON.stringify(t.stored) !== JSON.stringify(first)) return null;
  }
  return plain;
}

/** The scenario `weights` name of a format (what `parseWeightFormat` reads back). */
export function weightFormatName(f: WeightFormat): string {
  switch (f.kind) {
    case "dense":
      return f.dtype;
    case "fp8":
      return "fp8";
    case "int8":
      return f.method;
    case "int4":
      return f.method;
    case "nf4":
      return "nf4";
    case "mxfp4":
      return "mxfp4";
    case "gguf":
      return f.fileType;
    case "checkpoint":
      return f.name;
  }
}

export function describeWeightFormat(f: WeightFormat): string {
  switch (f.kind) {
    case "dense":
      return f.dtype;
    case "fp8":
      return f.block ? `fp8 (${f.block.join("×")} block scales)` : "fp8";
    case "int8":
      return f.method;
    case "int4":
      return `${f.method} 4-bit, group ${f.groupSize}`;
    case "nf4":
      return f.doubleQuant ? "nf4 (double quant)" : "nf4";
    case "mxfp4":
      return "mxfp4 experts";
    case "gguf":
      return `GGUF ${f.fileType}`;
    case "checkpoint":
      return `${f.name} (as the checkpoint stores it)`;
  }
}

const QUANTIZABLE: ReadonlySet<TensorRole> = new Set(["attention", "mlp", "expert", "shared-expert"]);

/** A 2-D (or stacked 3-D expert) projection matrix that quantizers convert; [matrices, out, in]. */
function linearDims(t: TensorSpec): { count: number; out: number; inp: number } | null {
  if (!QUANTIZABLE.has(t.role) || (!t.name.endsWith("weight") && t.role !== "expert")) return null;
  if (t.name.endsWith("_bias") || t.name.endsWith(".bias")) return null;
  if (t.shape.length === 2) return { count: 1, out: t.shape[0]!, inp: t.shape[1]! };
  if (t.shape.length === 3 && t.role === "expert")
    return { count: t.shape[0]!, out: t.shape[1]!, inp: t.shape[2]! };
  return null;
}

const denseBytes: Record<"fp32" | "fp16" | "bf16", number> = { fp32: 4, fp16: 2, bf16: 2 };

/** Bytes of one tensor stored in `format` (unquantized tensors stay at `baseDtype`). */
export function tensorBytes(
  t: TensorSpec,
  format: WeightFormat,
  baseDtype: "fp32" | "fp16" | "bf16",
): number {
  const n = countElements(t.shape);
  const base = n * denseBytes[baseDtype];
  if (format.kind === "dense") return n * denseBytes[format.dtype];
  if (format.kind === "gguf") return ggufUniformTensorBytes(t, format.fileType);
  if (format.kind === "checkpoint") return storedTensorBytes(t, base);
  const lin = linearDims(t);
  if (!lin) return base;
  if (format.kind === "mxfp4") {
    if (t.role !== "expert") return base;
    return lin.count * quantizedMatrixBytes("mxfp4", lin.out, lin.inp);
  }
  switch (format.kind) {
    case "fp8":
      if (format.block)
        // DeepSeek-V3 FP8: one FP32 scale per 128×128 block (weight_scale_inv).
        return (
          lin.count *
          quantizedMatrixBytes("fp8", lin.out, lin.inp, {
            scaleGranularity: "block",
            blockShape: format.block,
          })
        );
      return lin.count * quantizedMatrixBytes("fp8", lin.out, lin.inp);
    case "int8":
      return (
        lin.count * quantizedMatrixBytes(format.method === "int8" ? "int8-bnb" : "w8a8", lin.out, lin.inp)
      );
    case "int4":
      return (
        lin.count * quantizedMatrixBytes(format.method, lin.out, lin.inp, { groupSize: format.groupSize })
      );
    case "nf4":
      return lin.count * quantizedMatrixBytes("nf4", lin.out, lin.inp, { doubleQuant: format.doubleQuant });
  }
}

/** Bytes of a tensor as a pre-quantized checkpoint stores it (`stored`), or `baseBytes` when 16-bit. */
function storedTensorBytes(t: TensorSpec, baseBytes: number): number {
  if (!t.stored) return baseBytes;
  const s = t.shape;
  const [count, out, inp] = s.length === 3 ? [s[0]!, s[1]!, s[2]!] : [1, s[0]!, s[s.length - 1]!];
  const bias = (t.stored.biasBytesPerRow ?? 0) * out;
  return count * (quantizedMatrixBytes(t.stored.scheme, out, inp, t.stored.options) + bias);
}

/**
 * A GGUF file of one type throughout: 1-D tensors F32 (llama.cpp keeps norms and biases in F32),
 * matrices at the file type's base ggml type, or F16 where a row is not whole blocks. The
 * per-tensor mix llama.cpp's quantizer really applies lives in engines/llamacpp.
 */
function ggufUniformTensorBytes(t: TensorSpec, fileType: string): number {
  const n = countElements(t.shape);
  if (t.shape.length < 2) return 4 * n;
  const ft = GGUF_FILE_TYPES.find((x) => x.name === fileType);
  const base = ft?.baseType ?? "F16";
  const rowLen = t.shape[t.shape.length - 1]!;
  if (rowLen % lookupGgmlType(base).blockSize !== 0) return ggmlTensorBytes("F16", n);
  return ggmlTensorBytes(base, n);
}

/**
 * Dtype of the tensors a format leaves unquantized, and of activations and the KV cache: the
 * format's own for dense weights; otherwise the checkpoint's, with FP32 checkpoints computed in
 * FP16 (transformers' quantizers override torch_dtype=None/float32 with float16).
 */
export function computeDtypeOf(format: WeightFormat, spec: ModelSpec): "fp32" | "fp16" | "bf16" {
  if (format.kind === "dense") return format.dtype;
  return spec.checkpointDtype === "fp32" ? "fp16" : spec.checkpointDtype;
}

export interface WeightBreakdown {
  readonly totalBytes: number;
  /** Bytes of tensors inside decoder layer i. */
  readonly layerBytes: readonly number[];
  /** Bytes outside the layer stack: embeddings, final norm, output head, vision tower. */
  readonly nonLayerBytes: number;
  readonly embeddingBytes: number;
  readonly outputBytes: number;
  /** Routed-expert bytes (all experts). */
  readonly expertBytes: number;
  readonly byRole: Readonly<Partial<Record<TensorRole, number>>>;
}

const breakdowns = new OwnerMemo<ModelSpec, WeightBreakdown>(64);

/**
 * Exact weight bytes of every tensor of `spec` stored as `format`: memoised per model and format
 * (at most 64 formats per model), frozen since it is shared.
 */
export function estimateWeights(spec: ModelSpec, format: WeightFormat): WeightBreakdown {
  return breakdowns.get(spec, weightFormatKey(format), () => deepFreeze(computeWeights(spec, format)));
}

/**
 * A string naming a format exactly (two formats with the same key store every tensor alike):
 * its JSON, as every format is built with its fields in one order.
 */
export const weightFormatKey = (f: WeightFormat): string => JSON.stringify(f);

function computeWeights(spec: ModelSpec, format: WeightFormat): WeightBreakdown {
  const baseDtype = computeDtypeOf(format, spec);
  const layerBytes = new Array<number>(spec.numLayers).fill(0);
  const byRole: Partial<Record<TensorRole, number>> = {};
  let total = 0;
  let nonLayer = 0;
  let embedding = 0;
  let output = 0;
  let experts = 0;
  for (const t of spec.tensors) {
    const b = tensorBytes(t, format, baseDtype);
    total += b;
    byRole[t.role] = (byRole[t.role] ?? 0) + b;
    if (t.layer === null) nonLayer += b;
    else layerBytes[t.layer] = (layerBytes[t.layer] ?? 0) + b;
    if (t.role === "embedding") embedding += b;
    if (t.role === "output") output += b;
    if (t.role === "expert") experts += b;
  }
  return {
    totalBytes: total,
    layerBytes,
    nonLayerBytes: nonLayer,
    embeddingBytes: embedding,
    outputBytes: output,
    expertBytes: experts,
    byRole,
  };
}

/**
 * Weight bytes of a model known only by its parameter count, stored at one dense dtype
 * (the knowledge base's "footprint by size and precision"). 7e9 at fp16 = 14e9 bytes.
 */
export function weightBytesForParameterCount(
  parameters: number,
  dtype: "fp32" | "fp16" | "bf16" | "fp8" | "int8" | "int4",
): number {
  const perParam = { fp32: 4, fp16: 2, bf16: 2, fp8: 1, int8: 1, int4: 0.5 }[dtype];
  return Math.ceil(parameters * perParam);
}
