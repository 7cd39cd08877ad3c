import { isInputError, MemlensError } from "@memlens/core";
import { runCompare } from "./commands/compare.js";
import { runContext } from "./commands/context.js";
import { runEstimate } from "./commands/estimate.js";
import { runFit } from "./commands/fit.js";
import { runFits } from "./commands/fits.js";
import { runGpus } from "./commands/gpus.js";
import { runInspect } from "./commands/inspect.js";
import { runModels } from "./commands/models.js";
import { runPlan } from "./commands/plan.js";
import { runSimulate } from "./commands/simulate.js";
import { runTrainFit } from "./commands/train-fit.js";
import { chooseAuto, gpuAutoIndex, rewriteGpuAuto } from "./detect/auto.js";
import { detectMachine } from "./detect/probe.js";
import type { CliIo } from "./io.js";
import { runMemoryCommand } from "./memory/index.js";

export type { CliIo };

/** A sub-command: argv after its name → exit code. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** Commands by name; other modules add theirs (fit, inspect, simulate, memory...). */
export const COMMANDS: Record<string, { run: Command; summary: string }> = {
  estimate: {
    run: runEstimate,
    summary: "memory, fit and speed for one scenario (--scenario FILE or flags)",
  },
  models: { run: runModels, summary: "the embedded model catalog" },
  gpus: { run: runGpus, summary: "the embedded GPU catalog" },
  plan: { run: runPlan, summary: "make it fit: search settings, Pareto front, ranked single changes" },
  inspect: { run: runInspect, summary: "read a GGUF / safetensors header: exact tensor types, bytes, shape" },
  fit: { run: runFit, summary: "llama.cpp --fit: largest context and most GPU layers within the margin" },
  fits: {
    run: runFits,
    summary: "what runs on this GPU: every catalog model × weights that fits, ranked, by family",
  },
  compare: {
    run: runCompare,
    summary: "an engine start-up log (llama.cpp, ollama) vs memlens, line by line",
  },
  "train-fit": {
    run: runTrainFit,
    summary: "training: largest micro-batch / sequence that fits, cheapest settings that fit",
  },
  memory: {
    run: (argv, io) => runMemoryCommand([...argv], io),
    summary: "long-term memory store (SQLite): add, search, forget, export",
  },
  simulate: {
    run: runSimulate,
    summary: "serve a workload on a simulated vLLM: throughput, TTFT / TPOT / E2E, preemptions",
  },
  context: {
    run: runContext,
    summary: "a conversation's tokens (real tokenizer), KV bytes and TTFT; compaction policies",
  },
};

const USAGE = () => `memlens: how much memory an LLM takes, whether it fits, how fast it runs

Usage: memlens <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([k, v]) => `  ${k.padEnd(10)} ${v.summary}`)
  .join("\n")}

Run "memlens <command> --help" for a command's options. --json prints machine-readable output.
`;

/**
 * Runs the CLI in process: the binary and the tests both call this.
 * @returns the exit code: 0 ok, 2 bad input, 1 anything else.
 */
export async function main(args: { argv: readonly string[] } & CliIo): Promise<number> {
  const { argv: argv0, ...io0 } = args;
  const json = argv0.includes("--json");
  let io: CliIo = io0;
  try {
    const { argv, env } = hubFlags(argv0, io0.env);
    io = { ...io0, env };
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.stdout.write(USAGE());
      return name === undefined ? 2 : 0;
    }
    if (name === "--version" || name === "-v") {
      io.stdout.write("0.1.0\n");
      return 0;
    }
    const cmd = COMMANDS[name];
    if (!cmd)
      throw new MemlensError(
        "invalid-value",
        `unknown command "${name}"; allowed: ${Object.keys(COMMANDS).join(", ")}`,
        "command",
        Object.keys(COMMANDS),
      );
    return await cmd.run(await resolveGpuAuto(name, rest, io), io);
  } catch (e) {
    return reportError(e, json, io);
  }
}

/**
 * `--gpu auto` (any command that takes --gpu): probes the machine once and puts the detected
 * catalog id (or, for an unlisted GPU, --memory-bytes) in its place; a note goes to stderr.
 */
async function resolveGpuAuto(
  command: string,
  argv: readonly string[],
  io: CliIo,
): Promise<readonly string[]> {
  if (gpuAutoIndex(argv) < 0) return argv;
  const machine = await (io.detect ?? (() => detectMachine()))();
  const { argv: out, note } = rewriteGpuAuto(command, argv, chooseAuto(machine));
  if (note) io.stderr.write(`memlens: ${note}\n`);
  return out;
}

/**
 * `--hf-token TOKEN` and `--offline`, which every command that takes --model accepts: taken out of
 * argv into the environment the model resolver reads (HF_TOKEN, HF_HUB_OFFLINE).
 */
export function hubFlags(
  argv: readonly string[],
  env: CliIo["env"],
): { argv: readonly string[]; env: CliIo["env"] } {
  if (!argv.some((a) => a === "--offline" || a.startsWith("--hf-token"))) return { argv, env };
  const out: string[] = [];
  const e: Record<string, string | undefined> = { ...env };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--offline") e.HF_HUB_OFFLINE = "1";
    else if (a.startsWith("--hf-token=")) e.HF_TOKEN = a.slice("--hf-token=".length);
    else if (a === "--hf-token") {
      const t = argv[++i];
      if (t === undefined || t.startsWith("--"))
        throw new MemlensError(
          "missing-field",
          "--hf-token needs a value (a Hugging Face access token)",
          "--hf-token",
        );
      e.HF_TOKEN = t;
    } else out.push(a);
  }
  return { argv: out, env: e };
}

/** Prints an error as one line (or the contract's JSON) and returns its exit code. */
export function reportError(e: unknown, json: boolean, io: CliIo): number {
  const input = isInputError(e);
  const code = e instanceof MemlensError ? e.code : "internal";
  const field = e instanceof MemlensError ? e.field : undefined;
  const message = (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "error";
  if (json) {
    io.stdout.write(`${JSON.stringify({ error: { code, message, ...(field ? { field } : {}) } })}\n`);
  } else {
    io.stderr.write(`memlens: ${message}\n`);
  }
  return input ? 2 : 1;
}
