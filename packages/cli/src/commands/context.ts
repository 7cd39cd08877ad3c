import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  COMPACTION_POLICY_KINDS,
  type CompactionPolicy,
  type ContextCost,
  type ContextSimulation,
  describeAllowed,
  estimate,
  estimateContextCost,
  extractiveSummarizer,
  findGpu,
  formatBinaryBytes,
  formatSeconds,
  MEMLENS_VERSION,
  MemlensError,
  type Summarizer,
  simulateContext,
  simulateContextAsync,
  type TokenCounter,
  TURN_ROLES,
  type Turn,
  type TurnRole,
  truncateToTokens,
} from "@memlens/core";
import { intFlag, parseFlags } from "../args.js";
import { type CliIo, MAX_JSON_BYTES, readStdin, readTextFile, styler } from "../io.js";
import {
  loadHfTokenCounter,
  loadTokenCounter,
  modelTokenizerFor,
  TOKENIZER_SPEC_FORMS,
} from "../tokenizers/index.js";
import { resolveModelFlag } from "./model-ref.js";
import { openAiSummarizer, SummarizerError } from "./openai-summarizer.js";

const HELP = `memlens context: what a conversation costs on a model and GPU: tokens (the model's real
tokenizer), KV cache bytes and time to first token; optionally replayed turn by turn under a
compaction policy

  memlens context --model ID|DIR --gpu ID FILE|- [--tokenizer SPEC] [--per-turn-overhead N]
                  [--engine transformers|vllm|sglang|llamacpp] [--kv-cache DTYPE] [--json]
                  [--policy keep-last-n|token-budget|summarize|relevance --budget N
                   [--threshold N] [--summary-max N] [--keep-recent N]
                   [--summarizer extractive|openai --summarizer-url URL --summarizer-model NAME
                    [--summarizer-api-key-env NAME]]]

FILE: a JSON array of {role, content} messages (or {"messages": [...]}), or plain text (one user
turn). Roles: system, user, assistant, tool ("developer" counts as system).
--tokenizer: ${TOKENIZER_SPEC_FORMS.join(", ")}. Default: the tokenizer.json in
the --model directory, else the one memlens ships for the model's family (GPT-2, Llama 3.x,
Qwen2.5/QwQ/Qwen3, Gemma 3, DeepSeek-V3/R1/V3.2, gpt-oss); for other models give the path of your copy.
--budget is tokens, except for keep-last-n where it is the number of turns kept. summarize folds
older turns into an extractive summary once the context passes --threshold (default 80% of the
budget) into at most --summary-max tokens (default 1/8 of the budget).
--summarizer openai asks an OpenAI-compatible server instead (OpenAI, vLLM, SGLang, llama.cpp,
Ollama): POST URL/chat/completions with --summarizer-model and max_tokens = --summary-max, e.g.
--summarizer-url http://127.0.0.1:8000/v1. The bearer key is read from the environment variable
--summarizer-api-key-env names (default OPENAI_API_KEY; sent only when set). Each request times out
after 60 s; a failing server ends the run with exit 1. Answers longer than --summary-max are cut.
`;

const FLAGS = {
  model: { type: "string" },
  gpu: { type: "string" },
  tokenizer: { type: "string" },
  "per-turn-overhead": { type: "string" },
  engine: { type: "string" },
  "kv-cache": { type: "string" },
  policy: { type: "string" },
  budget: { type: "string" },
  threshold: { type: "string" },
  "summary-max": { type: "string" },
  "keep-recent": { type: "string" },
  summarizer: { type: "string" },
  "summarizer-url": { type: "string" },
  "summarizer-model": { type: "string" },
  "summarizer-api-key-env": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** `--policy` names: short ones and core's own. */
export const CONTEXT_POLICIES = [
  "keep-last-n",
  "token-budget",
  "summarize",
  "relevance",
  ...COMPACTION_POLICY_KINDS,
] as const;

async function tokenCounterFor(
  flag: string | undefined,
  modelId: string,
  directory: string | undefined,
): Promise<TokenCounter> {
  if (flag !== undefined) return loadTokenCounter(flag);
  if (directory !== undefined && existsSync(join(directory, "tokenizer.json")))
    return loadHfTokenCounter(directory);
  const shipped = modelTokenizerFor(modelId);
  if (shipped) return loadTokenCounter(shipped.tokenizer);
  throw new MemlensError(
    "missing-field",
    `--tokenizer: memlens ships no tokenizer for ${modelId}'s family; give --tokenizer path/to/tokenizer.json from the model's repository, or one of: ${TOKENIZER_SPEC_FORMS.join(", ")}`,
    "--tokenizer",
    TOKENIZER_SPEC_FORMS,
  );
}

/** Text of an OpenAI-style message content: a string, or an array of parts whose text parts count. */
function contentText(c: unknown, where: string): string {
  if (typeof c === "string") return c;
  if (c === null || c === undefined) return "";
  if (Array.isArray(c))
    return c
      .map((p, j) => {
        if (typeof p === "string") return p;
        if (typeof p === "object" && p !== null && typeof (p as { text?: unknown }).text === "string")
          return (p as { text: string }).text;
        if (typeof p === "object" && p !== null) return "";
        throw new MemlensError(
          "malformed-file",
          `${where}.content[${j}] must be a string or a {text} part`,
          "conversation",
        );
      })
      .join("\n");
  throw new MemlensError(
    "malformed-file",
    `${where}.content must be a string or an array of parts`,
    "conversation",
  );
}

/** A conversation file's turns: a JSON message array (or {messages}), else the whole text as one user turn. */
export function parseConversation(text: string, where: string): Turn[] {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("[") && !trimmed.startsWith("{")) return [{ id: "t0", role: "user", text }];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new MemlensError(
      "malformed-file",
      `conversation: ${where} is not valid JSON (${msg})`,
      "conversation",
    );
  }
  const messages = Array.isArray(raw)
    ? raw
    : typeof raw === "object" && raw !== null
      ? (raw as { messages?: unknown }).messages
      : undefined;
  if (!Array.isArray(messages))
    throw new MemlensError(
      "malformed-file",
      `conversation: ${where} must hold a JSON array of {role, content} messages or {"messages": [...]}`,
      "conversation",
    );
  return messages.map((m, i): Turn => {
    const at = `${where}: messages[${i}]`;
    if (typeof m !== "object" || m === null)
      throw new MemlensError("malformed-file", `${at} must be an object {role, content}`, "conversation");
    const r = (m as { role?: unknown }).role;
    const role = r === "developer" ? "system" : r;
    if (typeof role !== "string" || !(TURN_ROLES as readonly string[]).includes(role))
      throw new MemlensError(
        "malformed-file",
        `${at}.role must be one of ${describeAllowed(TURN_ROLES)}, got ${JSON.stringify(r)}`,
        "conversation",
        TURN_ROLES,
      );
    return {
      id: `t${i}`,
      role: role as TurnRole,
      text: contentText((m as { content?: unknown }).content, at),
    };
  });
}

function policyFromFlags(
  v: ReturnType<typeof parseFlags<typeof FLAGS>>["values"],
): CompactionPolicy | undefined {
  const name = v.policy;
  const budget = intFlag(v.budget, "--budget", 1, 2 ** 31);
  const keepRecent = intFlag(v["keep-recent"], "--keep-recent", 1, 1 << 20);
  if (name === undefined) {
    const stray = (["budget", "threshold", "summary-max", "keep-recent"] as const).find(
      (k) => v[k] !== undefined,
    );
    if (stray)
      throw new MemlensError(
        "missing-field",
        `--${stray} needs --policy (${describeAllowed(CONTEXT_POLICIES)})`,
        "--policy",
        CONTEXT_POLICIES,
      );
    return undefined;
  }
  if (!(CONTEXT_POLICIES as readonly string[]).includes(name))
    throw new MemlensError(
      "invalid-value",
      `--policy must be one of ${describeAllowed(CONTEXT_POLICIES)}, got "${name}"`,
      "--policy",
      CONTEXT_POLICIES,
    );
  if (budget === undefined)
    throw new MemlensError(
      "missing-field",
      `--budget N is needed with --policy ${name} (${name === "keep-last-n" ? "turns kept" : "tokens"})`,
      "--budget",
    );
  const recent = keepRecent !== undefined ? { keepRecentTurns: keepRecent } : {};
  switch (name) {
    case "keep-last-n":
      return { kind: "keep-last-n", n: budget };
    case "token-budget":
    case "sliding-window":
      return { kind: "sliding-window", budgetTokens: budget };
    case "summarize":
    case "summarize-at-threshold": {
      const threshold =
        intFlag(v.threshold, "--threshold", 2, budget) ?? Math.max(2, Math.floor(budget * 0.8));
      const summaryMax =
        intFlag(v["summary-max"], "--summary-max", 1, threshold - 1) ??
        Math.max(1, Math.min(threshold - 1, Math.floor(budget / 8)));
      return {
        kind: "summarize-at-threshold",
        budgetTokens: budget,
        thresholdTokens: threshold,
        summaryMaxTokens: summaryMax,
        ...recent,
      };
    }
    default:
      return { kind: "relevance-eviction", budgetTokens: budget, ...recent };
  }
}

/** `--summarizer` names. */
export const CONTEXT_SUMMARIZERS = ["extractive", "openai"] as const;

const SUMMARIZER_FLAGS = ["summarizer-url", "summarizer-model", "summarizer-api-key-env"] as const;

/** The summarizer the flags ask for; undefined for core's extractive default. */
function summarizerFromFlags(
  v: ReturnType<typeof parseFlags<typeof FLAGS>>["values"],
  policy: CompactionPolicy | undefined,
  env: CliIo["env"],
): Summarizer | undefined {
  const name = v.summarizer ?? "extractive";
  if (!(CONTEXT_SUMMARIZERS as readonly string[]).includes(name))
    throw new MemlensError(
      "invalid-value",
      `--summarizer must be one of ${describeAllowed(CONTEXT_SUMMARIZERS)}, got "${name}"`,
      "--summarizer",
      CONTEXT_SUMMARIZERS,
    );
  if (v.summarizer !== undefined && policy?.kind !== "summarize-at-threshold")
    throw new MemlensError(
      "invalid-value",
      "--summarizer is used by --policy summarize only",
      "--summarizer",
    );
  if (name === "extractive") {
    const stray = SUMMARIZER_FLAGS.find((k) => v[k] !== undefined);
    if (stray)
      throw new MemlensError("invalid-value", `--${stray} needs --summarizer openai`, "--summarizer");
    return undefined;
  }
  const url = v["summarizer-url"];
  if (url === undefined)
    throw new MemlensError(
      "missing-field",
      "--summarizer-url URL is needed with --summarizer openai (e.g. http://127.0.0.1:8000/v1)",
      "--summarizer-url",
    );
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    throw new MemlensError(
      "invalid-value",
      `--summarizer-url must be an http:// or https:// URL (e.g. http://127.0.0.1:8000/v1), got "${url}"`,
      "--summarizer-url",
    );
  const model = v["summarizer-model"];
  if (model === undefined || model.trim() === "")
    throw new MemlensError(
      "missing-field",
      "--summarizer-model NAME is needed with --summarizer openai (the model the server serves)",
      "--summarizer-model",
    );
  const keyEnv = v["summarizer-api-key-env"];
  if (keyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv))
    throw new MemlensError(
      "invalid-value",
      `--summarizer-api-key-env must name an environment variable, got "${keyEnv}"`,
      "--summarizer-api-key-env",
    );
  const apiKey = env[keyEnv ?? "OPENAI_API_KEY"];
  if (keyEnv !== undefined && !apiKey)
    throw new MemlensError(
      "missing-field",
      `--summarizer-api-key-env: the environment variable ${keyEnv} is not set`,
      "--summarizer-api-key-env",
    );
  return openAiSummarizer({ baseUrl: parsed.href, model, apiKey: apiKey || undefined });
}

/** A summary the summarizer wrote, at the step that folded turns into it. */
export interface ContextSummary {
  readonly turnIndex: number;
  /** The summary block's id in that step's `blocks`. */
  readonly id: string;
  readonly text: string;
}

/** What `memlens context --json` prints. */
export interface ContextReport {
  readonly memlensVersion: string;
  readonly model: string;
  readonly gpu: string;
  readonly engine: string;
  readonly tokenizer: string;
  readonly turns: readonly { readonly id: string; readonly role: TurnRole; readonly tokens: number }[];
  readonly tokens: number;
  readonly kvBytesPerToken: number;
  readonly prefillTokensPerSecond: number;
  readonly cost: ContextCost;
  /** Largest context that fits the GPU next to the weights (core's estimate), tokens. */
  readonly maxContextLength: number | null;
  readonly fits: boolean;
  /** The model's own context window (max_position_embeddings), where its config states one. */
  readonly modelContextLength: number | null;
  readonly simulation: ContextSimulation | undefined;
  /** With --policy summarize: each summary's text, in order. */
  readonly summaries: readonly ContextSummary[] | undefined;
}

export async function contextFromArgs(argv: readonly string[], io: CliIo): Promise<ContextReport> {
  const { values: v, positionals } = parseFlags(argv, FLAGS, true);
  if (v.model === undefined)
    throw new MemlensError("missing-field", "--model ID is needed (see `memlens models`)", "--model");
  if (v.gpu === undefined)
    throw new MemlensError("missing-field", "--gpu ID is needed (see `memlens gpus`)", "--gpu");
  const gpu = findGpu(v.gpu, "--gpu");
  const model = await resolveModelFlag(v.model, io);
  const overhead = intFlag(v["per-turn-overhead"], "--per-turn-overhead", 0, 1 << 20) ?? 0;
  const policy = policyFromFlags(v);
  const summarizer = summarizerFromFlags(v, policy, io.env);
  if (positionals.length !== 1)
    throw new MemlensError(
      "missing-field",
      `conversation: give one FILE (a JSON message array or plain text) or - for standard input; got ${positionals.length}`,
      "conversation",
    );
  const file = positionals[0]!;
  const text =
    file === "-" ? await readStdin(io, "conversation") : readTextFile(file, "conversation", MAX_JSON_BYTES);
  const turns = parseConversation(text, file === "-" ? "standard input" : file);
  const counter = await tokenCounterFor(v.tokenizer, model.spec.id, model.directory);
  const perTurn = turns.map((t) => ({ id: t.id, role: t.role, tokens: counter.count(t.text) + overhead }));
  const tokens = perTurn.reduce((s, t) => s + t.tokens, 0);

  // Per-token KV and prefill speed of this model on this GPU, from core's estimate at this context.
  const est = estimate(
    {
      model: model.ref,
      hardware: { gpu: gpu.id, count: 1 },
      contextLength: Math.max(1, tokens),
      batch: 1,
      ...(v.engine !== undefined ? { engine: v.engine } : {}),
      ...(v["kv-cache"] !== undefined ? { kvCache: v["kv-cache"] } : {}),
    },
    { modelSpec: model.spec, promptTokens: Math.max(1, tokens) },
  );
  const prefillTokensPerSecond = est.performance.prefillTokensPerSecond;
  const cost = estimateContextCost({
    contextTokens: tokens,
    kvBytesPerToken: est.kvBytesPerToken,
    prefillTokensPerSecond,
  });
  // Core trims and cuts each answer the same way before it becomes a summary; recording the result
  // here gives the summaries' text, one per step that folded turns (an empty one folds none).
  const written: string[] = [];
  const recorded = (inner: Summarizer): Summarizer => ({
    name: inner.name,
    async summarize(request) {
      const text = truncateToTokens(
        String(await inner.summarize(request)).trim(),
        request.maxTokens,
        request.counter,
      );
      if (text !== "") written.push(text);
      return text;
    },
  });
  const simInput = policy
    ? {
        turns,
        policy,
        counter,
        perTurnOverheadTokens: overhead,
        cost: { kvBytesPerToken: est.kvBytesPerToken, prefillTokensPerSecond },
      }
    : undefined;
  const simulation = !simInput
    ? undefined
    : policy?.kind === "summarize-at-threshold"
      ? await simulateContextAsync({ ...simInput, summarizer: recorded(summarizer ?? extractiveSummarizer) })
      : simulateContext(simInput);
  const summaries =
    simulation && policy?.kind === "summarize-at-threshold"
      ? simulation.steps
          .filter((x) => x.lost.summarizedTurnIds.length > 0)
          .map((x, i) => ({
            turnIndex: x.turnIndex,
            id: `summary-through-${x.lost.summarizedTurnIds.at(-1)}`,
            text: written[i] ?? "",
          }))
      : undefined;
  return {
    memlensVersion: MEMLENS_VERSION,
    model: model.spec.id,
    gpu: gpu.id,
    engine: String(est.scenario.engine),
    tokenizer: counter.name,
    turns: perTurn,
    tokens,
    kvBytesPerToken: est.kvBytesPerToken,
    prefillTokensPerSecond,
    cost,
    maxContextLength: est.maxContextLength,
    fits: est.fits,
    modelContextLength: model.spec.maxPositionEmbeddings,
    simulation,
    summaries,
  };
}

/** The human-readable report. */
export function renderContext(r: ContextReport, io: CliIo): string {
  const st = styler(io);
  const n = (x: number) => x.toLocaleString("en-US");
  const lines = [
    st.bold(
      `${n(r.tokens)} tokens in ${r.turns.length} turn${r.turns.length === 1 ? "" : "s"} (${r.tokenizer})`,
    ),
    `on ${r.model}, ${r.gpu} (${r.engine}): KV cache ${formatBinaryBytes(r.cost.kvBytes)} (${n(r.kvBytesPerToken)} B/token), ` +
      `time to first token ${formatSeconds(r.cost.timeToFirstTokenSeconds)} at ${n(Math.round(r.prefillTokensPerSecond))} prompt tok/s`,
    r.fits
      ? st.green(`fits: up to ${n(r.maxContextLength ?? 0)} tokens of context on this GPU`)
      : st.red(`does not fit: at most ${n(r.maxContextLength ?? 0)} tokens of context on this GPU`),
  ];
  if (r.modelContextLength !== null && r.tokens > r.modelContextLength)
    lines.push(st.red(`longer than the model's context window of ${n(r.modelContextLength)} tokens`));
  const s = r.simulation;
  if (s) {
    const p = s.policy;
    const budget = p.kind === "keep-last-n" ? `last ${p.n} turns` : `budget ${n(p.budgetTokens)} tokens`;
    lines.push(
      "",
      st.bold(`policy ${p.kind}, ${budget}${s.summarizer ? `, summarizer ${s.summarizer}` : ""}`),
    );
    const head = ["turn", "role", "tokens", "context", "summarized", "evicted", "reused", "TTFT"];
    const w = [5, 10, 8, 9, 11, 9, 8, 10];
    lines.push(st.dim(head.map((h, i) => (i < 2 ? h.padEnd(w[i]!) : h.padStart(w[i]!))).join(" ")));
    for (const x of s.steps) {
      const cells = [
        String(x.turnIndex),
        x.role,
        n(x.turnTokens),
        n(x.tokensInContext),
        n(x.tokensSummarized),
        n(x.tokensEvicted),
        n(x.prefixReusedTokens),
        x.cost ? formatSeconds(x.cost.timeToFirstTokenSeconds) : "—",
      ];
      const row = cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(" ");
      lines.push(x.fits ? row : st.red(`${row}  over budget`));
      const summary = r.summaries?.find((y) => y.turnIndex === x.turnIndex);
      if (summary) {
        const oneLine = summary.text.replace(/\s+/g, " ");
        lines.push(st.dim(`      summary: ${oneLine.length > 100 ? `${oneLine.slice(0, 99)}…` : oneLine}`));
      }
      if (x.lost.terms.length > 0) lines.push(st.dim(`      lost: ${x.lost.terms.slice(0, 8).join(", ")}`));
    }
    const t = s.totals;
    lines.push(
      `totals: ${n(t.tokensSeen)} seen, ${n(t.turnTokensInContext)} still in context, ${n(t.tokensSummarized)} summarized, ${n(t.tokensEvicted)} evicted; peak ${n(t.peakTokensInContext)}; ` +
        `prefill ${n(t.prefillTokensWithPrefixCache)} tokens with prefix caching vs ${n(t.prefillTokensWithoutPrefixCache)} without`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `memlens context ...`: argv after "context" → exit code. */
export async function runContext(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(HELP);
    return 0;
  }
  let r: ContextReport;
  try {
    r = await contextFromArgs(argv, io);
  } catch (e) {
    if (!(e instanceof SummarizerError)) throw e;
    // Server or network, not the user's input: exit 1 with a stable code.
    if (argv.includes("--json"))
      io.stdout.write(
        `${JSON.stringify({ error: { code: e.code, message: e.message, field: "--summarizer-url" } })}\n`,
      );
    else io.stderr.write(`memlens: ${e.message}\n`);
    return 1;
  }
  io.stdout.write(argv.includes("--json") ? `${JSON.stringify(r, null, 2)}\n` : renderContext(r, io));
  return 0;
}
