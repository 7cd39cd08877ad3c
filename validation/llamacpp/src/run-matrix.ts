/**
 * Regenerates measured.jsonl (one JSON record per measured configuration) and model-files.jsonl
 * (one line per synthetic GGUF file: shape, weight policy, full tensor list).
 * Each configuration runs in a fresh child process, one at a time.
 * Flags: --only <substring of model id>  --out-dir <dir> (default: package dir)
 *        --gguf-dir <dir> (default /tmp/memlens-gguf)  --threads <n> (default: llama.cpuMathCores via 0 -> 2)
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeGgufSparse } from "./gguf-writer.js";
import { type LlamaBuildInfo, llamaBuildInfo } from "./llama-build.js";
import { buildMatrix, type ModelPlan, type Settings } from "./matrix.js";
import type { MeasureJob } from "./measure-one.js";
import { buildModelFile, policyName } from "./model-file.js";
import { type Shape, shapeFromHfConfig } from "./shapes.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "../..");

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function settingsId(st: Settings): string {
  return (
    `ctx${st.nCtx}-b${st.nBatch}-fa${st.flashAttn ? 1 : 0}-k${st.typeK}-v${st.typeV}-s${st.nSeqMax}` +
    `-mmap${st.mmap ? 1 : 0}${st.swaFull ? "-swafull" : ""}`
  );
}

// biome-ignore lint/suspicious/noExplicitAny: child result is plain JSON
type ChildResult = any;

export interface ModelFileInfo {
  readonly id: string;
  readonly shape: Shape;
  readonly policy: string;
  readonly fileType: number;
  readonly typeCounts: Record<string, number>;
  readonly tensorBytes: number;
  readonly fileBytes: number;
  readonly tensors: Array<[string, string, number[]]>;
}

export function describeModelFile(p: ModelPlan): { info: ModelFileInfo; write: (path: string) => number } {
  const shape = shapeFromHfConfig(p.hfId, p.arch, p.nLayer);
  const spec = buildModelFile(shape, p.policy);
  const fileTypeKv = spec.file.metadata.find(([k]) => k === "general.file_type")?.[1];
  const info: ModelFileInfo = {
    id: p.id,
    shape,
    policy: policyName(p.policy),
    fileType: fileTypeKv?.kind === "u32" ? fileTypeKv.value : -1,
    typeCounts: spec.typeCounts,
    tensorBytes: spec.tensorBytesTotal,
    fileBytes: 0,
    tensors: spec.tensors.map((t) => [t.name, t.type.name, [...t.ne]]),
  };
  return {
    info,
    write: (path: string) => writeGgufSparse(path, spec.file).fileBytes,
  };
}

/** Runs one configuration in a fresh child process and returns its raw result (or a failure). */
export function runChild(job: MeasureJob, workDir: string, timeoutMs: number): ChildResult {
  const jobPath = join(workDir, "job.json");
  const resPath = join(workDir, "result.json");
  rmSync(resPath, { force: true });
  writeFileSync(jobPath, JSON.stringify(job));
  const child = spawnSync(process.execPath, [join(pkgDir, "dist/src/measure-one.js"), jobPath, resPath], {
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  try {
    return JSON.parse(readFileSync(resPath, "utf8"));
  } catch {
    const tail = `${child.stdout ?? ""}\n${child.stderr ?? ""}`.split("\n").filter(Boolean).slice(-40);
    return {
      ok: false,
      contextError: null,
      childFailure: {
        exitCode: child.status,
        signal: child.signal,
        error: child.error?.message ?? null,
        outputTail: tail,
      },
    };
  }
}

/** llama.cpp's own [error] lines, without the log prefix (they name the reason). */
export function errorLines(log: readonly string[]): string[] {
  return log.filter((l) => l.startsWith("[error] ")).map((l) => l.slice("[error] ".length));
}

function mib(x: { bytes: number; printed: string } | undefined): { bytes: number; printed: string } | null {
  return x === undefined ? null : { bytes: x.bytes, printed: x.printed };
}

export function makeRecord(
  p: ModelPlan,
  info: ModelFileInfo,
  st: Settings,
  threads: number,
  r: ChildResult,
  build: LlamaBuildInfo,
  wallMs: number,
): Record<string, unknown> {
  const parsed = r.parsed ?? null;
  const computeLast = new Map<string, { bytes: number; printed: string }>();
  for (const c of parsed?.computeBuffers ?? [])
    computeLast.set(c.buffer, { bytes: c.bytes, printed: c.printed });
  const lastGraph = parsed?.graphs?.[parsed.graphs.length - 1];
  const loadError =
    r.loadError !== undefined
      ? `load failed: ${r.loadError}; ${(parsed?.errors ?? []).join(" | ")}`
      : r.childFailure !== undefined
        ? `child process failed (exit ${r.childFailure.exitCode}, signal ${r.childFailure.signal}): ${r.childFailure.outputTail.slice(-3).join(" | ")}`
        : null;
  return {
    id: `${p.id}/${settingsId(st)}`,
    arch: p.arch,
    source: p.hfId,
    modelFile: {
      id: info.id,
      policy: info.policy,
      fileType: info.fileType,
      typeCounts: info.typeCounts,
      tensorBytes: info.tensorBytes,
      fileBytes: info.fileBytes,
    },
    shape: info.shape,
    settings: {
      nCtx: st.nCtx,
      nBatch: st.nBatch,
      nUbatch: st.nBatch,
      flashAttn: st.flashAttn,
      typeK: st.typeK,
      typeV: st.typeV,
      nSeqMax: st.nSeqMax,
      mmap: st.mmap,
      swaFull: st.swaFull,
      threads,
      kvUnified: false,
    },
    ok: r.ok === true,
    error:
      r.ok === true
        ? null
        : r.contextError !== null && r.contextError !== undefined
          ? [r.contextError, ...new Set<string>(errorLines(r.log ?? []))].join(" | ")
          : (loadError ?? "unknown failure"),
    failedAt:
      r.ok === true ? null : r.loadError !== undefined || r.childFailure !== undefined ? "load" : "context",
    measured:
      parsed === null
        ? null
        : {
            cparams: parsed.cparams,
            flashAttnResolved: parsed.flashAttnResolved,
            modelBuffers: parsed.modelBuffers.map(
              (b: { buffer: string; bytes: number; printed: string }) => ({
                buffer: b.buffer,
                bytes: b.bytes,
                printed: b.printed,
              }),
            ),
            outputBuffer: mib(parsed.outputBuffers[parsed.outputBuffers.length - 1]),
            kvBuffers: parsed.kvBuffers.map((b: { buffer: string; bytes: number; printed: string }) => ({
              buffer: b.buffer,
              bytes: b.bytes,
              printed: b.printed,
            })),
            kvCaches: parsed.kvCaches,
            iswaCells: parsed.iswaCells,
            rsBuffers: parsed.rsBuffers,
            recurrent: parsed.recurrent,
            computeBuffer: mib(computeLast.get("CPU")),
            computeBuffers: parsed.computeBuffers,
            graphNodes: lastGraph?.nodes ?? null,
            graphSplits: lastGraph?.splits ?? null,
            fileType: parsed.fileType,
            fileSize: parsed.fileSize,
            modelParams: parsed.modelParams,
            exact: r.exact,
            rss: r.rss,
          },
    llamaCpp: {
      ...build,
      systemInfo: r.llamaCpp?.systemInfo ?? null,
      buildType: r.llamaCpp?.buildType ?? null,
    },
    typeTableMismatches: r.typeTableMismatches ?? null,
    wallMs,
    timings: r.timings ?? null,
    log: (r.log ?? r.childFailure?.outputTail ?? []).filter(
      (l: string) => !/llama_model_loader: - kv /.test(l),
    ),
  };
}

async function main(): Promise<void> {
  const only = arg("--only");
  const outDir = arg("--out-dir") ?? pkgDir;
  const ggufDir = arg("--gguf-dir") ?? "/tmp/memlens-gguf";
  const threads = Number(arg("--threads") ?? Math.min(2, cpus().length));
  mkdirSync(ggufDir, { recursive: true });
  const workDir = join(pkgDir, "out");
  mkdirSync(workDir, { recursive: true });
  const partial = join(workDir, "measured.partial.jsonl");
  const partialFiles = join(workDir, "model-files.partial.jsonl");
  writeFileSync(partial, "");
  writeFileSync(partialFiles, "");
  const build = llamaBuildInfo();
  const plans = buildMatrix().filter((p) => only === undefined || p.id.includes(only));
  const total = plans.reduce((n, p) => n + p.settings.length, 0);
  console.log(`measuring ${total} configurations over ${plans.length} model files (threads=${threads})`);
  const t0 = Date.now();
  let done = 0;
  let failed = 0;
  for (const p of plans) {
    const { info, write } = describeModelFile(p);
    const path = join(ggufDir, `${p.id}.gguf`);
    const fileBytes = write(path);
    const fileInfo = { ...info, fileBytes };
    appendFileSync(partialFiles, `${JSON.stringify(fileInfo)}\n`);
    try {
      for (const st of p.settings) {
        const job: MeasureJob = { modelPath: path, threads, ...st };
        const tRun = Date.now();
        const r = runChild(job, workDir, 240_000);
        const rec = makeRecord(p, fileInfo, st, threads, r, build, Date.now() - tRun);
        appendFileSync(partial, `${JSON.stringify(rec)}\n`);
        done++;
        if (!rec.ok) failed++;
        const el = ((Date.now() - t0) / 1000).toFixed(0);
        console.log(
          `[${done}/${total} ${el}s] ${rec.id} ${rec.ok ? "ok" : `FAILED: ${String(rec.error).slice(0, 160)}`}`,
        );
      }
    } finally {
      rmSync(path, { force: true });
    }
  }
  const sortById = (file: string): string =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .sort((a, b) => {
        const ia = (JSON.parse(a) as { id: string }).id;
        const ib = (JSON.parse(b) as { id: string }).id;
        return ia < ib ? -1 : ia > ib ? 1 : 0;
      })
      .join("\n")
      .concat("\n");
  if (only === undefined) {
    writeFileSync(join(workDir, "measured.sorted.jsonl"), sortById(partial));
    renameSync(join(workDir, "measured.sorted.jsonl"), join(outDir, "measured.jsonl"));
    writeFileSync(join(workDir, "model-files.sorted.jsonl"), sortById(partialFiles));
    renameSync(join(workDir, "model-files.sorted.jsonl"), join(outDir, "model-files.jsonl"));
  }
  console.log(
    `done: ${done} configurations, ${failed} failed, ${((Date.now() - t0) / 1000).toFixed(0)} s` +
      (only === undefined ? `; wrote ${join(outDir, "measured.jsonl")}` : `; partial results in ${partial}`),
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
