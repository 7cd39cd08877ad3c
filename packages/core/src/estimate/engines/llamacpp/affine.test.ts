/**
 * The compute buffers read from an affine window (buffers.ts computeBufferSizes, ggml-graph.ts
 * allocateGraphAffine), shared across contexts and across quantizations of one architecture, are
 * byte for byte those of a plain replay of the graph at that very context and quantization.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { catalogModelSpec } from "../../../catalog/models.js";
import type { LlamaCppModel } from "../../../models/gguf-model.js";
import { gpuLlamaCppSettings as settings } from "../../../testing/llamacpp-settings.js";
import { replayingEveryGraph } from "./buffers.js";
import { affineGraph, allocateAffineAt, allocateGraph, allocateGraphAffine } from "./ggml-graph.js";
import { buildLlamaCppGraph } from "./graph.js";
import { llamaCppMemory } from "./index.js";
import { llamaCppModelFromSpec } from "./tensors.js";

// Small models of every graph family memlens builds: dense GQA, QK-norm, sliding window (gemma-2
// alternating, gemma-3 5:1), MoE, MLA, fused QKV with a fused gate-up FFN, attention sinks.
const IDS = [
  "meta-llama/Llama-3.2-1B-Instruct",
  "Qwen/Qwen3-0.6B",
  "google/gemma-2-2b",
  "google/gemma-3-1b-it",
  "Qwen/Qwen3-30B-A3B",
  "deepseek-ai/DeepSeek-V2-Lite",
  "microsoft/Phi-3-mini-4k-instruct",
  "openai/gpt-oss-20b",
];
const QUANTS = ["Q4_K_M", "Q8_0", "F16", "Q2_K"];
const models = new Map<string, LlamaCppModel>();
const modelOf = (id: string, q: string): LlamaCppModel => {
  const key = `${id}|${q}`;
  let m = models.get(key);
  if (!m) {
    m = llamaCppModelFromSpec(catalogModelSpec(id), q);
    models.set(key, m);
  }
  return m;
};

const arbSettings = fc.record({
  nSeq: fc.integer({ min: 1, max: 6 }),
  nUbatch: fc.constantFrom(512, 256, 1024, 64),
  flashAttn: fc.boolean(),
  kv: fc.constantFrom("F16", "Q8_0", "Q4_0"),
  gpuCount: fc.constantFrom(0, 1, 2),
  gpuLayers: fc.integer({ min: 0, max: 60 }),
  kvUnified: fc.boolean(),
  swaFull: fc.boolean(),
});

describe("compute buffers from an affine window equal the plain replay", () => {
  test("random models, quants, settings and contexts (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...IDS),
        arbSettings,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 140_000 }), fc.constantFrom(...QUANTS)), {
          minLength: 2,
          maxLength: 6,
        }),
        (id, a, points) => {
          const base = settings({
            nSeq: a.nSeq,
            nUbatch: a.nUbatch,
            flashAttn: a.flashAttn || a.kv !== "F16",
            typeK: a.kv,
            typeV: a.kv,
            gpuCount: a.gpuCount,
            gpuLayers: a.gpuCount === 0 ? 0 : a.gpuLayers,
            kvUnified: a.kvUnified,
            swaFull: a.swaFull,
          });
          for (const [contextLength, q] of points) {
            const model = modelOf(id, q);
            const s = { ...base, contextLength };
            let expected: ReturnType<typeof llamaCppMemory>;
            try {
              expected = replayingEveryGraph(() => llamaCppMemory(model, s));
            } catch {
              return; // settings llama.cpp refuses (block sizes that do not divide a head)
            }
            expect(llamaCppMemory(model, s).computeBuffers).toEqual(expected.computeBuffers);
          }
        },
      ),
      { numRuns: 60, seed: 18 },
    );
  });

  test("one graph pair replayed at any cache size is the plain replay of the graph built there (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...IDS),
        fc.constantFrom(...QUANTS),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 256 }),
        fc.array(fc.integer({ min: 1, max: 512 }), { minLength: 1, maxLength: 4 }),
        (id, q, flashAttn, tiedSwa, k0, ks) => {
          const model = modelOf(id, q);
          // nKvSwa moves with nKv when tied (a cache as long as the context), else stays put
          const p = (nKv: number) => ({
            nTokens: 512,
            nOutputs: 512,
            nStream: 1,
            nKv,
            nKvSwa: tiedSwa ? nKv : 1024,
            flashAttn,
            typeK: "F16",
            typeV: "F16",
            layerBackend: (il: number) => (il % 3 === 0 ? 1 : 0),
            outputBackend: 0,
            inputBackend: 1,
          });
          const a = affineGraph(
            buildLlamaCppGraph(model, p(256 * k0)),
            buildLlamaCppGraph(model, p(256 * k0 + 256)),
          );
          expect(a).not.toBeNull();
          for (const k of ks) {
            const at = allocateAffineAt(a!, k - k0, [256, 32]);
            expect(at.lo).toBeLessThanOrEqual(0);
            expect(at.hi).toBeGreaterThanOrEqual(0);
            expect(at.sizes).toEqual(allocateGraph(buildLlamaCppGraph(model, p(256 * k)), [256, 32]));
          }
        },
      ),
      { numRuns: 40, seed: 1818 },
    );
  });

  test("windows cover 256..65536 cells in a few replays, and their steps are the plain replay's", () => {
    for (const [id, flashAttn, most] of [
      ["meta-llama/Llama-3.1-8B", false, 8],
      ["meta-llama/Llama-3.2-1B-Instruct", false, 7],
      ["Qwen/Qwen3-30B-A3B", true, 7],
      ["google/gemma-2-2b", true, 4],
      // gemma-3's 5:1 sliding window: the allocator's choices do change every few sizes (its plain
      // buffer moves by ±2.25 MiB between neighbouring sizes at 2k-12k cells), so windows are short
      ["google/gemma-3-1b-it", true, 61],
    ] as const) {
      const model = modelOf(id, "Q4_K_M");
      const p = (nKv: number) => ({
        nTokens: 512,
        nOutputs: 512,
        nStream: 1,
        nKv,
        nKvSwa: 1024,
        flashAttn,
        typeK: "F16",
        typeV: "F16",
      });
      let windows = 0;
      for (let x0 = 256; x0 <= 65536; windows++) {
        const w = allocateGraphAffine(
          buildLlamaCppGraph(model, p(x0)),
          buildLlamaCppGraph(model, p(x0 + 256)),
          [32],
        );
        expect(w).not.toBeNull();
        const last = Math.min(w!.hi, (65536 - x0) / 256);
        // the window's first steps and its last one, each against a plain replay at that size
        for (const j of [...Array.from({ length: Math.min(last, 4) + 1 }, (_, k) => k), last]) {
          const plain = allocateGraph(buildLlamaCppGraph(model, p(x0 + 256 * j)), [32]);
          expect(plain).toEqual(w!.sizes.map((v, b) => v + w!.slopes[b]! * j));
        }
        x0 += 256 * (w!.hi + 1);
      }
      // 256 cache sizes, a handful of windows (counted at llama.cpp@de3ff815's rules)
      expect(windows).toBeLessThanOrEqual(most);
    }
  });
});
