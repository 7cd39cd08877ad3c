export * from "./bundled-tokenizers.js";
export * from "./hf-token-counter.js";
export * from "./load-token-counter.js";
export * from "./model-tokenizers.js";
export * from "./openai-token-counter.js";
export * from "./packaged-tokenizers.js";
