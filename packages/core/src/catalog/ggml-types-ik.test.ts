import { describe, expect, test } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import { readGgufHeader } from "../models/gguf.js";
import { writeGgufHeader } from "../models/gguf-writer.js";
import {
  GGML_REMOVED_TYPE_IDS,
  GGML_TYPES,
  ggmlTensorBytes,
  ggmlTensorBytesForShape,
  ggmlTypeById,
  lookupGgmlType,
} from "./dtypes.js";
import { IK_LLAMA_GGML_TYPES } from "./ggml-types-ik.js";

// Figures from ikawrakow/ik_llama.cpp@8337e4cd: the static_asserts in ggml/src/ggml-common.h and the
// type_traits rows in ggml/src/ggml.c (each row's `source` names the lines).
describe("ik_llama.cpp's own ggml types", () => {
  test("no enum value or name collides with upstream ggml's (live or removed)", () => {
    const upstreamIds = new Set([...GGML_TYPES.map((t) => t.id), ...GGML_REMOVED_TYPE_IDS.map((t) => t.id)]);
    const upstreamNames = new Set(GGML_TYPES.map((t) => t.name));
    for (const t of IK_LLAMA_GGML_TYPES) {
      expect(upstreamIds.has(t.id), t.name).toBe(false);
      expect(upstreamNames.has(t.name), t.name).toBe(false);
      expect(t.source).toMatch(/ikawrakow\/ik_llama\.cpp@[0-9a-f]{40} /);
    }
    expect(new Set(IK_LLAMA_GGML_TYPES.map((t) => t.id)).size).toBe(IK_LLAMA_GGML_TYPES.length);
  });

  test("the IQ*_K family: bytes per 256-value block and per-row headers as ik_llama.cpp declares them", () => {
    const rows: [string, number, number, number, number][] = [
      // name, id, block, bytes per block, row_meta_size
      ["IQ2_K", 137, 256, 2 + 2 + 256 / 32 + 256 / 4, 0], // 76: 2.375 bits per weight
      ["IQ3_K", 138, 256, 2 + 2 * 2 + 256 / 32 + 256 / 4 + 256 / 8, 0],
      ["IQ4_K", 139, 256, 2 + 2 + 256 / 2 + (3 * 256) / 64, 0],
      ["IQ5_K", 140, 256, 2 + 2 + 256 / 2 + 256 / 8 + (3 * 256) / 64, 0],
      ["IQ6_K", 141, 256, 2 + 2 + 256 / 2 + 256 / 4 + 256 / 16, 0],
      ["IQ4_KS", 144, 256, 256 / 32 + 256 / 2, 4], // one float scale per row
      ["IQ4_KSS", 146, 256, (256 / 8) * 4, 4],
      ["IQ2_KS", 145, 256, 2 + 256 / 64 + 256 / 4, 2],
      ["IQ5_KS", 152, 256, 256 / 32 + 256 / 2 + 256 / 8, 4],
    ];
    for (const [name, id, block, size, meta] of rows) {
      const t = ggmlTypeById(id);
      expect([t.name, t.blockSize, t.typeSizeBytes, t.rowMetaBytes ?? 0]).toEqual([name, block, size, meta]);
      expect(lookupGgmlType(name.toLowerCase()).id).toBe(id);
    }
  });

  test("a row-interleaved repack stores its base type's blocks (same bytes per weight)", () => {
    const base: Record<string, string> = {
      Q4_0_R8: "Q4_0",
      Q5_0_R4: "Q5_0",
      Q8_0_R8: "Q8_0",
      Q2_K_R4: "Q2_K",
      Q3_K_R4: "Q3_K",
      Q4_K_R4: "Q4_K",
      Q5_K_R4: "Q5_K",
      Q6_K_R4: "Q6_K",
      IQ2_XXS_R4: "IQ2_XXS",
      IQ2_XS_R4: "IQ2_XS",
      IQ3_XXS_R4: "IQ3_XXS",
      IQ4_NL_R4: "IQ4_NL",
      IQ3_S_R4: "IQ3_S",
      IQ2_S_R4: "IQ2_S",
      IQ4_XS_R8: "IQ4_XS",
      BF16_R16: "BF16",
      MXFP4_R8: "MXFP4",
      Q6_0_R4: "Q6_0",
      IQ2_K_R4: "IQ2_K",
      IQ3_K_R4: "IQ3_K",
      IQ4_K_R4: "IQ4_K",
      IQ5_K_R4: "IQ5_K",
      IQ4_KS_R4: "IQ4_KS",
      IQ5_KS_R4: "IQ5_KS",
      IQ2_BN_R4: "IQ2_BN",
    };
    for (const [r, b] of Object.entries(base)) {
      const rt = lookupGgmlType(r);
      const bt = lookupGgmlType(b);
      expect([rt.blockSize, rt.typeSizeBytes, rt.rowMetaBytes ?? 0], r).toEqual([
        bt.blockSize,
        bt.typeSizeBytes,
        bt.rowMetaBytes ?? 0,
      ]);
    }
  });

  test("a GGUF holding them is read, each tensor sized as ggml_row_size × rows", () => {
    const tensors = [
      { name: "token_embd.weight", type: "Q4_K_R4", ne: [4096, 1000] },
      { name: "blk.0.attn_q.weight", type: "IQ4_KS", ne: [4096, 4096] },
      { name: "blk.0.attn_v.weight", type: "IQ5_K", ne: [4096, 1024] },
      { name: "blk.0.ffn_up.weight", type: "IQ4_KSS", ne: [4096, 14336] },
      { name: "blk.0.ffn_gate.weight", type: "IQ2_K_R4", ne: [4096, 14336] },
      { name: "blk.0.ffn_down.weight", type: "IQ6_K", ne: [14336, 4096] },
      { name: "output.weight", type: "IQ1_S_R4", ne: [4096, 1000] },
    ];
    const w = writeGgufHeader({
      metadata: [["general.architecture", { type: "string", value: "llama" }]],
      tensors,
    });
    const h = readGgufHeader(w.header, { fileBytes: w.fileBytes });
    const bytes = Object.fromEntries(h.tensors.map((t) => [t.name, t.bytes]));
    // IQ4_KS: 4096 rows of (4 + 16 blocks × 136) bytes
    expect(bytes["blk.0.attn_q.weight"]).toBe(4096 * (4 + 16 * 136));
    // IQ4_KSS: 14336 rows of (4 + 16 × 128)
    expect(bytes["blk.0.ffn_up.weight"]).toBe(14336 * (4 + 16 * 128));
    // IQ2_K_R4: no row header, 76 bytes per 256 values
    expect(bytes["blk.0.ffn_gate.weight"]).toBe(14336 * 16 * 76);
    // IQ1_S_R4: blocks of 32 values, 24 bytes per 4 interleaved rows' blocks (6 a row), 2-byte row header
    expect(bytes["output.weight"]).toBe(1000 * (2 + 128 * 6));
    for (const t of tensors) expect(bytes[t.name], t.name).toBe(ggmlTensorBytesForShape(t.type, t.ne));
    expect(h.tensors.map((t) => t.type)).toEqual(tensors.map((t) => t.type));
  });

  test("an element count alone cannot size a type with a per-row header", () => {
    expect(ggmlTensorBytes("IQ2_K", 4096)).toBe(16 * 76);
    expect(() => ggmlTensorBytes("IQ4_KS", 4096)).toThrow(MemlensError);
    expect(() => ggmlTensorBytes("IQ4_KS", 4096)).toThrow(/per row .* needs the tensor's shape/);
  });
});
