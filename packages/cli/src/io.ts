import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MemlensError, parseConfigJson } from "@memlens/core";
import type { DetectedMachine } from "./detect/probe.js";

/** What a command needs from the process; tests pass fakes. */
export interface CliIo {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly stdin?: AsyncIterable<string | Uint8Array> | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the local machine for `--gpu auto` / `gpus --detect`; tests pass recorded tool outputs. */
  readonly detect?: () => Promise<DetectedMachine>;
}

/** Largest JSON file (scenario, config.json) memlens reads: real ones are a few kB. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Reads a bounded JSON file; errors name the field the path came from. */
export function readJsonFile(path: string, field: string): unknown {
  let file = path;
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      file = join(path, "config.json");
      size = statSync(file).size;
    } else size = st.size;
  } catch {
    throw new MemlensError("invalid-value", `${field}: cannot read "${path}" (no such file)`, field);
  }
  if (size > MAX_JSON_BYTES)
    throw new MemlensError(
      "malformed-file",
      `${field}: "${file}" is ${size} bytes; JSON inputs are limited to ${MAX_JSON_BYTES}`,
      field,
    );
  return parseJsonText(readFileSync(file, "utf8"), field, file);
}

/** Reads a bounded text file (a trace, a conversation); errors name the flag it came from. */
export function readTextFile(path: string, field: string, maxBytes: number): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error("directory");
    size = st.size;
  } catch {
    throw new MemlensError("invalid-value", `${field}: cannot read "${path}" (no such file)`, field);
  }
  if (size > maxBytes)
    throw new MemlensError(
      "malformed-file",
      `${field}: "${path}" is ${size} bytes; memlens reads at most ${maxBytes}`,
      field,
    );
  return readFileSync(path, "utf8");
}

/** Parses JSON, taking Python's bare Infinity / NaN tokens as config.json files carry them (parseConfigJson). */
export function parseJsonText(text: string, field: string, where: string): unknown {
  try {
    return parseConfigJson(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new MemlensError("malformed-config", `${field}: ${where} is not valid JSON (${msg})`, field);
  }
}

export async function readStdin(io: CliIo, field: string): Promise<string> {
  if (!io.stdin) throw new MemlensError("invalid-value", `${field}: standard input is not available`, field);
  const chunks: string[] = [];
  let size = 0;
  for await (const c of io.stdin) {
    const s = typeof c === "string" ? c : Buffer.from(c).toString("utf8");
    size += s.length;
    if (size > MAX_JSON_BYTES)
      throw new MemlensError(
        "malformed-file",
        `${field}: standard input exceeds ${MAX_JSON_BYTES} bytes`,
        field,
      );
    chunks.push(s);
  }
  return chunks.join("");
}

/** ANSI styling, off when NO_COLOR is set or stdout is not a terminal. */
export function styler(io: CliIo): {
  bold(s: string): string;
  green(s: string): string;
  red(s: string): string;
  dim(s: string): string;
} {
  const on = io.stdout.isTTY === true && !("NO_COLOR" in io.env && io.env.NO_COLOR !== undefined);
  const wrap = (code: string, end: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[${end}m` : s);
  return { bold: wrap("1", "22"), green: wrap("32", "39"), red: wrap("31", "39"), dim: wrap("2", "22") };
}

/**
 * A progress bar on stderr for a long run ("simulating [####....] 40%"), drawn only when stderr is
 * a terminal and the output is not --json; `done()` clears its line. `update` is undefined when
 * nothing is drawn, so callers pass it straight to core's onProgress.
 */
export function progressBar(
  io: CliIo,
  label: string,
  json: boolean,
): { update: ((fraction: number) => void) | undefined; done(): void } {
  const on = !json && io.stderr.isTTY === true;
  let drawn = -1;
  return {
    update: on
      ? (f: number) => {
          const cells = Math.round(f * 30);
          if (cells === drawn) return;
          drawn = cells;
          io.stderr.write(
            `\r${label} [${"#".repeat(cells)}${".".repeat(30 - cells)}] ${Math.round(f * 100)}%`,
          );
        }
      : undefined,
    done() {
      if (on && drawn >= 0) io.stderr.write("\r\u001b[K");
    },
  };
}
