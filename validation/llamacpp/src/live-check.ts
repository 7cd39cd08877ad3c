/**
 * Live drift check: re-measures two committed configurations with the installed node-llama-cpp /
 * llama.cpp and fails (exit 1) when any buffer llama.cpp reports differs from measured.jsonl.
 * RSS and timings are not compared (they vary run to run).
 * Usage: npm --prefix validation/llamacpp ci && npm --prefix validation/llamacpp run live-check
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { llamaBuildInfo } from "./llama-build.js";
import { buildMatrix } from "./matrix.js";
import { describeModelFile, makeRecord, runChild, settingsId } from "./run-matrix.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Small and fast, covering CPU_REPACK + FA off (llama) and the SWA cache pair + FA on (gemma3). */
export const LIVE_CHECK_IDS = [
  "Llama-3.2-1B-Instruct-L4-Q4_0/ctx2048-b512-fa0-kf16-vf16-s1-mmap1",
  "gemma-3-1b-it-L26-Q8_0/ctx4096-b512-fa1-kf16-vf16-s1-mmap1",
];

// biome-ignore lint/suspicious/noExplicitAny: records are plain JSON
type Rec = any;

/** The fields that must not drift: everything llama.cpp reports about its buffers. */
function comparable(r: Rec): Record<string, unknown> {
  const m = r.measured ?? {};
  return {
    ok: r.ok,
    error: r.error,
    cparams: m.cparams,
    modelBuffers: m.modelBuffers,
    outputBuffer: m.outputBuffer,
    kvBuffers: m.kvBuffers,
    kvCaches: m.kvCaches,
    iswaCells: m.iswaCells,
    rsBuffers: m.rsBuffers,
    recurrent: m.recurrent,
    computeBuffer: m.computeBuffer,
    graphNodes: m.graphNodes,
    graphSplits: m.graphSplits,
    exactModelBufferBytes: m.exact?.modelBufferBytes,
    exactModelTensorBytes: m.exact?.modelTensorBytes,
    exactContextBytes: m.exact?.contextBytes,
  };
}

function main(): void {
  const t0 = Date.now();
  const committed = new Map<string, Rec>();
  for (const line of readFileSync(join(pkgDir, "measured.jsonl"), "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line) as Rec;
    committed.set(r.id, r);
  }
  const plans = buildMatrix();
  const build = llamaBuildInfo();
  const ggufDir = "/tmp/memlens-gguf-live";
  const workDir = join(pkgDir, "out/live");
  mkdirSync(ggufDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  let drift = 0;
  for (const id of LIVE_CHECK_IDS) {
    const want = committed.get(id);
    const [planId, sid] = id.split("/");
    const plan = plans.find((p) => p.id === planId);
    const st = plan?.settings.find((x) => settingsId(x) === sid);
    if (want === undefined || plan === undefined || st === undefined) {
      console.error(`live-check: ${id} is not in measured.jsonl or in the matrix`);
      process.exit(1);
    }
    const { info, write } = describeModelFile(plan);
    const path = join(ggufDir, `${plan.id}.gguf`);
    const fileBytes = write(path);
    const tRun = Date.now();
    let got: Rec;
    try {
      const r = runChild({ modelPath: path, threads: want.settings.threads, ...st }, workDir, 120_000);
      got = makeRecord(plan, { ...info, fileBytes }, st, want.settings.threads, r, build, Date.now() - tRun);
    } finally {
      rmSync(path, { force: true });
    }
    const a = comparable(want);
    const b = comparable(got);
    // CPU_REPACK (and so the model buffers) depends on the CPU features the ggml-cpu variant uses;
    // on another CPU compare only what does not depend on them
    const sameCpu = want.llamaCpp.systemInfo === got.llamaCpp.systemInfo;
    if (!sameCpu) {
      console.log(
        `live-check: ${id}: different CPU features (committed: ${want.llamaCpp.systemInfo}; now: ${got.llamaCpp.systemInfo}); model buffers not compared`,
      );
      for (const k of ["modelBuffers", "exactModelBufferBytes"]) {
        delete a[k];
        delete b[k];
      }
    }
    const diffs = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    if (diffs.length === 0) {
      console.log(`live-check: ${id}: no drift (${((Date.now() - tRun) / 1000).toFixed(1)} s)`);
    } else {
      drift++;
      console.error(`live-check: ${id}: DRIFT in ${diffs.join(", ")}`);
      for (const k of diffs) {
        console.error(`  ${k}: committed ${JSON.stringify(a[k])}`);
        console.error(`  ${k}: now       ${JSON.stringify(b[k])}`);
      }
    }
    const wantBuild = `${want.llamaCpp.nodeLlamaCppVersion} / llama.cpp ${want.llamaCpp.llamaCppCommit}`;
    const gotBuild = `${build.nodeLlamaCppVersion} / llama.cpp ${build.llamaCppCommit}`;
    if (wantBuild !== gotBuild) console.log(`live-check: build changed: ${wantBuild} -> ${gotBuild}`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const passed = LIVE_CHECK_IDS.length - drift;
  console.log(`live-check: ${secs} s`);
  // plain closing line counted by CI
  console.log(`${passed} passed, ${drift} failed`);
  process.exit(drift === 0 ? 0 : 1);
}

main();
