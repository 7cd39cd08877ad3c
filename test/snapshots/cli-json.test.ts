/**
 * `--json` output of the CLI over scenarios across every engine, training, llama.cpp GGUF files,
 * the planner, fit, train-fit, compare and simulate, byte for byte against files committed before
 * the engines-as-modules refactor (issue 13). A refactor that moves code must not move a number;
 * a deliberate change regenerates the files (`UPDATE_SNAPSHOTS=1 npx vitest run test/snapshots`)
 * and says why in its commit.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runMain } from "../../packages/cli/src/testing/run-main.js";
import { loadHarness, modelOfFile } from "../llamacpp/harness-records.js";

const SNAP_DIR = join(import.meta.dirname, "cli-json");
const update = process.env.UPDATE_SNAPSHOTS === "1";
const tmp = mkdtempSync(join(tmpdir(), "memlens-snap-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A harness model file written as a real GGUF (header, then a sparse data section of the exact size). */
function ggufFile(id: string): string {
  const file = loadHarness().files.get(id);
  if (!file) throw new Error(`harness file ${id} missing`);
  const { header, fileBytes } = modelOfFile(file);
  const path = join(tmp, `${id}.gguf`);
  const fd = openSync(path, "w");
  writeSync(fd, header);
  ftruncateSync(fd, fileBytes);
  closeSync(fd);
  return path;
}

interface Case {
  readonly name: string;
  readonly argv: () => readonly string[];
  readonly stdin?: unknown;
}

const L8 = "meta-llama/Llama-3.1-8B";
const est = (name: string, ...args: string[]): Case => ({
  name,
  argv: () => ["estimate", ...args, "--json"],
});
const scen = (name: string, scenario: unknown, cmd = "estimate"): Case => ({
  name,
  argv: () => [cmd, "--scenario", "-", "--json"],
  stdin: scenario,
});

const CASES: readonly Case[] = [
  // inference, every engine
  est("transformers-llama8b-4090", "--model", L8, "--gpu", "RTX-4090", "--ctx", "8192"),
  est(
    "transformers-llama8b-nf4-batch4",
    "--model",
    L8,
    "--gpu",
    "RTX-4090",
    "--ctx",
    "4096",
    "--weights",
    "nf4",
    "--batch",
    "4",
  ),
  est(
    "transformers-qwen3-30b-a3b-h100",
    "--model",
    "Qwen/Qwen3-30B-A3B",
    "--gpu",
    "H100-SXM-80GB",
    "--ctx",
    "16384",
  ),
  est(
    "transformers-gemma2-9b-l4",
    "--model",
    "google/gemma-2-9b",
    "--gpu",
    "L4-24GB",
    "--ctx",
    "8192",
    "--weights",
    "int8",
  ),
  est("vllm-llama8b-4090", "--model", L8, "--gpu", "RTX-4090", "--ctx", "8192", "--engine", "vllm"),
  est(
    "vllm-llama70b-tp4-fp8kv",
    "--model",
    "meta-llama/Llama-3.1-70B",
    "--gpu",
    "H100-SXM-80GB",
    "--gpus",
    "4",
    "--tp",
    "4",
    "--ctx",
    "32768",
    "--engine",
    "vllm",
    "--kv-cache",
    "fp8",
  ),
  est(
    "vllm-llama70b-pp2-tp2",
    "--model",
    "meta-llama/Llama-3.1-70B",
    "--gpu",
    "A100-80GB",
    "--gpus",
    "4",
    "--tp",
    "2",
    "--pp",
    "2",
    "--ctx",
    "8192",
    "--engine",
    "vllm",
  ),
  est(
    "vllm-gpt-oss-20b",
    "--model",
    "openai/gpt-oss-20b",
    "--gpu",
    "H100-SXM-80GB",
    "--ctx",
    "32768",
    "--engine",
    "vllm",
  ),
  est(
    "vllm-qwen3-8b-fp8",
    "--model",
    "Qwen/Qwen3-8B",
    "--gpu",
    "L40S-48GB",
    "--ctx",
    "16384",
    "--engine",
    "vllm",
    "--weights",
    "fp8",
    "--batch",
    "8",
  ),
  est(
    "vllm-gemma3-1b-t4",
    "--model",
    "google/gemma-3-1b-it",
    "--gpu",
    "T4-16GB",
    "--ctx",
    "32768",
    "--engine",
    "vllm",
  ),
  scen("vllm-qwen3-8b-l40s-scenario", {
    model: { id: "Qwen/Qwen3-8B" },
    hardware: { gpu: "L40S", count: 1 },
    contextLength: 32768,
    batch: 2,
    engine: "vllm",
  }),
  est("sglang-llama8b-h100", "--model", L8, "--gpu", "H100-SXM-80GB", "--ctx", "8192", "--engine", "sglang"),
  est(
    "sglang-deepseek-v3-8xh200",
    "--model",
    "deepseek-ai/DeepSeek-V3",
    "--gpu",
    "H200-141GB",
    "--gpus",
    "8",
    "--tp",
    "8",
    "--ctx",
    "32768",
    "--engine",
    "sglang",
  ),
  est(
    "llamacpp-llama8b-q4km-4090",
    "--model",
    L8,
    "--gpu",
    "RTX-4090",
    "--ctx",
    "8192",
    "--engine",
    "llama.cpp",
    "--weights",
    "Q4_K_M",
  ),
  est(
    "llamacpp-qwen3-30b-a3b-q4km",
    "--model",
    "Qwen/Qwen3-30B-A3B",
    "--gpu",
    "RTX-4090",
    "--ctx",
    "32768",
    "--engine",
    "llama.cpp",
    "--weights",
    "Q4_K_M",
  ),
  est(
    "llamacpp-gemma2-27b-q8kv",
    "--model",
    "google/gemma-2-27b",
    "--gpu",
    "RTX-3090",
    "--ctx",
    "16384",
    "--engine",
    "llama.cpp",
    "--weights",
    "Q5_K_M",
    "--kv-cache",
    "q8_0",
  ),
  est(
    "llamacpp-deepseek-v3-q2k-8xh100",
    "--model",
    "deepseek-ai/DeepSeek-V3",
    "--gpu",
    "H100-SXM-80GB",
    "--gpus",
    "8",
    "--ctx",
    "16384",
    "--engine",
    "llama.cpp",
    "--weights",
    "Q2_K",
  ),
  est(
    "llamacpp-llama70b-2x3090",
    "--model",
    "meta-llama/Llama-3.1-70B",
    "--gpu",
    "RTX-3090",
    "--gpus",
    "2",
    "--ctx",
    "8192",
    "--engine",
    "llama.cpp",
    "--weights",
    "Q4_K_M",
    "--batch",
    "2",
  ),
  scen("memory-bytes-hardware", {
    model: { id: L8 },
    hardware: { memoryBytes: 17179869184, count: 1 },
    contextLength: 4096,
  }),
  // errors keep their shape
  scen("error-training-field", {
    model: { id: L8 },
    hardware: { gpu: "RTX-4090", count: 1 },
    task: "training",
    training: { sharding: "zero3" },
  }),
  est("error-unknown-gpu", "--model", L8, "--gpu", "GTX-9999"),
  est("error-vllm-kv-q8", "--model", L8, "--gpu", "RTX-4090", "--engine", "vllm", "--kv-cache", "q8_0"),
  // training
  scen("train-full-llama8b-zero3", {
    model: { id: L8 },
    hardware: { gpu: "H100-SXM-80GB", count: 8 },
    task: "training",
    contextLength: 4096,
    batch: 2,
    parallel: { data: 8 },
    training: {
      method: "full",
      optimizer: "adamw",
      precision: "bf16-mixed",
      zeroStage: 3,
      activationCheckpointing: "full",
    },
  }),
  scen("train-lora-llama8b", {
    model: { id: L8 },
    hardware: { gpu: "RTX-4090", count: 1 },
    task: "training",
    contextLength: 2048,
    batch: 1,
    training: { method: "lora", lora: { rank: 16 }, activationCheckpointing: "full" },
  }),
  scen("train-qlora-llama70b", {
    model: { id: "meta-llama/Llama-3.1-70B" },
    hardware: { gpu: "A100-80GB", count: 1 },
    task: "training",
    contextLength: 2048,
    batch: 1,
    training: { method: "qlora", lora: { rank: 16 }, activationCheckpointing: "full" },
  }),
  scen("train-torchtune-full", {
    model: { id: "Qwen/Qwen2.5-3B" },
    hardware: { gpu: "A100-80GB", count: 1 },
    engine: "torchtune",
    task: "training",
    contextLength: 2048,
    batch: 4,
    training: { method: "full" },
  }),
  scen("train-deepspeed-zero2-offload", {
    model: { id: L8 },
    hardware: { gpu: "A100-40GB", count: 4 },
    engine: "deepspeed",
    task: "training",
    contextLength: 2048,
    batch: 1,
    parallel: { data: 4 },
    training: { method: "full", zeroStage: 2, offload: "optimizer-cpu" },
  }),
  // GGUF files (written from the llama.cpp harness' shapes)
  {
    name: "gguf-llama-estimate",
    argv: () => [
      "estimate",
      "--model",
      ggufFile(firstFile("llama")),
      "--gpu",
      "RTX-4090",
      "--ctx",
      "4096",
      "--json",
    ],
  },
  {
    name: "gguf-deepseek2-estimate",
    argv: () => [
      "estimate",
      "--model",
      ggufFile(firstFile("DeepSeek")),
      "--gpu",
      "RTX-4090",
      "--ctx",
      "8192",
      "--json",
    ],
  },
  {
    name: "gguf-gemma-estimate",
    argv: () => [
      "estimate",
      "--model",
      ggufFile(firstFile("gemma")),
      "--gpu",
      "RTX-3090",
      "--ctx",
      "8192",
      "--batch",
      "2",
      "--json",
    ],
  },
  {
    name: "gguf-qwen-estimate",
    argv: () => [
      "estimate",
      "--model",
      ggufFile(firstFile("Qwen")),
      "--gpu",
      "RTX-4060-Ti-16GB",
      "--ctx",
      "16384",
      "--engine",
      "llama.cpp",
      "--kv-cache",
      "q8_0",
      "--json",
    ],
  },
  { name: "gguf-inspect", argv: () => ["inspect", ggufFile(firstFile("llama")), "--json"] },
  // planner, fit, train-fit, compare
  {
    name: "plan-serve",
    argv: () => [
      "plan",
      "--model",
      L8,
      "--gpu",
      "RTX-4090",
      "--goal",
      "serve",
      "--ctx",
      "8192",
      "--concurrency",
      "4",
      "--json",
    ],
  },
  {
    name: "plan-serve-70b-engines",
    argv: () => [
      "plan",
      "--model",
      "meta-llama/Llama-3.1-70B",
      "--gpu",
      "H100-SXM-80GB",
      "--gpus",
      "4",
      "--goal",
      "serve",
      "--ctx",
      "32768",
      "--concurrency",
      "16",
      "--engines",
      "vllm,llama.cpp,sglang",
      "--json",
    ],
  },
  {
    name: "plan-longest-context",
    argv: () => [
      "plan",
      "--model",
      "Qwen/Qwen3-8B",
      "--gpu",
      "RTX-4090",
      "--goal",
      "longest-context",
      "--json",
    ],
  },
  {
    name: "plan-fastest-decode",
    argv: () => [
      "plan",
      "--model",
      "google/gemma-2-9b",
      "--gpu",
      "L40S-48GB",
      "--goal",
      "fastest-decode",
      "--ctx",
      "8192",
      "--json",
    ],
  },
  {
    name: "plan-changes",
    argv: () => [
      "plan",
      "--changes",
      "--model",
      "meta-llama/Llama-3.1-70B",
      "--gpu",
      "RTX-4090",
      "--ctx",
      "8192",
      "--json",
    ],
  },
  {
    name: "fit-llama8b",
    argv: () => ["fit", "--model", L8, "--weights", "Q4_K_M", "--gpu", "RTX-4060-Ti-16GB", "--json"],
  },
  {
    name: "fit-70b-2gpu",
    argv: () => [
      "fit",
      "--model",
      "meta-llama/Llama-3.1-70B",
      "--weights",
      "Q4_K_M",
      "--gpu",
      "RTX-3090",
      "--gpus",
      "2",
      "--ctx",
      "32768",
      "--json",
    ],
  },
  {
    name: "train-fit-llama8b",
    argv: () => [
      "train-fit",
      "--model",
      L8,
      "--gpu",
      "H100-SXM-80GB",
      "--gpus",
      "2",
      "--methods",
      "full,lora,qlora",
      "--seq",
      "4096",
      "--json",
    ],
  },
  {
    name: "compare-engines",
    argv: () => [
      "compare",
      "--engines",
      "llama.cpp,vllm,sglang,transformers",
      "--model",
      "Qwen/Qwen3-8B",
      "--gpu",
      "RTX-4090",
      "--ctx",
      "8192",
      "--json",
    ],
  },
  // simulate
  {
    name: "sim-vllm-generated",
    argv: () => [
      "simulate",
      "--model",
      L8,
      "--gpu",
      "RTX-4090",
      "--requests",
      "200",
      "--rate",
      "4",
      "--input-len",
      "1024",
      "--output-len",
      "256",
      "--json",
    ],
  },
  {
    name: "sim-static",
    argv: () => [
      "simulate",
      "--engine",
      "static",
      "--max-num-seqs",
      "8",
      "--model",
      L8,
      "--gpu",
      "RTX-4090",
      "--requests",
      "64",
      "--rate",
      "2",
      "--input-len",
      "512",
      "--output-len",
      "128",
      "--json",
    ],
  },
  {
    name: "sim-tp2-fp8",
    argv: () => [
      "simulate",
      "--tp",
      "2",
      "--model",
      "Qwen/Qwen3-32B",
      "--gpu",
      "H100-SXM-80GB",
      "--kv-dtype",
      "fp8",
      "--requests",
      "150",
      "--rate",
      "6",
      "--input-len",
      "2048",
      "--output-len",
      "256",
      "--json",
    ],
  },
  {
    name: "sim-kivi2-prefix",
    argv: () => [
      "simulate",
      "--model",
      L8,
      "--gpu",
      "L4-24GB",
      "--kv-dtype",
      "kivi2",
      "--shared-prefix",
      "512",
      "--prefix-groups",
      "4",
      "--requests",
      "100",
      "--rate",
      "3",
      "--input-len",
      "1024",
      "--output-len",
      "128",
      "--json",
    ],
  },
  {
    name: "sim-radix-moe",
    argv: () => [
      "simulate",
      "--kv-manager",
      "radix",
      "--model",
      "Qwen/Qwen3-30B-A3B",
      "--gpu",
      "H100-SXM-80GB",
      "--requests",
      "120",
      "--rate",
      "8",
      "--input-len",
      "1024",
      "--output-len",
      "256",
      "--json",
    ],
  },
  {
    name: "sim-streaming-llm",
    argv: () => [
      "simulate",
      "--kv-eviction",
      "streaming-llm",
      "--kv-window-tokens",
      "512",
      "--model",
      L8,
      "--gpu",
      "RTX-4090",
      "--requests",
      "60",
      "--rate",
      "2",
      "--input-len",
      "2048",
      "--output-len",
      "256",
      "--json",
    ],
  },
  {
    name: "sim-disaggregate",
    argv: () => [
      "simulate",
      "--disaggregate",
      "--transfer-bytes-per-second",
      "25e9",
      "--model",
      L8,
      "--gpu",
      "H100-SXM-80GB",
      "--requests",
      "100",
      "--rate",
      "5",
      "--input-len",
      "2048",
      "--output-len",
      "128",
      "--json",
    ],
  },
];

function firstFile(prefix: string): string {
  for (const id of loadHarness().files.keys())
    if (id.toLowerCase().startsWith(prefix.toLowerCase())) return id;
  throw new Error(`no harness file starting with ${prefix}`);
}

/** Temp paths differ per run: the snapshot keeps the file name only. */
const stable = (s: string): string => s.split(`${tmp}/`).join("");

describe("CLI --json output, byte for byte as committed", () => {
  if (update) mkdirSync(SNAP_DIR, { recursive: true });
  test("at least 40 scenarios", () => expect(CASES.length).toBeGreaterThanOrEqual(40));
  for (const c of CASES)
    test(c.name, async () => {
      const stdin = c.stdin === undefined ? undefined : JSON.stringify(c.stdin);
      const r = await runMain(c.argv(), { stdin });
      const got = `${JSON.stringify({ code: r.code, err: stable(r.err) })}\n${stable(r.out)}`;
      const path = join(SNAP_DIR, `${c.name}.txt`);
      if (update || !existsSync(path)) {
        if (!update) throw new Error(`no snapshot ${path}; run with UPDATE_SNAPSHOTS=1`);
        writeFileSync(path, got);
        return;
      }
      expect(got).toBe(readFileSync(path, "utf8"));
    });
});
