// llama.cpp estimate speed and accuracy, against node-llama-cpp's own estimators in the same process.
//
// Speed: µs per call as a ratio to a baseline measured in the same run (a JSON round-trip of a
// scenario). Accuracy: every record of validation/llamacpp/measured.jsonl (real llama.cpp, CPU
// build, node-llama-cpp 3.22.1), the very GGUF files it measured (written again, sparse, by the
// harness' own writer), each read by memlens (its GGUF parser) and by node-llama-cpp
// (readGgufFileInfo → GgufInsights). node-llama-cpp is validation/llamacpp's dependency: without
// its node_modules (`npm --prefix validation/llamacpp install --no-save`) and its build
// (`npm --prefix validation/llamacpp run build`) only memlens' part runs.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  catalogModelSpec,
  estimate,
  llamaCppMemory,
  llamaCppModelFromGguf,
  llamaCppModelFromSpec,
  parseGgufHeader,
} from "../packages/core/dist/index.js";

const here = import.meta.dirname;
const V = join(here, "../validation/llamacpp");

function time(fn, minMs = 300) {
  for (let i = 0; i < 20; i++) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    t = performance.now();
  }
  return ((t - t0) * 1000) / n; // µs per call
}
/** µs per call of `fn(i)` over calls that each see new inputs (i = 0, 1, 2...). */
function timeEach(count, fn) {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  return ((performance.now() - t0) * 1000) / count;
}
async function timeEachAsync(count, fn) {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  return ((performance.now() - t0) * 1000) / count;
}

const settings = (o) => ({
  contextLength: 8192,
  nSeq: 1,
  nBatch: 2048,
  nUbatch: 512,
  flashAttn: true,
  typeK: "F16",
  typeV: "F16",
  gpuCount: 1,
  gpuLayers: 999,
  tensorSplit: null,
  overrides: [],
  mmap: true,
  swaFull: false,
  kvUnified: false,
  kvOffload: true,
  opOffload: true,
  noHost: false,
  cpuFeatures: "avx2",
  ...o,
});

const scenario = {
  model: { id: "meta-llama/Llama-3.1-8B" },
  hardware: { gpu: "RTX-4090", count: 1 },
  contextLength: 8192,
};
const baseline = time(() => JSON.parse(JSON.stringify(scenario)));
const rows = [["JSON round-trip of a scenario (baseline)", baseline]];

// --- memlens: one llama.cpp memory evaluation (every buffer at one context) ---
const ARCHS = ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-30B-A3B", "google/gemma-2-9b", "Qwen/Qwen2.5-7B"];
const QUANTS = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "Q2_K"];
// A sweep's order: each architecture, each quantization, contexts from 1k to 128k. Every call is a
// (model, quantization, context) never seen before; the first of an architecture replays its graph,
// later ones read the windows that replay proved (contexts and quantizations of one architecture).
const models = ARCHS.flatMap((id) => QUANTS.map((q) => llamaCppModelFromSpec(catalogModelSpec(id), q)));
const CONTEXTS = Array.from({ length: 40 }, (_, i) => 1024 + i * 3251);
const sweep = [];
for (const m of models) for (const c of CONTEXTS) sweep.push([m, c]);
const tSweep = timeEach(sweep.length, (i) =>
  llamaCppMemory(sweep[i][0], settings({ contextLength: sweep[i][1] })),
);
rows.push([`llamaCppMemory, new (model, quant, context), sweep of ${sweep.length}`, tSweep]);
// The steady state of a sweep: contexts not asked before, of architectures whose windows exist.
const again = sweep.map(([m, c]) => [m, c + 100]);
rows.push([
  "llamaCppMemory, new context of a replayed architecture (read from its windows)",
  timeEach(again.length, (i) => llamaCppMemory(again[i][0], settings({ contextLength: again[i][1] }))),
]);
// First evaluation of an architecture never seen (its first graph replays), new settings each time
let nb = 3000;
const tCold = timeEach(8, (i) => llamaCppMemory(models[(i * 7) % models.length], settings({ nBatch: nb++ })));
rows.push(["llamaCppMemory, first call for new settings (graph replay)", tCold]);
const m8 = models[3];
const s8 = settings({ contextLength: 32768 });
rows.push(["llamaCppMemory, memoised (same call again)", time(() => llamaCppMemory(m8, s8))]);

// --- memlens: estimate() (with its longest-context and most-sequences searches) ---
const llamaScenario = (id, weights, contextLength, extra = {}) => ({
  model: { id },
  weights,
  engine: "llama.cpp",
  hardware: { gpu: "RTX-4090", count: 1 },
  contextLength,
  ...extra,
});
let k = 0;
const est = [];
for (const id of ARCHS)
  for (const q of QUANTS) for (const c of [4096, 16384, 65536]) est.push(llamaScenario(id, q, c));
rows.push([
  `estimate() llama.cpp, new scenario (sweep of ${est.length})`,
  timeEach(est.length, (i) => estimate(est[i])),
]);
rows.push([
  "estimate() llama.cpp, memoised replay (same scenario)",
  time(() => estimate(llamaScenario("meta-llama/Llama-3.1-8B", "Q4_K_M", 8192))),
]);
rows.push([
  "estimate() llama.cpp, unseen settings (a new nBatch: every graph replays)",
  timeEach(4, () =>
    estimate(
      llamaScenario("meta-llama/Llama-3.1-8B", "Q4_K_M", 8192, { engineOptions: { nBatch: 5000 + k++ } }),
    ),
  ),
]);
for (const engine of ["transformers", "vllm"])
  rows.push([
    `estimate() ${engine} Llama-3.1-8B 8192 tokens RTX-4090`,
    time(() => estimate({ ...scenario, engine })),
  ]);

// --- node-llama-cpp, the same files ---
const haveNlc =
  existsSync(join(V, "node_modules/node-llama-cpp")) && existsSync(join(V, "dist/src/model-file.js"));
const errors = [];
if (!haveNlc) console.log("\n(node-llama-cpp or validation/llamacpp/dist missing: its part is skipped)");
else {
  const { buildModelFile } = await import(join(V, "dist/src/model-file.js"));
  const { writeGgufSparse } = await import(join(V, "dist/src/gguf-writer.js"));
  const nlc = await import(join(V, "node_modules/node-llama-cpp/dist/index.js"));
  const readJsonl = (p) =>
    readFileSync(p, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const files = new Map(readJsonl(join(V, "model-files.jsonl")).map((f) => [f.id, f]));
  const records = readJsonl(join(V, "measured.jsonl")).filter(
    (r) => r.ok && r.measured && files.has(r.modelFile.id),
  );
  const dir = join(tmpdir(), "memlens-bench-gguf");
  mkdirSync(dir, { recursive: true });
  const byFile = new Map();
  const open = async (id) => {
    let o = byFile.get(id);
    if (o) return o;
    const f = files.get(id);
    const policy = f.policy === "MXFP4_MOE" ? { kind: "mxfp4-moe" } : { kind: "pure", type: f.policy };
    const path = join(dir, `${id}.gguf`);
    const w = writeGgufSparse(path, buildModelFile(f.shape, policy).file);
    const bytes = new Uint8Array(w.headerBytes);
    const fd = openSync(path, "r");
    readSync(fd, bytes, 0, bytes.length, 0);
    closeSync(fd);
    const header = parseGgufHeader(bytes, { fileBytes: w.fileBytes }).header;
    const model = llamaCppModelFromGguf(header);
    const memlens = {
      ...model,
      tensors: model.tensors.map((t, i) => ({ ...t, offset: header.tensors[i].offset })),
    };
    const insights = await nlc.GgufInsights.from(await nlc.readGgufFileInfo(path));
    o = { memlens, insights, path };
    byFile.set(id, o);
    return o;
  };
  const settingsOf = (r) => {
    const s = r.settings;
    const cp = r.measured.cparams;
    const nSeq = Number(cp.n_seq_max ?? s.nSeqMax);
    const sys = r.llamaCpp?.systemInfo ?? "";
    return settings({
      contextLength: Math.ceil(Number(cp.n_ctx ?? s.nCtx) / nSeq),
      nSeq,
      nBatch: Number(cp.n_batch ?? s.nBatch),
      nUbatch: Number(cp.n_ubatch ?? s.nUbatch),
      flashAttn: s.flashAttn,
      typeK: String(s.typeK).toUpperCase(),
      typeV: String(s.typeV).toUpperCase(),
      gpuCount: 0,
      gpuLayers: 0,
      mmap: s.mmap,
      swaFull: s.swaFull,
      cpuFeatures: /AMX_INT8 = 1/.test(sys) ? "amx" : /AVX512 = 1/.test(sys) ? "avx512" : "avx2",
    });
  };
  const sum = (xs) => (xs ?? []).reduce((a, b) => a + b.bytes, 0);
  const nlcArgs = (r) => ({
    contextSize: Number(r.settings.nCtx),
    modelGpuLayers: 0,
    batchSize: Number(r.settings.nBatch),
    sequences: Number(r.settings.nSeqMax),
    flashAttention: r.settings.flashAttn,
    swaFullCache: r.settings.swaFull,
    kvCacheKeyType: nlc.GgmlType[String(r.settings.typeK).toUpperCase()],
    kvCacheValueType: nlc.GgmlType[String(r.settings.typeV).toUpperCase()],
  });
  // node-llama-cpp v2 simulates in llama.cpp itself (a model load per file): a sample of records
  const V2_SAMPLE = 24;
  const v2Every = Math.max(1, Math.floor(records.length / V2_SAMPLE));
  for (const [i, r] of records.entries()) {
    const o = await open(r.modelFile.id);
    const meas = r.measured;
    const kvEst = (m) => sum(m.kvBuffers);
    const m = llamaCppMemory(o.memlens, settingsOf(r));
    const exactCompute = meas.exact?.contextBytes
      ? meas.exact.contextBytes - kvEst(m)
      : (meas.computeBuffer?.bytes ?? 0);
    const compute =
      meas.computeBuffer && Math.abs(exactCompute - meas.computeBuffer.bytes) < 0.006 * 2 ** 20
        ? exactCompute
        : (meas.computeBuffer?.bytes ?? 0);
    const measuredContext =
      sum(meas.kvBuffers) + sum(meas.rsBuffers) + (meas.outputBuffer?.bytes ?? 0) + compute;
    const measuredTotal = sum(meas.modelBuffers) + measuredContext;
    const memlensContext = kvEst(m) + m.outputBuffer.bytes + sum(m.computeBuffers);
    const row = {
      id: r.id,
      measuredContext,
      measuredTotal,
      memlens: { context: memlensContext, total: sum(m.modelBuffers) + memlensContext },
    };
    const ctx1 = o.insights.estimateContextResourceRequirements(nlcArgs(r)).cpuRam;
    const model1 = o.insights.estimateModelResourceRequirements({
      gpuLayers: 0,
      useMmap: r.settings.mmap,
    }).cpuRam;
    row.v1 = { context: ctx1, total: ctx1 + model1 };
    if (i % v2Every === 0) {
      const ctx2 = (
        await o.insights.estimateContextResourceRequirementsV2({ ...nlcArgs(r), useMmap: r.settings.mmap })
      ).cpuRam;
      const model2 = (
        await o.insights.estimateModelResourceRequirementsV2({ gpuLayers: 0, useMmap: r.settings.mmap })
      ).cpuRam;
      row.v2 = { context: ctx2, total: ctx2 + model2 };
    }
    errors.push(row);
  }

  // Speed on the same files: one context estimate at a context not asked before.
  const opened = [...byFile.values()];
  const ctxOf = (i) => 1000 + ((i * 7919) % 60000);
  rows.push([
    `node-llama-cpp v1 heuristic: estimateContextResourceRequirements (${opened.length} files)`,
    timeEach(opened.length * 20, (i) =>
      opened[i % opened.length].insights.estimateContextResourceRequirements({
        contextSize: ctxOf(i),
        modelGpuLayers: 0,
        batchSize: 512,
        sequences: 1,
        flashAttention: true,
      }),
    ),
  ]);
  rows.push([
    "node-llama-cpp v1 heuristic: estimateModelResourceRequirements",
    timeEach(opened.length * 20, (i) =>
      opened[i % opened.length].insights.estimateModelResourceRequirements({ gpuLayers: 0, useMmap: true }),
    ),
  ]);
  rows.push([
    "memlens llamaCppMemory on the same files, new contexts (every buffer)",
    timeEach(opened.length * 20, (i) =>
      llamaCppMemory(
        opened[i % opened.length].memlens,
        settings({ gpuCount: 0, gpuLayers: 0, contextLength: ctxOf(i) }),
      ),
    ),
  ]);
  const v2Files = opened.slice(0, 6);
  rows.push([
    `node-llama-cpp v2 (llama.cpp simulation): estimateContextResourceRequirementsV2 (${v2Files.length} files)`,
    await timeEachAsync(v2Files.length * 3, (i) =>
      v2Files[i % v2Files.length].insights.estimateContextResourceRequirementsV2({
        contextSize: ctxOf(i + 17),
        modelGpuLayers: 0,
        batchSize: 512,
        sequences: 1,
        flashAttention: true,
      }),
    ),
  ]);
  rmSync(dir, { recursive: true, force: true });
}

console.log("\nllama.cpp estimate benchmark (µs per call; ratio = time / baseline)\n");
console.log(`${"operation".padEnd(96)}${"µs".padStart(12)}${"ratio".padStart(10)}`);
for (const [name, us] of rows)
  console.log(`${name.padEnd(96)}${us.toFixed(2).padStart(12)}${(us / baseline).toFixed(1).padStart(10)}`);

// Issue 18's targets for the exact llama.cpp estimate on this machine: at most 400 µs per uncached
// call and 20 µs per memoised one; and the ratio to node-llama-cpp's own estimators, same process.
const us = (prefix) => rows.find(([name]) => name.startsWith(prefix))?.[1];
const uncached = us("llamaCppMemory, new (model, quant, context)");
const fresh = us("llamaCppMemory, new context of a replayed architecture");
const memo = us("llamaCppMemory, memoised");
const estNew = us("estimate() llama.cpp, new scenario");
const estMemo = us("estimate() llama.cpp, memoised");
const verdict = (v, limit) => `${v.toFixed(1)} µs (${v <= limit ? "within" : "over"} ${limit} µs)`;
console.log("\nIssue 18 targets (this run, this machine)");
console.log(`  uncached llamaCppMemory, sweep average        ${verdict(uncached, 400)}`);
console.log(`  uncached llamaCppMemory, new context          ${verdict(fresh, 400)}`);
console.log(`  memoised llamaCppMemory                       ${verdict(memo, 20)}`);
console.log(`  estimate() llama.cpp, new scenario (searches) ${estNew.toFixed(1)} µs`);
console.log(`  estimate() llama.cpp, memoised                ${verdict(estMemo, 20)}`);
const nlcV1 = us("node-llama-cpp v1 heuristic: estimateContextResourceRequirements");
const nlcV2 = us("node-llama-cpp v2");
const sameFiles = us("memlens llamaCppMemory on the same files");
if (nlcV1 !== undefined && sameFiles !== undefined) {
  console.log(
    `  memlens / node-llama-cpp v1 heuristic (same files, new contexts) ${(sameFiles / nlcV1).toFixed(2)}×`,
  );
  if (nlcV2 !== undefined)
    console.log(
      `  memlens / node-llama-cpp v2 simulation (same files, new contexts) ${(sameFiles / nlcV2).toFixed(4)}×`,
    );
} else console.log("  (ratios to node-llama-cpp need validation/llamacpp's node_modules and build)");

if (errors.length) {
  const stat = (pick, q) => {
    const xs = errors
      .filter((e) => pick(e) !== undefined)
      .map(
        (e) =>
          Math.abs(pick(e)[q] - e[q === "total" ? "measuredTotal" : "measuredContext"]) /
          e[q === "total" ? "measuredTotal" : "measuredContext"],
      );
    xs.sort((a, b) => a - b);
    const pct = (x) => `${(x * 100).toFixed(2)}%`;
    return `${String(xs.length).padStart(4)} records  median ${pct(xs[Math.floor(xs.length / 2)]).padStart(8)}  p90 ${pct(xs[Math.floor(xs.length * 0.9)]).padStart(8)}  worst ${pct(xs[xs.length - 1]).padStart(8)}`;
  };
  console.log(
    "\nError against real llama.cpp (validation/llamacpp/measured.jsonl, CPU build; |estimate − measured| / measured)\n",
  );
  for (const q of ["total", "context"]) {
    const what = q === "total" ? "model + KV + output + compute" : "KV + output + compute (a context)";
    console.log(`${what}`);
    console.log(`  memlens llamaCppMemory            ${stat((e) => e.memlens, q)}`);
    console.log(`  node-llama-cpp v1 heuristic       ${stat((e) => e.v1, q)}`);
    console.log(`  node-llama-cpp v2 (simulation)    ${stat((e) => e.v2, q)}`);
  }
}
process.exit(0);
