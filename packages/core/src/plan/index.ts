export * from "./changes.js";
export * from "./fits.js";
export * from "./plan.js";
