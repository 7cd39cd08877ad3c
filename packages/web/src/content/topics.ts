/**
 * The nine topics of the knowledge base, grouped in two domains and tagged by when their memory
 * is consumed. Titles and section outlines follow the source knowledge base (seed 000); the
 * summaries and leads are written for this site.
 */
import type { TopicSlug } from "./topic-slugs.js";

export const PHASES = ["static", "runtime", "training", "overview", "app"] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_INFO: Record<Phase, { label: string; legend: string }> = {
  static: { label: "Static", legend: "fixed before the first request" },
  runtime: { label: "Runtime", legend: "grows with the workload" },
  training: { label: "Training", legend: "exists only while training" },
  overview: { label: "Overview", legend: "the map of the whole subject" },
  app: { label: "App-level", legend: "what an application remembers" },
};

export type Domain = "system" | "agent";

export const DOMAIN_INFO: Record<Domain, { title: string; tag: string }> = {
  system: { title: "System & runtime memory", tag: "Bytes on real hardware" },
  agent: { title: "Agent & long-term memory", tag: "What a model recalls across turns and sessions" },
};

export interface Topic {
  readonly slug: TopicSlug;
  readonly num: string;
  readonly title: string;
  readonly domain: Domain;
  readonly phase: Phase;
  readonly summary: string;
  readonly chips: readonly string[];
  readonly lead: string;
}

export const TOPICS: readonly Topic[] = [
  {
    slug: "fundamentals",
    num: "01",
    title: "Fundamentals of LLM memory",
    domain: "system",
    phase: "overview",
    summary: "The four things that occupy GPU memory, and how running a model differs from training it.",
    chips: ["Weights", "Activations", "KV cache", "Optimizer states", "Recompute"],
    lead: "Every memory technique in this knowledge base shrinks, moves or deletes one of four piles. Start by seeing them for a real model on a real GPU.",
  },
  {
    slug: "weights",
    num: "02",
    title: "Model weights",
    domain: "system",
    phase: "static",
    summary: "Parameters times bytes per parameter, made exact: every tensor, every storage format.",
    chips: ["Precision", "Quantization", "GGUF", "GPTQ / AWQ", "NF4"],
    lead: "The weights are the cost you pay before the first token: set by the tensor shapes and by how each number is stored.",
  },
  {
    slug: "kv-cache",
    num: "03",
    title: "KV cache & context",
    domain: "system",
    phase: "runtime",
    summary: "Why generation keeps every past key and value, how fast that grows, and how models shrink it.",
    chips: ["Context length", "MHA / GQA / MQA", "MLA", "Sliding window", "KV dtype"],
    lead: "The KV cache buys speed with memory. At long context or high concurrency it outgrows the weights.",
  },
  {
    slug: "attention",
    num: "04",
    title: "Attention & memory efficiency",
    domain: "system",
    phase: "runtime",
    summary: "The n × n score matrix, and the tiled kernels that never write it down.",
    chips: ["O(n²) scores", "FlashAttention", "SDPA", "Sliding window"],
    lead: "Plain attention builds a table with one entry per pair of tokens. IO-aware kernels compute the same result without ever holding that table.",
  },
  {
    slug: "inference",
    num: "05",
    title: "Inference memory optimization",
    domain: "system",
    phase: "runtime",
    summary: "How serving engines pack more requests into the same memory.",
    chips: ["PagedAttention", "Continuous batching", "Prefix cache", "Eviction"],
    lead: "A serving engine is largely a memory allocator. How it hands out KV space decides how many requests run at once.",
  },
  {
    slug: "training",
    num: "06",
    title: "Training-time memory",
    domain: "system",
    phase: "training",
    summary: "Gradients, optimizer states and stored activations, and how sharding divides them.",
    chips: ["AdamW states", "Gradients", "Checkpointing", "ZeRO / FSDP"],
    lead: "Training keeps several copies of every parameter and the activations of every layer. Sharding and recomputation are how large models fit at all.",
  },
  {
    slug: "hardware",
    num: "07",
    title: "Hardware & system memory",
    domain: "system",
    phase: "static",
    summary: "Capacity and bandwidth across the GPU catalog, and what offloading costs.",
    chips: ["HBM / VRAM", "Bandwidth", "Unified memory", "Interconnect", "Offload"],
    lead: "Capacity decides what fits; bandwidth decides how fast it runs. Decoding reads every weight for every token.",
  },
  {
    slug: "agent-memory",
    num: "08",
    title: "Agent & long-term memory",
    domain: "agent",
    phase: "app",
    summary: "The context window as working memory, and what applications do when it fills.",
    chips: ["Context budget", "Summarization", "Eviction", "Retrieval", "Prefix reuse"],
    lead: "Here memory means what an application can recall. The context window is the scratchpad, and it has a size and a price.",
  },
  {
    slug: "architectures",
    num: "09",
    title: "Advanced & emerging architectures",
    domain: "agent",
    phase: "app",
    summary:
      "State-space and linear-attention layers that keep a fixed-size state instead of a growing cache.",
    chips: ["Mamba", "Linear attention", "Hybrids", "Long context"],
    lead: "Some architectures change the basic bargain: memory that stays flat however long the sequence gets.",
  },
];

export function topicBySlug(slug: TopicSlug): Topic {
  const t = TOPICS.find((x) => x.slug === slug);
  if (!t) throw new Error(`unknown topic ${slug}`);
  return t;
}
