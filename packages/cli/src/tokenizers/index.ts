export * from "./bundled-tokenizers.js";
export * from "./hf-token-counter.js";
export * from "./load-token-counter.js";
export * from "./openai-token-counter.js";
