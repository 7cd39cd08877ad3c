/**
 * One short quiz per topic. The three questions marked `seed001` carry the substance of the
 * quizzes in seed 001 (attention, context length, KV cache), reworded; the rest are new.
 */
import type { TopicSlug } from "./topic-slugs.js";

export interface QuizQuestion {
  readonly id: string;
  readonly question: string;
  readonly options: readonly string[];
  /** Index into options. */
  readonly answer: number;
  readonly explanation: string;
  readonly seed001?: true;
}

export const QUIZZES: Record<TopicSlug, readonly QuizQuestion[]> = {
  fundamentals: [
    {
      id: "f1",
      question: "Which pile of memory exists only while a model is being trained?",
      options: ["The KV cache", "Optimizer states and gradients", "The weights"],
      answer: 1,
      explanation:
        "Gradients and the optimizer's running statistics are needed to update the weights; inference never updates them, so it never allocates them.",
    },
    {
      id: "f2",
      question: "Activation checkpointing saves memory by…",
      options: [
        "storing activations at lower precision",
        "discarding most activations and recomputing them during the backward pass",
        "moving the weights to CPU memory",
      ],
      answer: 1,
      explanation:
        "It is a trade: less memory held, more compute spent re-running parts of the forward pass.",
    },
  ],
  weights: [
    {
      id: "w1",
      question: "Two formats store 4-bit weights. Why can their file sizes still differ?",
      options: [
        "They round differently",
        "They store different scales and keep different tensors at higher precision",
        "One of them compresses the file with zip",
      ],
      answer: 1,
      explanation:
        "Group scales, zero points and the tensors left unquantized (embeddings, norms, sometimes the output head) all add bytes on top of the 4 bits per weight.",
    },
    {
      id: "w2",
      question: "What does QLoRA keep at 4 bits while fine-tuning?",
      options: ["The LoRA adapters", "The frozen base model", "The optimizer states"],
      answer: 1,
      explanation: "The base model is frozen and quantized; only the small adapters are trained, in 16-bit.",
    },
  ],
  "kv-cache": [
    {
      id: "k1",
      seed001: true,
      question: "What does the KV cache mainly buy you?",
      options: [
        "Better quality text",
        "A larger context window",
        "Faster generation, because past tokens' keys and values are not recomputed",
      ],
      answer: 2,
      explanation:
        "The cache is a speed optimization: each new token computes only its own key and value and reuses the stored ones.",
    },
    {
      id: "k2",
      seed001: true,
      question: "What is the cost of a larger context window?",
      options: [
        "None: only quality improves",
        "More memory and slower steps, in exchange for seeing more text",
        "It makes the model faster and smaller",
      ],
      answer: 1,
      explanation:
        "Every token of context sits in the KV cache and is read at every decode step, so memory and latency both grow with it.",
    },
    {
      id: "k3",
      question: "Grouped-query attention shrinks the KV cache by…",
      options: [
        "storing keys and values for fewer heads, shared by groups of query heads",
        "dropping old tokens",
        "storing only the keys",
      ],
      answer: 0,
      explanation:
        "Cache size is proportional to the number of K/V heads; GQA keeps fewer of them than query heads.",
    },
  ],
  attention: [
    {
      id: "a1",
      seed001: true,
      question: "What does attention let a language model do?",
      options: [
        "Look only at the most recent tokens",
        "Weigh every relevant token of the input when producing each output",
        "Do arithmetic between tokens",
      ],
      answer: 1,
      explanation:
        "Attention scores every earlier token for relevance, which is how a model links a pronoun back to the noun it stands for.",
    },
    {
      id: "a2",
      question: "How does FlashAttention avoid the n × n memory cost?",
      options: [
        "It skips half of the tokens",
        "It computes the scores tile by tile in on-chip memory and never stores the full matrix",
        "It stores the matrix in CPU memory",
      ],
      answer: 1,
      explanation:
        "The result is exact; only the order of work changes, so memory grows with n instead of n².",
    },
  ],
  inference: [
    {
      id: "i1",
      question: "What waste does PagedAttention remove?",
      options: [
        "Space reserved for tokens a request never generates",
        "Weights that are never used",
        "Attention heads that contribute little",
      ],
      answer: 0,
      explanation:
        "Allocating KV memory in small pages on demand means no request holds a maximum-length reservation it may never fill.",
    },
    {
      id: "i2",
      question: "Prefix caching helps most when…",
      options: [
        "every prompt is different",
        "many requests start with the same text, such as a shared system prompt",
        "outputs are very long",
      ],
      answer: 1,
      explanation:
        "The cache of a shared prefix is computed once and reused; only the new part of each prompt is prefilled.",
    },
  ],
  training: [
    {
      id: "t1",
      question: "With ZeRO stage 2 on N GPUs, what is split N ways?",
      options: ["Only the weights", "Optimizer states and gradients", "Only the activations"],
      answer: 1,
      explanation:
        "Stage 1 shards optimizer states, stage 2 adds gradients, stage 3 adds the weights themselves.",
    },
    {
      id: "t2",
      question: "Why is full fine-tuning with AdamW so much larger than inference?",
      options: [
        "The model is bigger during training",
        "Each parameter also carries a gradient, two optimizer moments and usually an fp32 master copy",
        "Training uses longer prompts",
      ],
      answer: 1,
      explanation:
        "Those extra copies add several times the 16-bit weights before a single activation is stored.",
    },
  ],
  hardware: [
    {
      id: "h1",
      question: "At batch size 1, decoding speed is usually limited by…",
      options: ["Peak FLOP/s", "Memory bandwidth: every weight is read for every token", "Disk speed"],
      answer: 1,
      explanation:
        "One token does little arithmetic per byte read, so the time to stream the weights sets the pace.",
    },
    {
      id: "h2",
      question: "What is the catch with offloading weights to CPU memory?",
      options: [
        "Nothing: CPU memory is as fast",
        "Offloaded weights cross a link much slower than GPU memory each time they are used",
        "The model loses accuracy",
      ],
      answer: 1,
      explanation: "The interconnect's bandwidth, not the GPU's, then bounds each token.",
    },
  ],
  "agent-memory": [
    {
      id: "g1",
      question:
        "A chat assistant forgets a promise made early in a long conversation. The most likely cause?",
      options: [
        "The weights changed",
        "Compaction dropped or summarized the early turns",
        "The GPU ran out of compute",
      ],
      answer: 1,
      explanation: "Whatever leaves the context window is gone unless it was stored elsewhere or pinned.",
    },
    {
      id: "g2",
      question: "Why does summarizing old turns save time as well as tokens?",
      options: [
        "Summaries are generated faster",
        "Fewer tokens in context means less to prefill and less KV to read at every step",
        "Summaries improve accuracy",
      ],
      answer: 1,
      explanation: "Both the prefill of the prompt and every decode step scale with the tokens in context.",
    },
  ],
  architectures: [
    {
      id: "r1",
      question: "How does a state-space layer's memory grow with sequence length?",
      options: ["Linearly, like a KV cache", "Quadratically", "Not at all: the state has a fixed size"],
      answer: 2,
      explanation:
        "The layer folds each token into a fixed-size state; the price is that it cannot look back at tokens exactly.",
    },
    {
      id: "r2",
      question: "Why do hybrid models keep a few attention layers?",
      options: [
        "Attention layers are cheaper",
        "To recover exact recall of earlier tokens that a fixed state can blur",
        "For compatibility with old tokenizers",
      ],
      answer: 1,
      explanation:
        "A few attention layers give precise lookup; the recurrent layers keep the rest of the memory flat.",
    },
  ],
};
