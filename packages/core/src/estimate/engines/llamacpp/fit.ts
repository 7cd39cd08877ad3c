/** llama.cpp's --fit (common/fit.cpp: --fit-target 1024 MiB per device, --fit-ctx 4096). */
import type { LlamaCppModel } from "../../../models/gguf-model.js";
import { llamaCppHostBytes, llamaCppMemory, totals } from "./buffers.js";
import type { LlamaCppSettings } from "./settings.js";

const MIB = 1024 * 1024;

/** llama.cpp's default free-memory margin per device (common/common.h fit_params_target). */
export const LLAMACPP_FIT_TARGET_BYTES = 1024 * MIB;
/** The smallest context --fit will shrink to (common/common.h fit_params_min_ctx). */
export const LLAMACPP_FIT_MIN_CTX = 4096;

export interface LlamaCppFit {
  /** Most layers (n_gpu_layers, counting the output layer) that fit at `contextLength`. */
  readonly gpuLayers: number;
  /** Largest context (per sequence, multiple of 256) that fits with every layer on the GPUs; null if none. */
  readonly maxContextLength: number | null;
  readonly marginBytes: number;
  readonly deviceBytes: readonly number[];
  readonly capacityBytes: number;
}

/**
 * The largest context and the most GPU layers that leave `marginBytes` free on every device.
 * @example fitLlamaCpp(model, settings, 24 * 2 ** 30).maxContextLength
 */
export function fitLlamaCpp(
  model: LlamaCppModel,
  s: LlamaCppSettings,
  capacityBytes: number,
  marginBytes = LLAMACPP_FIT_TARGET_BYTES,
): LlamaCppFit {
  const budget = capacityBytes - marginBytes;
  const used = (settings: LlamaCppSettings): number[] => {
    const m = llamaCppMemory(model, settings);
    if (settings.gpuCount === 0) return [llamaCppHostBytes(m)];
    return Array.from({ length: settings.gpuCount }, (_, i) => {
      const t = totals(m, i);
      return t.model + t.kv + t.compute;
    });
  };
  const ok = (settings: LlamaCppSettings) => used(settings).every((b) => b <= budget);
  const nL = model.hparams.nLayer;
  const full = { ...s, gpuLayers: s.gpuCount === 0 ? 0 : nL + 1 };
  // context: multiples of 256 per sequence
  let maxContextLength: number | null = null;
  const at = (ctx: number) => ({ ...full, contextLength: ctx });
  if (ok(at(256))) {
    let lo = 1;
    let hi = Math.max(1, Math.floor((model.hparams.nCtxTrain || 131072) / 256));
    if (ok(at(hi * 256))) lo = hi;
    else {
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (ok(at(mid * 256))) lo = mid;
        else hi = mid;
      }
    }
    maxContextLength = lo * 256;
  }
  let gpuLayers = 0;
  if (s.gpuCount > 0) {
    let lo = -1;
    let hi = nL + 1;
    if (ok({ ...s, gpuLayers: hi })) lo = hi;
    else {
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (mid >= 0 && ok({ ...s, gpuLayers: mid })) lo = mid;
        else hi = mid;
      }
    }
    gpuLayers = Math.max(0, lo);
  }
  return {
    gpuLayers,
    maxContextLength,
    marginBytes,
    deviceBytes: used(s),
    capacityBytes,
  };
}
