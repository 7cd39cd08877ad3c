/**
 * Where the dtype catalog's figures come from: each row's `source` names one of these
 * (repository@commit path) plus the line it was read from.
 */

/** ggml upstream (synced from llama.cpp): enum ggml_type, type_traits, block structs. */
export const GGML = "ggml-org/ggml@d99724f2b141fed9e1a9f402213506c081433465";
/** gguf-py Python mirror of the enums and of GGML_QUANT_SIZES (block size, type size). */
export const GGUF_PY =
  "ggml-org/llama.cpp@0024aa7417efd50a7c2a79e049dfbbbceb0beaaf gguf-py/gguf/constants.py";
/** llama_ftype → default ggml_type mapping used by llama-quantize. */
export const LLAMA_QUANT =
  "ggml-org/llama.cpp@007dbbf3fd17eefe9b47fee45f48f7ba5e62b714 src/llama-quant.cpp llama_ftype_get_default_type()";
export const BNB = "bitsandbytes-foundation/bitsandbytes@95f9af309d4d5793847169c39288dcd3fcbdf564";
export const AUTOGPTQ =
  "AutoGPTQ/AutoGPTQ@7c691ed3ec00fb83f75e35bd1b1d9c09114d818f auto_gptq/nn_modules/qlinear/qlinear_cuda.py QuantLinear.__init__";
export const AUTOAWQ =
  "casper-hansen/AutoAWQ@d9dc8e564fed1527be2a9d8d5c74daf3823c3203 awq/modules/linear/gemm.py WQLinear_GEMM.__init__";
export const VLLM_CT = "vllm-project/vllm vllm/model_executor/layers/quantization/compressed_tensors/schemes";
export const GPT_OSS = "openai/gpt-oss@7a9ea7579645c772eff7ecafc6d9e0f6d825610a gpt_oss/torch/weights.py";
export const OCP_MX =
  "OCP Microscaling Formats (MX) v1.0 spec, https://www.opencompute.org/documents/ocp-microscaling-formats-mx-v1-0-spec-final-pdf";
