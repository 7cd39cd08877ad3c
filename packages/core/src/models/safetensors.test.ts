import { describe, expect, test } from "vitest";
import { fuzzMutatedBytes } from "../testing/fuzz-bytes.js";
import { parseSafetensorsHeader, parseSafetensorsIndex, summarizeSafetensors } from "./safetensors.js";

function file(header: object, pad = 0): Uint8Array {
  const json = JSON.stringify(header) + " ".repeat(pad);
  const body = new Uint8Array(Array.from(json, (c) => c.charCodeAt(0)));
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}

const real = {
  __metadata__: { format: "pt" },
  "model.embed_tokens.weight": { dtype: "BF16", shape: [1000, 64], data_offsets: [0, 128000] },
  "model.norm.weight": { dtype: "F32", shape: [64], data_offsets: [128000, 128256] },
  "lm_head.weight": { dtype: "F8_E4M3", shape: [1000, 64], data_offsets: [128256, 192256] },
};

describe("parseSafetensorsHeader", () => {
  test("exact bytes per tensor and dtype", () => {
    const r = parseSafetensorsHeader(file(real, 5), {
      fileBytes: 8 + JSON.stringify(real).length + 5 + 192256,
    });
    expect(r.kind).toBe("header");
    if (r.kind !== "header") return;
    expect(r.header.metadata).toEqual({ format: "pt" });
    expect(r.header.tensors.map((t) => t.bytes)).toEqual([128000, 256, 64000]);
    expect(r.header.bytesByDtype).toEqual({ BF16: 128000, F32: 256, F8_E4M3: 64000 });
    expect(summarizeSafetensors([r.header]).parameters).toBe(1000 * 64 * 2 + 64);
  });

  test("a prefix asks for more", () => {
    const b = file(real);
    expect(parseSafetensorsHeader(b.subarray(0, 5))).toEqual({ kind: "truncated", bytesNeeded: 8 });
    expect(parseSafetensorsHeader(b.subarray(0, 100))).toEqual({ kind: "truncated", bytesNeeded: b.length });
  });

  const bad = (b: Uint8Array, re: RegExp, fileBytes?: number) => {
    expect(() => parseSafetensorsHeader(b, fileBytes === undefined ? {} : { fileBytes })).toThrow(re);
  };
  test("hostile headers are refused with a reason", () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    bad(huge, /more than the 104857600-byte limit/);
    bad(file({ x: { dtype: "Q9", shape: [1], data_offsets: [0, 1] } }), /dtype "Q9"/);
    bad(file({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }), /dimension -1/);
    bad(
      file({ x: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }),
      /spans 4 bytes but F32 \[2\] needs 8/,
    );
    bad(
      file({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      }),
      /overlap/,
    );
    bad(file(real), /truncated download/, 100);
    bad(file([1, 2]), /does not start with "\{"/);
  });

  test("fuzz: mutated headers parse, ask for more, or fail with malformed-file", () => {
    const b = file(real);
    fuzzMutatedBytes(b, { maxEdits: 6, seed: 3, numRuns: 2000 }, (x) => {
      parseSafetensorsHeader(x, { maxHeaderBytes: 1 << 20 });
    });
  });
});

describe("parseSafetensorsIndex", () => {
  test("weight map and shard list", () => {
    const i = parseSafetensorsIndex({
      metadata: { total_size: 123 },
      weight_map: {
        a: "model-00001-of-00002.safetensors",
        b: "model-00002-of-00002.safetensors",
        c: "model-00001-of-00002.safetensors",
      },
    });
    expect(i.files).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(i.totalSize).toBe(123);
    expect(() => parseSafetensorsIndex({ weight_map: { a: "../etc/passwd" } })).toThrow(/same folder/);
  });
});
