export * from "./inference.js";
