/**
 * `--gpu auto` and `gpus --detect`: picks the catalog entry (or an ad-hoc memory size) for the
 * machine that ./probe.ts read, and rewrites the command line. Pure apart from the probe it is given.
 */
import { GPU_LIST, type GpuSpec, MemlensError } from "@memlens/core";
import { type CatalogMatch, matchDevice } from "./match.js";
import type { DetectedDevice } from "./parse.js";
import type { DetectedMachine } from "./probe.js";

export const NO_GPU_MESSAGE = "no GPU detected; pass --gpu ID (memlens gpus lists them)";

/** Commands that accept --memory-bytes, so an unlisted GPU can still be sized by its memory. */
const MEMORY_FLAG_COMMANDS = new Set(["estimate", "train-fit"]);

/** What `--gpu auto` resolves to. */
export type AutoChoice =
  | {
      readonly kind: "catalog";
      readonly gpu: GpuSpec;
      readonly device: DetectedDevice;
      readonly by: CatalogMatch["by"];
    }
  | { readonly kind: "memory"; readonly bytes: number; readonly device: DetectedDevice }
  | { readonly kind: "none"; readonly message: string };

/** One line for a detected device: "2 × NVIDIA GeForce RTX 4090, 23.99 GiB (nvidia-smi)". */
export function describeDevice(d: DetectedDevice): string {
  // Two decimals: a reported total sits just under the marketed size (24564 MiB = 23.99 GiB).
  const mem =
    d.memoryBytes === undefined ? "memory not reported" : `${(d.memoryBytes / 2 ** 30).toFixed(2)} GiB`;
  return `${d.count > 1 ? `${d.count} × ` : ""}${d.name}, ${mem} (${d.via})`;
}

/**
 * The device `--gpu auto` uses: the first GPU the tools listed (a catalog entry when its name and
 * memory match, else its reported memory); with no GPU, the host CPU when it matches a CPU-only row.
 */
export function chooseAuto(m: DetectedMachine, catalog: readonly GpuSpec[] = GPU_LIST): AutoChoice {
  const first = m.devices[0];
  if (first) {
    const hit = matchDevice(first, catalog);
    if (hit) return { kind: "catalog", gpu: hit.gpu, device: first, by: hit.by };
    if (first.memoryBytes !== undefined) return { kind: "memory", bytes: first.memoryBytes, device: first };
    return {
      kind: "none",
      message: `detected ${describeDevice(first)}, which is not in the catalog; pass --gpu ID (memlens gpus lists them)`,
    };
  }
  const hostHit = m.host ? matchDevice(m.host, catalog) : undefined;
  if (m.host && hostHit) return { kind: "catalog", gpu: hostHit.gpu, device: m.host, by: hostHit.by };
  return { kind: "none", message: NO_GPU_MESSAGE };
}

/** Index of the value of `--gpu auto` / `--gpu=auto` in argv, or -1. */
export function gpuAutoIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--gpu" && (argv[i + 1] ?? "").toLowerCase() === "auto") return i + 1;
    if (a.toLowerCase() === "--gpu=auto") return i;
  }
  return -1;
}

/**
 * Rewrites `--gpu auto` for `command`: to the matched catalog id, or to `--memory-bytes N` for an
 * unlisted GPU where the command takes it. Throws (exit 2) when there is nothing to use.
 * @returns the new argv and a one-line note for stderr.
 */
export function rewriteGpuAuto(
  command: string,
  argv: readonly string[],
  choice: AutoChoice,
): { argv: string[]; note: string } {
  const at = gpuAutoIndex(argv);
  const out = [...argv];
  if (at < 0) return { argv: out, note: "" };
  const twoTokens = (out[at] ?? "").toLowerCase() === "auto";
  const flagAt = twoTokens ? at - 1 : at;
  const width = twoTokens ? 2 : 1;
  if (choice.kind === "none")
    throw new MemlensError("invalid-value", `--gpu auto: ${choice.message}`, "--gpu");
  const d = choice.device;
  const more =
    d.count > 1 && !argv.includes("--gpus")
      ? `; ${d.count} present (add --gpus ${d.count} to use them all)`
      : "";
  if (choice.kind === "catalog") {
    out.splice(flagAt, width, "--gpu", choice.gpu.id);
    return { argv: out, note: `--gpu auto: ${choice.gpu.id} (${describeDevice(d)})${more}` };
  }
  if (!MEMORY_FLAG_COMMANDS.has(command) || argv.includes("--memory-bytes"))
    throw new MemlensError(
      "invalid-value",
      `--gpu auto: detected ${describeDevice(d)}, which is not in the catalog; pass --gpu ID (memlens gpus lists them)`,
      "--gpu",
    );
  out.splice(flagAt, width, "--memory-bytes", String(choice.bytes));
  return {
    argv: out,
    note: `--gpu auto: ${describeDevice(d)} is not in the catalog; using its reported memory (--memory-bytes ${choice.bytes}), no speed figures${more}`,
  };
}

/** `gpus --detect --json`: each device with its catalog match, the host, the probes, and what auto picks. */
export function detectReport(m: DetectedMachine, catalog: readonly GpuSpec[] = GPU_LIST): unknown {
  const withMatch = (d: DetectedDevice) => {
    const hit = matchDevice(d, catalog);
    return { ...d, match: hit ? { id: hit.gpu.id, name: hit.gpu.name, by: hit.by } : null };
  };
  const auto = chooseAuto(m, catalog);
  return {
    devices: m.devices.map(withMatch),
    host: m.host ? withMatch(m.host) : null,
    probes: m.probes,
    auto:
      auto.kind === "catalog"
        ? { gpu: auto.gpu.id, by: auto.by }
        : auto.kind === "memory"
          ? { gpu: null, memoryBytes: auto.bytes }
          : { gpu: null, message: auto.message },
  };
}

/** `gpus --detect` as text: one line per device and what `--gpu auto` would use. */
export function detectText(m: DetectedMachine, catalog: readonly GpuSpec[] = GPU_LIST): string {
  const lines: string[] = [];
  const line = (d: DetectedDevice) => {
    const hit = matchDevice(d, catalog);
    return `${describeDevice(d)} → ${hit ? `${hit.gpu.id} (${hit.gpu.name})` : "not in the catalog (ad-hoc: memory only, no speed figures)"}`;
  };
  if (m.devices.length === 0) {
    const tried = m.probes.filter((p) => p.status !== "skipped").map((p) => `${p.tool}: ${p.status}`);
    lines.push(`no GPU detected (${tried.join(", ")})`);
  } else for (const d of m.devices) lines.push(`gpu: ${line(d)}`);
  if (m.host) lines.push(`host: ${line(m.host)}`);
  const auto = chooseAuto(m, catalog);
  lines.push(
    auto.kind === "catalog"
      ? `--gpu auto → ${auto.gpu.id}`
      : auto.kind === "memory"
        ? `--gpu auto → --memory-bytes ${auto.bytes} (estimate, train-fit)`
        : `--gpu auto → ${auto.message}`,
  );
  return `${lines.join("\n")}\n`;
}
