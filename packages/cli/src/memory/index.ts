export * from "./default-db-path.js";
export * from "./embedding.js";
export * from "./memory-command.js";
export * from "./memory-store.js";
