/**
 * Every ggml tensor type (block size and bytes per block) and every llama.cpp GGUF file type
 * (llama_ftype) with the ggml type most of its tensors get; lookups and exact byte counts.
 *
 * Every figure was read from the source named in the row's `source` field (repository@commit path).
 */
import { MemlensError } from "../errors/memlens-error.js";
import { assertCount } from "./counts.js";
import { GGML, GGUF_PY, LLAMA_QUANT, OCP_MX } from "./dtype-sources.js";
import { IK_LLAMA_GGML_TYPES } from "./ggml-types-ik.js";

// ---------------------------------------------------------------------------------------------
// ggml tensor types
// ---------------------------------------------------------------------------------------------

export interface GgmlType {
  /** enum ggml_type value (the number stored in a GGUF tensor info). */
  readonly id: number;
  /** Upper-case catalog name, e.g. "Q4_K" (the GGML_TYPE_ suffix). */
  readonly name: string;
  /** type_traits[].type_name as ggml prints it, e.g. "q4_K". */
  readonly ggmlName: string;
  /** Elements per block (type_traits[].blck_size). */
  readonly blockSize: number;
  /** Bytes per block (type_traits[].type_size = sizeof(block_*)). */
  readonly typeSizeBytes: number;
  /** type_traits[].is_quantized. */
  readonly isQuantized: boolean;
  /** Bytes stored once per row ahead of its blocks (ik_llama.cpp's row_meta_size; absent = 0). */
  readonly rowMetaBytes?: number;
  readonly source: string;
}

function gt(
  id: number,
  name: string,
  ggmlName: string,
  blockSize: number,
  typeSizeBytes: number,
  isQuantized: boolean,
  layout: string,
  inGgufPy = true,
): GgmlType {
  const crossCheck = inGgufPy ? `; cross-checked: ${GGUF_PY} GGML_QUANT_SIZES[${name}]` : "";
  return {
    id,
    name,
    ggmlName,
    blockSize,
    typeSizeBytes,
    isQuantized,
    source: `${GGML} include/ggml.h GGML_TYPE_${name} = ${id}; src/ggml.c type_traits[GGML_TYPE_${name}]; ${layout}${crossCheck}`,
  };
}

/** QK_K, the super-block size of the k-quants and i-quants (ggml-common.h `#define QK_K 256`). */
const QK_K = 256;
/** ggml_half is uint16_t (ggml-common.h). */
const HALF = 2;

/**
 * Every live ggml_type, in enum order. Gaps are removed types (see GGML_REMOVED_TYPE_IDS).
 * typeSizeBytes is written as the static_assert expression from src/ggml-common.h.
 */
export const GGML_TYPES: readonly GgmlType[] = [
  gt(0, "F32", "f32", 1, 4, false, "sizeof(float)"),
  gt(1, "F16", "f16", 1, HALF, false, "sizeof(ggml_fp16_t)"),
  gt(
    2,
    "Q4_0",
    "q4_0",
    32,
    HALF + 32 / 2,
    true,
    "src/ggml-common.h block_q4_0 { ggml_half d; uint8_t qs[QK4_0/2]; }",
  ),
  gt(
    3,
    "Q4_1",
    "q4_1",
    32,
    2 * HALF + 32 / 2,
    true,
    "src/ggml-common.h block_q4_1 { ggml_half d, m; uint8_t qs[QK4_1/2]; }",
  ),
  gt(
    6,
    "Q5_0",
    "q5_0",
    32,
    HALF + 4 + 32 / 2,
    true,
    "src/ggml-common.h block_q5_0 { ggml_half d; uint8_t qh[4]; uint8_t qs[QK5_0/2]; }",
  ),
  gt(
    7,
    "Q5_1",
    "q5_1",
    32,
    2 * HALF + 4 + 32 / 2,
    true,
    "src/ggml-common.h block_q5_1 { ggml_half d, m; uint8_t qh[4]; uint8_t qs[QK5_1/2]; }",
  ),
  gt(
    8,
    "Q8_0",
    "q8_0",
    32,
    HALF + 32,
    true,
    "src/ggml-common.h block_q8_0 { ggml_half d; int8_t qs[QK8_0]; }",
  ),
  gt(
    9,
    "Q8_1",
    "q8_1",
    32,
    2 * HALF + 32,
    true,
    "src/ggml-common.h block_q8_1 { ggml_half d, s; int8_t qs[QK8_1]; }",
  ),
  gt(
    10,
    "Q2_K",
    "q2_K",
    QK_K,
    2 * HALF + QK_K / 16 + QK_K / 4,
    true,
    "src/ggml-common.h block_q2_K { uint8_t scales[QK_K/16]; uint8_t qs[QK_K/4]; ggml_half d, dmin; }",
  ),
  gt(
    11,
    "Q3_K",
    "q3_K",
    QK_K,
    HALF + QK_K / 4 + QK_K / 8 + 12,
    true,
    "src/ggml-common.h block_q3_K { uint8_t hmask[QK_K/8]; uint8_t qs[QK_K/4]; uint8_t scales[12]; ggml_half d; }",
  ),
  gt(
    12,
    "Q4_K",
    "q4_K",
    QK_K,
    2 * HALF + 12 + QK_K / 2,
    true,
    "src/ggml-common.h block_q4_K { ggml_half d, dmin; uint8_t scales[K_SCALE_SIZE=12]; uint8_t qs[QK_K/2]; }",
  ),
  gt(
    13,
    "Q5_K",
    "q5_K",
    QK_K,
    2 * HALF + 12 + QK_K / 2 + QK_K / 8,
    true,
    "src/ggml-common.h block_q5_K { ggml_half d, dmin; uint8_t scales[12]; uint8_t qh[QK_K/8]; uint8_t qs[QK_K/2]; }",
  ),
  gt(
    14,
    "Q6_K",
    "q6_K",
    QK_K,
    HALF + QK_K / 16 + (3 * QK_K) / 4,
    true,
    "src/ggml-common.h block_q6_K { uint8_t ql[QK_K/2]; uint8_t qh[QK_K/4]; int8_t scales[QK_K/16]; ggml_half d; }",
  ),
  gt(
    15,
    "Q8_K",
    "q8_K",
    QK_K,
    4 + QK_K + (QK_K / 16) * 2,
    true,
    "src/ggml-common.h block_q8_K { float d; int8_t qs[QK_K]; int16_t bsums[QK_K/16]; }",
  ),
  gt(
    16,
    "IQ2_XXS",
    "iq2_xxs",
    QK_K,
    HALF + (QK_K / 8) * 2,
    true,
    "src/ggml-common.h block_iq2_xxs { ggml_half d; uint16_t qs[QK_K/8]; }",
  ),
  gt(
    17,
    "IQ2_XS",
    "iq2_xs",
    QK_K,
    HALF + (QK_K / 8) * 2 + QK_K / 32,
    true,
    "src/ggml-common.h block_iq2_xs { ggml_half d; uint16_t qs[QK_K/8]; uint8_t scales[QK_K/32]; }",
  ),
  gt(
    18,
    "IQ3_XXS",
    "iq3_xxs",
    QK_K,
    HALF + 3 * (QK_K / 8),
    true,
    "src/ggml-common.h block_iq3_xxs { ggml_half d; uint8_t qs[3*QK_K/8]; }",
  ),
  gt(
    19,
    "IQ1_S",
    "iq1_s",
    QK_K,
    HALF + QK_K / 8 + QK_K / 16,
    true,
    "src/ggml-common.h block_iq1_s { ggml_half d; uint8_t qs[QK_K/8]; uint16_t qh[QK_K/32]; }",
  ),
  gt(
    20,
    "IQ4_NL",
    "iq4_nl",
    32,
    HALF + 32 / 2,
    true,
    "src/ggml-common.h block_iq4_nl { ggml_half d; uint8_t qs[QK4_NL/2]; } (QK4_NL = 32)",
  ),
  gt(
    21,
    "IQ3_S",
    "iq3_s",
    QK_K,
    HALF + 13 * (QK_K / 32) + QK_K / 64,
    true,
    "src/ggml-common.h block_iq3_s { ggml_half d; uint8_t qs[QK_K/4]; uint8_t qh[QK_K/32]; uint8_t signs[QK_K/8]; uint8_t scales[IQ3S_N_SCALE=QK_K/64]; }",
  ),
  gt(
    22,
    "IQ2_S",
    "iq2_s",
    QK_K,
    HALF + QK_K / 4 + QK_K / 16,
    true,
    "src/ggml-common.h block_iq2_s { ggml_half d; uint8_t qs[QK_K/4]; uint8_t qh[QK_K/32]; uint8_t scales[QK_K/32]; }",
  ),
  gt(
    23,
    "IQ4_XS",
    "iq4_xs",
    QK_K,
    HALF + 2 + QK_K / 64 + QK_K / 2,
    true,
    "src/ggml-common.h block_iq4_xs { ggml_half d; uint16_t scales_h; uint8_t scales_l[QK_K/64]; uint8_t qs[QK_K/2]; }",
  ),
  gt(24, "I8", "i8", 1, 1, false, "sizeof(int8_t)"),
  gt(25, "I16", "i16", 1, 2, false, "sizeof(int16_t)"),
  gt(26, "I32", "i32", 1, 4, false, "sizeof(int32_t)"),
  gt(27, "I64", "i64", 1, 8, false, "sizeof(int64_t)"),
  gt(28, "F64", "f64", 1, 8, false, "sizeof(double)"),
  gt(
    29,
    "IQ1_M",
    "iq1_m",
    QK_K,
    QK_K / 8 + QK_K / 16 + QK_K / 32,
    true,
    "src/ggml-common.h block_iq1_m { uint8_t qs[QK_K/8]; uint8_t qh[QK_K/16]; uint8_t scales[QK_K/32]; }",
  ),
  gt(30, "BF16", "bf16", 1, 2, false, "sizeof(ggml_bf16_t)"),
  gt(
    34,
    "TQ1_0",
    "tq1_0",
    QK_K,
    HALF + QK_K / 64 + (QK_K - (4 * QK_K) / 64) / 5,
    true,
    "src/ggml-common.h block_tq1_0 { uint8_t qs[(QK_K - 4*QK_K/64)/5]; uint8_t qh[QK_K/64]; ggml_half d; }",
  ),
  gt(
    35,
    "TQ2_0",
    "tq2_0",
    QK_K,
    HALF + QK_K / 4,
    true,
    "src/ggml-common.h block_tq2_0 { uint8_t qs[QK_K/4]; ggml_half d; }",
  ),
  gt(
    39,
    "MXFP4",
    "mxfp4",
    32,
    1 + 32 / 2,
    true,
    `src/ggml-common.h block_mxfp4 { uint8_t e; /* E8M0 */ uint8_t qs[QK_MXFP4/2]; } (QK_MXFP4 = 32); ${OCP_MX}`,
  ),
  gt(
    40,
    "NVFP4",
    "nvfp4",
    64,
    64 / 16 + 64 / 2,
    true,
    "src/ggml-common.h block_nvfp4 { uint8_t d[QK_NVFP4/QK_NVFP4_SUB]; /* UE4M3 */ uint8_t qs[QK_NVFP4/2]; } (QK_NVFP4 = 64, QK_NVFP4_SUB = 16)",
  ),
  gt(
    41,
    "Q1_0",
    "q1_0",
    128,
    HALF + 128 / 8,
    true,
    "src/ggml-common.h block_q1_0 { ggml_half d; uint8_t qs[QK1_0/8]; } (QK1_0 = 128)",
  ),
  gt(
    42,
    "Q2_0",
    "q2_0",
    64,
    HALF + 64 / 4,
    true,
    "src/ggml-common.h block_q2_0 { ggml_half d; uint8_t qs[QK2_0/4]; } (QK2_0 = 64; added by llama.cpp PR #24448)",
    false,
  ),
];

/**
 * ggml_type ids that are no longer valid (type_traits has blck_size 0 for them): old GGUF files may
 * still name them, so parsers can report them precisely. Source: include/ggml.h comments and
 * src/ggml.c type_traits ("DEPRECATED" / "... REMOVED, use ... with runtime repacking").
 */
export const GGML_REMOVED_TYPE_IDS: readonly {
  readonly id: number;
  readonly name: string;
  readonly source: string;
}[] = [
  { id: 4, name: "Q4_2", source: `${GGML} include/ggml.h "// GGML_TYPE_Q4_2 = 4, support has been removed"` },
  { id: 5, name: "Q4_3", source: `${GGML} include/ggml.h "// GGML_TYPE_Q4_3 = 5, support has been removed"` },
  {
    id: 31,
    name: "Q4_0_4_4",
    source: `${GGML} include/ggml.h "// GGML_TYPE_Q4_0_4_4 = 31, support has been removed from gguf files"`,
  },
  { id: 32, name: "Q4_0_4_8", source: `${GGML} include/ggml.h "// GGML_TYPE_Q4_0_4_8 = 32"` },
  { id: 33, name: "Q4_0_8_8", source: `${GGML} include/ggml.h "// GGML_TYPE_Q4_0_8_8 = 33"` },
  { id: 36, name: "IQ4_NL_4_4", source: `${GGML} include/ggml.h "// GGML_TYPE_IQ4_NL_4_4 = 36"` },
  { id: 37, name: "IQ4_NL_4_8", source: `${GGML} include/ggml.h "// GGML_TYPE_IQ4_NL_4_8 = 37"` },
  { id: 38, name: "IQ4_NL_8_8", source: `${GGML} include/ggml.h "// GGML_TYPE_IQ4_NL_8_8 = 38"` },
];

const ggmlByName = new Map<string, GgmlType>();
// ik_llama.cpp's own types (ggml-types-ik.ts) are looked up too, so its GGUF files are read; the
// "allowed" lists in errors stay upstream's.
for (const t of [...GGML_TYPES, ...IK_LLAMA_GGML_TYPES]) {
  ggmlByName.set(t.name.toLowerCase(), t);
  ggmlByName.set(t.ggmlName.toLowerCase(), t);
  ggmlByName.set(t.name, t);
}
const ggmlById = new Map<number, GgmlType>([...GGML_TYPES, ...IK_LLAMA_GGML_TYPES].map((t) => [t.id, t]));

/**
 * Bytes of one row of `rowLength` values (ggml_row_size; ik_llama.cpp adds row_meta_size). The
 * caller checks rowLength is a multiple of the block size.
 */
export function ggmlRowBytes(t: GgmlType, rowLength: number): number {
  return (t.rowMetaBytes ?? 0) + (rowLength / t.blockSize) * t.typeSizeBytes;
}

/** Case-insensitive lookup by name ("Q4_K", "q4_k"); throws naming the allowed values. */
export function lookupGgmlType(name: string): GgmlType {
  // the spellings the tables use ("Q4_K", "q4_k") without normalising: engines ask thousands of times
  const t = ggmlByName.get(name) ?? ggmlByName.get(name.trim().toLowerCase());
  if (t === undefined) {
    const allowed = GGML_TYPES.map((x) => x.name);
    throw new MemlensError(
      "unknown-dtype",
      `unknown GGML type "${name}"; allowed: ${allowed.join(", ")}`,
      undefined,
      allowed,
    );
  }
  return t;
}

/** Lookup by enum ggml_type value; throws for unknown and removed ids. */
export function ggmlTypeById(id: number): GgmlType {
  const t = ggmlById.get(id);
  if (t === undefined) {
    const removed = GGML_REMOVED_TYPE_IDS.find((r) => r.id === id);
    const why = removed === undefined ? "unknown" : `removed (was ${removed.name})`;
    throw new MemlensError(
      "unknown-dtype",
      `GGML type id ${id} is ${why}; allowed: ${GGML_TYPES.map((x) => `${x.id} (${x.name})`).join(", ")}`,
    );
  }
  return t;
}

/**
 * Exact storage bytes for `elements` values stored as a ggml type: elements / blockSize × typeSizeBytes
 * (ggml_row_size). Throws on a count that is not a multiple of the block size (ggml requires
 * ne[0] % blck_size == 0, so a whole tensor is always a whole number of blocks).
 */
export function ggmlTensorBytes(typeName: string, elements: number): number {
  const t = lookupGgmlType(typeName);
  assertCount("element count", elements);
  if ((t.rowMetaBytes ?? 0) > 0)
    throw new MemlensError(
      "invalid-value",
      `${t.name} stores ${t.rowMetaBytes} bytes per row besides its blocks; its size needs the tensor's shape`,
    );
  if (elements % t.blockSize !== 0) {
    throw new MemlensError(
      "invalid-value",
      `${t.name} stores blocks of ${t.blockSize} elements; ${elements} is not a multiple of ${t.blockSize}`,
    );
  }
  return (elements / t.blockSize) * t.typeSizeBytes;
}

/**
 * Bytes of a tensor of ggml shape `ne` (ne[0] = the contiguous row length, as in GGUF tensor info).
 * Checks the row rule ggml enforces: ne[0] must be a multiple of the block size.
 */
export function ggmlTensorBytesForShape(typeName: string, ne: readonly number[]): number {
  const t = lookupGgmlType(typeName);
  if (ne.length === 0)
    throw new MemlensError("invalid-value", "tensor shape must have at least one dimension");
  for (const d of ne) assertCount("dimension", d);
  const row = ne[0] ?? 0;
  if (row % t.blockSize !== 0) {
    throw new MemlensError(
      "invalid-value",
      `${t.name} rows must be a multiple of ${t.blockSize} elements; ne[0] = ${row}`,
    );
  }
  let rows = 1;
  for (let i = 1; i < ne.length; i++) rows *= ne[i] ?? 1;
  const total = ggmlRowBytes(t, row) * rows;
  if (!Number.isSafeInteger(total))
    throw new MemlensError(
      "invalid-value",
      `tensor of shape [${ne.join(", ")}] is too large to count exactly`,
    );
  return total;
}

// ---------------------------------------------------------------------------------------------
// GGUF file types (llama_ftype)
// ---------------------------------------------------------------------------------------------

export interface GgufFileType {
  /** LLAMA_FTYPE_* value (GGUF key general.file_type). */
  readonly id: number;
  /** llama-quantize spelling, e.g. "Q4_K_M", "MXFP4_MOE", "F16". */
  readonly name: string;
  /** The enum constant, e.g. "LLAMA_FTYPE_MOSTLY_Q4_K_M". */
  readonly enumName: string;
  /** The ggml type most (2-D weight) tensors get: llama_ftype_get_default_type(). */
  readonly baseType: string;
  readonly source: string;
}

function ft(id: number, name: string, baseType: string, extra = ""): GgufFileType {
  const enumName = id === 0 ? "LLAMA_FTYPE_ALL_F32" : `LLAMA_FTYPE_MOSTLY_${name}`;
  const pyName = id === 0 ? "ALL_F32" : `MOSTLY_${name}`;
  const enumSource = extra === "" ? `${GGUF_PY} LlamaFileType.${pyName} = ${id}` : extra;
  return {
    id,
    name,
    enumName,
    baseType,
    source: `${enumSource}; base type: ${LLAMA_QUANT} case ${enumName} → GGML_TYPE_${baseType}`,
  };
}

/**
 * All live llama_ftype values. Removed/never-written ids: 4 (MOSTLY_Q4_1_SOME_F16), 5, 6 (Q4_2/Q4_3),
 * 33-35 (Q4_0_4_4/4_8/8_8, now runtime repacks of Q4_0). LLAMA_FTYPE_GUESSED (1024) is a flag, not a type.
 * Note that the "K_S/K_M/K_L" and "IQ*_M/XS" mixes differ from one another only in which tensors get a
 * larger type than `baseType` (llama_tensor_get_type), not in `baseType` itself.
 */
export const GGUF_FILE_TYPES: readonly GgufFileType[] = [
  ft(0, "F32", "F32"),
  ft(1, "F16", "F16"),
  ft(2, "Q4_0", "Q4_0"),
  ft(3, "Q4_1", "Q4_1"),
  ft(7, "Q8_0", "Q8_0"),
  ft(8, "Q5_0", "Q5_0"),
  ft(9, "Q5_1", "Q5_1"),
  ft(10, "Q2_K", "Q2_K"),
  ft(11, "Q3_K_S", "Q3_K"),
  ft(12, "Q3_K_M", "Q3_K"),
  ft(13, "Q3_K_L", "Q3_K"),
  ft(14, "Q4_K_S", "Q4_K"),
  ft(15, "Q4_K_M", "Q4_K"),
  ft(16, "Q5_K_S", "Q5_K"),
  ft(17, "Q5_K_M", "Q5_K"),
  ft(18, "Q6_K", "Q6_K"),
  ft(19, "IQ2_XXS", "IQ2_XXS"),
  ft(20, "IQ2_XS", "IQ2_XS"),
  ft(21, "Q2_K_S", "Q2_K"),
  ft(22, "IQ3_XS", "IQ3_S"),
  ft(23, "IQ3_XXS", "IQ3_XXS"),
  ft(24, "IQ1_S", "IQ1_S"),
  ft(25, "IQ4_NL", "IQ4_NL"),
  ft(26, "IQ3_S", "IQ3_S"),
  ft(27, "IQ3_M", "IQ3_S"),
  ft(28, "IQ2_S", "IQ2_XS"),
  ft(29, "IQ2_M", "IQ2_S"),
  ft(30, "IQ4_XS", "IQ4_XS"),
  ft(31, "IQ1_M", "IQ1_M"),
  ft(32, "BF16", "BF16"),
  ft(36, "TQ1_0", "TQ1_0"),
  ft(37, "TQ2_0", "TQ2_0"),
  ft(38, "MXFP4_MOE", "MXFP4"),
  ft(39, "NVFP4", "NVFP4"),
  ft(40, "Q1_0", "Q1_0"),
  ft(
    41,
    "Q2_0",
    "Q2_0",
    "include/llama.h LLAMA_FTYPE_MOSTLY_Q2_0 = 41 (added with GGML_TYPE_Q2_0 by llama.cpp PR #24448; value corroborated by downstream bindings, not in gguf-py@0024aa74)",
  ),
];

const ftypeByName = new Map<string, GgufFileType>();
for (const f of GGUF_FILE_TYPES) {
  ftypeByName.set(f.name.toLowerCase(), f);
  ftypeByName.set(f.enumName.toLowerCase(), f);
}
ftypeByName.set("all_f32", GGUF_FILE_TYPES[0]!);

/** Case-insensitive lookup of a GGUF file type by name ("Q4_K_M", "LLAMA_FTYPE_MOSTLY_Q4_K_M") or id. */
export function lookupGgufFileType(nameOrId: string | number): GgufFileType {
  const f =
    typeof nameOrId === "number"
      ? GGUF_FILE_TYPES.find((x) => x.id === nameOrId)
      : ftypeByName.get(nameOrId.trim().toLowerCase());
  if (f === undefined) {
    const allowed = GGUF_FILE_TYPES.map((x) => x.name);
    throw new MemlensError(
      "unknown-dtype",
      `unknown GGUF file type "${nameOrId}"; allowed: ${allowed.join(", ")}`,
      undefined,
      allowed,
    );
  }
  return f;
}
