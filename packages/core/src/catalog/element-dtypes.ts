/**
 * Plain (non-block) element dtypes: bits per element, the names configs and tools spell them with,
 * and exact bytes of a dense tensor.
 *
 * Every figure was read from the source named in the row's `source` field (repository@commit path).
 */
import { MemlensError } from "../errors/memlens-error.js";
import { assertCount } from "./counts.js";
import { AUTOAWQ, AUTOGPTQ, BNB, GGML, GPT_OSS, OCP_MX } from "./dtype-sources.js";

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
    const allowed = ELEMENT_DTYPES.map((x) => x.id);
    throw new MemlensError(
      "unknown-dtype",
      `unknown dtype "${name}"; allowed: ${allowed.join(", ")}`,
      undefined,
      allowed,
    );
  }
  return d;
}

/** Bytes of `elements` values of a plain dtype; sub-byte types round a trailing half byte up. */
export function denseTensorBytes(dtype: string, elements: number): number {
  const d = lookupElementDtype(dtype);
  assertCount("element count", elements);
  return Math.ceil((elements * d.bitsPerElement) / 8);
}
