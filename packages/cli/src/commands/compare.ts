import { readFileSync, statSync } from "node:fs";
import { type Estimate, formatBinaryBytes, MemlensError } from "@memlens/core";
import { intFlag, parseFlags } from "../args.js";
import {
  commonInputError,
  compareEngines,
  type EnginesReport,
  fullestDevice,
  isEngineError,
  parseEngineList,
} from "../compare/engines.js";
import { type CompareReport, compareLog } from "../compare/index.js";
import { type CliIo, readStdin, styler } from "../io.js";
import { SCENARIO_FLAGS, scenarioFromArgs } from "./estimate.js";
import { resolveModelFlag, resolveScenarioModel } from "./model-ref.js";

const HELP = `memlens compare: an engine's start-up log next to memlens' estimate, line by line, or one
scenario under several engines side by side

  memlens compare LOGFILE|- [--model ID|FILE] [--weights Q4_K_M] [--ctx N] [--batch N] [--ubatch N]
                  [--fa on|off] [--ngl N] [--override-tensor REGEX=CPU ...] [--ts 3,1] [--gpus N]
                  [--engine llama.cpp] [--json]

Reads llama.cpp / llama-server / ik_llama.cpp / ollama logs (model, KV, compute and output buffer
lines). The scenario is rebuilt from the log; flags fill in what the log does not say.

  memlens compare --engines llama.cpp,vllm,sglang,transformers --model ID|CONFIG.json|FILE.gguf
                  [--gpu RTX-4090] [--gpus N] [--tp N] [--weights W] [--kv-cache K] [--ctx N]
                  [--batch N] [--scenario FILE|-] [--json]

Estimates the same scenario under each engine (only the engine changes) and prints weights, KV
cache, activations, overhead and total per GPU, fit, max context and concurrency, KV bytes per
token and decode speed, then why they differ. An engine that cannot run the scenario (a weight
format or KV dtype it does not load) shows its error. --json prints
{scenario, engines: {name: estimate | {error}}, differences}.
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

export async function runCompare(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.some((a) => a === "--engines" || a.startsWith("--engines="))) return runCompareEngines(argv, io);
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
    ...(v.model ? { modelSpec: (await resolveModelFlag(v.model, io)).spec, modelSource: v.model } : {}),
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

const ENGINES_FLAGS = { ...SCENARIO_FLAGS, engines: { type: "string" } } as const;

/** `memlens compare --engines a,b,...`: the scenario flags of `memlens estimate`, once per engine. */
async function runCompareEngines(argv: readonly string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, ENGINES_FLAGS, true);
  if (v.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new MemlensError(
      "invalid-value",
      `compare --engines reads no LOGFILE (got "${positionals[0]}"); drop it, or drop --engines to compare a log`,
      "log",
    );
  if (v.engine !== undefined)
    throw new MemlensError(
      "invalid-value",
      "--engine and --engines: give one; --engines takes a comma-separated list of engines",
      "--engine",
    );
  const engines = parseEngineList(v.engines);
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--engines") i++;
    else if (!a.startsWith("--engines=")) rest.push(a);
  }
  const { scenario, json } = await scenarioFromArgs(rest, io);
  const spec = await resolveScenarioModel(scenario, io);
  const report = compareEngines(scenario, engines, spec);
  const common = commonInputError(report);
  if (common) throw common;
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderEngines(report, io));
  // Every engine rejected the scenario: nothing was estimated.
  return Object.values(report.engines).every(isEngineError) ? 2 : 0;
}

/** Word-wraps `text` to `width` columns after `prefix`; continuation lines are indented to `indent`. */
function wrap(prefix: string, text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = prefix;
  // Keep a number and its unit on one line.
  const words = text
    .replace(/(\d) (B|KiB|MiB|GiB|TiB|tok\/s|tokens)(?=[\s,.;:)]|$)/g, "$1\u00a0$2")
    .split(" ");
  for (const w of words) {
    if (line.trim() !== "" && line.length + 1 + w.length > width) {
      lines.push(line);
      line = " ".repeat(indent) + w;
    } else line = line.length === 0 || line.endsWith(" ") ? line + w : `${line} ${w}`;
  }
  lines.push(line);
  return lines.join("\n").replaceAll("\u00a0", " ");
}

/** The side-by-side table, then why the columns differ. */
export function renderEngines(r: EnginesReport, io: CliIo): string {
  const st = styler(io);
  // biome-ignore lint/suspicious/noExplicitAny: the echoed scenario is plain JSON
  const s = r.scenario as Record<string, any>;
  const hw = s.hardware as Record<string, unknown>;
  const count = Number(hw.count ?? 1);
  const hwName =
    typeof hw.gpu === "string"
      ? `${count} × ${hw.gpu}`
      : `${count} × ${formatBinaryBytes(Number(hw.memoryBytes))}`;
  const modelName = Object.values(r.engines).find((o) => !isEngineError(o)) as
    | { model: { name: string } }
    | undefined;
  const ctx = Number(s.contextLength);
  const lines = [
    st.bold(
      `${modelName?.model.name ?? JSON.stringify(s.model)} under ${Object.keys(r.engines).length} engines`,
    ),
    `weights ${s.weights ?? "as published"} · KV ${s.kvCache} · ${ctx.toLocaleString("en-US")} tokens × ${s.batch} · ${hwName}${count > 1 ? " (per GPU: the fullest GPU)" : ""}`,
    "",
  ];
  const names = Object.keys(r.engines);
  const outcomes = names.map((n) => r.engines[n as keyof typeof r.engines]!);
  const labelWidth = 22;
  type Cell = { text: string; color?: (x: string) => string };
  const rows: [string, (e: Estimate) => Cell][] = [
    ["weights · KV dtype", (e) => ({ text: `${e.scenario.weights} · ${e.scenario.kvCache}` })],
    ["weights", (e) => ({ text: formatBinaryBytes(fullestDevice(e).bytes.weights, 2) })],
    ["KV cache", (e) => ({ text: formatBinaryBytes(fullestDevice(e).bytes.kvCache, 2) })],
    ["activations", (e) => ({ text: formatBinaryBytes(fullestDevice(e).bytes.activations, 2) })],
    ["overhead", (e) => ({ text: formatBinaryBytes(fullestDevice(e).bytes.overhead, 2) })],
    ["total per GPU", (e) => ({ text: formatBinaryBytes(fullestDevice(e).bytes.total, 2) })],
    ["capacity", (e) => ({ text: formatBinaryBytes(fullestDevice(e).capacityBytes, 2) })],
    ["fits", (e) => (e.fits ? { text: "yes", color: st.green } : { text: "NO", color: st.red })],
    [
      `max context @ batch ${s.batch}`,
      (e) => ({ text: e.maxContextLength === null ? "none" : e.maxContextLength.toLocaleString("en-US") }),
    ],
    [
      `max seqs @ ${ctx.toLocaleString("en-US")}`,
      (e) => ({ text: e.maxConcurrentSequences.toLocaleString("en-US") }),
    ],
    ["KV bytes / token", (e) => ({ text: e.kvBytesPerToken.toLocaleString("en-US") })],
    [
      "decode tok/s",
      (e) => ({
        text:
          e.performance.decodeTokensPerSecond > 0
            ? Math.round(e.performance.decodeTokensPerSecond).toLocaleString("en-US")
            : "—",
      }),
    ],
  ];
  const table = rows.map(([label, f]) => ({
    label,
    cells: outcomes.map(
      (o): Cell =>
        !isEngineError(o)
          ? f(o)
          : label === "fits"
            ? { text: "error", color: st.red }
            : label === "weights · KV dtype"
              ? { text: o.error.code, color: st.red }
              : { text: "—" },
    ),
  }));
  const width =
    Math.max(...names.map((n) => n.length), ...table.flatMap((t) => t.cells.map((c) => c.text.length))) + 2;
  lines.push(`${"".padEnd(labelWidth)}${names.map((n) => st.bold(n.padStart(width))).join("")}`);
  for (const { label, cells } of table)
    lines.push(
      `${label.padEnd(labelWidth)}${cells.map((c) => (c.color ? c.color(c.text.padStart(width)) : c.text.padStart(width))).join("")}`,
    );
  if (r.differences.length > 0) {
    lines.push("", st.bold("Why they differ"));
    for (const d of r.differences) {
      lines.push(wrap(`- ${d.topic}: `, d.summary, 100, 4));
      const entries = Object.entries(d.byEngine);
      const nameWidth = Math.max(...entries.map(([n]) => n.length)) + 2;
      for (const [n, text] of entries)
        lines.push(wrap(`    ${n.padEnd(nameWidth)}`, text, 100, 4 + nameWidth));
    }
  }
  return `${lines.join("\n")}\n`;
}
