import {
  type Estimate,
  estimate,
  findOllamaTag,
  formatBinaryBytes,
  formatCount,
  formatRate,
  formatSeconds,
  looksLikeOllamaTag,
  MemlensError,
  type SpeculativeOptions,
} from "@memlens/core";
import { intFlag, numberFlag, parseFlags } from "../args.js";
import { type CliIo, parseJsonText, readJsonFile, readStdin, styler } from "../io.js";
import { modelFieldOf, resolveModelFlag, resolveScenarioModel } from "./model-ref.js";

const HELP = `memlens estimate: memory per GPU, whether it fits, max context and concurrency, and speed

  memlens estimate --scenario FILE|- [--json]
  memlens estimate --model ID|CONFIG.json|FILE.gguf|org/name[:QUANT] [--engine transformers] [--weights bf16|fp8|gptq|nf4|Q4_K_M...]
                   [--kv-cache auto|fp16|fp8|q8_0] [--ctx 8192] [--batch 1] [--gpu H100-SXM-80GB]
                   [--gpus 1] [--tp 1] [--pp 1] [--json]
                   [--speculative draft:ID|eagle|mtp|ngram --num-speculative-tokens K --acceptance-rate A]

--speculative adds "speculative" to the answer: expected tokens per step (1-A^(K+1))/(1-A)
(Leviathan et al. 2023), the verify and draft time per step, decode tokens/s with speculation, and
the drafter's weights and KV per token per GPU.

Flags override the same fields of --scenario. The scenario format is docs SCENARIO.md.
A Hub id (org/name, org/name@rev, org/name-GGUF:Q4_K_M) is read from the Hugging Face Hub and cached:
HF_ENDPOINT, HF_TOKEN or --hf-token, --offline or HF_HUB_OFFLINE=1, MEMLENS_CACHE_DIR.
`;

/** Where the scenario and its model come from (shared with `memlens train-fit`). */
export const SOURCE_FLAGS = {
  scenario: { type: "string" },
  model: { type: "string" },
  engine: { type: "string" },
} as const;

/** The GPUs, applied by `hardwareWithFlags` (shared with `memlens train-fit`). */
export const HARDWARE_FLAGS = {
  gpu: { type: "string" },
  gpus: { type: "string" },
  "memory-bytes": { type: "string" },
} as const;

export const OUTPUT_FLAGS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The flags that build a scenario (shared with `memlens compare --engines`). */
export const SCENARIO_FLAGS = {
  ...SOURCE_FLAGS,
  task: { type: "string" },
  weights: { type: "string" },
  "kv-cache": { type: "string" },
  ctx: { type: "string" },
  batch: { type: "string" },
  ...HARDWARE_FLAGS,
  tp: { type: "string" },
  pp: { type: "string" },
  attention: { type: "string" },
  ...OUTPUT_FLAGS,
} as const;

/** The JSON object --scenario names (a file, or - for standard input), copied; {} without --scenario. */
export async function readScenarioFlag(
  path: string | undefined,
  io: CliIo,
): Promise<Record<string, unknown>> {
  if (path === undefined) return {};
  const raw =
    path === "-"
      ? parseJsonText(await readStdin(io, "--scenario"), "--scenario", "standard input")
      : readJsonFile(path, "--scenario");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new MemlensError("invalid-value", "--scenario must hold a JSON object", "--scenario");
  return { ...(raw as Record<string, unknown>) };
}

/** The scenario's hardware with --gpu, --memory-bytes and --gpus applied (a GPU name and a memory size replace each other). */
export function hardwareWithFlags(
  hardware: unknown,
  flags: { gpu: string | undefined; memoryBytes: number | undefined; count: number | undefined },
): Record<string, unknown> {
  const hw = { ...((hardware as Record<string, unknown> | undefined) ?? {}) };
  if (flags.gpu !== undefined) {
    hw.gpu = flags.gpu;
    delete hw.memoryBytes;
  }
  if (flags.memoryBytes !== undefined) {
    hw.memoryBytes = flags.memoryBytes;
    delete hw.gpu;
  }
  if (flags.count !== undefined) hw.count = flags.count;
  return hw;
}

/** Builds the scenario object from --scenario and flags (flags win). */
export async function scenarioFromArgs(
  argv: readonly string[],
  io: CliIo,
): Promise<{ scenario: Record<string, unknown>; json: boolean; help: boolean }> {
  const { values: v } = parseFlags(argv, SCENARIO_FLAGS);
  const s = await readScenarioFlag(v.scenario, io);
  if (v.model !== undefined) {
    const m = v.model;
    const field = modelFieldOf(m);
    const ollama = "id" in field && looksLikeOllamaTag(m) ? findOllamaTag(m, "--model") : undefined;
    if (ollama) {
      // an ollama tag: its catalog model, at the tag's GGUF quantization, on ollama (flags below override)
      s.weights ??= ollama.weights;
      s.engine ??= "ollama";
    }
    s.model = ollama ? { id: ollama.model } : field;
  }
  if (v.engine !== undefined) s.engine = v.engine;
  if (v.task !== undefined) s.task = v.task;
  if (v.weights !== undefined) s.weights = v.weights;
  if (v["kv-cache"] !== undefined) s.kvCache = v["kv-cache"];
  const ctx = intFlag(v.ctx, "--ctx", 1, 2 ** 31);
  if (ctx !== undefined) s.contextLength = ctx;
  const batch = intFlag(v.batch, "--batch", 1, 1 << 20);
  if (batch !== undefined) s.batch = batch;
  const count = intFlag(v.gpus, "--gpus", 1, 4096);
  const mem = intFlag(v["memory-bytes"], "--memory-bytes", 1, Number.MAX_SAFE_INTEGER);
  const hw = hardwareWithFlags(s.hardware, { gpu: v.gpu, memoryBytes: mem, count });
  if (Object.keys(hw).length > 0) s.hardware = hw;
  const tp = intFlag(v.tp, "--tp", 1, 1024);
  const pp = intFlag(v.pp, "--pp", 1, 1024);
  if (tp !== undefined || pp !== undefined) {
    const par = { ...((s.parallel as Record<string, unknown> | undefined) ?? {}) };
    if (tp !== undefined) par.tensor = tp;
    if (pp !== undefined) par.pipeline = pp;
    s.parallel = par;
    if (count === undefined && hw.count === undefined) s.hardware = { ...hw, count: (tp ?? 1) * (pp ?? 1) };
  }
  if (v.attention !== undefined)
    s.engineOptions = { ...((s.engineOptions as object | undefined) ?? {}), attention: v.attention };
  if (s.model === undefined && v.help !== true)
    throw new MemlensError(
      "missing-field",
      "model: give --model ID (see `memlens models`) or --scenario FILE",
      "model",
    );
  return { scenario: s, json: v.json === true, help: v.help === true };
}

const SPECULATIVE_FLAGS = ["speculative", "num-speculative-tokens", "acceptance-rate"] as const;
type SpeculativeFlag = (typeof SPECULATIVE_FLAGS)[number];

/** Takes --speculative, --num-speculative-tokens and --acceptance-rate (and their values) out of argv. */
function takeSpeculativeFlags(argv: readonly string[]): {
  rest: string[];
  given: Partial<Record<SpeculativeFlag, string>>;
} {
  const rest: string[] = [];
  const given: Partial<Record<SpeculativeFlag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const name = SPECULATIVE_FLAGS.find((f) => a === `--${f}` || a.startsWith(`--${f}=`));
    if (name === undefined) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new MemlensError("missing-field", `--${name} needs a value`, `--${name}`);
    given[name] = value;
  }
  return { rest, given };
}

/** The speculative-decoding options the flags name, or undefined without --speculative. */
async function speculativeFromFlags(
  given: Partial<Record<SpeculativeFlag, string>>,
  io: CliIo,
): Promise<SpeculativeOptions | undefined> {
  const m = given.speculative;
  if (m === undefined) {
    const stray = SPECULATIVE_FLAGS.find((f) => given[f] !== undefined);
    if (stray)
      throw new MemlensError("invalid-value", `--${stray} applies only with --speculative`, `--${stray}`);
    return undefined;
  }
  const k = intFlag(given["num-speculative-tokens"], "--num-speculative-tokens", 1, 16);
  if (k === undefined)
    throw new MemlensError(
      "missing-field",
      "--num-speculative-tokens K (draft tokens per step, 1-16) is needed with --speculative",
      "--num-speculative-tokens",
    );
  const a = numberFlag(given["acceptance-rate"], "--acceptance-rate", 0, 1);
  if (a === undefined)
    throw new MemlensError(
      "missing-field",
      "--acceptance-rate A (probability each draft token is accepted, 0-1) is needed with --speculative",
      "--acceptance-rate",
    );
  if (m.startsWith("draft:")) {
    const { spec } = await resolveModelFlag(m.slice("draft:".length), io, "--speculative");
    return { method: "draft", draft: spec, numSpeculativeTokens: k, acceptanceRate: a };
  }
  if (m === "eagle" || m === "mtp" || m === "ngram")
    return { method: m, numSpeculativeTokens: k, acceptanceRate: a };
  throw new MemlensError(
    "invalid-value",
    `--speculative must be one of draft:ID, eagle, mtp, ngram, got "${m}"`,
    "--speculative",
    ["draft:ID", "eagle", "mtp", "ngram"],
  );
}

export async function runEstimate(argv: readonly string[], io: CliIo): Promise<number> {
  const { rest, given } = takeSpeculativeFlags(argv);
  const { scenario, json, help } = await scenarioFromArgs(rest, io);
  if (help) {
    io.stdout.write(HELP);
    return 0;
  }
  const spec = await resolveScenarioModel(scenario, io);
  const speculative = await speculativeFromFlags(given, io);
  const est = estimate(scenario, {
    ...(spec ? { modelSpec: spec } : {}),
    ...(speculative ? { speculative } : {}),
  });
  io.stdout.write(json ? `${JSON.stringify(est, null, 2)}\n` : renderEstimate(est, io));
  return 0;
}

/** The human-readable breakdown. */
export function renderEstimate(e: Estimate, io: CliIo): string {
  const st = styler(io);
  // biome-ignore lint/suspicious/noExplicitAny: the echoed scenario is plain JSON
  const s = e.scenario as Record<string, any>;
  const hw = s.hardware as Record<string, unknown>;
  const hwName =
    typeof hw.gpu === "string"
      ? `${hw.count} × ${hw.gpu}`
      : `${hw.count} × ${formatBinaryBytes(Number(hw.memoryBytes))}`;
  const lines: string[] = [];
  lines.push(
    st.bold(
      `${e.model.name} · ${e.model.architecture} · ${formatCount(e.model.parameters)} parameters${e.model.activeParameters !== e.model.parameters ? ` (${formatCount(e.model.activeParameters)} active)` : ""}`,
    ),
  );
  lines.push(
    `${s.engine} · weights ${s.weights ?? "as published"} · KV ${s.kvCache} · ${Number(s.contextLength).toLocaleString("en-US")} tokens × ${s.batch} sequence${s.batch === 1 ? "" : "s"} · ${hwName}`,
  );
  lines.push("");
  const rows: [string, (d: Estimate["devices"][number]) => string][] = [
    ["weights", (d) => formatBinaryBytes(d.bytes.weights, 2)],
    ["KV cache", (d) => formatBinaryBytes(d.bytes.kvCache, 2)],
    ["activations", (d) => formatBinaryBytes(d.bytes.activations, 2)],
    ["gradients", (d) => formatBinaryBytes(d.bytes.gradients, 2)],
    ["optimizer", (d) => formatBinaryBytes(d.bytes.optimizerStates, 2)],
    ["overhead", (d) => formatBinaryBytes(d.bytes.overhead, 2)],
    ["total", (d) => formatBinaryBytes(d.bytes.total, 2)],
    ["capacity", (d) => formatBinaryBytes(d.capacityBytes, 2)],
    ["fits", (d) => (d.fits ? st.green("yes") : st.red("NO"))],
  ];
  const shown = e.devices.slice(0, 8);
  const keep = rows.filter(
    ([label]) =>
      !(
        (label === "gradients" || label === "optimizer") &&
        shown.every((d) => (label === "gradients" ? d.bytes.gradients : d.bytes.optimizerStates) === 0)
      ),
  );
  const colWidth = 13;
  lines.push(`${"".padEnd(12)}${shown.map((d) => d.name.padStart(colWidth)).join("")}`);
  for (const [label, f] of keep)
    lines.push(`${label.padEnd(12)}${shown.map((d) => f(d).padStart(colWidth)).join("")}`);
  if (e.devices.length > shown.length)
    lines.push(st.dim(`… and ${e.devices.length - shown.length} more devices (see --json)`));
  lines.push("");
  lines.push(
    `${e.fits ? st.green("Fits") : st.red("Does not fit")}. KV cache ${e.kvBytesPerToken.toLocaleString("en-US")} bytes per token.`,
  );
  lines.push(
    `Max context at batch ${s.batch}: ${e.maxContextLength === null ? "none fits" : `${e.maxContextLength.toLocaleString("en-US")} tokens`} · max sequences at ${Number(s.contextLength).toLocaleString("en-US")} tokens: ${e.maxConcurrentSequences.toLocaleString("en-US")}`,
  );
  if (e.performance.decodeTokensPerSecond > 0)
    lines.push(
      `Speed: prefill ${formatRate(e.performance.prefillTokensPerSecond)} · decode ${formatRate(e.performance.decodeTokensPerSecond)} · time to first token ${formatSeconds(e.performance.timeToFirstTokenSeconds)} (${e.performance.bound}-bound)`,
    );
  const engineFields = Object.entries(e.engine).filter(([, v]) => typeof v === "number");
  if (engineFields.length)
    lines.push(
      st.dim(
        `Engine: ${engineFields.map(([k, v]) => `${k} ${Number(v).toLocaleString("en-US")}`).join(" · ")}`,
      ),
    );
  if (e.notes.length) {
    lines.push("", "Notes:");
    for (const n of e.notes) lines.push(`  - ${n}`);
  }
  return `${lines.join("\n")}\n`;
}
