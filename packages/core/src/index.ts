export * from "./agent/index.js";
export * from "./catalog/dtypes.js";
export { findGpu, GPU_LIST } from "./catalog/gpu-lookup.js";
export type { GpuFlops, GpuInterconnect, GpuSpec } from "./catalog/gpu-types.js";
export {
  type CatalogModelAlias,
  type CatalogModelRow,
  catalogModelSpec,
  findModelAlias,
  findModelRow,
  MODEL_ALIASES,
  MODEL_ROWS,
  suggestModels,
} from "./catalog/models.js";
export * from "./catalog/ollama-tags.js";
export * from "./catalog/quality.js";
export * from "./errors/memlens-error.js";
export * from "./estimate/activations.js";
export * from "./estimate/devices.js";
export { CUDA_CONTEXT_BYTES, reportedTotalBytes } from "./estimate/engines/cuda-context.js";
export {
  ENGINES,
  type EngineCapabilities,
  type EngineDefaults,
  type EngineIssue,
  type EngineJson,
  type EngineReport,
  type EngineResult,
  engineNames,
  engineOf,
  issueText,
  type LlamaCppReport,
} from "./estimate/engines/index.js";
export * from "./estimate/engines/llamacpp/index.js";
export * from "./estimate/engines/ollama/index.js";
export * from "./estimate/engines/sglang/index.js";
export { type TransformersReport, transformersEngine } from "./estimate/engines/transformers/index.js";
export * from "./estimate/engines/vllm/index.js";
export * from "./estimate/estimate.js";
export * from "./estimate/estimate-types.js";
export * from "./estimate/kv-cache.js";
export * from "./estimate/largest-fitting.js";
export * from "./estimate/lora.js";
export * from "./estimate/optimizer.js";
export * from "./estimate/train-fit.js";
export * from "./estimate/training.js";
export * from "./estimate/training-activations.js";
export * from "./estimate/training-profile.js";
export * from "./estimate/training-states.js";
export * from "./estimate/weights.js";
export * from "./format/format.js";
export { parseConfigJson } from "./models/config-reader.js";
export { modelSpecFromHfConfig, SUPPORTED_ARCHITECTURES } from "./models/from-hf-config.js";
export * from "./models/gguf.js";
export * from "./models/gguf-model.js";
export * from "./models/gguf-writer.js";
export * from "./models/hub/index.js";
export * from "./models/model-spec.js";
export * from "./models/safetensors.js";
export * from "./perf/communication.js";
export * from "./perf/roofline.js";
export * from "./perf/speculative.js";
export * from "./perf/step-cost.js";
export * from "./plan/index.js";
export * from "./scenario/scenario.js";
export * from "./units/units.js";
