import { MemlensError } from "@memlens/core";

/** Float32 little-endian bytes of a vector (the BLOB layout of `memories.embedding`). */
export function embeddingToBlob(vector: readonly number[] | Float32Array): Buffer {
  const buf = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf;
}

/** The vector back from its float32 little-endian BLOB. */
export function blobToEmbedding(blob: Uint8Array): Float32Array {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Float32Array(blob.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Cosine similarity, in [-1, 1]; vectors must have the same length and non-zero norms. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  // cos θ = a·b / (‖a‖ ‖b‖)
  return dot / Math.sqrt(na * nb);
}

/** Checks a user-supplied embedding: finite numbers, at least one, non-zero norm. */
export function validateEmbedding(vector: readonly number[] | Float32Array, field: string): void {
  if (vector.length === 0)
    throw new MemlensError("invalid-value", `${field} must hold at least one number`, field);
  let norm = 0;
  for (const x of vector) {
    if (typeof x !== "number" || !Number.isFinite(x) || Math.abs(x) > 3.4e38)
      throw new MemlensError(
        "invalid-value",
        `${field} must hold finite float32 numbers, got ${String(x)}`,
        field,
      );
    norm += x * x;
  }
  if (norm === 0)
    throw new MemlensError("invalid-value", `${field} is all zeros; cosine needs a non-zero vector`, field);
}

/** Parses `--embedding`: a JSON array of numbers. */
export function parseEmbeddingFlag(text: string, field = "--embedding"): number[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new MemlensError(
      "invalid-value",
      `${field} must be a JSON array of numbers, e.g. [0.1, -0.2, 0.3]`,
      field,
    );
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number"))
    throw new MemlensError(
      "invalid-value",
      `${field} must be a JSON array of numbers, e.g. [0.1, -0.2, 0.3]`,
      field,
    );
  validateEmbedding(v as number[], field);
  return v as number[];
}
