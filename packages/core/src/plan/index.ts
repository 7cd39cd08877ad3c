export * from "./changes.js";
export * from "./plan.js";
