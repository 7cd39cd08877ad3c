/**
 * Dtype and quantization catalog: plain element types, every ggml tensor type (block size and bytes
 * per block), every llama.cpp GGUF file type (llama_ftype) with the ggml type most of its tensors
 * get, and the storage layouts of the common non-GGUF weight quantization schemes (GPTQ, AWQ,
 * compressed-tensors W4A16 / W8A8, FP8, bitsandbytes NF4/FP4/LLM.int8, MXFP4, NVFP4).
 *
 * Every figure was read from the source named in the row's `source` field (repository@commit path).
 */

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/** ggml upstream (synced from llama.cpp): enum ggml_type, type_traits, block structs. */
const GGML = "ggml-org/ggml@d99724f2b141fed9e1a9f402213506c081433465";
/** gguf-py Python mirror of the enums and of GGML_QUANT_SIZES (block size, type size). */
const GGUF_PY = "ggml-org/llama.cpp@0024aa7417efd50a7c2a79e049dfbbbceb0beaaf gguf-py/gguf/constants.py";
/** llama_ftype → default ggml_type mapping used by llama-quantize. */
const LLAMA_QUANT =
  "ggml-org/llama.cpp@007dbbf3fd17eefe9b47fee45f48f7ba5e62b714 src/llama-quant.cpp llama_ftype_get_default_type()";
const BNB = "bitsandbytes-foundation/bitsandbytes@95f9af309d4d5793847169c39288dcd3fcbdf564";
const AUTOGPTQ =
  "AutoGPTQ/AutoGPTQ@7c691ed3ec00fb83f75e35bd1b1d9c09114d818f auto_gptq/nn_modules/qlinear/qlinear_cuda.py QuantLinear.__init__";
const AUTOAWQ =
  "casper-hansen/AutoAWQ@d9dc8e564fed1527be2a9d8d5c74daf3823c3203 awq/modules/linear/gemm.py WQLinear_GEMM.__init__";
const VLLM_CT = "vllm-project/vllm vllm/model_executor/layers/quantization/compressed_tensors/schemes";
const GPT_OSS = "openai/gpt-oss@7a9ea7579645c772eff7ecafc6d9e0f6d825610a gpt_oss/torch/weights.py";
const OCP_MX =
  "OCP Microscaling Formats (MX) v1.0 spec, https://www.opencompute.org/documents/ocp-microscaling-formats-mx-v1-0-spec-final-pdf";

// ---------------------------------------------------------------------------------------------
// Plain element dtypes
// ---------------------------------------------------------------------------------------------

/** Plain (non-block) element types. `fp8` is E4M3 (torch.float8_e4m3fn), the usual weight FP8. */
export type DtypeId =
  | "fp64"
  | "fp32"
  | "fp16"
  | "bf16"
  | "fp8"
  | "fp8_e5m2"
  | "fp8_e8m0"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "int4"
  | "fp4"
  | "nf4";

export interface ElementDtype {
  readonly id: DtypeId;
  /** Other spellings accepted by `lookupElementDtype` (compared case-insensitively). */
  readonly aliases: readonly string[];
  readonly bitsPerElement: number;
  /** bitsPerElement / 8; fractional for sub-byte types (storage packs two 4-bit values per byte). */
  readonly bytesPerElement: number;
  readonly source: string;
}

function el(id: DtypeId, bits: number, aliases: readonly string[], source: string): ElementDtype {
  return { id, aliases, bitsPerElement: bits, bytesPerElement: bits / 8, source };
}

export const ELEMENT_DTYPES: readonly ElementDtype[] = [
  el(
    "fp64",
    64,
    ["f64", "float64", "double"],
    `${GGML} src/ggml.c type_traits[GGML_TYPE_F64].type_size = sizeof(double)`,
  ),
  el(
    "fp32",
    32,
    ["f32", "float32", "float"],
    `${GGML} src/ggml.c type_traits[GGML_TYPE_F32].type_size = sizeof(float)`,
  ),
  el(
    "fp16",
    16,
    ["f16", "float16", "half"],
    `${GGML} src/ggml.c type_traits[GGML_TYPE_F16].type_size = sizeof(ggml_fp16_t); src/ggml-common.h typedef uint16_t ggml_half`,
  ),
  el(
    "bf16",
    16,
    ["bfloat16"],
    `${GGML} src/ggml.c type_traits[GGML_TYPE_BF16].type_size = sizeof(ggml_bf16_t)`,
  ),
  el(
    "fp8",
    8,
    ["fp8_e4m3", "e4m3", "float8_e4m3fn", "f8_e4m3"],
    "vllm-project/vllm vllm/model_executor/layers/quantization/utils/fp8_utils.py create_fp8_weight_parameter (dtype=torch.float8_e4m3fn, one byte per weight)",
  ),
  el(
    "fp8_e5m2",
    8,
    ["e5m2", "float8_e5m2", "f8_e5m2"],
    "TensorFlow tf.dtypes.experimental.float8_e5m2 (8-bit float, 5 exponent + 2 mantissa bits), https://www.tensorflow.org/api_docs/python/tf/dtypes/experimental",
  ),
  el(
    "fp8_e8m0",
    8,
    ["e8m0", "float8_e8m0fnu", "ue8m0"],
    `${GGML} src/ggml-common.h block_mxfp4 { uint8_t e; // E8M0 }; ${OCP_MX} (shared scale X, 8 bits)`,
  ),
  el("int64", 64, ["i64"], `${GGML} src/ggml.c type_traits[GGML_TYPE_I64].type_size = sizeof(int64_t)`),
  el("int32", 32, ["i32"], `${GGML} src/ggml.c type_traits[GGML_TYPE_I32].type_size = sizeof(int32_t)`),
  el("int16", 16, ["i16"], `${GGML} src/ggml.c type_traits[GGML_TYPE_I16].type_size = sizeof(int16_t)`),
  el("int8", 8, ["i8"], `${GGML} src/ggml.c type_traits[GGML_TYPE_I8].type_size = sizeof(int8_t)`),
  el(
    "uint8",
    8,
    ["u8"],
    `${BNB} bitsandbytes/backends/cuda/ops.py quantize_blockwise (out dtype torch.uint8)`,
  ),
  el(
    "int4",
    4,
    ["i4", "uint4", "u4"],
    `${AUTOAWQ} (pack_num = 32 // w_bit = 8 int4 values per int32); ${AUTOGPTQ} (qweight rows = infeatures // 32 * bits)`,
  ),
  el(
    "fp4",
    4,
    ["fp4_e2m1", "e2m1", "float4_e2m1fn", "mxfp4_element"],
    `${GPT_OSS} BYTES_PER_BLOCK = 16 ("32 FP4 numbers packed in 16 bytes"); ${OCP_MX} (FP4 E2M1 element)`,
  ),
  el(
    "nf4",
    4,
    ["normalfloat4"],
    `${BNB} bitsandbytes/backends/cuda/ops.py quantize_4bit (out numel = (n + 1) // 2 uint8: two 4-bit codes per byte)`,
  ),
];

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
for (const t of GGML_TYPES) {
  ggmlByName.set(t.name.toLowerCase(), t);
  ggmlByName.set(t.ggmlName.toLowerCase(), t);
}
const ggmlById = new Map<number, GgmlType>(GGML_TYPES.map((t) => [t.id, t]));

/** Case-insensitive lookup by name ("Q4_K", "q4_k"); throws naming the allowed values. */
export function lookupGgmlType(name: string): GgmlType {
  const t = ggmlByName.get(name.trim().toLowerCase());
  if (t === undefined) {
    throw new Error(`unknown GGML type "${name}"; allowed: ${GGML_TYPES.map((x) => x.name).join(", ")}`);
  }
  return t;
}

/** Lookup by enum ggml_type value; throws for unknown and removed ids. */
export function ggmlTypeById(id: number): GgmlType {
  const t = ggmlById.get(id);
  if (t === undefined) {
    const removed = GGML_REMOVED_TYPE_IDS.find((r) => r.id === id);
    const why = removed === undefined ? "unknown" : `removed (was ${removed.name})`;
    throw new Error(
      `GGML type id ${id} is ${why}; allowed: ${GGML_TYPES.map((x) => `${x.id} (${x.name})`).join(", ")}`,
    );
  }
  return t;
}

function assertCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`${what} must be a non-negative integer, got ${n}`);
  }
}

/**
 * Exact storage bytes for `elements` values stored as a ggml type: elements / blockSize × typeSizeBytes
 * (ggml_row_size). Throws on a count that is not a multiple of the block size (ggml requires
 * ne[0] % blck_size == 0, so a whole tensor is always a whole number of blocks).
 */
export function ggmlTensorBytes(typeName: string, elements: number): number {
  const t = lookupGgmlType(typeName);
  assertCount("element count", elements);
  if (elements % t.blockSize !== 0) {
    throw new Error(
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
  if (ne.length === 0) throw new Error("tensor shape must have at least one dimension");
  for (const d of ne) assertCount("dimension", d);
  const row = ne[0] ?? 0;
  if (row % t.blockSize !== 0) {
    throw new Error(`${t.name} rows must be a multiple of ${t.blockSize} elements; ne[0] = ${row}`);
  }
  let rows = 1;
  for (let i = 1; i < ne.length; i++) rows *= ne[i] ?? 1;
  const total = (row / t.blockSize) * t.typeSizeBytes * rows;
  if (!Number.isSafeInteger(total))
    throw new Error(`tensor of shape [${ne.join(", ")}] is too large to count exactly`);
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
    throw new Error(
      `unknown GGUF file type "${nameOrId}"; allowed: ${GGUF_FILE_TYPES.map((x) => x.name).join(", ")}`,
    );
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Non-GGUF weight quantization schemes
// ---------------------------------------------------------------------------------------------

export type QuantSchemeId =
  | "gptq"
  | "awq"
  | "w4a16"
  | "w8a8"
  | "fp8"
  | "nf4"
  | "fp4-bnb"
  | "int8-bnb"
  | "mxfp4"
  | "nvfp4";

export interface GroupQuantScheme {
  readonly id: QuantSchemeId;
  readonly name: string;
  /** Bits per quantized weight value by default. */
  readonly weightBits: number;
  /** Allowed `bits` option values (one entry = fixed). */
  readonly supportedBits: readonly number[];
  /**
   * Elements sharing one scale by default: along the input dimension for gptq/awq/w4a16/mxfp4/nvfp4,
   * along the flattened tensor for bitsandbytes 4-bit; null where scales are per tensor / channel / 2-D block.
   */
  readonly defaultGroupSize: number | null;
  /** Element type of the (first-level) scales. */
  readonly scaleDtype: DtypeId;
  /** How zero points are stored. */
  readonly zeroPoints: "packed-int32" | "none";
  /** The tensors and their shapes, [outFeatures = N, inFeatures = K]. */
  readonly layout: string;
  readonly source: string;
}

export const QUANT_SCHEMES: readonly GroupQuantScheme[] = [
  {
    id: "gptq",
    name: "GPTQ (AutoGPTQ format)",
    weightBits: 4,
    supportedBits: [2, 3, 4, 8],
    defaultGroupSize: 128,
    scaleDtype: "fp16",
    zeroPoints: "packed-int32",
    layout:
      "qweight int32[K/32*bits, N]; qzeros int32[ceil(K/g), N/32*bits]; scales fp16[ceil(K/g), N]; g_idx int32[K] (act-order/desc_act); group_size -1 = K",
    source: AUTOGPTQ,
  },
  {
    id: "awq",
    name: "AWQ (AutoAWQ GEMM format)",
    weightBits: 4,
    supportedBits: [4],
    defaultGroupSize: 128,
    scaleDtype: "fp16",
    zeroPoints: "packed-int32",
    layout: "qweight int32[K, N/8]; qzeros int32[K/g, N/8]; scales fp16[K/g, N]",
    source: AUTOAWQ,
  },
  {
    id: "w4a16",
    name: "compressed-tensors W4A16 / W8A16 (pack-quantized, symmetric)",
    weightBits: 4,
    supportedBits: [4, 8],
    defaultGroupSize: 128,
    scaleDtype: "bf16",
    zeroPoints: "none",
    layout:
      "weight_packed int32[N, K/(32/bits)]; weight_scale params_dtype(16-bit)[N, K/g]; weight_shape int64[2]; weight_g_idx int32[K] (actorder=group)",
    source: `${VLLM_CT}/compressed_tensors_wNa16.py@519b90d4648d4455d32d0fc10b4734ba2ba324e1 CompressedTensorsWNA16.create_weights`,
  },
  {
    id: "w8a8",
    name: "compressed-tensors W8A8 int8",
    weightBits: 8,
    supportedBits: [8],
    defaultGroupSize: null,
    scaleDtype: "fp32",
    zeroPoints: "none",
    layout: "weight int8[N, K]; weight_scale fp32[N, 1] (channel) or fp32[1] (tensor)",
    source: `${VLLM_CT}/compressed_tensors_w8a8_int8.py@c45614b5d83bd38e3cec1966637e11ad8c9c1aca CompressedTensorsW8A8Int8.create_weights`,
  },
  {
    id: "fp8",
    name: "FP8 E4M3 weights (vLLM fp8 / DeepSeek-V3 block-wise)",
    weightBits: 8,
    supportedBits: [8],
    defaultGroupSize: null,
    scaleDtype: "fp32",
    zeroPoints: "none",
    layout:
      "weight float8_e4m3fn[N, K]; weight_scale fp32[1] (tensor) | fp32[N, 1] (channel) | weight_scale_inv fp32[ceil(N/bn), ceil(K/bk)] (block, DeepSeek-V3 [128, 128])",
    source:
      "vllm-project/vllm@1436674bcb3f46f4c960d09334cf7dd1534943ca vllm/model_executor/layers/quantization/fp8.py Fp8LinearMethod + utils/fp8_utils.py create_fp8_scale_parameter; deepseek-ai/DeepSeek-V3@1ea5a1a7ed7429e25ba2fa2c76fe74fa5968d348 inference/model.py Linear (block_size = 128, scale fp32[(out+127)//128, (in+127)//128])",
  },
  {
    id: "nf4",
    name: "bitsandbytes NF4 (Params4bit)",
    weightBits: 4,
    supportedBits: [4],
    defaultGroupSize: 64,
    scaleDtype: "fp32",
    zeroPoints: "none",
    layout:
      "packed uint8[(N*K+1)//2]; absmax fp32[ceil(N*K/bs)]; double quant: absmax uint8[ceil(N*K/bs)] + absmax2 fp32[ceil(nblocks/256)] + offset fp32 scalar",
    source: `${BNB} bitsandbytes/functional.py quantize_4bit (blocksize default 64; compress_statistics: offset = absmax.mean(), quantize_blockwise(absmax - offset, blocksize=256)) + bitsandbytes/backends/cuda/ops.py quantize_4bit / quantize_blockwise`,
  },
  {
    id: "fp4-bnb",
    name: "bitsandbytes FP4 (Params4bit, quant_type='fp4')",
    weightBits: 4,
    supportedBits: [4],
    defaultGroupSize: 64,
    scaleDtype: "fp32",
    zeroPoints: "none",
    layout: "same storage as nf4 (only the 16-entry code differs)",
    source: `${BNB} bitsandbytes/functional.py quantize_4bit (quant_type "fp4" | "nf4", same kernel output shapes)`,
  },
  {
    id: "int8-bnb",
    name: "bitsandbytes LLM.int8 (Int8Params)",
    weightBits: 8,
    supportedBits: [8],
    defaultGroupSize: null,
    scaleDtype: "fp32",
    zeroPoints: "none",
    layout: "CB int8[N, K]; SCB fp32[N] (row-wise absmax)",
    source: `${BNB} bitsandbytes/nn/modules.py Int8Params._quantize (CB, SCB = int8_vectorwise_quant(B)); bitsandbytes/_ops.py int8_vectorwise_quant fake: out_row int8[A.shape], row_stats fp32[numel/shape[-1]]`,
  },
  {
    id: "mxfp4",
    name: "OCP MXFP4 (gpt-oss, ggml MXFP4)",
    weightBits: 4,
    supportedBits: [4],
    defaultGroupSize: 32,
    scaleDtype: "fp8_e8m0",
    zeroPoints: "none",
    layout: "blocks uint8[N, K/32, 16] (32 E2M1 values); scales uint8 E8M0[N, K/32]: 17 bytes per 32 weights",
    source: `${GPT_OSS} (BYTES_PER_BLOCK = 16, *.blocks + *.scales, scale bias 127); ${GGML} src/ggml-common.h block_mxfp4; ${OCP_MX}`,
  },
  {
    id: "nvfp4",
    name: "NVFP4 (compressed-tensors W4A4)",
    weightBits: 4,
    supportedBits: [4],
    defaultGroupSize: 16,
    scaleDtype: "fp8",
    zeroPoints: "none",
    layout:
      "weight_packed uint8[N, K/2]; weight_scale float8_e4m3fn[N, K/16]; weight_global_scale fp32 scalar",
    source: `${VLLM_CT}/compressed_tensors_w4a4_nvfp4.py@85f1f913cf8d26e0c6ca0ad09792cb45470069bf CompressedTensorsW4A4Fp4.create_weights (group_size = 16)`,
  },
];

export function lookupQuantScheme(id: string): GroupQuantScheme {
  const s = QUANT_SCHEMES.find((x) => x.id === id.trim().toLowerCase());
  if (s === undefined) {
    throw new Error(
      `unknown quantization scheme "${id}"; allowed: ${QUANT_SCHEMES.map((x) => x.id).join(", ")}`,
    );
  }
  return s;
}

export interface QuantizedMatrixOptions {
  /** gptq / awq / w4a16: input-dim group size (default 128; -1 = one group spanning all of K). */
  readonly groupSize?: number;
  /** gptq: 2 | 3 | 4 | 8 (default 4); w4a16: 4 | 8 (default 4). */
  readonly bits?: number;
  /** gptq: store g_idx int32[K] (act-order); w4a16: weight_g_idx int32[K] (actorder = group). Default false. */
  readonly descAct?: boolean;
  /** nf4 / fp4-bnb: compress_statistics (nested 8-bit absmax). Default false. */
  readonly doubleQuant?: boolean;
  /** nf4 / fp4-bnb: blocksize (default 64; 32, 64, ..., 4096). */
  readonly blockSize?: number;
  /** fp8: default "tensor"; w8a8: default "channel" ("block" is fp8 only). */
  readonly scaleGranularity?: "tensor" | "channel" | "block";
  /** fp8 "block": [block_n (output), block_k (input)], default [128, 128] (DeepSeek-V3). */
  readonly blockShape?: readonly [number, number];
}

const BNB_4BIT_BLOCKSIZES: readonly number[] = [32, 64, 128, 256, 512, 1024, 2048, 4096];
/** bitsandbytes nested (double) quantization blocksize for the absmax statistics. */
const BNB_NESTED_BLOCKSIZE = 256;
const INT32 = 4;
const FP32 = 4;
const FP16 = 2;

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

function requireDivisible(scheme: string, what: string, n: number, d: number): void {
  if (n % d !== 0) throw new Error(`${scheme}: ${what} (${n}) must be a multiple of ${d}`);
}

function resolveGroup(scheme: string, inFeatures: number, groupSize: number | undefined): number {
  const g = groupSize ?? 128;
  if (g === -1) return inFeatures;
  if (!Number.isSafeInteger(g) || g <= 0)
    throw new Error(`${scheme}: groupSize must be a positive integer or -1, got ${g}`);
  return g;
}

function resolveBits(scheme: GroupQuantScheme, bits: number | undefined): number {
  const b = bits ?? scheme.weightBits;
  if (!scheme.supportedBits.includes(b)) {
    throw new Error(`${scheme.id}: bits must be one of ${scheme.supportedBits.join(", ")}, got ${b}`);
  }
  return b;
}

/**
 * Exact bytes of the tensors that store one 2-D weight [outFeatures, inFeatures] under a quantization
 * scheme, as laid out in the scheme's checkpoint / load-time parameters (see each scheme's `layout`):
 *
 * - gptq: packed int32 qweight + int32 qzeros (bits per zero, packed) + fp16 scales per group (+ g_idx int32[K] with descAct)
 * - awq: int32 qweight [K, N/8] + int32 qzeros [K/g, N/8] + fp16 scales [K/g, N]
 * - w4a16: int32 weight_packed + 16-bit weight_scale [N, K/g] + int64[2] weight_shape (+ weight_g_idx)
 * - nf4 / fp4-bnb: ceil(N*K/2) packed bytes + fp32 absmax per block; with doubleQuant the absmax is uint8
 *   plus fp32 absmax per 256 blocks plus one fp32 offset
 * - int8-bnb: int8 weights + fp32 row scale
 * - fp8: one byte per weight + fp32 scale(s) (tensor: 1; channel: N; block: ceil(N/bn)·ceil(K/bk))
 * - w8a8: int8 weights + fp32 per-channel (or one per-tensor) scale
 * - mxfp4: 17 bytes per 32 weights along K
 * - nvfp4: K/2 bytes per row + one fp8 scale per 16 weights + one fp32 global scale
 *
 * Not counted: bias, activation/input scales, and per-tensor lookup tables that are constant in
 * size (the bitsandbytes 16-entry NF4/FP4 code and 256-entry nested code, ≤ 1 KiB per tensor).
 */
export function quantizedMatrixBytes(
  schemeId: QuantSchemeId | string,
  outFeatures: number,
  inFeatures: number,
  opts: QuantizedMatrixOptions = {},
): number {
  const scheme = lookupQuantScheme(schemeId);
  for (const [what, v] of [
    ["outFeatures", outFeatures],
    ["inFeatures", inFeatures],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new Error(`${scheme.id}: ${what} must be a positive integer, got ${v}`);
  }
  const N = outFeatures;
  const K = inFeatures;
  let total: number;

  switch (scheme.id) {
    case "gptq": {
      const bits = resolveBits(scheme, opts.bits);
      const g = resolveGroup("gptq", K, opts.groupSize);
      requireDivisible("gptq", "inFeatures", K, 32);
      requireDivisible("gptq", "outFeatures", N, 32);
      const groups = ceilDiv(K, g);
      const qweight = (K / 32) * bits * N * INT32;
      const qzeros = groups * (N / 32) * bits * INT32;
      const scales = groups * N * FP16;
      const gIdx = opts.descAct === true ? K * INT32 : 0;
      total = qweight + qzeros + scales + gIdx;
      break;
    }
    case "awq": {
      resolveBits(scheme, opts.bits);
      const g = resolveGroup("awq", K, opts.groupSize);
      requireDivisible("awq", "inFeatures", K, g);
      requireDivisible("awq", "outFeatures", N, 8);
      const qweight = K * (N / 8) * INT32;
      const qzeros = (K / g) * (N / 8) * INT32;
      const scales = (K / g) * N * FP16;
      total = qweight + qzeros + scales;
      break;
    }
    case "w4a16": {
      const bits = resolveBits(scheme, opts.bits);
      const pack = 32 / bits;
      const g = resolveGroup("w4a16", K, opts.groupSize);
      requireDivisible("w4a16", "inFeatures", K, pack);
      requireDivisible("w4a16", "inFeatures", K, g);
      const packed = N * (K / pack) * INT32;
      const scales = N * (K / g) * FP16;
      const shape = 2 * 8;
      const gIdx = opts.descAct === true ? K * INT32 : 0;
      total = packed + scales + shape + gIdx;
      break;
    }
    case "w8a8": {
      const gran = opts.scaleGranularity ?? "channel";
      if (gran === "block") throw new Error('w8a8: scaleGranularity must be "tensor" or "channel"');
      total = N * K + (gran === "channel" ? N * FP32 : FP32);
      break;
    }
    case "fp8": {
      const gran = opts.scaleGranularity ?? "tensor";
      let scales: number;
      if (gran === "tensor") scales = FP32;
      else if (gran === "channel") scales = N * FP32;
      else {
        const [bn, bk] = opts.blockShape ?? [128, 128];
        if (!Number.isSafeInteger(bn) || !Number.isSafeInteger(bk) || bn <= 0 || bk <= 0) {
          throw new Error(`fp8: blockShape must be two positive integers, got [${bn}, ${bk}]`);
        }
        scales = ceilDiv(N, bn) * ceilDiv(K, bk) * FP32;
      }
      total = N * K + scales;
      break;
    }
    case "nf4":
    case "fp4-bnb": {
      const bs = opts.blockSize ?? 64;
      if (!BNB_4BIT_BLOCKSIZES.includes(bs)) {
        throw new Error(
          `${scheme.id}: blockSize must be one of ${BNB_4BIT_BLOCKSIZES.join(", ")}, got ${bs}`,
        );
      }
      const n = N * K;
      const packed = Math.floor((n + 1) / 2);
      const blocks = ceilDiv(n, bs);
      const absmax =
        opts.doubleQuant === true
          ? blocks * 1 + ceilDiv(blocks, BNB_NESTED_BLOCKSIZE) * FP32 + FP32
          : blocks * FP32;
      total = packed + absmax;
      break;
    }
    case "int8-bnb": {
      total = N * K + N * FP32;
      break;
    }
    case "mxfp4": {
      requireDivisible("mxfp4", "inFeatures", K, 32);
      total = N * (K / 32) * (16 + 1);
      break;
    }
    case "nvfp4": {
      requireDivisible("nvfp4", "inFeatures", K, 16);
      total = N * (K / 2) + N * (K / 16) * 1 + FP32;
      break;
    }
  }
  if (!Number.isSafeInteger(total))
    throw new Error(`${scheme.id}: [${N}, ${K}] is too large to count exactly`);
  return total;
}

// ---------------------------------------------------------------------------------------------
// Plain element dtypes: lookup and bytes
// ---------------------------------------------------------------------------------------------

const elementByName = new Map<string, ElementDtype>();
for (const d of ELEMENT_DTYPES) {
  elementByName.set(d.id, d);
  for (const a of d.aliases) elementByName.set(a.toLowerCase(), d);
}

/** Case-insensitive lookup by id or alias ("bf16", "float16", "e4m3"). */
export function lookupElementDtype(name: string): ElementDtype {
  const d = elementByName.get(name.trim().toLowerCase());
  if (d === undefined) {
    throw new Error(`unknown dtype "${name}"; allowed: ${ELEMENT_DTYPES.map((x) => x.id).join(", ")}`);
  }
  return d;
}

/** Bytes of `elements` values of a plain dtype; sub-byte types round a trailing half byte up. */
export function denseTensorBytes(dtype: string, elements: number): number {
  const d = lookupElementDtype(dtype);
  assertCount("element count", elements);
  return Math.ceil((elements * d.bitsPerElement) / 8);
}
