// Estimator speed: microseconds per call, as a ratio to a baseline measured in the same run
// (JSON round-trip of the same scenario: the cost of merely reading the question).
import {
  catalogModelSpec,
  estimate,
  estimateWeights,
  kvBytesPerToken,
  parseWeightFormat,
} from "../packages/core/dist/index.js";

function time(fn, minMs = 300) {
  for (let i = 0; i < 50; i++) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    t = performance.now();
  }
  return ((t - t0) * 1000) / n; // µs per call
}

const ids = [
  "meta-llama/Llama-3.1-8B",
  "meta-llama/Llama-3.1-70B",
  "Qwen/Qwen3-30B-A3B",
  "deepseek-ai/DeepSeek-V3",
  "google/gemma-2-9b",
];
for (const id of ids) catalogModelSpec(id); // specs are memoised: measure the arithmetic, not parsing

const scenario = { model: { id: ids[0] }, hardware: { gpu: "RTX-4090", count: 1 }, contextLength: 8192 };
const baseline = time(() => JSON.parse(JSON.stringify(scenario)));
const layout = { kDtype: "bf16", vDtype: "bf16", mla: "latent", recurrent: "hf", recurrentDtypeBytes: 2 };

const rows = [["JSON round-trip of a scenario (baseline)", baseline]];
for (const id of ids) {
  const spec = catalogModelSpec(id);
  rows.push([`kvBytesPerToken ${id}`, time(() => kvBytesPerToken(spec, layout))]);
  const f = parseWeightFormat("Q4_K_M", spec);
  rows.push([`estimateWeights Q4_K_M ${id}`, time(() => estimateWeights(spec, f))]);
  rows.push([
    `estimate() incl. max-context and max-batch search ${id}`,
    time(() => estimate({ ...scenario, model: { id } }), 500),
  ]);
}
// llama.cpp replays its compute graph per probe of the max-context and max-batch searches. "warm":
// the same scenario again (memoised placement and graphs); "cold": a new n_batch each call (above
// the 512-token ubatch it changes no buffer, but misses every memo), as a first estimate would.
const llamaCases = [
  ["Llama-3.1-8B Q4_K_M 8192 tokens RTX-4090", "meta-llama/Llama-3.1-8B", "RTX-4090", 1, 8192],
  ["Llama-3.1-70B Q4_K_M 65536 tokens 4×H100", "meta-llama/Llama-3.1-70B", "H100-SXM-80GB", 4, 65536],
];
let nBatch = 4096;
for (const [label, id, gpu, count, contextLength] of llamaCases) {
  const s = {
    model: { id },
    weights: "Q4_K_M",
    engine: "llama.cpp",
    hardware: { gpu, count },
    contextLength,
  };
  rows.push([`estimate() llama.cpp warm ${label}`, time(() => estimate(s), 500)]);
  const cold = () => estimate({ ...s, engineOptions: { nBatch: nBatch++ } });
  rows.push([`estimate() llama.cpp cold ${label}`, time(cold, 1000)]);
}
// estimate() per engine (issue 18: transformers/vLLM under 50 µs uncached, 20 µs memoised).
// "uncached": a context no earlier call asked for, so the answer memo misses (the per-model memos,
// filled by the warm-up, stay warm: a new question about a known model); "memoised": the same
// question again. The fastest of 25 rounds (each ≥ 15 ms) in CPU time, so other load on the
// machine inflates it least; the baseline is measured the same way in the same run.
function timeMin(fn, rounds = 25, roundMs = 15) {
  for (let i = 0; i < 200; i++) fn();
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - t0 > roundMs) break;
    n *= 2;
  }
  // CPU time of this process (user + system), so time spent descheduled does not count.
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / n);
  }
  return best;
}
const engineRows = [];
const baselineMin = timeMin(() => JSON.parse(JSON.stringify(scenario)));
engineRows.push(["JSON round-trip of a scenario (baseline, fastest round)", baselineMin]);
const engineCases = [
  ["transformers", "meta-llama/Llama-3.1-8B", "RTX-4090", 1],
  ["transformers", "meta-llama/Llama-3.1-70B", "H100-SXM-80GB", 4],
  ["transformers", "google/gemma-2-9b", "RTX-4090", 1],
  ["transformers", "deepseek-ai/DeepSeek-V3", "H100-SXM-80GB", 8],
  ["vllm", "meta-llama/Llama-3.1-8B", "H100-SXM-80GB", 1],
  ["vllm", "meta-llama/Llama-3.1-70B", "H100-SXM-80GB", 4],
  ["vllm", "google/gemma-2-9b", "RTX-4090", 1],
  ["vllm", "deepseek-ai/DeepSeek-V3", "H100-SXM-80GB", 8],
  ["llama.cpp", "meta-llama/Llama-3.1-8B", "RTX-4090", 1],
];
let ctx = 4096;
for (const [engine, id, gpu, count] of engineCases) {
  const s = {
    model: { id },
    engine,
    hardware: { gpu, count },
    ...(count > 1 ? { parallel: { tensor: count } } : {}),
    ...(engine === "llama.cpp" ? { weights: "Q4_K_M" } : {}),
    contextLength: 8192,
  };
  const label = `${engine} ${id} ${count > 1 ? `${count}×` : ""}${gpu}`;
  const uncached = timeMin(() => estimate({ ...s, contextLength: 4096 + (ctx++ % 100_000) }), 15);
  const memoised = timeMin(() => estimate(s));
  engineRows.push([`estimate() uncached ${label}`, uncached]);
  engineRows.push([`estimate() memoised ${label}`, memoised]);
}

console.log("\nEstimator benchmark (µs per call; ratio = time / baseline)\n");
console.log(`${"operation".padEnd(82)}${"µs".padStart(10)}${"ratio".padStart(10)}`);
for (const [name, us] of rows)
  console.log(`${name.padEnd(82)}${us.toFixed(2).padStart(10)}${(us / baseline).toFixed(1).padStart(10)}`);
console.log(`\nestimate() per engine (fastest of 25 rounds; ratio = time / baseline of this table)\n`);
console.log(`${"operation".padEnd(82)}${"µs".padStart(10)}${"ratio".padStart(10)}`);
for (const [name, us] of engineRows)
  console.log(`${name.padEnd(82)}${us.toFixed(2).padStart(10)}${(us / baselineMin).toFixed(1).padStart(10)}`);
