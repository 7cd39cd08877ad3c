/**
 * Minimal GGUF v3 writer: header, typed key/value metadata, tensor infos, then a data section
 * left as a hole (ftruncate), so a 40 GB shape costs only its header on disk.
 *
 * Layout from llama.cpp de3ff815 ggml/src/gguf.cpp (gguf_write_to_buf / gguf_init_from_file_impl)
 * and docs in ggml/docs/gguf.md: magic "GGUF", u32 version 3, u64 n_tensors, u64 n_kv, KV pairs,
 * tensor infos (name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset), padding to
 * general.alignment (default GGUF_DEFAULT_ALIGNMENT = 32), tensor data, each tensor aligned to 32.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { type GgmlType, tensorBytes } from "./ggml-types.js";

// gguf value types: ggml/src/gguf.cpp enum gguf_type (GGUF_TYPE_UINT8 = 0 ... GGUF_TYPE_FLOAT64 = 12)
const GGUF_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export const GGUF_ALIGNMENT = 32;

export type GgufValue =
  | { kind: "u32"; value: number }
  | { kind: "i32"; value: number }
  | { kind: "u64"; value: number }
  | { kind: "f32"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "str"; value: string }
  | { kind: "arr_str"; value: readonly string[] }
  | { kind: "arr_f32"; value: readonly number[] }
  | { kind: "arr_i32"; value: readonly number[] }
  | { kind: "arr_u32"; value: readonly number[] }
  | { kind: "arr_bool"; value: readonly boolean[] };

export interface GgufTensor {
  readonly name: string;
  readonly type: GgmlType;
  /** ggml order: ne[0] is the row length (innermost). */
  readonly ne: readonly number[];
}

export interface GgufFile {
  readonly metadata: ReadonlyArray<readonly [string, GgufValue]>;
  readonly tensors: readonly GgufTensor[];
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u8(v: number): void {
    const b = Buffer.alloc(1);
    b.writeUInt8(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.kind) {
    case "u32":
      sink.u32(GGUF_TYPE.UINT32);
      sink.u32(v.value);
      return;
    case "i32":
      sink.u32(GGUF_TYPE.INT32);
      sink.i32(v.value);
      return;
    case "u64":
      sink.u32(GGUF_TYPE.UINT64);
      sink.u64(v.value);
      return;
    case "f32":
      sink.u32(GGUF_TYPE.FLOAT32);
      sink.f32(v.value);
      return;
    case "bool":
      sink.u32(GGUF_TYPE.BOOL);
      sink.u8(v.value ? 1 : 0);
      return;
    case "str":
      sink.u32(GGUF_TYPE.STRING);
      sink.str(v.value);
      return;
    case "arr_str":
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.STRING);
      sink.u64(v.value.length);
      for (const s of v.value) sink.str(s);
      return;
    case "arr_f32": {
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.FLOAT32);
      sink.u64(v.value.length);
      const b = Buffer.alloc(4 * v.value.length);
      v.value.forEach((x, i) => {
        b.writeFloatLE(x, 4 * i);
      });
      sink.push(b);
      return;
    }
    case "arr_i32": {
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.INT32);
      sink.u64(v.value.length);
      const b = Buffer.alloc(4 * v.value.length);
      v.value.forEach((x, i) => {
        b.writeInt32LE(x, 4 * i);
      });
      sink.push(b);
      return;
    }
    case "arr_u32": {
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.UINT32);
      sink.u64(v.value.length);
      const b = Buffer.alloc(4 * v.value.length);
      v.value.forEach((x, i) => {
        b.writeUInt32LE(x, 4 * i);
      });
      sink.push(b);
      return;
    }
    case "arr_bool": {
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.BOOL);
      sink.u64(v.value.length);
      sink.push(Buffer.from(v.value.map((x) => (x ? 1 : 0))));
      return;
    }
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export interface WrittenGguf {
  readonly path: string;
  readonly fileBytes: number;
  readonly headerBytes: number;
  readonly tensorDataBytes: number;
}

/** Writes `file` to `path`; tensor data is a sparse hole of zeros (all-zero weights). */
export function writeGgufSparse(path: string, file: GgufFile): WrittenGguf {
  const sink = new ByteSink();
  sink.push(Buffer.from("GGUF", "ascii"));
  sink.u32(3);
  sink.u64(file.tensors.length);
  sink.u64(file.metadata.length);
  for (const [key, value] of file.metadata) {
    sink.str(key);
    writeValue(sink, value);
  }
  let offset = 0;
  for (const t of file.tensors) {
    sink.str(t.name);
    sink.u32(t.ne.length);
    for (const n of t.ne) sink.u64(n);
    sink.u32(t.type.id);
    sink.u64(offset);
    offset = alignUp(offset + tensorBytes(t.type, t.ne), GGUF_ALIGNMENT);
  }
  const header = sink.concat();
  const headerBytes = alignUp(header.length, GGUF_ALIGNMENT);
  const fileBytes = headerBytes + offset;
  const fd = openSync(path, "w");
  try {
    writeSync(fd, header, 0, header.length, 0);
    ftruncateSync(fd, fileBytes);
  } finally {
    closeSync(fd);
  }
  return { path, fileBytes, headerBytes, tensorDataBytes: offset };
}
