import { MemlensError } from "../errors/memlens-error.js";
import type { WorkloadRequest } from "./request.js";
import { MAX_REQUEST_TOKENS } from "./workload.js";

/**
 * Parsers for the public traces in `fixtures/traces/` (see its SOURCES.md). Each takes the file's
 * TEXT (core does no I/O) and returns requests sorted by arrival, times rebased to the first one.
 * Every length is checked to be an integer in [1, MAX_REQUEST_TOKENS] (10M); a bad row throws a
 * `malformed-file` MemlensError naming the line and the field.
 */

/** The formats `parseTrace` understands. */
export type TraceFormat =
  /** Azure LLM inference 2023: `TIMESTAMP,ContextTokens,GeneratedTokens`. */
  | "azure-csv"
  /** Mooncake FAST'25 JSONL: `timestamp` (ms), `input_length`, `output_length`, `hash_ids` (512-token blocks). */
  | "mooncake-jsonl"
  /** Length-only CSV (Vidur / Etalon): `num_prefill_tokens,num_decode_tokens[,…]`, optional `arrived_at` (s). */
  | "length-csv"
  /** LLMServingSim workload JSONL with token ids: `input_toks, output_toks, arrival_time_ns, input_tok_ids, output_tok_ids`. */
  | "token-jsonl"
  /** APEX+ JSONL: `ContextTokens, GeneratedTokens, StartTimeOffset` (ns). */
  | "apex-jsonl";

export const TRACE_FORMATS: readonly TraceFormat[] = [
  "azure-csv",
  "mooncake-jsonl",
  "length-csv",
  "token-jsonl",
  "apex-jsonl",
];

/** A parsed trace. */
export interface ParsedTrace {
  readonly format: TraceFormat;
  readonly requests: WorkloadRequest[];
  /** False when the file has no timestamps (length-only CSV): arrivals are all 0, assign them with `withArrivals`. */
  readonly hasArrivals: boolean;
}

function fail(line: number, field: string, msg: string): never {
  throw new MemlensError("malformed-file", `line ${line}: field "${field}" ${msg}`, field);
}

function tokens(v: unknown, line: number, field: string, min = 1): number {
  const x = typeof v === "string" ? (v.trim() === "" ? Number.NaN : Number(v)) : v;
  if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > MAX_REQUEST_TOKENS)
    fail(line, field, `must be an integer in [${min}, ${MAX_REQUEST_TOKENS}], got ${JSON.stringify(v)}`);
  return x;
}

function finite(v: unknown, line: number, field: string): number {
  const x = typeof v === "string" ? (v.trim() === "" ? Number.NaN : Number(v)) : v;
  if (typeof x !== "number" || !Number.isFinite(x) || x < 0)
    fail(line, field, `must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
  return x;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

function jsonLine(s: string, line: number): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch (e) {
    fail(line, "(json)", `is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) fail(line, "(json)", "is not a JSON object");
  return o as Record<string, unknown>;
}

/** Each non-empty line of a JSONL text as an object, with its 1-based line number. */
function jsonlRows<T>(text: string, row: (o: Record<string, unknown>, line: number) => T): T[] {
  const out: T[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const s = ls[i]!;
    if (s.trim() !== "") out.push(row(jsonLine(s, i + 1), i + 1));
  }
  return out;
}

/** Non-negative integers below 2^31 (token or block-hash ids), each checked; `what` words the error. */
function int32Ids(v: readonly unknown[], line: number, field: string, what: string): Int32Array {
  const a = new Int32Array(v.length);
  for (let k = 0; k < v.length; k++) {
    const x = v[k];
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 2147483647)
      fail(line, `${field}[${k}]`, `must be ${what} in [0, 2^31), got ${JSON.stringify(x)}`);
    a[k] = x;
  }
  return a;
}

function rebase(reqs: WorkloadRequest[]): WorkloadRequest[] {
  if (reqs.length === 0) return reqs;
  let t0 = Number.POSITIVE_INFINITY;
  for (const r of reqs) if (r.arrivalSeconds < t0) t0 = r.arrivalSeconds;
  const out = reqs.map((r) => ({ ...r, arrivalSeconds: r.arrivalSeconds - t0 }));
  // Stable sort by arrival (traces are nearly sorted; equal times keep file order).
  return out
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.arrivalSeconds - b.r.arrivalSeconds || a.i - b.i)
    .map((x) => x.r);
}

/** Seconds since the epoch of `YYYY-MM-DD HH:MM:SS[.fraction]`, read as UTC (no time zone in the file). */
function parseTimestamp(s: string, line: number): number {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)\s*$/.exec(s);
  if (!m) fail(line, "TIMESTAMP", `must look like 2023-11-16 18:15:46.68, got ${JSON.stringify(s)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return ms / 1000 + Number(m[6]);
}

/** A CSV's header (the first non-empty line), and a reader of the data rows below it as fields. */
function csvTable(text: string): {
  header: string[];
  /** The header's 1-based line number. */
  headerLine: number;
  rows<T>(row: (f: string[], line: number) => T): T[];
} {
  const ls = lines(text);
  let first = 0;
  while (first < ls.length && ls[first]!.trim() === "") first++;
  if (first >= ls.length) throw new MemlensError("malformed-file", "empty CSV: no header line", "(header)");
  return {
    header: ls[first]!.split(",").map((h) => h.trim()),
    headerLine: first + 1,
    rows<T>(row: (f: string[], line: number) => T): T[] {
      const out: T[] = [];
      for (let i = first + 1; i < ls.length; i++) {
        const s = ls[i]!;
        if (s.trim() !== "") out.push(row(s.split(","), i + 1));
      }
      return out;
    },
  };
}

/** Azure LLM inference trace 2023 (AzurePublicDataset `AzureLLMInferenceTrace_{conv,code}.csv`). */
export function parseAzureTrace(text: string): WorkloadRequest[] {
  const csv = csvTable(text);
  const col = (name: string) => {
    const j = csv.header.indexOf(name);
    if (j < 0) fail(csv.headerLine, name, `missing from the header (found ${csv.header.join(", ")})`);
    return j;
  };
  const cT = col("TIMESTAMP");
  const cIn = col("ContextTokens");
  const cOut = col("GeneratedTokens");
  return rebase(
    csv.rows((f, line) => ({
      arrivalSeconds: parseTimestamp(f[cT] ?? "", line),
      promptTokens: tokens(f[cIn], line, "ContextTokens"),
      outputTokens: tokens(f[cOut], line, "GeneratedTokens"),
    })),
  );
}

/**
 * Mooncake FAST'25 trace JSONL. `hash_ids` become coarse prefix-block content (one id per
 * `blockTokens` = 512 prompt tokens), so the paged cache can hit at its own block size.
 */
export function parseMooncakeTrace(text: string, blockTokens = 512): WorkloadRequest[] {
  return rebase(
    jsonlRows(text, (o, line) => {
      const promptTokens = tokens(o["input_length"], line, "input_length");
      const ids = o["hash_ids"];
      if (!Array.isArray(ids)) fail(line, "hash_ids", "must be an array of integers");
      const need = Math.ceil(promptTokens / blockTokens);
      if (ids.length < need)
        fail(line, "hash_ids", `has ${ids.length} ids but input_length ${promptTokens} needs ${need}`);
      const arr = int32Ids(ids, line, "hash_ids", "an integer");
      return {
        arrivalSeconds: finite(o["timestamp"], line, "timestamp") / 1000,
        promptTokens,
        outputTokens: tokens(o["output_length"], line, "output_length"),
        content: { kind: "coarse-blocks", ids: arr, blockTokens },
      };
    }),
  );
}

/**
 * Length-only CSV (Vidur `splitwise_*.csv`, Etalon `*_stats_llama2_tokenizer*.csv`): columns
 * `num_prefill_tokens`, `num_decode_tokens`, optionally `arrived_at` (seconds).
 */
export function parseLengthCsv(text: string): { requests: WorkloadRequest[]; hasArrivals: boolean } {
  const csv = csvTable(text);
  const { header, headerLine } = csv;
  const cIn = header.indexOf("num_prefill_tokens");
  const cOut = header.indexOf("num_decode_tokens");
  if (cIn < 0) fail(headerLine, "num_prefill_tokens", `missing from the header (found ${header.join(", ")})`);
  if (cOut < 0) fail(headerLine, "num_decode_tokens", `missing from the header (found ${header.join(", ")})`);
  const cT = header.indexOf("arrived_at");
  const out = csv.rows((f, line) => ({
    arrivalSeconds: cT >= 0 ? finite(f[cT], line, "arrived_at") : 0,
    promptTokens: tokens(f[cIn], line, "num_prefill_tokens"),
    outputTokens: tokens(f[cOut], line, "num_decode_tokens"),
  }));
  return { requests: cT >= 0 ? rebase(out) : out, hasArrivals: cT >= 0 };
}

function tokenIds(v: unknown, line: number, field: string, expected: number): Int32Array {
  if (!Array.isArray(v)) fail(line, field, "must be an array of token ids");
  if (v.length !== expected) fail(line, field, `has ${v.length} ids but the length field says ${expected}`);
  return int32Ids(v, line, field, "a token id");
}

/**
 * Token-id JSONL of the recorded vLLM runs (LLMServingSim `workloads/*.jsonl`): arrival in ns,
 * lengths, and the prompt and output token ids (exact prefix caching, including multi-turn reuse of
 * earlier answers).
 */
export function parseTokenTrace(text: string): WorkloadRequest[] {
  return rebase(
    jsonlRows(text, (o, line): WorkloadRequest => {
      const promptTokens = tokens(o["input_toks"], line, "input_toks");
      const outputTokens = tokens(o["output_toks"], line, "output_toks");
      const base = {
        arrivalSeconds: finite(o["arrival_time_ns"], line, "arrival_time_ns") / 1e9,
        promptTokens,
        outputTokens,
      };
      if (o["input_tok_ids"] === undefined) return base;
      const promptIds = tokenIds(o["input_tok_ids"], line, "input_tok_ids", promptTokens);
      const outputIds =
        o["output_tok_ids"] === undefined
          ? undefined
          : tokenIds(o["output_tok_ids"], line, "output_tok_ids", outputTokens);
      return {
        ...base,
        content: outputIds ? { kind: "tokens", promptIds, outputIds } : { kind: "tokens", promptIds },
      };
    }),
  );
}

/** APEX+ trace JSONL (`traces/llama/*.jsonl`): ContextTokens, GeneratedTokens, StartTimeOffset (ns). */
export function parseApexTrace(text: string): WorkloadRequest[] {
  return rebase(
    jsonlRows(text, (o, line) => ({
      arrivalSeconds: finite(o["StartTimeOffset"], line, "StartTimeOffset") / 1e9,
      promptTokens: tokens(o["ContextTokens"], line, "ContextTokens"),
      outputTokens: tokens(o["GeneratedTokens"], line, "GeneratedTokens"),
    })),
  );
}

/** Guesses the format from the first non-empty line (a CSV header or a JSON object's keys). */
export function detectTraceFormat(text: string): TraceFormat | undefined {
  const first =
    lines(text)
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  if (first.startsWith("{")) {
    if (first.includes('"hash_ids"')) return "mooncake-jsonl";
    if (first.includes('"input_toks"')) return "token-jsonl";
    if (first.includes('"ContextTokens"')) return "apex-jsonl";
    return undefined;
  }
  if (first.includes("TIMESTAMP") && first.includes("ContextTokens")) return "azure-csv";
  if (first.includes("num_prefill_tokens")) return "length-csv";
  return undefined;
}

/** Parses a trace in the given format, or the detected one. */
export function parseTrace(text: string, format?: TraceFormat): ParsedTrace {
  const f = format ?? detectTraceFormat(text);
  if (!f)
    throw new MemlensError(
      "malformed-file",
      `cannot tell the trace format from the first line; pass one of ${TRACE_FORMATS.join(", ")}`,
      "format",
      TRACE_FORMATS,
    );
  switch (f) {
    case "azure-csv":
      return { format: f, requests: parseAzureTrace(text), hasArrivals: true };
    case "mooncake-jsonl":
      return { format: f, requests: parseMooncakeTrace(text), hasArrivals: true };
    case "length-csv": {
      const r = parseLengthCsv(text);
      return { format: f, requests: r.requests, hasArrivals: r.hasArrivals };
    }
    case "token-jsonl":
      return { format: f, requests: parseTokenTrace(text), hasArrivals: true };
    case "apex-jsonl":
      return { format: f, requests: parseApexTrace(text), hasArrivals: true };
  }
}

/** Per-request timings measured on a real engine (LLMServingSim bench `vllm/requests.jsonl`). */
export interface MeasuredRequest {
  readonly promptTokens: number;
  readonly outputTokens: number;
  /** first_token_ts − queued_ts (vLLM's TTFT clock starts when the request is queued). */
  readonly ttftSeconds: number;
  /** (last_token_ts − first_token_ts) / (output − 1); NaN for one-token outputs. */
  readonly tpotSeconds: number;
  /** last_token_ts − queued_ts. */
  readonly e2eSeconds: number;
}

/** Parses measured per-request timings (`request_id, input_toks, output_toks, queued_ts, first_token_ts, last_token_ts`). */
export function parseMeasuredRequests(text: string): MeasuredRequest[] {
  return jsonlRows(text, (o, line) => {
    const q = finite(o["queued_ts"], line, "queued_ts");
    const f = finite(o["first_token_ts"], line, "first_token_ts");
    const l = finite(o["last_token_ts"], line, "last_token_ts");
    const outputTokens = tokens(o["output_toks"], line, "output_toks");
    return {
      promptTokens: tokens(o["input_toks"], line, "input_toks"),
      outputTokens,
      ttftSeconds: f - q,
      tpotSeconds: outputTokens > 1 ? (l - f) / (outputTokens - 1) : Number.NaN,
      e2eSeconds: l - q,
    };
  });
}
