import { readFileSync, statSync } from "node:fs";
import {
  catalogModelSpec,
  formatBinaryBytes,
  MemlensError,
  type ModelSpec,
  modelSpecFromHfConfig,
} from "@memlens/core";
import { intFlag, parseFlags } from "../args.js";
import { type CompareReport, compareLog } from "../compare/index.js";
import { modelSpecFromSafetensors, readGgufFile, readSafetensorsFiles } from "../files/model-files.js";
import { type CliIo, readJsonFile, readStdin, styler } from "../io.js";

const HELP = `memlens compare: an engine's start-up log next to memlens' estimate, line by line

  memlens compare LOGFILE|- [--model ID|FILE] [--weights Q4_K_M] [--ctx N] [--batch N] [--ubatch N]
                  [--fa on|off] [--ngl N] [--override-tensor REGEX=CPU ...] [--ts 3,1] [--gpus N]
                  [--engine llama.cpp] [--json]

Reads llama.cpp / llama-server / ik_llama.cpp / ollama logs (model, KV, compute and output buffer
lines). The scenario is rebuilt from the log; flags fill in what the log does not say.
`;

const FLAGS = {
  model: { type: "string" },
  weights: { type: "string" },
  ctx: { type: "string" },
  batch: { type: "string" },
  ubatch: { type: "string" },
  fa: { type: "string" },
  ngl: { type: "string" },
  "override-tensor": { type: "string", multiple: true },
  ts: { type: "string" },
  gpus: { type: "string" },
  engine: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Largest log memlens reads. */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

function modelSpecOf(m: string): ModelSpec {
  if (m.endsWith(".gguf")) return readGgufFile(m, "--model").spec;
  if (m.endsWith(".safetensors") || m.endsWith(".index.json"))
    return modelSpecFromSafetensors(readSafetensorsFiles(m, "--model"));
  if (m.endsWith(".json")) return modelSpecFromHfConfig(readJsonFile(m, "--model"), m);
  return catalogModelSpec(m);
}

export async function runCompare(argv: readonly string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, FLAGS, true);
  if (v.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path)
    throw new MemlensError("missing-field", "compare: give a LOGFILE (or - for standard input)", "log");
  let text: string;
  if (path === "-") text = await readStdin(io, "log");
  else {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new MemlensError("invalid-value", `log: cannot read "${path}" (no such file)`, "log");
    }
    if (size > MAX_LOG_BYTES)
      throw new MemlensError(
        "malformed-file",
        `log: "${path}" is ${size} bytes; memlens reads at most ${MAX_LOG_BYTES}`,
        "log",
      );
    text = readFileSync(path, "utf8");
  }
  const lines = text.split(/\r?\n/);
  const overrides: Record<string, unknown> = {};
  const engineOptions: Record<string, unknown> = {};
  if (v.weights) overrides.weights = v.weights;
  const ctx = intFlag(v.ctx, "--ctx", 1, 2 ** 31);
  if (ctx !== undefined) overrides.contextLength = ctx;
  const batch = intFlag(v.batch, "--batch", 1, 256);
  if (batch !== undefined) overrides.batch = batch;
  const ub = intFlag(v.ubatch, "--ubatch", 1, 1 << 20);
  if (ub !== undefined) engineOptions.nUbatch = ub;
  const ngl = intFlag(v.ngl, "--ngl", 0, 100000);
  if (ngl !== undefined) engineOptions.gpuLayers = ngl;
  const gpus = intFlag(v.gpus, "--gpus", 0, 64);
  if (gpus !== undefined) overrides.gpuCount = gpus;
  if (v.fa !== undefined) {
    if (!/^(on|off|true|false|1|0)$/.test(v.fa))
      throw new MemlensError("invalid-value", `--fa must be on or off, got "${v.fa}"`, "--fa", ["on", "off"]);
    engineOptions.flashAttention = /^(on|true|1)$/.test(v.fa);
  }
  const ot = v["override-tensor"] as unknown as string[] | undefined;
  if (ot) engineOptions.overrideTensors = ot.flatMap((x) => x.split(","));
  if (v.ts) {
    const ts = v.ts.split(/[,/]/).map(Number);
    if (!ts.every((x) => Number.isFinite(x) && x >= 0))
      throw new MemlensError(
        "invalid-value",
        `--ts must be comma-separated proportions, got "${v.ts}"`,
        "--ts",
      );
    engineOptions.tensorSplit = ts;
  }
  overrides.engineOptions = engineOptions;
  const report = compareLog(lines, {
    ...(v.model ? { modelSpec: modelSpecOf(v.model), modelSource: v.model } : {}),
    overrides,
    ...(v.engine ? { engine: v.engine } : {}),
  });
  io.stdout.write(v.json ? `${JSON.stringify(report, null, 2)}\n` : renderCompare(report, io));
  return 0;
}

export function renderCompare(r: CompareReport, io: CliIo): string {
  const st = styler(io);
  const s = r.scenario as Record<string, unknown>;
  const lines = [
    st.bold(`${r.engine} log · ${r.model.name} (${r.model.source})`),
    `rebuilt: ${s.weights ?? "?"} · KV ${s.kvCache} · ${Number(s.contextLength).toLocaleString("en-US")} tokens × ${s.batch} · ${s.gpus} GPU${s.gpus === 1 ? "" : "s"}`,
    "",
    `${"quantity".padEnd(34)}${"measured".padStart(14)}${"memlens".padStart(14)}${"error".padStart(9)}`,
  ];
  for (const x of r.rows) {
    const err = x.error === null ? "—" : `${x.error >= 0 ? "+" : ""}${(x.error * 100).toFixed(2)}%`;
    const bad = x.error !== null && Math.abs(x.error) > 0.05;
    lines.push(
      `${x.quantity.slice(0, 33).padEnd(34)}${formatBinaryBytes(x.measuredBytes, 2).padStart(14)}${(x.estimatedBytes === null ? "—" : formatBinaryBytes(x.estimatedBytes, 2)).padStart(14)}${(bad ? st.red(err) : err).padStart(bad ? 9 + st.red("").length : 9)}`,
    );
  }
  if (r.assumptions.length) {
    lines.push("", "Assumed:");
    for (const a of r.assumptions) lines.push(`  - ${a}`);
  }
  return `${lines.join("\n")}\n`;
}
