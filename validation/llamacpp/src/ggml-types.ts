/**
 * ggml tensor types that a GGUF weight file may carry, with ggml's own block and type sizes.
 *
 * Sources (llama.cpp commit de3ff815ea7d559ee917f063901b8986f038abc6, the exact source of the
 * llama.cpp build inside node-llama-cpp 3.22.1, shipped as node-llama-cpp/llama/gitRelease.bundle):
 * - type ids: ggml/include/ggml.h lines 390-433 (`enum ggml_type`)
 * - block size / type size: gguf-py/gguf/constants.py lines 5876-5912 (`GGML_QUANT_SIZES`), which
 *   mirrors ggml/src/ggml.c line 632 (`type_traits[GGML_TYPE_COUNT]`: `.blck_size`, `.type_size`).
 * - llama file types: include/llama.h lines 118-161 (`enum llama_ftype`).
 * The runner re-checks every row against the running binary (`getBlockSizeForGgmlType`,
 * `getTypeSizeForGgmlType`, which read ggml's type_traits) and refuses to measure on a mismatch.
 */
export interface GgmlType {
  readonly name: string;
  readonly id: number;
  readonly blockSize: number;
  readonly typeSizeBytes: number;
  /** llama_ftype written to general.file_type when this is the main weight type (null: none exists). */
  readonly fileType: number | null;
}

// QK_K = 256 (ggml/src/ggml-common.h; gguf-py constants.py QK_K)
const QK_K = 256;

export const GGML_TYPES = {
  F32: { name: "F32", id: 0, blockSize: 1, typeSizeBytes: 4, fileType: 0 },
  F16: { name: "F16", id: 1, blockSize: 1, typeSizeBytes: 2, fileType: 1 },
  Q4_0: { name: "Q4_0", id: 2, blockSize: 32, typeSizeBytes: 2 + 16, fileType: 2 },
  Q4_1: { name: "Q4_1", id: 3, blockSize: 32, typeSizeBytes: 2 + 2 + 16, fileType: 3 },
  Q5_0: { name: "Q5_0", id: 6, blockSize: 32, typeSizeBytes: 2 + 4 + 16, fileType: 8 },
  Q5_1: { name: "Q5_1", id: 7, blockSize: 32, typeSizeBytes: 2 + 2 + 4 + 16, fileType: 9 },
  Q8_0: { name: "Q8_0", id: 8, blockSize: 32, typeSizeBytes: 2 + 32, fileType: 7 },
  Q2_K: { name: "Q2_K", id: 10, blockSize: QK_K, typeSizeBytes: 2 + 2 + QK_K / 16 + QK_K / 4, fileType: 10 },
  Q3_K: { name: "Q3_K", id: 11, blockSize: QK_K, typeSizeBytes: 2 + QK_K / 4 + QK_K / 8 + 12, fileType: 12 },
  Q4_K: { name: "Q4_K", id: 12, blockSize: QK_K, typeSizeBytes: 2 + 2 + QK_K / 2 + 12, fileType: 15 },
  Q5_K: {
    name: "Q5_K",
    id: 13,
    blockSize: QK_K,
    typeSizeBytes: 2 + 2 + QK_K / 2 + QK_K / 8 + 12,
    fileType: 17,
  },
  Q6_K: {
    name: "Q6_K",
    id: 14,
    blockSize: QK_K,
    typeSizeBytes: 2 + QK_K / 2 + QK_K / 4 + QK_K / 16,
    fileType: 18,
  },
  IQ2_XXS: { name: "IQ2_XXS", id: 16, blockSize: QK_K, typeSizeBytes: 2 + QK_K / 4, fileType: 19 },
  IQ2_XS: { name: "IQ2_XS", id: 17, blockSize: QK_K, typeSizeBytes: 2 + QK_K / 4 + QK_K / 32, fileType: 20 },
  IQ3_XXS: { name: "IQ3_XXS", id: 18, blockSize: QK_K, typeSizeBytes: 2 + QK_K / 4 + QK_K / 8, fileType: 23 },
  IQ1_S: { name: "IQ1_S", id: 19, blockSize: QK_K, typeSizeBytes: 2 + QK_K / 8 + QK_K / 16, fileType: 24 },
  IQ4_NL: { name: "IQ4_NL", id: 20, blockSize: 32, typeSizeBytes: 2 + 16, fileType: 25 },
  IQ3_S: {
    name: "IQ3_S",
    id: 21,
    blockSize: QK_K,
    typeSizeBytes: 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4,
    fileType: 26,
  },
  IQ2_S: { name: "IQ2_S", id: 22, blockSize: QK_K, typeSizeBytes: 2 + QK_K / 4 + QK_K / 16, fileType: 28 },
  IQ4_XS: {
    name: "IQ4_XS",
    id: 23,
    blockSize: QK_K,
    typeSizeBytes: 2 + 2 + QK_K / 2 + QK_K / 64,
    fileType: 30,
  },
  IQ1_M: {
    name: "IQ1_M",
    id: 29,
    blockSize: QK_K,
    typeSizeBytes: QK_K / 8 + QK_K / 16 + QK_K / 32,
    fileType: 31,
  },
  BF16: { name: "BF16", id: 30, blockSize: 1, typeSizeBytes: 2, fileType: 32 },
  TQ1_0: { name: "TQ1_0", id: 34, blockSize: QK_K, typeSizeBytes: 2 + 4 * 13, fileType: 36 },
  TQ2_0: { name: "TQ2_0", id: 35, blockSize: QK_K, typeSizeBytes: 2 + 64, fileType: 37 },
  MXFP4: { name: "MXFP4", id: 39, blockSize: 32, typeSizeBytes: 1 + 16, fileType: 38 },
  NVFP4: { name: "NVFP4", id: 40, blockSize: 64, typeSizeBytes: 4 + 32, fileType: 39 },
  Q1_0: { name: "Q1_0", id: 41, blockSize: 128, typeSizeBytes: 2 + 16, fileType: 40 },
  Q2_0: { name: "Q2_0", id: 42, blockSize: 64, typeSizeBytes: 2 + 16, fileType: 41 },
} as const satisfies Record<string, GgmlType>;

export type GgmlTypeName = keyof typeof GGML_TYPES;

export function ggmlType(name: string): GgmlType {
  const t = (GGML_TYPES as Record<string, GgmlType>)[name];
  if (t === undefined) {
    throw new Error(`unknown ggml type "${name}"; allowed: ${Object.keys(GGML_TYPES).join(", ")}`);
  }
  return t;
}

/** ggml_nbytes for a contiguous tensor: ne[0]/blck * type_size * prod(ne[1..]) (ggml/src/ggml.c ggml_nbytes / ggml_row_size). */
export function tensorBytes(type: GgmlType, ne: readonly number[]): number {
  const ne0 = ne[0] ?? 1;
  if (ne0 % type.blockSize !== 0) {
    throw new Error(`row length ${ne0} is not a multiple of ${type.name} block size ${type.blockSize}`);
  }
  let rows = 1;
  for (let i = 1; i < ne.length; i++) rows *= ne[i] ?? 1;
  return (ne0 / type.blockSize) * type.typeSizeBytes * rows;
}
