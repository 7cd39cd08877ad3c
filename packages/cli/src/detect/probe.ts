/**
 * Reads the local machine: runs nvidia-smi / rocm-smi / system_profiler (each with a timeout, so
 * nothing hangs) and reads /proc/meminfo and /proc/cpuinfo, then hands the text to ./parse.ts.
 * The only I/O of `gpus --detect` and `--gpu auto`; tests replace the runner with recorded outputs.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  type DetectedDevice,
  hostDevice,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
  parseSystemProfilerJson,
} from "./parse.js";

/** How long one tool may take before it is abandoned (system_profiler is the slow one). */
export const PROBE_TIMEOUT_MS = 8000;

/** What running a tool gave: its stdout, or why there is none. */
export type ToolResult =
  | { readonly status: "ok"; readonly stdout: string }
  | { readonly status: "absent" | "failed" | "timeout"; readonly detail?: string };

/** The machine as the probes see it; tests supply a fake. */
export interface ProbeRunner {
  readonly platform: string;
  run(cmd: string, args: readonly string[], timeoutMs: number): Promise<ToolResult>;
  /** A small text file's contents, or undefined when it cannot be read. */
  readText(path: string): string | undefined;
}

export interface ProbeReport {
  readonly tool: string;
  readonly status: ToolResult["status"] | "skipped";
  readonly detail?: string;
}

export interface DetectedMachine {
  /** GPUs and unified-memory SoCs, in the order the tools listed them. */
  readonly devices: readonly DetectedDevice[];
  /** The host CPU and its RAM (Linux /proc), when readable. */
  readonly host?: DetectedDevice;
  /** What each probe did, for the "nothing found" message and --json. */
  readonly probes: readonly ProbeReport[];
}

/** Runs real processes: execFile (no shell), a timeout, and a bounded output buffer. */
export const systemRunner: ProbeRunner = {
  platform: process.platform,
  run: (cmd, args, timeoutMs) =>
    new Promise((resolve) => {
      execFile(
        cmd,
        [...args],
        { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true, encoding: "utf8" },
        (err, stdout) => {
          if (!err) return resolve({ status: "ok", stdout });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
          if (e.code === "ENOENT") return resolve({ status: "absent" });
          if (e.killed || e.signal === "SIGTERM") return resolve({ status: "timeout" });
          resolve({ status: "failed", detail: (e.message.split("\n")[0] ?? "").slice(0, 200) });
        },
      );
    }),
  readText: (path) => {
    try {
      return readFileSync(path, "utf8").slice(0, 1 << 20);
    } catch {
      return undefined;
    }
  },
};

const TOOLS: readonly {
  tool: string;
  cmd: string;
  args: readonly string[];
  parse: (s: string) => DetectedDevice[];
  only?: string;
}[] = [
  {
    tool: "nvidia-smi",
    cmd: "nvidia-smi",
    args: ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
    parse: parseNvidiaSmiCsv,
  },
  {
    tool: "rocm-smi",
    cmd: "rocm-smi",
    args: ["--showproductname", "--showmeminfo", "vram", "--json"],
    parse: parseRocmSmiJson,
  },
  {
    tool: "system_profiler",
    cmd: "system_profiler",
    args: ["SPHardwareDataType", "SPDisplaysDataType", "-json"],
    parse: parseSystemProfilerJson,
    only: "darwin",
  },
];

/** Probes the machine; every tool runs at once, each bounded by `timeoutMs`. */
export async function detectMachine(
  runner: ProbeRunner = systemRunner,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<DetectedMachine> {
  const results = await Promise.all(
    TOOLS.map(async (t) => {
      if (t.only && runner.platform !== t.only)
        return { report: { tool: t.tool, status: "skipped" } as const };
      const r = await runner.run(t.cmd, t.args, timeoutMs);
      if (r.status !== "ok")
        return { report: { tool: t.tool, status: r.status, ...(r.detail ? { detail: r.detail } : {}) } };
      const devices = t.parse(r.stdout);
      return {
        report: {
          tool: t.tool,
          status: "ok" as const,
          ...(devices.length ? {} : { detail: "no devices listed" }),
        },
        devices,
      };
    }),
  );
  const host =
    runner.platform === "linux"
      ? hostDevice(runner.readText("/proc/meminfo"), runner.readText("/proc/cpuinfo"))
      : undefined;
  return {
    devices: results.flatMap((r) => r.devices ?? []),
    ...(host ? { host } : {}),
    probes: results.map((r) => r.report),
  };
}
