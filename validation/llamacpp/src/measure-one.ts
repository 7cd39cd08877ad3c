/**
 * Child process: loads one GGUF file with node-llama-cpp's prebuilt CPU llama.cpp, creates one
 * context, and writes what llama.cpp reported (every log line, parsed buffers, exact byte counts
 * from memory_breakdown, /proc/self/status) as JSON to the path in argv[3].
 * Usage: node dist/src/measure-one.js <job.json> <result.json>
 */
import { readFileSync, writeFileSync } from "node:fs";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { GGML_TYPES } from "./ggml-types.js";
import { parseLlamaLog } from "./parse-log.js";

export interface MeasureJob {
  readonly modelPath: string;
  readonly nCtx: number;
  readonly nBatch: number;
  readonly flashAttn: boolean;
  readonly typeK: string;
  readonly typeV: string;
  readonly nSeqMax: number;
  readonly mmap: boolean;
  readonly threads: number;
  readonly swaFull: boolean;
}

interface LogLine {
  readonly level: string;
  readonly text: string;
  readonly phase: string;
}

function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync("/proc/self/status", "utf8").split("\n")) {
    const m = /^(VmRSS|RssAnon|RssFile|VmHWM|VmSize|VmPeak):\s+(\d+) kB/.exec(line);
    if (m) out[`${m[1]}Bytes`] = Number(m[2]) * 1024;
  }
  return out;
}

async function main(): Promise<void> {
  const [jobPath, resultPath] = process.argv.slice(2);
  if (jobPath === undefined || resultPath === undefined)
    throw new Error("usage: measure-one <job.json> <result.json>");
  const job = JSON.parse(readFileSync(jobPath, "utf8")) as MeasureJob;
  const lines: LogLine[] = [];
  let phase = "init";
  let lastLogAt = Date.now();
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const llama = await getLlama({
    gpu: false,
    build: "never",
    usePrebuiltBinaries: true,
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.info,
    maxThreads: job.threads,
    logger(level, message) {
      lastLogAt = Date.now();
      for (const text of message.split("\n")) {
        if (text.trim() !== "") lines.push({ level: String(level), text: text.replace(/\s+$/, ""), phase });
      }
    },
  });
  // pitfall 2 of the feasibility study: llama.cpp logs arrive asynchronously; wait for quiet
  const drainLogs = async (quietMs = 150, maxMs = 5000): Promise<void> => {
    const start = Date.now();
    while (Date.now() - lastLogAt < quietMs && Date.now() - start < maxMs) {
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  // cross-check our type table against ggml's type_traits in the running binary
  // biome-ignore lint/suspicious/noExplicitAny: internal binding used only for this check
  const bindings = (llama as any)._bindings;
  const typeTableMismatches: string[] = [];
  for (const t of Object.values(GGML_TYPES)) {
    const blck = bindings.getBlockSizeForGgmlType(t.id) as number | undefined;
    const size = bindings.getTypeSizeForGgmlType(t.id) as number | undefined;
    if (blck !== t.blockSize || size !== t.typeSizeBytes) {
      typeTableMismatches.push(
        `${t.name}: ggml says ${blck}/${size}, table says ${t.blockSize}/${t.typeSizeBytes}`,
      );
    }
  }
  await drainLogs();
  const statusBefore = procStatus();
  phase = "load";
  const tLoad = Date.now();
  let model: Awaited<ReturnType<typeof llama.loadModel>>;
  try {
    model = await llama.loadModel({
      modelPath: job.modelPath,
      gpuLayers: 0,
      useMmap: job.mmap,
      useDirectIo: false,
      ignoreMemorySafetyChecks: true,
    });
  } catch (err) {
    await drainLogs();
    const loadError = err instanceof Error ? err.message : String(err);
    writeFileSync(
      resultPath,
      JSON.stringify({
        ok: false,
        loadError,
        contextError: null,
        typeTableMismatches,
        parsed: parseLlamaLog(lines.map((l) => l.text)),
        log: lines.map((l) => `[${l.level}] ${l.text}`),
      }),
    );
    await llama.dispose();
    return;
  }
  timings["loadMs"] = Date.now() - tLoad;
  await drainLogs();
  const statusAfterLoad = procStatus();
  // biome-ignore lint/suspicious/noExplicitAny: exact byte counts are only on the internal addon object
  const addonModel = (model as any)._model;
  const modelBreakdown = addonModel.getMemoryBreakdown() as { cpuRam: number; gpuVram: number };
  const modelSizeBytes = addonModel.getModelSize() as number;
  const modelTotalParams = addonModel.getTotalParameters() as number;
  phase = "context";
  const tCtx = Date.now();
  let contextError: string | null = null;
  let contextBreakdown: { cpuRam: number; gpuVram: number } | null = null;
  let statusAfterContext: Record<string, number> | null = null;
  try {
    const context = await model.createContext({
      contextSize: job.nCtx,
      batchSize: job.nBatch,
      sequences: job.nSeqMax,
      flashAttention: job.flashAttn,
      threads: job.threads,
      swaFullCache: job.swaFull,
      // biome-ignore lint/suspicious/noExplicitAny: type names are checked by llama.cpp
      experimentalKvCacheKeyType: job.typeK.toUpperCase() as any,
      // biome-ignore lint/suspicious/noExplicitAny: type names are checked by llama.cpp
      experimentalKvCacheValueType: job.typeV.toUpperCase() as any,
      failedCreationRemedy: false,
      ignoreMemorySafetyChecks: true,
    });
    timings["contextMs"] = Date.now() - tCtx;
    await drainLogs();
    statusAfterContext = procStatus();
    // biome-ignore lint/suspicious/noExplicitAny: exact byte counts are only on the internal addon object
    contextBreakdown = (context as any)._ctx.getMemoryBreakdown();
    await context.dispose();
  } catch (err) {
    contextError = err instanceof Error ? err.message : String(err);
    await drainLogs();
  }
  await model.dispose();
  await drainLogs(100, 1000);
  const result = {
    ok: contextError === null,
    contextError,
    typeTableMismatches,
    llamaCpp: {
      release: llama.llamaCppRelease.release,
      repo: llama.llamaCppRelease.repo,
      buildType: llama.buildType,
      systemInfo: llama.systemInfo,
      cpuMathCores: llama.cpuMathCores,
    },
    exact: {
      modelBufferBytes: modelBreakdown.cpuRam,
      modelTensorBytes: modelSizeBytes,
      modelParams: modelTotalParams,
      contextBytes: contextBreakdown?.cpuRam ?? null,
    },
    parsed: parseLlamaLog(lines.map((l) => l.text)),
    rss: { beforeLoad: statusBefore, afterLoad: statusAfterLoad, afterContext: statusAfterContext },
    timings: { ...timings, totalMs: Date.now() - t0 },
    log: lines.map((l) => `[${l.level}] ${l.text}`),
  };
  writeFileSync(resultPath, JSON.stringify(result));
  await llama.dispose();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
