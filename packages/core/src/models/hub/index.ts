export * from "./hub-files.js";
export * from "./hub-ref.js";
export * from "./hub-resolve.js";
export * from "./hub-source.js";
