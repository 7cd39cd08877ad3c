import {
  engineNames,
  FITS_DEFAULT_CONTEXT,
  FITS_RANKING,
  type FitsEntry,
  type FitsResult,
  formatBinaryBytes,
  formatCount,
  GPU_LIST,
  MemlensError,
  whatFits,
} from "@memlens/core";
import { intFlag, numberFlag, parseFlags } from "../args.js";
import { type CliIo, progressBar, styler } from "../io.js";

const HELP =
  () => `memlens fits: what runs on this GPU — every catalog model × weight format the engine loads,
with the largest context that fits, GPU layers when llama.cpp offloads only part of it, speed and quality cost

  memlens fits --gpu ID|auto [--gpus 1] [--engine ${engineNames().join("|")}] [--ctx ${FITS_DEFAULT_CONTEXT}]
               [--concurrency 1] [--min-decode TOK_PER_S] [--family NAME] [--host CPU-ID] [--json]

Ranking: ${FITS_RANKING}.
Grouped by family (the model name up to its size, e.g. Llama-3.1, Qwen3). --host names the catalog CPU
machine whose RAM holds the layers llama.cpp leaves off the GPU (default: the catalog's first).
`;

const FLAGS = {
  gpu: { type: "string" },
  gpus: { type: "string" },
  engine: { type: "string" },
  ctx: { type: "string" },
  concurrency: { type: "string" },
  "min-decode": { type: "string" },
  family: { type: "string" },
  host: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** `memlens fits ...`: argv after "fits" → exit code. */
export async function runFits(argv: readonly string[], io: CliIo): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.help) {
    io.stdout.write(HELP());
    return 0;
  }
  if (v.gpu === undefined || v.gpu.trim() === "")
    throw new MemlensError(
      "invalid-value",
      "--gpu is required: a catalog id (memlens gpus lists them) or auto",
      "--gpu",
      GPU_LIST.map((g) => g.id),
    );
  const engines = engineNames() as string[];
  if (v.engine !== undefined && !engines.includes(v.engine))
    throw new MemlensError(
      "invalid-value",
      `--engine "${v.engine}" is not an inference engine memlens models; allowed: ${engines.join(", ")}`,
      "--engine",
      engines,
    );
  const json = v.json === true;
  const bar = progressBar(io, "sweeping", json);
  let r: FitsResult;
  try {
    r = whatFits({
      gpu: v.gpu,
      gpuCount: intFlag(v.gpus, "--gpus", 1, 1024),
      engine: v.engine,
      contextLength: intFlag(v.ctx, "--ctx", 1, 1 << 24),
      concurrency: intFlag(v.concurrency, "--concurrency", 1, 1 << 20),
      minDecodeTokensPerSecond: numberFlag(v["min-decode"], "--min-decode", 0, 1e9),
      family: v.family,
      host: v.host,
      onProgress: bar.update,
    });
  } finally {
    bar.done();
  }
  io.stdout.write(json ? `${JSON.stringify(r, null, 2)}\n` : renderFits(r, io));
  return 0;
}

const num = (n: number) => n.toLocaleString("en-US");

/** The table: one block per family (families in the order of their best entry), entries ranked. */
export function renderFits(r: FitsResult, io: CliIo): string {
  const st = styler(io);
  const head = `${r.engine} on ${r.gpuCount > 1 ? `${r.gpuCount} × ` : ""}${r.gpu} · ${num(r.contextLength)} tokens × ${r.concurrency}${r.minDecodeTokensPerSecond > 0 ? ` · at least ${r.minDecodeTokensPerSecond} tok/s` : ""}`;
  const lines = [st.bold(head)];
  const families = new Map<string, FitsEntry[]>();
  for (const e of r.entries) {
    const list = families.get(e.family) ?? [];
    list.push(e);
    families.set(e.family, list);
  }
  const cols = `  ${"model".padEnd(40)}${"weights".padEnd(9)}${"params".padStart(8)}${"max ctx".padStart(10)}${"GPU layers".padStart(12)}${"decode".padStart(11)}${"prefill".padStart(11)}${"Δppl".padStart(8)}${"memory".padStart(11)}`;
  for (const [family, list] of families) {
    lines.push("", st.bold(family), st.dim(cols));
    for (const e of list) {
      const layers =
        e.gpuLayers === null
          ? "-"
          : e.gpuLayers === e.totalLayers
            ? "all"
            : `${e.gpuLayers}/${e.totalLayers}`;
      const row = `  ${e.model.slice(e.model.indexOf("/") + 1).padEnd(40)}${e.weights.padEnd(9)}${formatCount(e.parameters).padStart(8)}${(e.maxContext === null ? "-" : num(e.maxContext)).padStart(10)}${layers.padStart(12)}${`${e.decodeTokensPerSecond.toFixed(1)} t/s`.padStart(11)}${`${Math.round(e.prefillTokensPerSecond)} t/s`.padStart(11)}${(e.qualityCost === null ? "?" : e.qualityCost.toFixed(3)).padStart(8)}${formatBinaryBytes(e.bytes).padStart(11)}`;
      lines.push(
        e.fits && e.meetsSpeedFloor
          ? row
          : st.dim(`${row}  ${e.fits ? "below --min-decode" : `only to ${num(e.maxContext ?? 0)}`}`),
      );
    }
  }
  if (r.entries.length === 0) lines.push("", "Nothing runs on this hardware at this context.");
  lines.push(
    "",
    st.dim(
      `${r.entries.length} fit of ${r.evaluated} model × weights pairs; max ctx is the longest with every layer on the GPU (steps of ${r.granularity}); GPU layers is llama.cpp's n_gpu_layers at ${num(r.contextLength)}.`,
    ),
  );
  if (r.skipped.length > 0)
    lines.push(st.dim(`Not modelled for ${r.engine}: ${r.skipped.map((s) => s.model).join(", ")}.`));
  for (const n of r.notes) lines.push(st.dim(n));
  return `${lines.join("\n")}\n`;
}
