import type { LlamaCppSettings } from "../estimate/engines/llamacpp/settings.js";

/** llama.cpp settings for tests: one GPU, every layer on it, flash attention, f16 cache, 8192 tokens; `o` overrides. */
export const gpuLlamaCppSettings = (o: Partial<LlamaCppSettings> = {}): LlamaCppSettings => ({
  contextLength: 8192,
  nSeq: 1,
  nBatch: 2048,
  nUbatch: 512,
  flashAttn: true,
  typeK: "F16",
  typeV: "F16",
  gpuCount: 1,
  gpuLayers: 999,
  tensorSplit: null,
  overrides: [],
  mmap: true,
  swaFull: false,
  kvUnified: false,
  kvOffload: true,
  opOffload: true,
  noHost: false,
  cpuFeatures: "avx2",
  ...o,
});

/** The same on a CPU-only build: no GPU, batch 512, no flash attention; `o` overrides. */
export const cpuLlamaCppSettings = (o: Partial<LlamaCppSettings> = {}): LlamaCppSettings =>
  gpuLlamaCppSettings({ nBatch: 512, flashAttn: false, gpuCount: 0, gpuLayers: 0, ...o });
