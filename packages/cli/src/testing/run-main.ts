/** Test support (not built into dist): runs the CLI's `main` in process and captures its output. */
import { expect } from "vitest";
import type { DetectedMachine } from "../detect/probe.js";
import { main } from "../main.js";

export interface RunMainOptions {
  /** Text served as standard input (for `--scenario -`). */
  readonly stdin?: string | undefined;
  /** Whether stderr claims to be a terminal (progress bars draw only then). */
  readonly stderrIsTty?: boolean | undefined;
  /** What `--gpu auto` / `gpus --detect` see instead of probing this machine. */
  readonly detect?: (() => Promise<DetectedMachine>) | undefined;
  /** Environment besides NO_COLOR=1 (HF_ENDPOINT, MEMLENS_CACHE_DIR for the Hub stand-in). */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

export async function runMain(
  argv: readonly string[],
  o: RunMainOptions = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const text = o.stdin;
  const code = await main({
    argv,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: o.stderrIsTty ?? false },
    stdin:
      text === undefined
        ? undefined
        : (async function* () {
            yield text;
          })(),
    env: { NO_COLOR: "1", ...o.env },
    ...(o.detect ? { detect: o.detect } : {}),
  });
  return { code, out, err };
}

/** Runs a command that must succeed (exit 0) and returns its --json output, parsed. */
// biome-ignore lint/suspicious/noExplicitAny: parsed --json output, read field by field in tests
export async function runJson(argv: readonly string[], o: RunMainOptions = {}): Promise<any> {
  const r = await runMain(argv, o);
  expect(r.code, r.err || r.out.slice(0, 500)).toBe(0);
  return JSON.parse(r.out);
}
