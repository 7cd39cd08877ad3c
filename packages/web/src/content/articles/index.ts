import type { FunctionComponent } from "preact";
import type { TopicSlug } from "../topic-slugs.js";
import { AgentMemoryArticle } from "./agent-memory.js";
import { ArchitecturesArticle } from "./architectures.js";
import { AttentionArticle } from "./attention.js";
import { FundamentalsArticle } from "./fundamentals.js";
import { HardwareArticle } from "./hardware.js";
import { InferenceArticle } from "./inference.js";
import { KvCacheArticle } from "./kv-cache.js";
import { TrainingArticle } from "./training.js";
import { WeightsArticle } from "./weights.js";

export const ARTICLES: Record<TopicSlug, FunctionComponent> = {
  fundamentals: FundamentalsArticle,
  weights: WeightsArticle,
  "kv-cache": KvCacheArticle,
  attention: AttentionArticle,
  inference: InferenceArticle,
  training: TrainingArticle,
  hardware: HardwareArticle,
  "agent-memory": AgentMemoryArticle,
  architectures: ArchitecturesArticle,
};
