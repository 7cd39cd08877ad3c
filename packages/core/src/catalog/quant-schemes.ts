/**
 * Storage layouts of the common non-GGUF weight quantization schemes (GPTQ, AWQ,
 * compressed-tensors W4A16 / W8A8, FP8, bitsandbytes NF4/FP4/LLM.int8, MXFP4, NVFP4) and the
 * exact bytes of a quantized matrix under each.
 *
 * Every figure was read from the source named in the row's `source` field (repository@commit path).
 */
import { MemlensError } from "../errors/memlens-error.js";
import { AUTOAWQ, AUTOGPTQ, BNB, GGML, GPT_OSS, OCP_MX, VLLM_CT } from "./dtype-sources.js";
import type { DtypeId } from "./element-dtypes.js";

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
    const allowed = QUANT_SCHEMES.map((x) => x.id);
    throw new MemlensError(
      "unknown-dtype",
      `unknown quantization scheme "${id}"; allowed: ${allowed.join(", ")}`,
      undefined,
      allowed,
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
  if (n % d !== 0)
    throw new MemlensError("invalid-value", `${scheme}: ${what} (${n}) must be a multiple of ${d}`);
}

function resolveGroup(scheme: string, inFeatures: number, groupSize: number | undefined): number {
  const g = groupSize ?? 128;
  if (g === -1) return inFeatures;
  if (!Number.isSafeInteger(g) || g <= 0)
    throw new MemlensError(
      "invalid-value",
      `${scheme}: groupSize must be a positive integer or -1, got ${g}`,
    );
  return g;
}

function resolveBits(scheme: GroupQuantScheme, bits: number | undefined): number {
  const b = bits ?? scheme.weightBits;
  if (!scheme.supportedBits.includes(b)) {
    throw new MemlensError(
      "invalid-value",
      `${scheme.id}: bits must be one of ${scheme.supportedBits.join(", ")}, got ${b}`,
    );
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
      throw new MemlensError("invalid-value", `${scheme.id}: ${what} must be a positive integer, got ${v}`);
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
      if (gran === "block")
        throw new MemlensError("invalid-value", 'w8a8: scaleGranularity must be "tensor" or "channel"');
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
          throw new MemlensError(
            "invalid-value",
            `fp8: blockShape must be two positive integers, got [${bn}, ${bk}]`,
          );
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
        throw new MemlensError(
          "invalid-value",
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
    throw new MemlensError("invalid-value", `${scheme.id}: [${N}, ${K}] is too large to count exactly`);
  return total;
}
