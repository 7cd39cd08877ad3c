/**
 * Dtype and quantization catalog: plain element types, every ggml tensor type (block size and bytes
 * per block), every llama.cpp GGUF file type (llama_ftype) with the ggml type most of its tensors
 * get, and the storage layouts of the common non-GGUF weight quantization schemes (GPTQ, AWQ,
 * compressed-tensors W4A16 / W8A8, FP8, bitsandbytes NF4/FP4/LLM.int8, MXFP4, NVFP4).
 *
 * Every figure was read from the source named in the row's `source` field (repository@commit path).
 */

export * from "./element-dtypes.js";
export * from "./ggml-types.js";
export * from "./ggml-types-ik.js";
export * from "./quant-schemes.js";
