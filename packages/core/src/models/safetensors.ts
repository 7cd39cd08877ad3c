/**
 * safetensors header parser (huggingface/safetensors docs/source/index.mdx "Format": an 8-byte
 * little-endian header size N, then N bytes of JSON {name: {dtype, shape, data_offsets: [begin,
 * end]}, "__metadata__": {string: string}}, then the data) and the sharded-checkpoint index
 * (model.safetensors.index.json: {"metadata": {"total_size"}, "weight_map": {name: file}}).
 * Untrusted input: the header size, tensor count, shapes and offsets are bounded and checked; a bad
 * header is a MemlensError("malformed-file").
 */
import { MemlensError } from "../errors/memlens-error.js";
import type { HeaderLimits, HeaderParseResult } from "./file-header.js";
import { decodeUtf8 } from "./gguf.js";

/** Bits per element of each safetensors dtype (safetensors src/tensor.rs `Dtype`). */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
};

export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: string;
  /** PyTorch shape. */
  readonly shape: readonly number[];
  readonly elements: number;
  /** Byte offsets in the data section (end exclusive). */
  readonly begin: number;
  readonly end: number;
  readonly bytes: number;
}

export interface SafetensorsHeader {
  /** The JSON header's length N (the file's data starts at 8 + N). */
  readonly headerBytes: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: readonly SafetensorsTensor[];
  /** Bytes of tensor data (the largest end offset). */
  readonly dataBytes: number;
  readonly tensorBytes: number;
  readonly bytesByDtype: Readonly<Record<string, number>>;
}

/** Header limits (`maxHeaderBytes`, the JSON header, defaults to 100 MiB; the reference implementation allows 100 MB). */
export interface SafetensorsLimits extends HeaderLimits {
  readonly maxTensors?: number;
}

export type SafetensorsParseResult = HeaderParseResult<SafetensorsHeader>;

function malformed(message: string): never {
  throw new MemlensError("malformed-file", `safetensors header: ${message}`, "safetensors");
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses a safetensors header from the first bytes of a file; `{kind: "truncated", bytesNeeded}`
 * when more bytes are needed.
 * @example parseSafetensorsHeader(first8AndHeader).kind === "header"
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  limits: SafetensorsLimits = {},
): SafetensorsParseResult {
  const maxHeader = limits.maxHeaderBytes ?? 100 * 1024 * 1024;
  const maxTensors = limits.maxTensors ?? 1 << 20;
  if (bytes.length < 8) return { kind: "truncated", bytesNeeded: 8 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(maxHeader)) malformed(`the header claims ${n} bytes, more than the ${maxHeader}-byte limit`);
  const len = Number(n);
  if (len < 2) malformed(`the header is ${len} bytes; it must hold a JSON object`);
  if (bytes.length < 8 + len) return { kind: "truncated", bytesNeeded: 8 + len };
  if (bytes[8] !== 0x7b) malformed('the header does not start with "{" (not a safetensors file?)');
  let json: unknown;
  try {
    // trailing spaces pad the header to an 8-byte boundary
    json = JSON.parse(decodeUtf8(bytes, 8, 8 + len).trimEnd());
  } catch (e) {
    malformed(`the header is not valid JSON (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
  }
  if (!isObj(json)) malformed("the header must be a JSON object");
  const names = Object.keys(json).filter((k) => k !== "__metadata__");
  if (names.length > maxTensors) malformed(`${names.length} tensors, more than the limit of ${maxTensors}`);
  const metadata: Record<string, string> = {};
  const meta = json.__metadata__;
  if (meta !== undefined) {
    if (!isObj(meta)) malformed('"__metadata__" must be an object of strings');
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== "string") malformed(`"__metadata__.${k}" must be a string`);
      metadata[k] = v;
    }
  }
  const tensors: SafetensorsTensor[] = [];
  const bytesByDtype: Record<string, number> = {};
  let dataBytes = 0;
  let tensorBytes = 0;
  for (const name of names) {
    const t = json[name];
    if (!isObj(t)) malformed(`tensor "${name}" must be an object {dtype, shape, data_offsets}`);
    const dtype = t.dtype;
    if (typeof dtype !== "string" || !(dtype in SAFETENSORS_DTYPE_BITS))
      malformed(
        `tensor "${name}" has dtype ${JSON.stringify(dtype)}; allowed: ${Object.keys(SAFETENSORS_DTYPE_BITS).join(", ")}`,
      );
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.length > 8)
      malformed(`tensor "${name}" shape must be an array of at most 8 dimensions`);
    let elements = 1;
    for (const d of shape) {
      if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
        malformed(
          `tensor "${name}" has a dimension ${JSON.stringify(d)}; dimensions are non-negative integers`,
        );
      elements *= d;
      if (!Number.isSafeInteger(elements)) malformed(`tensor "${name}" has more than 2^53 elements`);
    }
    const off = t.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0) ||
      off[1] < off[0]
    )
      malformed(`tensor "${name}" data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
    const [begin, end] = off as [number, number];
    const bits = SAFETENSORS_DTYPE_BITS[dtype]!;
    const expected = Math.ceil((elements * bits) / 8);
    if (end - begin !== expected)
      malformed(
        `tensor "${name}" spans ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${expected}`,
      );
    if (limits.fileBytes !== undefined && 8 + len + end > limits.fileBytes)
      malformed(
        `tensor "${name}" ends at byte ${8 + len + end} but the file has ${limits.fileBytes} (truncated download?)`,
      );
    dataBytes = Math.max(dataBytes, end);
    tensorBytes += expected;
    bytesByDtype[dtype] = (bytesByDtype[dtype] ?? 0) + expected;
    tensors.push({ name, dtype, shape: shape as number[], elements, begin, end, bytes: expected });
  }
  // The format forbids overlapping tensors (safetensors validate(): "InvalidOffset").
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]!.begin < sorted[i - 1]!.end && sorted[i]!.bytes > 0)
      malformed(`tensors "${sorted[i - 1]!.name}" and "${sorted[i]!.name}" overlap`);
  return {
    kind: "header",
    header: { headerBytes: len, metadata, tensors, dataBytes, tensorBytes, bytesByDtype },
  };
}

export interface SafetensorsIndex {
  readonly totalSize: number | null;
  /** Tensor name → shard file name. */
  readonly weightMap: Readonly<Record<string, string>>;
  /** Shard files in first-seen order. */
  readonly files: readonly string[];
}

/** Reads a model.safetensors.index.json object (sharded checkpoints). */
export function parseSafetensorsIndex(raw: unknown): SafetensorsIndex {
  if (!isObj(raw) || !isObj(raw.weight_map))
    throw new MemlensError(
      "malformed-file",
      'safetensors index: expected {"weight_map": {tensor: file}}',
      "safetensors",
    );
  const weightMap: Record<string, string> = {};
  const files: string[] = [];
  for (const [k, v] of Object.entries(raw.weight_map)) {
    if (typeof v !== "string" || v === "" || v.includes("/") || v.includes("\\") || v.startsWith("."))
      throw new MemlensError(
        "malformed-file",
        `safetensors index: weight_map["${k}"] must be a shard file name in the same folder`,
        "safetensors",
      );
    weightMap[k] = v;
    if (!files.includes(v)) files.push(v);
  }
  const meta = isObj(raw.metadata) ? raw.metadata : {};
  const total = meta.total_size;
  return {
    totalSize: typeof total === "number" && Number.isSafeInteger(total) ? total : null,
    weightMap,
    files,
  };
}

/** Exact checkpoint bytes of several shards, by dtype. */
export function summarizeSafetensors(headers: readonly SafetensorsHeader[]): {
  tensors: number;
  parameters: number;
  bytes: number;
  bytesByDtype: Record<string, number>;
} {
  const bytesByDtype: Record<string, number> = {};
  let bytes = 0;
  let parameters = 0;
  let tensors = 0;
  for (const h of headers)
    for (const t of h.tensors) {
      tensors++;
      bytes += t.bytes;
      parameters += t.elements;
      bytesByDtype[t.dtype] = (bytesByDtype[t.dtype] ?? 0) + t.bytes;
    }
  return { tensors, parameters, bytes, bytesByDtype };
}
