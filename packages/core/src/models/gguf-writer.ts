/**
 * Writes GGUF v3 headers (ggml-org/ggml docs/gguf.md): the bytes up to the start of the tensor
 * data, plus where every tensor's data goes. Tests use it to make real GGUF files of any shape
 * (a sparse file of the full size needs only the header bytes), and it documents the format the
 * parser reads.
 */
import { ggmlRowBytes, lookupGgmlType } from "../catalog/dtypes.js";
import { MemlensError } from "../errors/memlens-error.js";
import { GGUF_VALUE_TYPES, type GgufValueType } from "./gguf.js";

/** A typed metadata value to write. */
export type GgufWriteValue =
  | {
      readonly type: Exclude<GgufValueType, "array" | "string" | "bool" | "uint64" | "int64">;
      readonly value: number;
    }
  | { readonly type: "uint64" | "int64"; readonly value: number | bigint }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | {
      readonly type: "array";
      readonly elementType: GgufValueType;
      readonly values: readonly GgufWriteElement[];
    };

export type GgufWriteElement = number | bigint | boolean | string | GgufWriteValue;

export interface GgufWriteTensor {
  readonly name: string;
  /** ggml type name, e.g. "Q4_K". */
  readonly type: string;
  /** ggml ne[] (row length first). */
  readonly ne: readonly number[];
}

export interface GgufWriteResult {
  /** Header bytes padded to the alignment: the file up to the first tensor's data. */
  readonly header: Uint8Array;
  /** Bytes of the data section (every tensor padded to the alignment but the last). */
  readonly dataBytes: number;
  /** header.length + dataBytes: the file's size. */
  readonly fileBytes: number;
  readonly offsets: readonly number[];
}

function encodeUtf8(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return out;
}

class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.grow(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.grow(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.grow(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: readonly number[]): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = encodeUtf8(s);
    this.u64(b.length);
    this.bytes(b);
  }
  scalar(type: GgufValueType, v: number | bigint | boolean): void {
    const sizes: Partial<Record<GgufValueType, number>> = {
      uint8: 1,
      int8: 1,
      bool: 1,
      uint16: 2,
      int16: 2,
      uint32: 4,
      int32: 4,
      float32: 4,
      uint64: 8,
      int64: 8,
      float64: 8,
    };
    const size = sizes[type];
    if (size === undefined) throw new MemlensError("invalid-value", `${type} is not a scalar type`);
    // grow first: `this.view` is replaced when the buffer grows
    this.grow(size);
    const o = this.length;
    this.length += size;
    const d = this.view;
    switch (type) {
      case "uint8":
        d.setUint8(o, Number(v));
        return;
      case "int8":
        d.setInt8(o, Number(v));
        return;
      case "bool":
        d.setUint8(o, v ? 1 : 0);
        return;
      case "uint16":
        d.setUint16(o, Number(v), true);
        return;
      case "int16":
        d.setInt16(o, Number(v), true);
        return;
      case "uint32":
        d.setUint32(o, Number(v), true);
        return;
      case "int32":
        d.setInt32(o, Number(v), true);
        return;
      case "float32":
        d.setFloat32(o, Number(v), true);
        return;
      case "float64":
        d.setFloat64(o, Number(v), true);
        return;
      case "uint64":
        d.setBigUint64(o, BigInt(v), true);
        return;
      default:
        d.setBigInt64(o, BigInt(v), true);
        return;
    }
  }
  value(v: GgufWriteValue): void {
    if (v.type === "string") this.str(v.value);
    else if (v.type === "array") {
      this.u32(GGUF_VALUE_TYPES.indexOf(v.elementType));
      this.u64(v.values.length);
      for (const e of v.values) {
        if (typeof e === "object" && e !== null) this.value(e as GgufWriteValue);
        else if (v.elementType === "string") this.str(String(e));
        else this.scalar(v.elementType, e as number | bigint | boolean);
      }
    } else this.scalar(v.type, v.value);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const pad = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Serialises a GGUF v3 header. Tensor offsets are assigned in order, each padded to `alignment`,
 * exactly as llama.cpp's writer lays them out.
 * @example writeGgufHeader({ metadata: [["general.architecture", { type: "string", value: "llama" }]], tensors: [] })
 */
export function writeGgufHeader(file: {
  readonly metadata: readonly (readonly [string, GgufWriteValue])[];
  readonly tensors: readonly GgufWriteTensor[];
  readonly alignment?: number;
  readonly version?: number;
}): GgufWriteResult {
  const align = file.alignment ?? 32;
  const w = new ByteWriter();
  w.bytes([0x47, 0x47, 0x55, 0x46]);
  w.u32(file.version ?? 3);
  w.u64(file.tensors.length);
  const meta = [...file.metadata];
  if (file.alignment !== undefined && !meta.some(([k]) => k === "general.alignment"))
    meta.push(["general.alignment", { type: "uint32", value: align }]);
  w.u64(meta.length);
  for (const [k, v] of meta) {
    w.str(k);
    w.u32(GGUF_VALUE_TYPES.indexOf(v.type));
    w.value(v);
  }
  const offsets: number[] = [];
  let offset = 0;
  let end = 0;
  for (const t of file.tensors) {
    const type = lookupGgmlType(t.type);
    w.str(t.name);
    w.u32(t.ne.length);
    for (const n of t.ne) w.u64(n);
    w.u32(type.id);
    w.u64(offset);
    offsets.push(offset);
    const rows = t.ne.slice(1).reduce((a, b) => a * b, 1);
    const bytes = ggmlRowBytes(type, t.ne[0]!) * rows;
    end = offset + bytes;
    offset = pad(end, align);
  }
  const headerLen = pad(w.length, align);
  while (w.length < headerLen) w.u8(0);
  const header = w.result();
  return { header, dataBytes: end, fileBytes: header.length + end, offsets };
}
