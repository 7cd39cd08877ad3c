/**
 * GGUF header parser: the metadata key/values and the tensor infos of a GGUF file, read from bytes
 * the caller supplies (core does no I/O; the CLI reads a bounded prefix of the file, the web app
 * uploads one). Headers are untrusted input: every count, length, dimension and offset is checked
 * against a limit before it is used, nothing is allocated in proportion to a claimed size, and a
 * malformed header is a MemlensError("malformed-file") that says what is wrong and where.
 *
 * Format: ggml-org/ggml docs/gguf.md (GGUF v2/v3: little-endian, u64 counts and string lengths);
 * the checks mirror llama.cpp's reader (ggml/src/gguf.cpp gguf_init_from_file_impl @de3ff815:
 * duplicate keys and tensor names, ≤ 4 dims, non-negative ne, alignment a power of two, tensor data
 * contiguous in info order with each tensor padded to the alignment).
 */
import { GGML_REMOVED_TYPE_IDS, type GgmlType, ggmlRowBytes, ggmlTypeById } from "../catalog/dtypes.js";
import { MemlensError } from "../errors/memlens-error.js";
import type { HeaderLimits, HeaderParseResult } from "./file-header.js";

/** GGUF metadata value types (gguf.md `enum gguf_metadata_value_type`). */
export const GGUF_VALUE_TYPES = [
  "uint8",
  "int8",
  "uint16",
  "int16",
  "uint32",
  "int32",
  "float32",
  "bool",
  "string",
  "array",
  "uint64",
  "int64",
  "float64",
] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

/** A long array kept only as its element type and length (tokenizer vocabularies, merges). */
export interface GgufArraySummary {
  readonly kind: "array-summary";
  readonly elementType: GgufValueType;
  readonly length: number;
}

/** u64/i64 values outside ±2^53 stay bigint; every other number is a JS number. */
export type GgufValue = number | bigint | boolean | string | readonly GgufValue[] | GgufArraySummary;

export interface GgufTensorInfo {
  readonly name: string;
  /** enum ggml_type value stored in the file. */
  readonly typeId: number;
  /** ggml type name as memlens' catalog spells it ("Q4_K", "F16"). */
  readonly type: string;
  /** ggml ne[]: ne[0] is the contiguous row length (the reverse of a PyTorch shape). */
  readonly ne: readonly number[];
  readonly elements: number;
  /** Exact data bytes: rows × ne[0] / block size × bytes per block (ggml_nbytes). */
  readonly bytes: number;
  /** Offset of the tensor data from the start of the data section. */
  readonly offset: number;
}

export interface GgufHeader {
  readonly version: 2 | 3;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  /** Declared type of each metadata key (arrays: "array"). */
  readonly metadataTypes: ReadonlyMap<string, GgufValueType>;
  readonly tensors: readonly GgufTensorInfo[];
  /** general.alignment (default 32). */
  readonly alignment: number;
  /** Bytes of the header proper: magic, counts, key/values and tensor infos. */
  readonly headerBytes: number;
  /** Absolute file offset where tensor data starts (headerBytes padded to the alignment). */
  readonly dataOffset: number;
  /** Bytes of the data section: the last tensor's offset plus its bytes (0 without tensors). */
  readonly dataBytes: number;
  /** Sum of tensor bytes (without alignment padding). */
  readonly tensorBytes: number;
}

/** Header limits (`maxHeaderBytes` defaults to 1 GiB). */
export interface GgufParseLimits extends HeaderLimits {
  /** Most tensors a header may declare (default 2^20). */
  readonly maxTensors?: number;
  /** Most metadata keys (default 2^20). */
  readonly maxKeys?: number;
  /** Longest string value in bytes (default 64 MiB). */
  readonly maxStringBytes?: number;
  /** Longest array (default 2^27 elements). */
  readonly maxArrayLength?: number;
  /** Arrays longer than this are kept as a summary (default 65,536; string arrays: 4,096). */
  readonly keepArrayLength?: number;
}

export type GgufParseResult = HeaderParseResult<GgufHeader>;

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGML_MAX_DIMS = 4; // ggml.h
const MAX_TENSOR_NAME_BYTES = 256; // llama.cpp GGML_MAX_NAME is 64; forks raise it
const MAX_KEY_BYTES = 65_536;
const MAX_ARRAY_DEPTH = 3;
const DEFAULTS = {
  maxTensors: 1 << 20,
  maxKeys: 1 << 20,
  maxStringBytes: 64 * 1024 * 1024,
  maxArrayLength: 1 << 27,
  maxHeaderBytes: 1024 * 1024 * 1024,
  keepArrayLength: 65_536,
};
const KEEP_STRING_ARRAY = 4096;

/** Thrown inside the parser when the buffer ends early; turned into a "truncated" result. */
class NeedMore {
  constructor(readonly bytesNeeded: number) {}
}

function malformed(message: string): never {
  throw new MemlensError("malformed-file", `GGUF header: ${message}`, "gguf");
}

class Cursor {
  pos = 0;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly maxHeaderBytes: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    const end = this.pos + n;
    if (end > this.maxHeaderBytes)
      malformed(`${what} would end at byte ${end}, past the ${this.maxHeaderBytes}-byte header limit`);
    if (end > this.bytes.length) throw new NeedMore(end);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** A u64 that must be a safe integer no larger than `max` (counts, lengths, dims, offsets). */
  count(what: string, max: number): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(max)) malformed(`${what} is ${v}, more than the limit of ${max}`);
    return Number(v);
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
  scalar(type: GgufValueType, what: string): number | bigint | boolean {
    const v = this.view;
    const at = this.pos;
    switch (type) {
      case "uint8":
        this.need(1, what);
        this.pos += 1;
        return v.getUint8(at);
      case "int8":
        this.need(1, what);
        this.pos += 1;
        return v.getInt8(at);
      case "uint16":
        this.need(2, what);
        this.pos += 2;
        return v.getUint16(at, true);
      case "int16":
        this.need(2, what);
        this.pos += 2;
        return v.getInt16(at, true);
      case "uint32":
        this.need(4, what);
        this.pos += 4;
        return v.getUint32(at, true);
      case "int32":
        this.need(4, what);
        this.pos += 4;
        return v.getInt32(at, true);
      case "float32":
        this.need(4, what);
        this.pos += 4;
        return v.getFloat32(at, true);
      case "float64":
        this.need(8, what);
        this.pos += 8;
        return v.getFloat64(at, true);
      case "bool": {
        this.need(1, what);
        this.pos += 1;
        const b = v.getUint8(at);
        if (b > 1) malformed(`${what} is a bool stored as ${b} (must be 0 or 1)`);
        return b === 1;
      }
      case "uint64": {
        this.need(8, what);
        this.pos += 8;
        const x = v.getBigUint64(at, true);
        return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
      }
      case "int64": {
        this.need(8, what);
        this.pos += 8;
        const x = v.getBigInt64(at, true);
        return x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= BigInt(-Number.MAX_SAFE_INTEGER) ? Number(x) : x;
      }
      default:
        return malformed(`${what}: ${type} is not a scalar type`);
    }
  }
}

const SCALAR_BYTES: Partial<Record<GgufValueType, number>> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  uint64: 8,
  int64: 8,
  float64: 8,
};

/** UTF-8 bytes to a string; invalid sequences become U+FFFD (no DOM TextDecoder in core). */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  let chunk: number[] = [];
  const flush = () => {
    out += String.fromCharCode(...chunk);
    chunk = [];
  };
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    let cp: number;
    let n = 0;
    if (b < 0x80) {
      cp = b;
    } else if (b >= 0xc2 && b < 0xe0) {
      cp = b & 0x1f;
      n = 1;
    } else if (b >= 0xe0 && b < 0xf0) {
      cp = b & 0x0f;
      n = 2;
    } else if (b >= 0xf0 && b < 0xf5) {
      cp = b & 0x07;
      n = 3;
    } else {
      cp = 0xfffd;
    }
    i++;
    if (n > 0) {
      let ok = i + n <= end;
      for (let k = 0; ok && k < n; k++) {
        const c = bytes[i + k]!;
        if ((c & 0xc0) !== 0x80) ok = false;
        else cp = (cp << 6) | (c & 0x3f);
      }
      const min = n === 1 ? 0x80 : n === 2 ? 0x800 : 0x10000;
      if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
      else i += n;
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else chunk.push(cp);
    if (chunk.length >= 8192) flush();
  }
  flush();
  return out;
}

function valueTypeOf(id: number, what: string): GgufValueType {
  const t = GGUF_VALUE_TYPES[id];
  if (t === undefined) malformed(`${what} has value type ${id}; allowed 0-${GGUF_VALUE_TYPES.length - 1}`);
  return t;
}

function ggmlTypeOf(id: number, what: string): GgmlType {
  try {
    return ggmlTypeById(id);
  } catch {
    const removed = GGML_REMOVED_TYPE_IDS.find((r) => r.id === id);
    return malformed(
      removed
        ? `${what} has ggml type ${id} (${removed.name}), which llama.cpp no longer loads`
        : `${what} has ggml type ${id}, which is not a ggml type`,
    );
  }
}

const pad = (n: number, align: number): number => Math.ceil(n / align) * align;

/**
 * Parses a GGUF header from the first bytes of a file. Returns `{kind: "truncated", bytesNeeded}`
 * when `bytes` ends before the header does (read that many bytes and call again), and throws
 * MemlensError("malformed-file") when the header is invalid.
 * @example parseGgufHeader(firstMebibytes).kind === "header"
 */
export function parseGgufHeader(bytes: Uint8Array, limits: GgufParseLimits = {}): GgufParseResult {
  const lim = { ...DEFAULTS, ...limits };
  try {
    return { kind: "header", header: parse(bytes, lim) };
  } catch (e) {
    if (e instanceof NeedMore) return { kind: "truncated", bytesNeeded: e.bytesNeeded };
    throw e;
  }
}

/** Like parseGgufHeader, but a truncated buffer is an error (for callers holding the whole header). */
export function readGgufHeader(bytes: Uint8Array, limits: GgufParseLimits = {}): GgufHeader {
  const r = parseGgufHeader(bytes, limits);
  if (r.kind === "truncated")
    malformed(`the data ends at byte ${bytes.length} but the header needs at least ${r.bytesNeeded} bytes`);
  return r.header;
}

function parse(bytes: Uint8Array, lim: typeof DEFAULTS & GgufParseLimits): GgufHeader {
  const c = new Cursor(bytes, lim.maxHeaderBytes);
  const magic = c.u32("magic");
  if (magic !== GGUF_MAGIC) {
    const seen = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    malformed(`not a GGUF file (magic bytes ${seen}, expected 47 47 55 46 "GGUF")`);
  }
  const version = c.u32("version");
  if (version === 1) malformed("GGUF version 1 is not supported (llama.cpp reads versions 2 and 3)");
  if (version !== 2 && version !== 3) {
    if ((version & 0xffff) === 0 && version !== 0)
      malformed(`version field is ${version}: this looks like a big-endian GGUF, which is not supported`);
    malformed(`unknown GGUF version ${version} (supported: 2, 3)`);
  }
  const nTensors = c.count("tensor count", lim.maxTensors);
  const nKv = c.count("metadata key/value count", lim.maxKeys);

  const metadata = new Map<string, GgufValue>();
  const metadataTypes = new Map<string, GgufValueType>();
  const readString = (what: string, max: number): string => {
    const len = c.count(`${what} length`, max);
    c.need(len, what);
    const s = decodeUtf8(bytes, c.pos, c.pos + len);
    c.pos += len;
    return s;
  };
  const skipString = (what: string): void => {
    const len = c.count(`${what} length`, lim.maxStringBytes);
    c.skip(len, what);
  };
  const readValue = (type: GgufValueType, what: string, depth: number): GgufValue => {
    if (type === "string") return readString(what, lim.maxStringBytes);
    if (type !== "array") return c.scalar(type, what);
    if (depth >= MAX_ARRAY_DEPTH) malformed(`${what}: arrays nested deeper than ${MAX_ARRAY_DEPTH} levels`);
    const elementType = valueTypeOf(c.u32(`${what} element type`), `${what} element`);
    const length = c.count(`${what} array length`, lim.maxArrayLength);
    const size = SCALAR_BYTES[elementType];
    const keepLimit =
      elementType === "string" ? Math.min(KEEP_STRING_ARRAY, lim.keepArrayLength) : lim.keepArrayLength;
    if (length > keepLimit) {
      // Walk past it without building values: fixed-size elements in one step, strings one by one.
      if (size !== undefined) c.skip(length * size, `${what} (${length} × ${elementType})`);
      else
        for (let i = 0; i < length; i++) {
          if (elementType === "string") skipString(`${what}[${i}]`);
          else readValue(elementType, `${what}[${i}]`, depth + 1);
        }
      return { kind: "array-summary", elementType, length };
    }
    // Check the whole fixed-size payload is present before allocating the array.
    if (size !== undefined) c.need(length * size, `${what} (${length} × ${elementType})`);
    const out: GgufValue[] = [];
    for (let i = 0; i < length; i++) out.push(readValue(elementType, `${what}[${i}]`, depth + 1));
    return out;
  };

  for (let i = 0; i < nKv; i++) {
    const key = readString(`metadata key ${i}`, MAX_KEY_BYTES);
    if (metadata.has(key)) malformed(`duplicate metadata key "${key}"`);
    const type = valueTypeOf(c.u32(`type of "${key}"`), `metadata "${key}"`);
    metadata.set(key, readValue(type, `metadata "${key}"`, 0));
    metadataTypes.set(key, type);
  }

  let alignment = 32; // GGUF_DEFAULT_ALIGNMENT
  if (metadata.has("general.alignment")) {
    const a = metadata.get("general.alignment");
    if (metadataTypes.get("general.alignment") !== "uint32" || typeof a !== "number")
      malformed('"general.alignment" must be a uint32');
    if (a === 0 || (a & (a - 1)) !== 0) malformed(`"general.alignment" is ${a}; it must be a power of two`);
    alignment = a;
  }

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  let expectedOffset = 0;
  let tensorBytes = 0;
  for (let i = 0; i < nTensors; i++) {
    const name = readString(`tensor ${i} name`, MAX_TENSOR_NAME_BYTES);
    const label = `tensor ${i} "${name}"`;
    if (names.has(name)) malformed(`duplicate tensor name "${name}"`);
    names.add(name);
    const nDims = c.u32(`${label} dimension count`);
    if (nDims < 1 || nDims > GGML_MAX_DIMS)
      malformed(`${label} has ${nDims} dimensions; ggml allows 1 to ${GGML_MAX_DIMS}`);
    const ne: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = c.count(`${label} ne[${d}]`, Number.MAX_SAFE_INTEGER);
      ne.push(n);
      elements *= n;
      if (!Number.isSafeInteger(elements)) malformed(`${label} has more than 2^53 elements`);
    }
    const typeId = c.u32(`${label} type`);
    const type = ggmlTypeOf(typeId, label);
    const offset = c.count(`${label} offset`, Number.MAX_SAFE_INTEGER);
    const row = ne[0]!;
    if (row % type.blockSize !== 0)
      malformed(`${label}: ne[0] = ${row} is not a multiple of ${type.name}'s block size ${type.blockSize}`);
    const bytesPerRow = ggmlRowBytes(type, row);
    const bytes = row === 0 ? 0 : (elements / row) * bytesPerRow;
    if (!Number.isSafeInteger(bytes)) malformed(`${label} is too large to count exactly`);
    // gguf.cpp: each tensor starts where the previous one ended, padded to the alignment.
    if (offset !== expectedOffset)
      malformed(`${label} data is at offset ${offset}, but the previous tensors end at ${expectedOffset}`);
    expectedOffset = pad(offset + bytes, alignment);
    tensorBytes += bytes;
    tensors.push({ name, typeId, type: type.name, ne, elements, bytes, offset });
  }
  const headerBytes = c.pos;
  const dataOffset = pad(headerBytes, alignment);
  const last = tensors[tensors.length - 1];
  const dataBytes = last ? last.offset + last.bytes : 0;
  if (lim.fileBytes !== undefined && dataOffset + dataBytes > lim.fileBytes)
    malformed(
      `the tensor data needs ${dataOffset + dataBytes} bytes but the file has ${lim.fileBytes} (truncated or incomplete download)`,
    );
  return {
    version,
    metadata,
    metadataTypes,
    tensors,
    alignment,
    headerBytes,
    dataOffset,
    dataBytes,
    tensorBytes,
  };
}

/** Metadata as a plain JSON-safe object (bigints as decimal strings). */
export function ggufMetadataToJson(h: GgufHeader): Record<string, unknown> {
  const conv = (v: GgufValue): unknown => {
    if (typeof v === "bigint") return v.toString();
    if (Array.isArray(v)) return v.map(conv);
    return v;
  };
  return Object.fromEntries([...h.metadata].map(([k, v]) => [k, conv(v)]));
}
