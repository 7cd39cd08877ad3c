import { cohere } from "./cohere.js";
import type { ArchitectureBuilder, MultimodalArchitecture } from "./common.js";
import { deepseek } from "./deepseek.js";
import { deepseekV4 } from "./deepseek-v4.js";
import { falcon } from "./falcon.js";
import { gemma, gemma2, gemma3, gemma3Text } from "./gemma.js";
// 2026 families (issue 15): Qwen3.5/3.6, Qwen3-VL, Gemma 4, MiMo, Step-3.7.
import { gemma4, gemma4Text } from "./gemma4.js";
import { glm4Moe } from "./glm4-moe.js";
import { gptNeox } from "./gpt-neox.js";
import { gptOss } from "./gpt-oss.js";
import { gpt2 } from "./gpt2.js";
import { gptj } from "./gptj.js";
import { jamba } from "./jamba.js";
import { kimiK25 } from "./kimi-k25.js";
import { kimiK3, kimiLinear } from "./kimi-linear.js";
import { llama } from "./llama.js";
import { llama4, llama4Text } from "./llama4.js";
import { mamba } from "./mamba.js";
import { mimo, mimoV2Flash } from "./mimo.js";
import { minimaxM2 } from "./minimax-m2.js";
import { minimaxM3 } from "./minimax-m3.js";
import { mistral, mistral3, mixtral } from "./mistral.js";
import { nemotronH } from "./nemotron-h.js";
import { nemotronNas } from "./nemotron-nas.js";
import { olmo2 } from "./olmo2.js";
import { phi } from "./phi.js";
import { phi3 } from "./phi3.js";
import { qwen2, qwen2Moe, qwen3, qwen3Moe } from "./qwen2.js";
import { qwen35, qwen35Moe, qwen35MoeText, qwen35Text } from "./qwen3-5.js";
import { qwen3Next } from "./qwen3-next.js";
import { qwen3Vl, qwen3VlMoe } from "./qwen3-vl.js";
import { starcoder2 } from "./starcoder2.js";
import { step3p7 } from "./step3p7.js";

export type { ArchitectureBuilder, MultimodalArchitecture, VisionDims } from "./common.js";

/**
 * Text architectures by config.json `model_type`. A new family: one file in this folder
 * exporting its builder (a `decoder({...})` of traits for Llama-like models), one line here.
 */
export const TEXT_ARCHITECTURES: Readonly<Record<string, ArchitectureBuilder>> = {
  cohere,
  deepseek_v2: deepseek,
  deepseek_v3: deepseek,
  deepseek_v32: deepseek,
  deepseek_v4: deepseekV4,
  falcon,
  RefinedWeb: falcon,
  RefinedWebModel: falcon,
  falcon_mamba: mamba,
  gemma,
  gemma2,
  gemma3_text: gemma3Text,
  glm4_moe: glm4Moe,
  glm_moe_dsa: deepseek,
  gpt_neox: gptNeox,
  gpt_oss: gptOss,
  gpt2,
  gptj,
  granite: llama,
  jamba,
  kimi_k2: deepseek,
  kimi_linear: kimiLinear,
  llama,
  llama4_text: llama4Text,
  mamba,
  minimax_m2: minimaxM2,
  minimax_m3: minimaxM3,
  mistral,
  mixtral,
  nemotron_h: nemotronH,
  "nemotron-nas": nemotronNas,
  olmo2,
  phi,
  "phi-msft": phi,
  phi3,
  qwen2,
  qwen2_moe: qwen2Moe,
  qwen3,
  qwen3_moe: qwen3Moe,
  qwen3_next: qwen3Next,
  starcoder2,
  yi: llama,
  // 2026 families (issue 15).
  gemma4_text: gemma4Text,
  mimo,
  mimo_v2_flash: mimoV2Flash,
  qwen3_5_text: qwen35Text,
  qwen3_5_moe_text: qwen35MoeText,
  qwen3_vl_text: qwen3,
  qwen3_vl_moe_text: qwen3Moe,
  step3p7,
};

/** Multimodal wrappers by config.json `model_type`: the text model in `text_config`, plus a vision tower. */
export const MULTIMODAL_ARCHITECTURES: Readonly<Record<string, MultimodalArchitecture>> = {
  gemma3,
  kimi_k25: kimiK25,
  kimi_k3: kimiK3,
  llama4,
  mistral3,
  // 2026 families (issue 15).
  gemma4,
  qwen3_5: qwen35,
  qwen3_5_moe: qwen35Moe,
  qwen3_vl: qwen3Vl,
  qwen3_vl_moe: qwen3VlMoe,
};

/** The builder for a text `model_type`, or undefined when memlens has none. */
export const textArchitecture = (modelType: string): ArchitectureBuilder | undefined =>
  Object.hasOwn(TEXT_ARCHITECTURES, modelType) ? TEXT_ARCHITECTURES[modelType] : undefined;

/** The multimodal wrapper for a `model_type`, or undefined when it is not one. */
export const multimodalArchitecture = (modelType: string): MultimodalArchitecture | undefined =>
  Object.hasOwn(MULTIMODAL_ARCHITECTURES, modelType) ? MULTIMODAL_ARCHITECTURES[modelType] : undefined;
