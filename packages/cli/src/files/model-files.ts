/**
 * Reads model files' headers from disk, never their weights: a GGUF header or a safetensors JSON
 * header is read with bounded, growing reads (first 1 MiB, then exactly what the parser asks for,
 * up to a cap), so a 100 GB file costs a few MiB of I/O.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  FIRST_HEADER_READ_BYTES,
  type GgufHeader,
  type GgufModelSpec,
  ggufSpecWithOffsets,
  MAX_HEADER_READ_BYTES,
  MemlensError,
  type ModelSpec,
  modelSpecFromHfConfig,
  parseGgufHeader,
  parseSafetensorsHeader,
  parseSafetensorsIndex,
  type SafetensorsHeader,
  type SafetensorsIndex,
} from "@memlens/core";
import { readJsonFile } from "../io.js";

export { MAX_HEADER_READ_BYTES };

export type ModelFileKind = "gguf" | "safetensors" | "safetensors-index";

function statFile(path: string, field: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error("not a file");
    return st.size;
  } catch {
    throw new MemlensError("invalid-value", `${field}: cannot read "${path}" (no such file)`, field);
  }
}

/** Reads `[0, n)` of a file into a buffer (n clamped to the file size). */
function readPrefix(fd: number, n: number): Uint8Array {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = readSync(fd, buf, got, n - got, got);
    if (r === 0) break;
    got += r;
  }
  return got === n ? buf : buf.subarray(0, got);
}

/**
 * Reads just enough of a file for `parse`: it returns a result or how many bytes it needs.
 * The read grows to the parser's request, never past `MAX_HEADER_READ_BYTES` or the file.
 */
export function readHeader<T>(
  path: string,
  field: string,
  parse: (
    bytes: Uint8Array,
    fileBytes: number,
  ) =>
    | { readonly kind: "truncated"; readonly bytesNeeded: number }
    | { readonly kind: "done"; readonly value: T },
): { result: T; fileBytes: number; bytesRead: number } {
  const fileBytes = statFile(path, field);
  const fd = openSync(path, "r");
  try {
    let want = Math.min(FIRST_HEADER_READ_BYTES, fileBytes);
    for (;;) {
      const bytes = readPrefix(fd, want);
      const r = parse(bytes, fileBytes);
      if (r.kind === "done") return { result: r.value, fileBytes, bytesRead: bytes.length };
      const need = r.bytesNeeded;
      if (need > fileBytes)
        throw new MemlensError(
          "malformed-file",
          `${field}: "${path}" is ${fileBytes} bytes but its header needs ${need} (truncated file?)`,
          field,
        );
      if (need > MAX_HEADER_READ_BYTES)
        throw new MemlensError(
          "malformed-file",
          `${field}: "${path}" has a header of over ${MAX_HEADER_READ_BYTES} bytes; memlens reads at most that`,
          field,
        );
      // grow geometrically so a header of many small fields takes few reads
      want = Math.min(fileBytes, MAX_HEADER_READ_BYTES, Math.max(need, want * 2));
    }
  } finally {
    closeSync(fd);
  }
}

/** What kind of model file a path is, from its name and first bytes. */
export function detectModelFile(path: string, field = "file"): ModelFileKind {
  statFile(path, field);
  if (path.endsWith(".index.json")) return "safetensors-index";
  const fd = openSync(path, "r");
  try {
    const head = readPrefix(fd, 9);
    if (head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46) return "gguf";
    if (head.length === 9 && head[8] === 0x7b) return "safetensors";
  } finally {
    closeSync(fd);
  }
  throw new MemlensError(
    "malformed-file",
    `${field}: "${path}" is neither GGUF (magic "GGUF") nor safetensors (8-byte length + JSON) nor a model.safetensors.index.json`,
    field,
  );
}

export interface GgufFile {
  readonly kind: "gguf";
  readonly path: string;
  readonly fileBytes: number;
  readonly bytesRead: number;
  readonly header: GgufHeader;
  readonly spec: GgufModelSpec;
}

/** A GGUF file's header and ModelSpec. */
export function readGgufFile(path: string, field = "file"): GgufFile {
  const { result, fileBytes, bytesRead } = readHeader(path, field, (bytes, size) => {
    const r = parseGgufHeader(bytes, { fileBytes: size });
    return r.kind === "header" ? { kind: "done" as const, value: r.header } : r;
  });
  // with the file offsets of the tensor data, for llama.cpp's mmap ranges
  return {
    kind: "gguf",
    path,
    fileBytes,
    bytesRead,
    header: result,
    spec: ggufSpecWithOffsets(result, basename(path)),
  };
}

export interface SafetensorsFiles {
  readonly kind: "safetensors";
  readonly path: string;
  readonly index: SafetensorsIndex | null;
  readonly shards: readonly {
    readonly file: string;
    readonly fileBytes: number;
    readonly header: SafetensorsHeader;
  }[];
  /** config.json beside the checkpoint, when there is one. */
  readonly configPath: string | null;
}

function readShard(path: string, field: string) {
  const { result, fileBytes } = readHeader(path, field, (bytes, size) => {
    const r = parseSafetensorsHeader(bytes, { fileBytes: size });
    return r.kind === "header" ? { kind: "done" as const, value: r.header } : r;
  });
  return { file: basename(path), fileBytes, header: result };
}

/** A .safetensors file, or every shard a model.safetensors.index.json names. */
export function readSafetensorsFiles(path: string, field = "file"): SafetensorsFiles {
  const kind = detectModelFile(path, field);
  const dir = dirname(path);
  let index: SafetensorsIndex | null = null;
  let shards: SafetensorsFiles["shards"];
  if (kind === "safetensors-index") {
    index = parseSafetensorsIndex(readJsonFile(path, field));
    shards = index.files.map((f) => readShard(join(dir, f), field));
  } else if (kind === "safetensors") shards = [readShard(path, field)];
  else throw new MemlensError("invalid-value", `${field}: "${path}" is a GGUF file, not safetensors`, field);
  const config = join(dir, "config.json");
  return { kind: "safetensors", path, index, shards, configPath: existsSync(config) ? config : null };
}

/**
 * ModelSpec of a config.json (a file, or the directory holding it), with the ModelOpt
 * `hf_quant_config.json` beside it when there is one (NVFP4 / FP8 checkpoints that keep their
 * quantization there rather than in config.json).
 */
export function modelSpecFromConfigFile(path: string, field: string, id: string = path): ModelSpec {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const configPath = isDir ? join(path, "config.json") : path;
  const quantPath = join(dirname(configPath), "hf_quant_config.json");
  const hfQuantConfig = existsSync(quantPath) ? readJsonFile(quantPath, field) : undefined;
  return modelSpecFromHfConfig(readJsonFile(path, field), id, { hfQuantConfig });
}

/** ModelSpec of a safetensors checkpoint: its config.json, with the exact checkpoint bytes noted. */
export function modelSpecFromSafetensors(files: SafetensorsFiles, field = "model.safetensors"): ModelSpec {
  if (!files.configPath)
    throw new MemlensError(
      "missing-field",
      `${field}: no config.json beside "${files.path}"; memlens needs it for the architecture`,
      field,
    );
  const spec = modelSpecFromConfigFile(files.configPath, field, dirname(files.path));
  const bytes = files.shards.reduce((a, s) => a + s.header.tensorBytes, 0);
  return {
    ...spec,
    notes: [
      ...spec.notes,
      `Checkpoint on disk: ${bytes.toLocaleString("en-US")} bytes of tensors in ${files.shards.length} safetensors file${files.shards.length === 1 ? "" : "s"} (exact, from the headers).`,
    ],
  };
}
