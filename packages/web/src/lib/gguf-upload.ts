/**
 * Reads a GGUF file's header in the browser with core's bounded parser (first 1 MiB, then as many
 * bytes as the parser asks for) and turns it into a ModelSpec with core's modelSpecFromGguf, which
 * keeps the file's real per-tensor types. Loaded on demand (a separate chunk).
 */
import {
  type GgufHeader,
  ggufFileTypeName,
  type ModelSpec,
  modelSpecFromGguf,
  parseGgufHeader,
} from "@memlens/core";
import type { GgufSummary } from "./models.js";

const MAX_HEADER_BYTES = 256 * 1024 * 1024;

async function readHeader(file: File): Promise<GgufHeader> {
  let size = Math.min(file.size, 1 << 20);
  for (;;) {
    const bytes = new Uint8Array(await file.slice(0, size).arrayBuffer());
    const r = parseGgufHeader(bytes, { fileBytes: file.size, maxHeaderBytes: MAX_HEADER_BYTES });
    if (r.kind === "header") return r.header;
    if (r.bytesNeeded > file.size || r.bytesNeeded > MAX_HEADER_BYTES || r.bytesNeeded <= size)
      throw new Error(`the GGUF header needs ${r.bytesNeeded} bytes but the file has ${file.size}`);
    size = r.bytesNeeded;
  }
}

export async function readGgufUpload(file: File): Promise<{ spec: ModelSpec; summary: GgufSummary }> {
  const h = await readHeader(file);
  const name = file.name.replace(/\.gguf$/i, "");
  const spec = modelSpecFromGguf(h, name);
  const ft = h.metadata.get("general.file_type");
  return {
    spec,
    summary: {
      fileName: file.name,
      fileBytes: file.size,
      tensorBytes: h.tensorBytes,
      tensorCount: h.tensors.length,
      architecture: String(h.metadata.get("general.architecture")),
      fileType: ggufFileTypeName(typeof ft === "number" ? ft : undefined),
    },
  };
}
