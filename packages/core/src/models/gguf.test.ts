import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import { fuzzMutatedBytes } from "../testing/fuzz-bytes.js";
import { type GgufHeader, parseGgufHeader, readGgufHeader } from "./gguf.js";
import { type GgufWriteTensor, type GgufWriteValue, writeGgufHeader } from "./gguf-writer.js";

const str = (value: string): GgufWriteValue => ({ type: "string", value });
const u32 = (value: number): GgufWriteValue => ({ type: "uint32", value });

/** A small llama-shaped header with a tokenizer long enough to be summarised. */
function smallLlama(): { bytes: Uint8Array; tensors: GgufWriteTensor[]; fileBytes: number } {
  const tensors: GgufWriteTensor[] = [
    { name: "token_embd.weight", type: "Q4_K", ne: [256, 5000] },
    { name: "blk.0.attn_norm.weight", type: "F32", ne: [256] },
    { name: "blk.0.attn_q.weight", type: "Q8_0", ne: [256, 256] },
    { name: "blk.0.ffn_down.weight", type: "Q6_K", ne: [768, 256] },
    { name: "output.weight", type: "F16", ne: [256, 5000] },
  ];
  const w = writeGgufHeader({
    metadata: [
      ["general.architecture", str("llama")],
      ["general.name", str("tiny ✓ ünïcode")],
      ["llama.block_count", u32(1)],
      ["llama.embedding_length", u32(256)],
      ["llama.rope.freq_base", { type: "float32", value: 10000 }],
      ["general.file_type", u32(15)],
      ["some.u64", { type: "uint64", value: 2n ** 60n }],
      ["some.i64", { type: "int64", value: -5 }],
      ["some.bool", { type: "bool", value: true }],
      ["llama.swa_layers", { type: "array", elementType: "bool", values: [true, false, true] }],
      [
        "tokenizer.ggml.tokens",
        { type: "array", elementType: "string", values: Array.from({ length: 5000 }, (_, i) => `tok${i}`) },
      ],
    ],
    tensors,
  });
  return { bytes: w.header, tensors, fileBytes: w.fileBytes };
}

describe("parseGgufHeader", () => {
  test("round-trips what the writer wrote, with exact tensor bytes", () => {
    const { bytes, tensors, fileBytes } = smallLlama();
    const h = readGgufHeader(bytes, { fileBytes });
    expect(h.version).toBe(3);
    expect(h.metadata.get("general.architecture")).toBe("llama");
    expect(h.metadata.get("general.name")).toBe("tiny ✓ ünïcode");
    expect(h.metadata.get("llama.rope.freq_base")).toBe(10000);
    expect(h.metadata.get("some.u64")).toBe(2n ** 60n);
    expect(h.metadata.get("some.i64")).toBe(-5);
    expect(h.metadata.get("some.bool")).toBe(true);
    expect(h.metadata.get("llama.swa_layers")).toEqual([true, false, true]);
    expect(h.metadata.get("tokenizer.ggml.tokens")).toEqual({
      kind: "array-summary",
      elementType: "string",
      length: 5000,
    });
    expect(h.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    // Q4_K: 144 bytes per 256; Q8_0: 34 per 32; Q6_K: 210 per 256; F16 2; F32 4.
    expect(h.tensors.map((t) => t.bytes)).toEqual([
      (5000 * 144 * 256) / 256,
      256 * 4,
      (256 * 256 * 34) / 32,
      (768 * 256 * 210) / 256,
      256 * 5000 * 2,
    ]);
    expect(h.dataOffset).toBe(bytes.length);
    expect(h.dataOffset + h.dataBytes).toBe(fileBytes);
  });

  test("a prefix asks for more bytes; the full header parses", () => {
    const { bytes } = smallLlama();
    const end = readGgufHeader(bytes).headerBytes;
    for (const cut of [0, 3, 8, 23, 100, 1000, end - 1]) {
      const r = parseGgufHeader(bytes.subarray(0, cut));
      expect(r.kind).toBe("truncated");
      if (r.kind === "truncated") {
        expect(r.bytesNeeded).toBeGreaterThan(cut);
        expect(r.bytesNeeded).toBeLessThanOrEqual(bytes.length);
      }
    }
  });

  const malformed = (bytes: Uint8Array, pattern: RegExp, fileBytes?: number) => {
    let err: unknown;
    try {
      readGgufHeader(bytes, fileBytes === undefined ? {} : { fileBytes });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemlensError);
    expect((err as MemlensError).code).toBe("malformed-file");
    expect((err as MemlensError).message).toMatch(pattern);
  };

  test("hostile and broken headers get a clear error", () => {
    const { bytes, fileBytes } = smallLlama();
    const patch = (at: number, values: number[]) => {
      const b = bytes.slice();
      b.set(values, at);
      return b;
    };
    malformed(patch(0, [0x47, 0x47, 0x4d, 0x4c]), /not a GGUF file/);
    malformed(patch(4, [1, 0, 0, 0]), /version 1/);
    malformed(patch(4, [0, 0, 0, 3]), /big-endian/);
    malformed(patch(4, [9, 0, 0, 0]), /unknown GGUF version 9/);
    // tensor count of 2^62
    malformed(patch(8, [0, 0, 0, 0, 0, 0, 0, 0x40]), /tensor count .* more than the limit/);
    // key/value count of 2^40
    malformed(patch(16, [0, 0, 0, 0, 0, 1, 0, 0]), /key\/value count .* more than the limit/);
    // first key length 2^50
    malformed(patch(24, [0, 0, 0, 0, 0, 0, 4, 0]), /metadata key 0 length .* more than the limit/);
    // data cut short
    malformed(bytes, /truncated or incomplete/, fileBytes - 1);
  });

  test("bad tensor infos are named", () => {
    const base = (t: GgufWriteTensor[], alignment?: number) =>
      writeGgufHeader({ metadata: [], tensors: t, ...(alignment ? { alignment } : {}) }).header;
    // ne[0] not a whole number of blocks: write a valid F32 tensor then retype it Q4_0 in place.
    const b = base([{ name: "x", type: "F32", ne: [33, 2] }]);
    const withType = (bytesIn: Uint8Array, typeId: number) => {
      const out = bytesIn.slice();
      // tensor info: name len(8) "x"(1) ndims(4) ne(16) type(4) offset(8), after 24-byte preamble
      new DataView(out.buffer).setUint32(24 + 8 + 1 + 4 + 16, typeId, true);
      return out;
    };
    malformed(withType(b, 2), /ne\[0\] = 33 is not a multiple of Q4_0's block size 32/);
    malformed(withType(b, 4), /ggml type 4 \(Q4_2\), which llama.cpp no longer loads/);
    malformed(withType(b, 999), /ggml type 999, which is not a ggml type/);
    const dims = b.slice();
    new DataView(dims.buffer).setUint32(24 + 8 + 1, 7, true);
    malformed(dims, /7 dimensions/);
    const off = b.slice();
    new DataView(off.buffer).setBigUint64(24 + 8 + 1 + 4 + 16 + 4, 64n, true);
    malformed(off, /offset 64, but the previous tensors end at 0/);
    malformed(
      writeGgufHeader({ metadata: [["general.alignment", u32(24)]], tensors: [] }).header,
      /power of two/,
    );
    malformed(
      base([
        { name: "dup", type: "F32", ne: [4] },
        { name: "dup", type: "F32", ne: [4] },
      ]),
      /duplicate tensor name "dup"/,
    );
    malformed(
      writeGgufHeader({
        metadata: [
          ["k", u32(1)],
          ["k", u32(2)],
        ],
        tensors: [],
      }).header,
      /duplicate metadata key "k"/,
    );
    // A huge element count stays exact or is refused, never rounded.
    malformed(
      base([{ name: "huge", type: "F32", ne: [2 ** 30, 2 ** 30, 2 ** 10] }]),
      /more than 2\^53 elements/,
    );
  });

  test("fuzz: mutated real headers parse, ask for more, or fail with malformed-file — never anything else", () => {
    const { bytes } = smallLlama();
    const head = bytes.subarray(0, 1200); // magic, counts and most metadata
    fuzzMutatedBytes(bytes, { maxEdits: 8, seed: 42, numRuns: 3000 }, (b) => {
      const r = parseGgufHeader(b, { maxHeaderBytes: 1 << 24 });
      if (r.kind === "truncated") expect(r.bytesNeeded).toBeGreaterThan(b.length);
      else checkSane(r.header);
    });
    // Random garbage after a valid magic and version.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (tail) => {
        const b = new Uint8Array(8 + tail.length);
        b.set(head.subarray(0, 8));
        b.set(tail, 8);
        try {
          const r = parseGgufHeader(b, { maxHeaderBytes: 1 << 20 });
          if (r.kind === "header") checkSane(r.header);
        } catch (e) {
          expect((e as MemlensError).code).toBe("malformed-file");
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});

function checkSane(h: GgufHeader): void {
  for (const t of h.tensors) {
    expect(Number.isSafeInteger(t.bytes)).toBe(true);
    expect(t.bytes).toBeGreaterThanOrEqual(0);
    expect(t.ne.length).toBeGreaterThanOrEqual(1);
    expect(t.ne.length).toBeLessThanOrEqual(4);
  }
}
