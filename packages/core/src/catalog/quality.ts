/**
 * Published quality cost of weight formats: perplexity increase over the 16-bit model on
 * WikiText-2, as the source states it. Approximate by nature (one base model per source); the
 * planner uses it to rank, never to claim a model's accuracy.
 */
export interface QualityCost {
  /** Scenario `weights` name. */
  readonly format: string;
  /** Perplexity increase over the 16-bit baseline (lower is better; negative = noise). */
  readonly perplexityDelta: number;
  /** The model the figure was measured on. */
  readonly measuredOn: string;
  readonly source: string;
}

const LLAMA_QUANTIZE =
  "llama.cpp tools/quantize/quantize.cpp QUANT_OPTIONS descriptions (“+x ppl @ Llama-3-8B”), as vendored in a fork's tools/quantize/quantize.cpp (index id 60268000724)";
const LLM_QUANTIZATION_README =
  "github.com/dwithchenna/llm-quantization README, Llama-2 WikiText-2 perplexity tables (FP16 5.47; AutoGPTQ INT4-g128 5.87; AWQ INT4-g128 5.6)";

export const QUALITY_COSTS: readonly QualityCost[] = [
  { format: "Q8_0", perplexityDelta: 0.0026, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q6_K", perplexityDelta: 0.0217, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q5_K_M", perplexityDelta: 0.0569, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q5_K_S", perplexityDelta: 0.1049, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q5_1", perplexityDelta: 0.1062, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q5_0", perplexityDelta: 0.1316, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q4_K_M", perplexityDelta: 0.1754, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q4_K_S", perplexityDelta: 0.2689, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q4_1", perplexityDelta: 0.4511, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q4_0", perplexityDelta: 0.4685, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q3_K_L", perplexityDelta: 0.5562, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q3_K_M", perplexityDelta: 0.6569, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q3_K_S", perplexityDelta: 1.6321, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q2_K_S", perplexityDelta: 3.1836, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "Q2_K", perplexityDelta: 3.5199, measuredOn: "Llama-3-8B", source: LLAMA_QUANTIZE },
  { format: "F16", perplexityDelta: 0.002, measuredOn: "Mistral-7B", source: LLAMA_QUANTIZE },
  { format: "BF16", perplexityDelta: -0.005, measuredOn: "Mistral-7B", source: LLAMA_QUANTIZE },
  { format: "gptq", perplexityDelta: 0.4, measuredOn: "Llama-2-7B", source: LLM_QUANTIZATION_README },
  { format: "awq", perplexityDelta: 0.13, measuredOn: "Llama-2-7B", source: LLM_QUANTIZATION_README },
];

/** The published cost of a format, 0 for the 16/32-bit formats themselves, null when none is published. */
export function qualityCostOf(format: string): QualityCost | null {
  const f = format.toLowerCase();
  if (f === "bf16" || f === "fp16" || f === "fp32")
    return { format, perplexityDelta: 0, measuredOn: "baseline", source: "the unquantized checkpoint" };
  return QUALITY_COSTS.find((q) => q.format.toLowerCase() === f) ?? null;
}
