import { decoder } from "./decoder.js";

// modeling_llama.py: the plain Llama decoder every trait in decoder.ts defaults to (also Yi and
// Granite, whose extra multipliers carry no parameters).
export const llama = decoder({});
