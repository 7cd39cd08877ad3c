import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  denseTensorBytes,
  ELEMENT_DTYPES,
  GGML_REMOVED_TYPE_IDS,
  GGML_TYPES,
  GGUF_FILE_TYPES,
  ggmlTensorBytes,
  ggmlTensorBytesForShape,
  ggmlTypeById,
  lookupElementDtype,
  lookupGgmlType,
  lookupGgufFileType,
  QUANT_SCHEMES,
  quantizedMatrixBytes,
} from "./dtypes.js";

// [name, enum id, elements per block, bytes per block], each read from ggml include/ggml.h,
// src/ggml-common.h (static_assert sizeof(block_*)) and gguf-py GGML_QUANT_SIZES.
const EXPECTED: readonly (readonly [string, number, number, number])[] = [
  ["F32", 0, 1, 4],
  ["F16", 1, 1, 2],
  ["Q4_0", 2, 32, 18],
  ["Q4_1", 3, 32, 20],
  ["Q5_0", 6, 32, 22],
  ["Q5_1", 7, 32, 24],
  ["Q8_0", 8, 32, 34],
  ["Q8_1", 9, 32, 36],
  ["Q2_K", 10, 256, 84],
  ["Q3_K", 11, 256, 110],
  ["Q4_K", 12, 256, 144],
  ["Q5_K", 13, 256, 176],
  ["Q6_K", 14, 256, 210],
  ["Q8_K", 15, 256, 292],
  ["IQ2_XXS", 16, 256, 66],
  ["IQ2_XS", 17, 256, 74],
  ["IQ3_XXS", 18, 256, 98],
  ["IQ1_S", 19, 256, 50],
  ["IQ4_NL", 20, 32, 18],
  ["IQ3_S", 21, 256, 110],
  ["IQ2_S", 22, 256, 82],
  ["IQ4_XS", 23, 256, 136],
  ["I8", 24, 1, 1],
  ["I16", 25, 1, 2],
  ["I32", 26, 1, 4],
  ["I64", 27, 1, 8],
  ["F64", 28, 1, 8],
  ["IQ1_M", 29, 256, 56],
  ["BF16", 30, 1, 2],
  ["TQ1_0", 34, 256, 54],
  ["TQ2_0", 35, 256, 66],
  ["MXFP4", 39, 32, 17],
  ["NVFP4", 40, 64, 36],
  ["Q1_0", 41, 128, 18],
  ["Q2_0", 42, 64, 18],
];

describe("GGML_TYPES", () => {
  it("has exactly the live ggml_type ids, with the documented block geometry", () => {
    expect(GGML_TYPES.map((t) => [t.name, t.id, t.blockSize, t.typeSizeBytes])).toEqual(EXPECTED);
  });

  it("leaves the removed ids as gaps", () => {
    const ids = new Set(GGML_TYPES.map((t) => t.id));
    for (const r of GGML_REMOVED_TYPE_IDS) expect(ids.has(r.id)).toBe(false);
    expect(GGML_REMOVED_TYPE_IDS.map((r) => r.id)).toEqual([4, 5, 31, 32, 33, 36, 37, 38]);
    expect(() => ggmlTypeById(4)).toThrow(/removed \(was Q4_2\)/);
    expect(ggmlTypeById(12).name).toBe("Q4_K");
  });

  it("has unique ids and names and a source on every row", () => {
    expect(new Set(GGML_TYPES.map((t) => t.id)).size).toBe(GGML_TYPES.length);
    expect(new Set(GGML_TYPES.map((t) => t.name)).size).toBe(GGML_TYPES.length);
    for (const t of GGML_TYPES) expect(t.source).toMatch(/ggml-org\/ggml@[0-9a-f]{40}/);
  });

  it("looks names up case-insensitively and names the allowed values on a miss", () => {
    expect(lookupGgmlType("q4_k").name).toBe("Q4_K");
    expect(lookupGgmlType("Iq4_Xs").typeSizeBytes).toBe(136);
    expect(() => lookupGgmlType("Q4_2")).toThrow(/^unknown GGML type "Q4_2"; allowed: F32, F16, Q4_0,/);
  });
});

describe("ggmlTensorBytes", () => {
  const N = 4096 * 4096;
  it.each([
    ["F32", N * 4],
    ["F16", N * 2],
    ["BF16", N * 2],
    ["Q8_0", (N / 32) * 34],
    ["Q4_0", (N / 32) * 18],
    ["Q4_1", (N / 32) * 20],
    ["Q5_0", (N / 32) * 22],
    ["Q5_1", (N / 32) * 24],
    ["Q2_K", (N / 256) * 84],
    ["Q3_K", (N / 256) * 110],
    ["Q4_K", (N / 256) * 144],
    ["Q5_K", (N / 256) * 176],
    ["Q6_K", (N / 256) * 210],
    ["IQ4_XS", (N / 256) * 136],
    ["IQ4_NL", (N / 32) * 18],
    ["IQ2_XXS", (N / 256) * 66],
    ["IQ1_M", (N / 256) * 56],
    ["TQ1_0", (N / 256) * 54],
    ["MXFP4", (N / 32) * 17],
    ["NVFP4", (N / 64) * 36],
    ["Q1_0", (N / 128) * 18],
  ])("4096×4096 %s = %i bytes", (name, bytes) => {
    expect(ggmlTensorBytes(name, N)).toBe(bytes);
    expect(ggmlTensorBytesForShape(name, [4096, 4096])).toBe(bytes);
  });

  it("gives the familiar bits per weight", () => {
    const bpw = (name: string) => (ggmlTensorBytes(name, 256 * 1024) * 8) / (256 * 1024);
    expect(bpw("Q4_K")).toBe(4.5);
    expect(bpw("Q6_K")).toBe(6.5625);
    expect(bpw("Q8_0")).toBe(8.5);
    expect(bpw("MXFP4")).toBe(4.25);
    expect(bpw("IQ4_XS")).toBe(4.25);
  });

  it("rejects a count that is not a whole number of blocks", () => {
    expect(() => ggmlTensorBytes("Q4_K", 100)).toThrow(/not a multiple of 256/);
    expect(() => ggmlTensorBytes("Q8_0", 4097)).toThrow(/not a multiple of 32/);
    expect(() => ggmlTensorBytesForShape("Q4_K", [128, 512])).toThrow(/ne\[0\] = 128/);
    expect(() => ggmlTensorBytes("F16", -1)).toThrow(/non-negative integer/);
    expect(ggmlTensorBytes("F16", 7)).toBe(14);
  });

  it("is an integer, monotone in the element count (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GGML_TYPES.map((t) => t.name)),
        fc.nat(1_000_000),
        fc.nat(1_000_000),
        (name, a, b) => {
          const bs = lookupGgmlType(name).blockSize;
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const x = ggmlTensorBytes(name, lo * bs);
          const y = ggmlTensorBytes(name, hi * bs);
          return Number.isInteger(x) && Number.isInteger(y) && x <= y;
        },
      ),
    );
  });
});

describe("GGUF_FILE_TYPES", () => {
  it("maps each llama_ftype to the ggml type its weights get", () => {
    const q4km = lookupGgufFileType("Q4_K_M");
    expect(q4km.id).toBe(15);
    expect(q4km.baseType).toBe("Q4_K");
    expect(lookupGgufFileType(7).name).toBe("Q8_0");
    expect(lookupGgufFileType("MXFP4_MOE").baseType).toBe("MXFP4");
    expect(lookupGgufFileType("IQ2_M").baseType).toBe("IQ2_S");
    expect(lookupGgufFileType("IQ3_XS").baseType).toBe("IQ3_S");
    expect(lookupGgufFileType("llama_ftype_all_f32").id).toBe(0);
    for (const f of GGUF_FILE_TYPES) expect(() => lookupGgmlType(f.baseType)).not.toThrow();
  });

  it("has unique ids, skipping removed ones", () => {
    const ids = GGUF_FILE_TYPES.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const gone of [4, 5, 6, 33, 34, 35]) expect(ids).not.toContain(gone);
    expect(() => lookupGgufFileType("Q4_K_XL")).toThrow(/allowed: F32, F16, Q4_0/);
  });
});

describe("ELEMENT_DTYPES", () => {
  it("has the element widths", () => {
    const bytes = Object.fromEntries(ELEMENT_DTYPES.map((d) => [d.id, d.bytesPerElement]));
    expect(bytes).toMatchObject({
      fp32: 4,
      fp16: 2,
      bf16: 2,
      fp8: 1,
      fp8_e5m2: 1,
      int8: 1,
      int4: 0.5,
      fp4: 0.5,
    });
    expect(lookupElementDtype("float8_e4m3fn").id).toBe("fp8");
    expect(denseTensorBytes("bf16", 4096 * 4096)).toBe(33_554_432);
    expect(denseTensorBytes("int4", 3)).toBe(2);
    expect(() => lookupElementDtype("fp12")).toThrow(/allowed: fp64, fp32/);
  });
});

describe("quantizedMatrixBytes", () => {
  it("GPTQ 4-bit g128 on 4096×4096", () => {
    const qweight = (4096 / 32) * 4 * 4096 * 4; // int32 [K/32*bits, N]
    const qzeros = (4096 / 128) * ((4096 / 32) * 4) * 4; // int32 [K/g, N/32*bits]
    const scales = (4096 / 128) * 4096 * 2; // fp16 [K/g, N]
    expect(quantizedMatrixBytes("gptq", 4096, 4096, { groupSize: 128 })).toBe(qweight + qzeros + scales);
    expect(qweight + qzeros + scales).toBe(8_716_288);
    const gIdx = 4096 * 4; // int32 [K]
    expect(quantizedMatrixBytes("gptq", 4096, 4096, { descAct: true })).toBe(
      qweight + qzeros + scales + gIdx,
    );
  });

  it("GPTQ channel-wise (group -1) and 8-bit; a K not divisible by the group rounds groups up", () => {
    expect(quantizedMatrixBytes("gptq", 4096, 4096, { groupSize: -1 })).toBe(
      4096 * 4096 * 0.5 + 1 * (4096 / 8) * 4 + 1 * 4096 * 2,
    );
    expect(quantizedMatrixBytes("gptq", 4096, 4096, { bits: 8 })).toBe(
      4096 * 4096 + 32 * (4096 / 4) * 4 + 32 * 4096 * 2,
    );
    // K = 11008 (Llama-2-7B down_proj) with g128: ceil(11008/128) = 86 groups
    expect(quantizedMatrixBytes("gptq", 4096, 11008)).toBe(11008 * 4096 * 0.5 + 86 * 512 * 4 + 86 * 4096 * 2);
  });

  it("AWQ matches GPTQ without g_idx for the same shape", () => {
    const awq = 4096 * (4096 / 8) * 4 + 32 * (4096 / 8) * 4 + 32 * 4096 * 2;
    expect(quantizedMatrixBytes("awq", 4096, 4096)).toBe(awq);
    expect(() => quantizedMatrixBytes("awq", 4096, 4000)).toThrow(/multiple of 128/);
  });

  it("NF4 with and without double quantization", () => {
    const n = 4096 * 4096;
    const packed = n / 2;
    const blocks = n / 64; // 262144
    expect(quantizedMatrixBytes("nf4", 4096, 4096)).toBe(packed + blocks * 4);
    expect(quantizedMatrixBytes("nf4", 4096, 4096)).toBe(9_437_184);
    const dq = packed + blocks * 1 + (blocks / 256) * 4 + 4; // uint8 absmax + fp32 absmax2 + fp32 offset
    expect(quantizedMatrixBytes("nf4", 4096, 4096, { doubleQuant: true })).toBe(dq);
    expect(dq).toBe(8_654_852);
    expect(quantizedMatrixBytes("fp4-bnb", 4096, 4096, { doubleQuant: true })).toBe(dq);
    expect(() => quantizedMatrixBytes("nf4", 4096, 4096, { blockSize: 48 })).toThrow(/blockSize/);
  });

  it("LLM.int8, W8A8, FP8 (tensor / channel / DeepSeek 128×128 block), MXFP4, NVFP4", () => {
    expect(quantizedMatrixBytes("int8-bnb", 4096, 4096)).toBe(4096 * 4096 + 4096 * 4);
    expect(quantizedMatrixBytes("w8a8", 4096, 4096)).toBe(4096 * 4096 + 4096 * 4);
    expect(quantizedMatrixBytes("w8a8", 4096, 4096, { scaleGranularity: "tensor" })).toBe(4096 * 4096 + 4);
    expect(quantizedMatrixBytes("fp8", 4096, 4096)).toBe(4096 * 4096 + 4);
    expect(quantizedMatrixBytes("fp8", 4096, 4096, { scaleGranularity: "channel" })).toBe(
      4096 * 4096 + 4096 * 4,
    );
    // DeepSeek-V3 wkv_a: [576, 7168] → scale [ceil(576/128)=5, 56]
    expect(quantizedMatrixBytes("fp8", 576, 7168, { scaleGranularity: "block" })).toBe(
      576 * 7168 + 5 * 56 * 4,
    );
    expect(quantizedMatrixBytes("mxfp4", 4096, 4096)).toBe((4096 * 4096 * 17) / 32);
    expect(quantizedMatrixBytes("mxfp4", 4096, 4096)).toBe(ggmlTensorBytes("MXFP4", 4096 * 4096));
    expect(quantizedMatrixBytes("nvfp4", 4096, 4096)).toBe(4096 * 2048 + 4096 * 256 + 4);
  });

  it("compressed-tensors W4A16 adds weight_shape and optional weight_g_idx", () => {
    const base = 4096 * (4096 / 8) * 4 + 4096 * (4096 / 128) * 2 + 16;
    expect(quantizedMatrixBytes("w4a16", 4096, 4096)).toBe(base);
    expect(quantizedMatrixBytes("w4a16", 4096, 4096, { descAct: true })).toBe(base + 4096 * 4);
  });

  it("rejects unknown schemes and bad shapes", () => {
    expect(() => quantizedMatrixBytes("hqq", 16, 16)).toThrow(
      /unknown quantization scheme "hqq"; allowed: gptq, awq/,
    );
    expect(() => quantizedMatrixBytes("mxfp4", 64, 48)).toThrow(/multiple of 32/);
    expect(() => quantizedMatrixBytes("gptq", 64, 64, { bits: 5 })).toThrow(/bits must be one of 2, 3, 4, 8/);
    expect(() => quantizedMatrixBytes("fp8", 0, 64)).toThrow(/positive integer/);
  });

  it("every scheme has a source", () => {
    for (const s of QUANT_SCHEMES) expect(s.source.length).toBeGreaterThan(20);
  });

  it("is an integer, monotone in both dimensions (property)", () => {
    const schemes = ["gptq", "awq", "w4a16", "w8a8", "fp8", "nf4", "fp4-bnb", "int8-bnb", "mxfp4", "nvfp4"];
    fc.assert(
      fc.property(
        fc.constantFrom(...schemes),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 0, max: 16 }),
        fc.boolean(),
        (scheme, n, k, dn, dk, flag) => {
          // multiples of 128 satisfy every scheme's divisibility rules
          const opts = { descAct: flag, doubleQuant: flag };
          const a = quantizedMatrixBytes(scheme, n * 128, k * 128, opts);
          const b = quantizedMatrixBytes(scheme, (n + dn) * 128, (k + dk) * 128, opts);
          return Number.isInteger(a) && Number.isInteger(b) && a <= b && a > 0;
        },
      ),
    );
  });
});
