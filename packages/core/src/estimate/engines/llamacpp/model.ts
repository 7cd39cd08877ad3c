/** The llama.cpp model of an engine input (a GGUF file's tensors or the quantizer's), memoised. */
import { MemlensError } from "../../../errors/memlens-error.js";
import { hasGguf, type LlamaCppModel } from "../../../models/gguf-model.js";
import type { EngineInput } from "../../estimate-types.js";
import { llamaCppModelFromSpec } from "./tensors.js";

/** The llama.cpp model for an engine input: the GGUF's own tensors, or the quantizer's choice. */
export function llamaCppModelOf(input: Pick<EngineInput, "spec" | "format">): LlamaCppModel {
  if (hasGguf(input.spec)) return input.spec.gguf;
  const f = input.format;
  const fileType =
    f.kind === "gguf"
      ? f.fileType
      : f.kind === "dense"
        ? { fp32: "F32", fp16: "F16", bf16: "BF16" }[f.dtype]
        : f.kind === "int8"
          ? "Q8_0"
          : f.kind === "mxfp4"
            ? "MXFP4_MOE"
            : null;
  if (!fileType && f.kind === "checkpoint")
    throw new MemlensError(
      "unsupported",
      `weights "${f.name}" is this checkpoint's own safetensors quantization (${input.spec.nativeQuantization?.description ?? f.name}); llama.cpp loads GGUF files only: name a GGUF type (Q4_K_M, Q8_0, F16...) to estimate a converted copy`,
      "weights",
    );
  if (!fileType)
    throw new MemlensError(
      "invalid-value",
      `weights "${f.kind}" is not a GGUF type; llama.cpp loads GGUF files (Q4_K_M, Q8_0, F16...)`,
      "weights",
    );
  return llamaCppModelFromSpec(input.spec, fileType);
}

// Per spec, one model per weights format: the quantizer's tensor types depend on the format, and a
// format llama.cpp cannot load must keep failing (never reuse another format's model).
const modelCache = new WeakMap<object, Map<string, LlamaCppModel>>();
export function cachedModel(input: EngineInput): LlamaCppModel {
  let byFormat = modelCache.get(input.spec);
  if (!byFormat) {
    byFormat = new Map();
    modelCache.set(input.spec, byFormat);
  }
  const key = JSON.stringify(input.format);
  let m = byFormat.get(key);
  if (!m) {
    m = llamaCppModelOf(input);
    byFormat.set(key, m);
  }
  return m;
}
