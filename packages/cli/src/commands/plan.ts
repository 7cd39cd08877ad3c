import {
  formatBinaryBytes,
  formatRate,
  INFERENCE_ENGINES,
  type InferenceEngine,
  MemlensError,
  type PlanGoal,
  planDeployment,
  suggestChanges,
} from "@memlens/core";
import { intFlag, parseFlags } from "../args.js";
import type { CliIo } from "../io.js";
import { scenarioFromArgs } from "./estimate.js";
import { inCatalog, resolveModelFlag, resolveScenarioModel } from "./model-ref.js";

const HELP = `memlens plan: make it fit

  memlens plan --model ID --gpu GPU [--gpus N] --goal serve --ctx 32768 --concurrency 8 [--engines vllm,llama.cpp] [--json]
  memlens plan --model ID --gpu GPU --goal longest-context [--concurrency 1]
  memlens plan --model ID --gpu GPU --goal fastest-decode --ctx 8192 [--concurrency 1]
      search weights × KV dtype × TP/PP × engine × context × batch; print the Pareto front and the best plan
  memlens plan --changes <estimate flags or --scenario FILE>
      rank single changes to your current scenario (each re-checked by the estimator)
`;

export async function runPlan(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(HELP);
    return 0;
  }
  if (argv.includes("--changes"))
    return runChanges(
      argv.filter((a) => a !== "--changes"),
      io,
    );
  const { values: v } = parseFlags(argv, {
    model: { type: "string" },
    gpu: { type: "string" },
    gpus: { type: "string" },
    goal: { type: "string" },
    ctx: { type: "string" },
    concurrency: { type: "string" },
    engines: { type: "string" },
    json: { type: "boolean" },
  });
  if (!v.model)
    throw new MemlensError("missing-field", "--model is required (see `memlens models`)", "--model");
  if (!v.gpu) throw new MemlensError("missing-field", "--gpu is required (see `memlens gpus`)", "--gpu");
  const goals = ["serve", "longest-context", "fastest-decode"];
  const goalName = v.goal ?? "serve";
  if (!goals.includes(goalName))
    throw new MemlensError(
      "invalid-value",
      `--goal must be one of ${goals.join(", ")}, got "${goalName}"`,
      "--goal",
      goals,
    );
  const ctx = intFlag(v.ctx, "--ctx", 1, 2 ** 24) ?? 8192;
  const concurrency = intFlag(v.concurrency, "--concurrency", 1, 1 << 16) ?? 1;
  const goal: PlanGoal =
    goalName === "longest-context"
      ? { kind: "longest-context", concurrency }
      : { kind: goalName as "serve" | "fastest-decode", contextLength: ctx, concurrency };
  let engines: InferenceEngine[] | undefined;
  if (v.engines) {
    engines = v.engines.split(",").map((e) => e.trim()) as InferenceEngine[];
    for (const e of engines)
      if (!(INFERENCE_ENGINES as readonly string[]).includes(e))
        throw new MemlensError(
          "invalid-value",
          `--engines: "${e}" is not an engine; allowed: ${INFERENCE_ENGINES.join(", ")}`,
          "--engines",
          INFERENCE_ENGINES,
        );
  }
  const showProgress = !v.json && io.stdout.isTTY === true;
  // catalog ids go to core as typed; files, ollama tags and Hub ids through the resolver
  const model = inCatalog(v.model) ? v.model : (await resolveModelFlag(v.model, io)).spec;
  const r = planDeployment({
    model,
    gpu: v.gpu,
    gpuCount: intFlag(v.gpus, "--gpus", 1, 1024) ?? 1,
    goal,
    ...(engines ? { engines } : {}),
    ...(showProgress
      ? { onProgress: (f: number) => io.stderr.write(`\rsearching ${Math.round(f * 100)}%`) }
      : {}),
  });
  if (showProgress) io.stderr.write("\r\u001b[K");
  if (v.json) {
    io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `Searched ${r.candidatesEvaluated.toLocaleString("en-US")} candidates; ${r.pareto.length} on the Pareto front (memory, decode speed, quality).`,
    "",
  ];
  const row = (c: (typeof r.pareto)[number]) =>
    `${c.engine.padEnd(13)}${c.weights.padEnd(8)}${c.kvCache.padEnd(7)}TP${c.tensorParallel} PP${c.pipelineParallel}  ctx ${String(c.contextLength).padStart(8)} × ${String(c.batch).padStart(4)}  ${formatBinaryBytes(c.peakDeviceBytes).padStart(10)}/GPU  ${formatRate(c.decodeTokensPerSecond).padStart(12)}  ppl ${c.perplexityDelta === null ? "n/a" : `+${c.perplexityDelta}`}`;
  if (r.best) lines.push("Best plan:", `  ${row(r.best)}`, "");
  lines.push("Pareto front (fastest first):");
  for (const c of r.pareto.slice(0, 15)) lines.push(`  ${row(c)}`);
  if (r.pareto.length > 15) lines.push(`  … ${r.pareto.length - 15} more (--json)`);
  lines.push("", ...r.notes.map((n) => `Note: ${n}`));
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

async function runChanges(argv: readonly string[], io: CliIo): Promise<number> {
  const { scenario, json } = await scenarioFromArgs(argv, io);
  const spec = await resolveScenarioModel(scenario, io);
  const changes = suggestChanges(scenario, spec ? { modelSpec: spec } : {});
  if (json) {
    io.stdout.write(
      `${JSON.stringify(
        changes.map(({ estimate, ...c }) => ({ ...c, fits: estimate.fits, estimate })),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  if (changes.length === 0) {
    io.stdout.write(
      "No single change makes this scenario fit; try `memlens plan --goal ...` for a full search.\n",
    );
    return 0;
  }
  io.stdout.write(`${changes.map((c, i) => `${String(i + 1).padStart(2)}. ${c.description}`).join("\n")}\n`);
  return 0;
}
