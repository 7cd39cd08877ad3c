/**
 * Further reading: papers from seed 003 (a Hugging Face daily-papers listing), each with the
 * headline number its abstract reports. Links are the code repositories the abstracts name.
 */
import type { TopicSlug } from "./topic-slugs.js";

export interface Paper {
  readonly title: string;
  /** The abstract's headline figure, quoted as a fact with its unit. */
  readonly headline: string;
  readonly code?: string;
}

export const READING: Record<TopicSlug, readonly Paper[]> = {
  fundamentals: [
    {
      title: "Chronicals: A High-Performance Framework for LLM Fine-Tuning with 3.51x Speedup over Unsloth",
      headline:
        "A 7B model needs 84 GB to fine-tune: 14 GB weights, 14 GB gradients, 56 GB FP32 optimizer states.",
      code: "https://github.com/Ajwebdevs/Chronicals",
    },
    {
      title: "Memory in Large Language Models: Mechanisms, Evaluation and Evolution",
      headline: "A four-part taxonomy of LLM memory: parametric, contextual, external, procedural/episodic.",
    },
    {
      title: "Densing Law of LLMs",
      headline: "Capacity density (performance per parameter) doubles roughly every three months.",
    },
  ],
  weights: [
    {
      title: "Quantizing Large Language Models for Code Generation: A Differentiated Replication",
      headline:
        "4-bit quantization cuts memory by 70% on average with no significant loss on code generation.",
    },
    {
      title: "eDKM: An Efficient and Accurate Train-time Weight Clustering for Large Language Models",
      headline: "LLaMA 7B compressed from 12.6 GB to 2.5 GB (3 bits per weight).",
    },
    {
      title: "Network Memory Footprint Compression Through Jointly Learnable Codebooks and Mappings",
      headline: "Llama 7B compressed to about 2 GB, small enough for 5-year-old phones.",
    },
    {
      title:
        "BitStack: Fine-Grained Size Control for Compressed Large Language Models in Variable Memory Environments",
      headline:
        "About 1 bit per parameter per residual block, loaded block by block to fit the memory available.",
      code: "https://github.com/xinghaow99/BitStack",
    },
  ],
  "kv-cache": [
    {
      title: "KIVI: A Tuning-Free Asymmetric 2bit Quantization for KV Cache",
      headline: "2-bit KV cache: 2.6× less peak memory, up to 4× larger batches, 2.35–3.47× throughput.",
      code: "https://github.com/jy-yuan/KIVI",
    },
    {
      title: "QJL: 1-Bit Quantized JL Transform for KV Cache Quantization with Zero Overhead",
      headline: "3-bit KV cache: more than 5× less KV memory without losing accuracy.",
      code: "https://github.com/amirzandieh/QJL",
    },
    {
      title:
        "Scissorhands: Exploiting the Persistence of Importance Hypothesis for LLM KV Cache Compression at Test Time",
      headline:
        "Up to 5× less KV memory by keeping pivotal tokens; up to 20× combined with 4-bit quantization.",
    },
    {
      title: "Accurate Block Quantization in LLMs with Outliers",
      headline: "2× smaller KV cache with block floating point, channels rearranged at compile time.",
    },
  ],
  attention: [
    {
      title: "Simple linear attention language models balance the recall-throughput tradeoff",
      headline: "BASED generates 24× faster than FlashAttention-2 (1,024 tokens, 1.3B model).",
      code: "https://github.com/HazyResearch/based",
    },
    {
      title: "Efficiently Training 7B LLM with 1 Million Sequence Length on 8 GPUs",
      headline: "1M-token training of a 7B model on 8 A800 GPUs at 52.30% MFU.",
    },
  ],
  inference: [
    {
      title: "vAttention: Dynamic Memory Management for Serving LLMs without PagedAttention",
      headline: "Up to 1.97× faster decoding than vLLM, keeping the KV cache in contiguous virtual memory.",
    },
    {
      title: "Past-Future Scheduler for LLM Serving under SLA Guarantees",
      headline: "2–3× higher goodput under heavy load by predicting each batch's peak KV memory.",
      code: "https://github.com/ModelTC/lightllm",
    },
    {
      title: "InstInfer: In-Storage Attention Offloading for Cost-Effective Long-Context LLM Inference",
      headline: "Up to 11.1× long-sequence throughput over SSD-based offloading (13B model, A6000).",
    },
  ],
  training: [
    {
      title: "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models",
      headline:
        "Models over 100B parameters trained on 400 GPUs at 15 PFLOPS: 8× the model size of the prior state of the art.",
    },
    {
      title: "Winner-Take-All Column Row Sampling for Memory Efficient Adaptation of Language Model",
      headline: "Up to 2.7× lower peak memory and 6.4× larger batches when fine-tuning.",
    },
    {
      title: "MemAscend: System Memory Optimization for SSD-Offloaded LLM Fine-Tuning",
      headline: "55.7% lower peak system memory than standard SSD offloading.",
    },
    {
      title: "Adding NVMe SSDs to Enable and Accelerate 100B Model Fine-tuning on a Single GPU",
      headline: "Fine-tunes 175B GPT-3 on one RTX 4090; 156 vs 45 TFLOPS for ZeRO-Infinity on a 13B model.",
    },
  ],
  hardware: [
    {
      title: "LLM in a flash: Efficient Large Language Model Inference with Limited Memory",
      headline: "Runs models up to 2× the DRAM size, 4–5× (CPU) and 20–25× (GPU) faster than naive loading.",
    },
    {
      title: "InstInfer: In-Storage Attention Offloading for Cost-Effective Long-Context LLM Inference",
      headline:
        "Moves decode attention and the KV cache into computational storage to escape PCIe bandwidth.",
    },
    {
      title: "SPANN: Highly-efficient Billion-scale Approximate Nearest Neighbor Search",
      headline: "90% recall in about 1 ms over billion-scale data with 32 GB of memory, the rest on SSD.",
    },
  ],
  "agent-memory": [
    {
      title: "A-MEM: Agentic Memory for LLM Agents",
      headline: "Zettelkasten-style linked notes, evaluated on six foundation models.",
      code: "https://github.com/agiresearch/A-mem",
    },
    {
      title: "HaluMem: Evaluating Hallucinations in Memory Systems of Agents",
      headline: "About 15k memory points and 3.5k questions; dialogues past 1M tokens.",
    },
    {
      title:
        "Optimization of embeddings storage for RAG systems using quantization and dimensionality reduction techniques",
      headline:
        "float8 embeddings: 4× less storage with under 0.3% quality loss; 8× with PCA to half the dimensions.",
    },
    {
      title: "Scaling Retrieval-Based Language Models with a Trillion-Token Datastore",
      headline:
        "A 1.4 trillion-token datastore lets smaller models beat larger ones on knowledge-heavy tasks.",
      code: "https://github.com/RulinShao/retrieval-scaling",
    },
    {
      title: "ArcMemo: Abstract Reasoning Composition with Lifelong LLM Memory",
      headline: "Concept-level memory: 7.5% relative gain on ARC-AGI over no memory.",
      code: "https://github.com/matt-seb-ho/arc_memo",
    },
  ],
  architectures: [
    {
      title: "Memory Caching: RNNs with Growing Memory",
      headline: "Caches recurrent state checkpoints to interpolate between O(L) and O(L²) memory.",
    },
    {
      title: "B'MOJO: Hybrid State Space Realizations of Foundation Models with Eidetic and Fading Memory",
      headline: "Up to 10% faster to train; evaluated to 32K tokens, 4× the longest training sequence.",
    },
    {
      title: "Pretraining with hierarchical memories: separating long-tail and common knowledge",
      headline: "A 160M model plus an 18M memory block from a 4.6B bank matches a model over 2× its size.",
    },
  ],
};
