/**
 * Model files read from the Hub a range at a time: safetensors and GGUF headers (never the
 * weights), and the choice of a GGUF repo's quant as llama.cpp's `-hf org/name:QUANT` makes it.
 */
import { MemlensError } from "../../errors/memlens-error.js";
import type { HeaderParseResult } from "../file-header.js";
import { type GgufHeader, parseGgufHeader } from "../gguf.js";
import { type GgufModelSpec, modelSpecFromGguf } from "../gguf-model.js";
import { parseSafetensorsHeader, type SafetensorsHeader } from "../safetensors.js";
import { type HubFile, hubErrors, type ModelSource } from "./hub-source.js";

/** The most header bytes memlens reads from one model file, local or remote (GGUF vocabularies run to tens of MiB). */
export const MAX_HEADER_READ_BYTES = 512 * 1024 * 1024;
/** The first read of a local header; later reads grow to what the parser asks for. */
export const FIRST_HEADER_READ_BYTES = 1024 * 1024;
/** The first range request for a remote header (a safetensors shard's header is tens of kB). */
export const FIRST_REMOTE_READ_BYTES = 64 * 1024;

/** Where a remote file is: the repo, revision and path, and its size from the file listing. */
export interface RemoteFile {
  readonly repo: string;
  readonly revision: string;
  readonly path: string;
  readonly size: number;
}

/**
 * Reads just enough of a remote file for `parse`, by range requests that grow to the parser's
 * request and never past `MAX_HEADER_READ_BYTES` or the file (the bounds `memlens inspect` uses
 * on a local file).
 */
export async function readRemoteHeader<H>(
  source: ModelSource,
  file: RemoteFile,
  parse: (bytes: Uint8Array, fileBytes: number) => HeaderParseResult<H>,
  field = "model.id",
): Promise<{ header: H; bytesRead: number }> {
  const where = `${file.repo}/${file.path}`;
  if (!Number.isSafeInteger(file.size) || file.size < 0)
    throw hubErrors.malformed(where, `the listing gives its size as ${file.size}`, field);
  let buf = new Uint8Array(0);
  let want = Math.min(FIRST_REMOTE_READ_BYTES, file.size);
  for (;;) {
    if (buf.length < want) {
      const chunk = await source.getRange(file.repo, file.revision, file.path, buf.length, want);
      if (chunk.length !== want - buf.length)
        throw hubErrors.malformed(where, `asked for ${want - buf.length} bytes, got ${chunk.length}`, field);
      const next = new Uint8Array(want);
      next.set(buf, 0);
      next.set(chunk, buf.length);
      buf = next;
    }
    const r = parse(buf, file.size);
    if (r.kind === "header") return { header: r.header, bytesRead: buf.length };
    const need = r.bytesNeeded;
    if (need > file.size)
      throw new MemlensError(
        "malformed-file",
        `${field}: ${where} is ${file.size} bytes but its header needs ${need} (truncated or hostile file)`,
        field,
      );
    if (need > MAX_HEADER_READ_BYTES)
      throw new MemlensError(
        "malformed-file",
        `${field}: ${where} has a header of over ${MAX_HEADER_READ_BYTES} bytes; memlens reads at most that`,
        field,
      );
    if (need <= buf.length) throw hubErrors.malformed(where, "its header parser made no progress", field);
    want = Math.min(file.size, MAX_HEADER_READ_BYTES, Math.max(need, want * 2));
  }
}

/** A safetensors file's header, read by ranges. */
export async function readRemoteSafetensors(
  source: ModelSource,
  file: RemoteFile,
  field?: string,
): Promise<SafetensorsHeader> {
  return (
    await readRemoteHeader(source, file, (b, size) => parseSafetensorsHeader(b, { fileBytes: size }), field)
  ).header;
}

/**
 * A GGUF spec with each tensor's file offset (llama.cpp's mmap ranges), from a header: what
 * `memlens inspect` and the resolver both build.
 */
export function ggufSpecWithOffsets(header: GgufHeader, id: string): GgufModelSpec {
  const spec = modelSpecFromGguf(header, id);
  const tensors = spec.gguf.tensors.map((t, i) => ({ ...t, offset: header.tensors[i]!.offset }));
  return { ...spec, gguf: { ...spec.gguf, tensors } };
}

/** One quant of a GGUF repo: its file (or the parts of a split file, in order) and bytes. */
export interface GgufQuant {
  /** Upper-cased, as in the file name: "Q4_K_M", "UD-Q4_K_XL", "BF16". */
  readonly quant: string;
  readonly files: readonly HubFile[];
  readonly bytes: number;
}

const SPLIT = /-(\d{5})-of-(\d{5})\.gguf$/i;
const QUANT =
  /(?:^|[-_.])((?:UD-)?(?:I?Q[1-8](?:_[A-Z0-9]+)*|T?Q[1-8]_[0-9]|[BM]?F(?:16|32)|BF16|F16|FP16|MXFP4(?:_MOE)?))$/i;

/** The quant a GGUF file name carries ("Llama-3.2-1B-Q4_K_M.gguf" → "Q4_K_M"), or null. */
export function ggufQuantOfName(path: string): string | null {
  const base = (path.split("/").pop() ?? path).replace(SPLIT, ".gguf").replace(/\.gguf$/i, "");
  const m = QUANT.exec(base);
  return m ? m[1]!.toUpperCase() : null;
}

/** A GGUF repo's quants (projector files left out), split files grouped in part order. */
export function ggufQuants(files: readonly HubFile[]): GgufQuant[] {
  const groups = new Map<string, HubFile[]>();
  for (const f of files) {
    const name = f.path.split("/").pop() ?? f.path;
    if (!/\.gguf$/i.test(name) || /mmproj/i.test(name)) continue;
    const quant = ggufQuantOfName(f.path) ?? name.replace(SPLIT, ".gguf").replace(/\.gguf$/i, "");
    const list = groups.get(quant) ?? [];
    // a second unsplit file of the same quant (another folder) is a different model: keep the first
    if (!SPLIT.test(name) && list.some((x) => !SPLIT.test(x.path))) continue;
    list.push(f);
    groups.set(quant, list);
  }
  return [...groups.entries()].map(([quant, list]) => {
    const sorted = [...list].sort((a, b) => a.path.localeCompare(b.path));
    return { quant, files: sorted, bytes: sorted.reduce((s, f) => s + f.size, 0) };
  });
}

/** What llama.cpp's `-hf` picks without a tag, in order of preference. */
const DEFAULT_QUANTS = ["Q4_K_M", "Q4_K_S", "Q4_0", "Q5_K_M", "Q8_0"];

/**
 * The quant to read: the one `tag` names (case-insensitive), or without a tag Q4_K_M when the repo
 * has it (as llama.cpp's `-hf` does), else the first of a few common ones, else the smallest.
 */
export function chooseGgufQuant(
  quants: readonly GgufQuant[],
  tag: string | undefined,
  repo: string,
  field = "model.id",
): GgufQuant {
  const listing = quants.map((q) => `${q.quant} (${(q.bytes / 1e9).toFixed(1)} GB)`).join(", ");
  if (quants.length === 0)
    throw new MemlensError(
      "invalid-value",
      `${field}: ${repo} has no GGUF file${tag ? ` for :${tag}` : ""}`,
      field,
    );
  if (tag !== undefined) {
    const hit = quants.find((q) => q.quant === tag.toUpperCase());
    if (hit) return hit;
    throw new MemlensError(
      "invalid-value",
      `${field}: ${repo} has no ${tag} GGUF; it has ${listing}`,
      field,
      quants.map((q) => q.quant),
    );
  }
  for (const d of DEFAULT_QUANTS) {
    const hit = quants.find((q) => q.quant === d);
    if (hit) return hit;
  }
  return [...quants].sort((a, b) => a.bytes - b.bytes)[0]!;
}

/** Joins a split GGUF's headers (parts in order): the first part's metadata, every part's tensors. */
export function joinGgufParts(parts: readonly GgufHeader[], where: string, field = "model.id"): GgufHeader {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const count = first.metadata.get("split.count");
  if (count !== undefined && Number(count) !== parts.length)
    throw hubErrors.malformed(
      where,
      `split.count says ${String(count)} parts, the repo has ${parts.length}`,
      field,
    );
  return {
    ...first,
    tensors: parts.flatMap((p) => p.tensors),
    tensorBytes: parts.reduce((s, p) => s + p.tensorBytes, 0),
    dataBytes: parts.reduce((s, p) => s + p.dataBytes, 0),
  };
}

/** A GGUF quant's header, read by ranges from every part. */
export async function readRemoteGguf(
  source: ModelSource,
  repo: string,
  revision: string,
  quant: GgufQuant,
  field?: string,
): Promise<{ header: GgufHeader; bytesRead: number }> {
  const parts: GgufHeader[] = [];
  let bytesRead = 0;
  for (const f of quant.files) {
    const { header, bytesRead: n } = await readRemoteHeader(
      source,
      { repo, revision, path: f.path, size: f.size },
      (b, size) => parseGgufHeader(b, { fileBytes: size }),
      field,
    );
    parts.push(header);
    bytesRead += n;
  }
  return { header: joinGgufParts(parts, `${repo}/${quant.files[0]!.path}`, field), bytesRead };
}
