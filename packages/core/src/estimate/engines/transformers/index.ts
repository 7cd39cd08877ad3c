export * from "./inference.js";
export * from "./training.js";
