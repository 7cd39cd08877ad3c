// Serving simulator speed: the 19,366-request Azure LLM conversation trace (2023) through vLLM v1's
// scheduler and paged KV cache for Llama-3.1-8B on one H100 SXM, then a scaling table. Target:
// the whole trace in under 2 s. Run after a build (npm run bench builds); CORE_DIST overrides the
// build folder (e.g. CORE_DIST=/tmp/dist node bench/sim.bench.mjs).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.env.CORE_DIST ?? join(here, "../packages/core/dist"));
const { catalogModelSpec, findGpu } = await import(join(dist, "index.js"));
const {
  fitLinearStepTime,
  LLAMA_PROFILE_ARCHITECTURE,
  linearStepTime,
  parseAzureTrace,
  parseOperatorProfile,
  rooflineStepTime,
  simulateServing,
  stepRecordsFromOperatorProfile,
} = await import(join(dist, "sim/index.js"));

const tracePath = resolve(here, "../../shared/fixtures/traces/AzureLLMInferenceTrace_conv.csv");
const trace = parseAzureTrace(readFileSync(tracePath, "utf8"));

// Model and GPU numbers from core's catalog; KV bytes/token = 2 · Σ layers KV heads · head dim · 2 B.
const spec = catalogModelSpec("meta-llama/Llama-3.1-8B");
const gpu = findGpu("H100-SXM-80GB");
let kvBytesPerToken = 0;
let attnPerPair = 0;
for (const l of spec.layers)
  if (l.mixer.kind === "attention") {
    kvBytesPerToken += 2 * l.mixer.numKvHeads * l.mixer.headDim * 2;
    attnPerPair += 4 * l.mixer.numHeads * l.mixer.headDim;
  }
const weightBytes = spec.parameters * 2;
const stepTime = rooflineStepTime({
  weightBytes,
  flopsPerToken: 2 * spec.activeParameters,
  attentionFlopsPerPair: attnPerPair,
  kvBytesPerToken,
  bandwidthBytesPerSecond: gpu.bandwidthBytesPerSecond,
  flopsPerSecond: gpu.flopsPerSecond.bf16,
});
// KV memory: vLLM's default gpu_memory_utilization 0.9 minus the weights (an upper bound: vLLM also
// subtracts the activation peak and CUDA graphs; core's vLLM estimate will supply the real number).
const memoryBytes = 0.9 * gpu.memoryBytes - weightBytes;
const options = (workload) => ({
  workload,
  stepTime,
  maxModelLen: 16384,
  maxNumSeqs: 1024, // vLLM defaults on ≥ 70 GiB GPUs (OpenAI server): 1024 seqs, 8192 tokens
  maxNumBatchedTokens: 8192,
  kvCache: { memoryBytes, bytesPerToken: kvBytesPerToken, blockSize: 16 },
});

function time(workload, repeats) {
  let best = Number.POSITIVE_INFINITY;
  let result;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    result = simulateServing(options(workload));
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

/** The trace repeated end to end (same arrival rate) until it has n requests. */
function tiled(n) {
  const span = trace[trace.length - 1].arrivalSeconds + 1;
  const out = [];
  for (let k = 0; out.length < n; k++)
    for (const r of trace) {
      if (out.length >= n) break;
      out.push({ ...r, arrivalSeconds: r.arrivalSeconds + k * span });
    }
  return out;
}

time(tiled(2000), 2); // warm up the JIT
const full = time(trace, 3);
const m = full.result.metrics;
const f = (x, d = 3) => x.toFixed(d);
console.log(
  `Azure conv trace, ${trace.length} requests, ${spec.id} on ${gpu.id} (roofline, ${full.result.engines[0].kvCacheBlocks} KV blocks)`,
);
console.log(
  `  simulated in ${f(full.ms / 1000, 2)} s (target < 2 s): ${m.steps} steps, ${Math.round(trace.length / (full.ms / 1000))} requests/s`,
);
console.log(
  `  TTFT p50/p99 ${f(m.ttftSeconds.p50)}/${f(m.ttftSeconds.p99)} s, TPOT p50 ${f(m.tpotSeconds.p50 * 1000, 1)} ms, ` +
    `output ${Math.round(m.throughputTokensPerSecond)} tok/s, KV use mean ${f(m.kvCacheUsage.mean * 100, 1)} %, preemptions ${m.preemptions}`,
);
console.log("\n| requests | simulated s | steps | wall ms | requests/s | µs per step |");
console.log("|---:|---:|---:|---:|---:|---:|");
for (const n of [1_000, 10_000, trace.length, 100_000]) {
  const run = n === trace.length ? full : time(tiled(n), n >= 100_000 ? 1 : 3);
  const r = run.result.metrics;
  console.log(
    `| ${n} | ${Math.round(r.durationSeconds)} | ${r.steps} | ${Math.round(run.ms)} | ${Math.round(n / (run.ms / 1000))} | ${f((run.ms * 1000) / r.steps, 2)} |`,
  );
}

// The same trace on a KV-saturated RTX 4090 (the replayed run's engine: 2588 blocks, step times
// fitted to LLMServingSim's RTX 4090 operator profile): long queues, preemptions, full batches.
const profDir = join(here, "../packages/core/src/sim/data/rtx4090-llama-3.1-8b-vllm-0.19");
const read = (f) => readFileSync(join(profDir, f), "utf8");
const profile = parseOperatorProfile({
  dense: read("dense.csv"),
  perSequence: read("per_sequence.csv"),
  attention: read("attention.csv"),
});
const fit = fitLinearStepTime(
  stepRecordsFromOperatorProfile(profile, LLAMA_PROFILE_ARCHITECTURE, {
    maxBatchedTokens: 2048,
    maxKvTokens: 2588 * 16,
  }),
);
const t0 = performance.now();
const loaded = simulateServing({
  workload: trace,
  stepTime: linearStepTime(fit.coefficients),
  maxModelLen: 16384,
  maxNumSeqs: 256,
  maxNumBatchedTokens: 2048,
  kvCache: { numGpuBlocks: 2588, blockSize: 16 },
}).metrics;
const ms = performance.now() - t0;
console.log(
  `\nSaturated: same trace on an RTX 4090 (2588 blocks, fitted steps): ${f(ms / 1000, 2)} s wall, ${loaded.steps} steps, ` +
    `${loaded.preemptions} preemptions, KV use mean ${f(loaded.kvCacheUsage.mean * 100, 1)} %, TTFT p50 ${f(loaded.ttftSeconds.p50, 1)} s`,
);
