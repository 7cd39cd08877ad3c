// `memlens fits` sweep time over the whole catalog (whatFits, RTX-4090), cold (a fresh process:
// every model built, every llama.cpp graph replayed) and warm (the same process again), against a
// baseline in the same run: the naive sweep, one estimate() per model × format (estimate searches
// the largest context itself), cold in its own fresh process, timed for up to 10 s and scaled to
// the same number of pairs.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const GPU = "RTX-4090";
const mode = process.argv[2];

if (mode === "cli") {
  // The must-show: `memlens fits --gpu RTX-4090 --json` in a fresh process, start-up and output included.
  const { main } = await import("../packages/cli/dist/main.js");
  let bytes = 0;
  const stdout = {
    write: (s) => {
      bytes += s.length;
      return true;
    },
  };
  const code = await main({
    argv: ["fits", "--gpu", GPU, "--json", ...(process.argv[3] ? ["--engine", process.argv[3]] : [])],
    stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: {},
  });
  const cpu = process.cpuUsage();
  // performance.now() counts from the process' start: node's own start-up, module loading, the sweep
  console.log(JSON.stringify({ code, bytes, wall: performance.now(), cpu: (cpu.user + cpu.system) / 1000 }));
  process.exit(0);
}

if (mode) {
  const core = await import("../packages/core/dist/index.js");
  for (const r of core.MODEL_ROWS) core.catalogModelSpec(r.id); // parsing configs is not the sweep
  const engine = process.argv[3] ?? "llama.cpp";
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let pairs = 0;
  if (mode === "sweep") {
    const r = core.whatFits({ gpu: GPU, engine });
    pairs = r.evaluated;
    const cold = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const t1 = performance.now();
    core.whatFits({ gpu: GPU, engine });
    const warm = performance.now() - t1;
    console.log(
      JSON.stringify({
        pairs,
        entries: r.entries.length,
        cold,
        coldCpu: (cpu.user + cpu.system) / 1000,
        warm,
      }),
    );
  } else {
    const weights = core.ENGINES[engine].searchWeights;
    outer: for (const row of core.MODEL_ROWS)
      for (const w of weights) {
        if (performance.now() - t0 > 10_000) break outer;
        pairs++;
        try {
          core.estimate({
            model: { id: row.id },
            engine,
            weights: w,
            contextLength: 4096,
            hardware: { gpu: GPU, count: 1 },
          });
        } catch {}
      }
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ pairs, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 }));
  }
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const child = (...args) => {
  const r = spawnSync(process.execPath, [self, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop());
};
for (const engine of ["llama.cpp", "ollama", "vllm"]) {
  const runs = [0, 1, 2].map(() => child("cli", engine));
  const walls = runs.map((r) => r.wall.toFixed(0)).join(", ");
  const cpus = runs.map((r) => r.cpu.toFixed(0)).join(", ");
  console.log(
    `memlens fits --gpu ${GPU} --engine ${engine} --json, fresh process ×3: wall ${walls} ms; CPU ${cpus} ms (target < 1000 ms wall)`,
  );
}
for (const engine of ["llama.cpp", "vllm"]) {
  const s = child("sweep", engine);
  const b = child("naive", engine);
  const naiveFull = (b.ms / b.pairs) * s.pairs;
  console.log(
    `${engine} on ${GPU}: ${s.pairs} pairs, ${s.entries} entries — cold ${s.cold.toFixed(0)} ms (${s.coldCpu.toFixed(0)} ms CPU), warm ${s.warm.toFixed(0)} ms; naive estimate() per pair ${(b.ms / b.pairs).toFixed(1)} ms → ${(naiveFull / 1000).toFixed(1)} s for the catalog; cold sweep ${(naiveFull / s.cold).toFixed(1)}× faster`,
  );
}
