/**
 * Seed 002's worked figures, reproduced by core (the same figures core's seed-002 golden test
 * checks). Each row names its inputs; the value is core's.
 */
import {
  catalogModelSpec,
  estimateInferenceActivations,
  estimateKvCache,
  findGpu,
  kvBytesPerToken,
  weightBytesForParameterCount,
} from "@memlens/core";
import type { TopicSlug } from "../content/topic-slugs.js";
import { weightsOnlyDecode } from "./hierarchy.js";
import { kvLayout } from "./kv.js";

export interface WorkedFigure {
  readonly id: string;
  readonly what: string;
  readonly value: number;
  readonly unit: "bytes" | "B" | "ms" | "tok/s";
}

const LLAMA2_70B = "meta-llama/Llama-2-70b-hf";
const LLAMA2_7B = "meta-llama/Llama-2-7b-hf";

export function workedFigures(topic: TopicSlug): WorkedFigure[] {
  switch (topic) {
    case "weights":
      return [
        {
          id: "wf-7b",
          what: "7 B parameters × 2 bytes (FP16)",
          value: weightBytesForParameterCount(7e9, "fp16"),
          unit: "bytes",
        },
        {
          id: "wf-70b",
          what: "70 B parameters × 2 bytes (FP16)",
          value: weightBytesForParameterCount(70e9, "fp16"),
          unit: "bytes",
        },
        {
          id: "wf-405b",
          what: "405 B parameters × 2 bytes (FP16)",
          value: weightBytesForParameterCount(405e9, "fp16"),
          unit: "bytes",
        },
        {
          id: "wf-7b-int4",
          what: "7 B parameters × ½ byte (INT4)",
          value: weightBytesForParameterCount(7e9, "int4"),
          unit: "bytes",
        },
      ];
    case "kv-cache": {
      const spec = catalogModelSpec(LLAMA2_70B);
      const layout = kvLayout("fp16");
      return [
        {
          id: "wf-kv-token",
          what: "Llama-2-70B (80 layers, 8 KV heads, head dim 128) per token at FP16",
          value: kvBytesPerToken(spec, layout),
          unit: "B",
        },
        {
          id: "wf-kv-batch",
          what: "…for 32 sequences × 4,096 tokens",
          value: estimateKvCache(spec, 4096, 32, layout).totalBytes,
          unit: "bytes",
        },
      ];
    }
    case "attention": {
      const act = estimateInferenceActivations(catalogModelSpec(LLAMA2_7B), {
        batch: 32,
        queryTokens: 4096,
        keyTokens: 4096,
        attention: "eager",
        dtypeBytes: 2,
        logitPositions: 1,
        mlaExpanded: true,
      });
      return [
        {
          id: "wf-scores",
          what: "Naive scores, batch 32 × 32 heads × 4,096² tokens at FP16 (one layer)",
          value: act.attentionScoresBytes,
          unit: "bytes",
        },
      ];
    }
    case "training": {
      // Seed 002's assumption: FP16 weights and gradients, two FP32 Adam moments, no FP32 master copy.
      const w16 = weightBytesForParameterCount(7e9, "fp16");
      const w32 = weightBytesForParameterCount(7e9, "fp32");
      return [
        { id: "wf-train-w", what: "7 B FP16 weights", value: w16, unit: "bytes" },
        { id: "wf-train-g", what: "7 B FP16 gradients", value: w16, unit: "bytes" },
        { id: "wf-train-m", what: "Adam momentum + variance, FP32", value: 2 * w32, unit: "bytes" },
        {
          id: "wf-train-total",
          what: "Total without an FP32 master copy (12 bytes/parameter)",
          value: 2 * w16 + 2 * w32,
          unit: "bytes",
        },
        {
          id: "wf-train-master",
          what: "With the FP32 master copy mixed precision keeps (16 bytes/parameter)",
          value: 2 * w16 + 3 * w32,
          unit: "bytes",
        },
      ];
    }
    case "hardware": {
      const h100 = findGpu("H100-SXM-80GB");
      const p = weightsOnlyDecode(
        catalogModelSpec(LLAMA2_70B),
        h100,
        { kind: "dense", dtype: "fp16" },
        {
          totalBytes: weightBytesForParameterCount(70e9, "fp16"),
          expertBytes: 0,
          embeddingBytes: 0,
        },
      );
      return [
        {
          id: "wf-read",
          what: "Reading 140 GB of weights at the H100 SXM's 3.35 TB/s",
          value: p.decodeStepSeconds * 1000,
          unit: "ms",
        },
        {
          id: "wf-toks",
          what: "…so batch-1 decoding tops out at",
          value: p.decodeTokensPerSecond,
          unit: "tok/s",
        },
      ];
    }
    default:
      return [];
  }
}
