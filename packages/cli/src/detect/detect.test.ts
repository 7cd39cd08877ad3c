import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GPU_LIST } from "@memlens/core";
import { describe, expect, it } from "vitest";
import { runMain } from "../testing/run-main.js";
import { chooseAuto, NO_GPU_MESSAGE, rewriteGpuAuto } from "./auto.js";
import { matchDevice } from "./match.js";
import {
  type DetectedDevice,
  hostDevice,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
  parseSystemProfilerJson,
} from "./parse.js";
import {
  type DetectedMachine,
  detectMachine,
  type ProbeRunner,
  systemRunner,
  type ToolResult,
} from "./probe.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
/** A recorded tool output: the fixture minus its "#" header (which says where the format comes from). */
const fixture = (name: string): string =>
  readFileSync(join(dir, name), "utf8")
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join("\n");
const MIB = 2 ** 20;
const GIB = 2 ** 30;
const idOf = (d: DetectedDevice | undefined) => (d ? matchDevice(d, GPU_LIST)?.gpu.id : undefined);

/** A fake machine: tool name -> recorded stdout (missing = tool absent), /proc files by path. */
function fakeRunner(
  tools: Record<string, string | ToolResult>,
  files: Record<string, string> = {},
  platform = "linux",
): ProbeRunner {
  return {
    platform,
    run: async (cmd) => {
      const t = tools[cmd];
      if (t === undefined) return { status: "absent" };
      return typeof t === "string" ? { status: "ok", stdout: t } : t;
    },
    readText: (p) => files[p],
  };
}
const machine =
  (r: ProbeRunner): (() => Promise<DetectedMachine>) =>
  () =>
    detectMachine(r);
const desktop13900k = {
  "/proc/meminfo": fixture("proc-meminfo-64g.txt"),
  "/proc/cpuinfo": fixture("proc-cpuinfo-13900k.txt"),
};
const epycServer = {
  "/proc/meminfo": fixture("proc-meminfo-64g.txt"),
  "/proc/cpuinfo": fixture("proc-cpuinfo-epyc.txt"),
};

describe("tool output parsers (recorded outputs)", () => {
  it("nvidia-smi CSV, noheader/nounits: two identical RTX 4090s grouped, 24564 MiB each", () => {
    expect(parseNvidiaSmiCsv(fixture("nvidia-smi-rtx4090x2.txt"))).toEqual([
      { name: "NVIDIA GeForce RTX 4090", memoryBytes: 24564 * MIB, kind: "gpu", via: "nvidia-smi", count: 2 },
    ]);
  });

  it("nvidia-smi CSV with header and units: 8 x H100 at 81559 MiB", () => {
    const d = parseNvidiaSmiCsv(fixture("nvidia-smi-h100x8-header.txt"));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ name: "NVIDIA H100 80GB HBM3", memoryBytes: 81559 * MIB, count: 8 });
  });

  it("nvidia-smi: a memory field of [N/A] leaves the memory absent", () => {
    const [d] = parseNvidiaSmiCsv(fixture("nvidia-smi-gb10.txt"));
    expect(d?.name).toBe("NVIDIA GB10");
    expect(d?.memoryBytes).toBeUndefined();
  });

  it("rocm-smi JSON: card objects (either key spelling), VRAM Total Memory (B); other keys ignored", () => {
    expect(parseRocmSmiJson(fixture("rocm-smi-mi300x.txt"))).toEqual([
      { name: "AMD Instinct MI300X OAM", memoryBytes: 205822885888, kind: "gpu", via: "rocm-smi", count: 2 },
    ]);
    expect(parseRocmSmiJson(fixture("rocm-smi-radeon.txt"))[0]).toMatchObject({
      name: "Navi 31 [Radeon RX 7900 XT/7900 XTX]",
      memoryBytes: 21458059264,
    });
    expect(parseRocmSmiJson("not json")).toEqual([]);
  });

  it("system_profiler JSON: Apple silicon chip, GPU cores and unified memory", () => {
    expect(parseSystemProfilerJson(fixture("system-profiler-m3max.txt"))).toEqual([
      {
        name: "Apple M3 Max (40-core GPU)",
        memoryBytes: 128 * GIB,
        kind: "unified",
        via: "system_profiler",
        count: 1,
      },
    ]);
    expect(parseSystemProfilerJson('{"SPHardwareDataType":[{"cpu_type":"Intel Core i9"}]}')).toEqual([]);
  });

  it("/proc/meminfo and /proc/cpuinfo: MemTotal in KiB and the model name", () => {
    const h = hostDevice(fixture("proc-meminfo-64g.txt"), fixture("proc-cpuinfo-13900k.txt"));
    expect(h).toEqual({
      name: "13th Gen Intel(R) Core(TM) i9-13900K",
      memoryBytes: 65620176 * 1024,
      kind: "cpu",
      via: "/proc/meminfo",
      count: 1,
    });
  });
});

describe("matching detected devices to the catalog", () => {
  const gpu = (name: string, mib?: number): DetectedDevice => ({
    name,
    ...(mib ? { memoryBytes: mib * MIB } : {}),
    kind: "gpu",
    via: "nvidia-smi",
    count: 1,
  });

  it("by name and reported memory, preferring the recorded total", () => {
    expect(matchDevice(gpu("NVIDIA GeForce RTX 4090", 24564), GPU_LIST)).toMatchObject({
      gpu: { id: "RTX-4090" },
      by: "exact",
    });
    expect(idOf(gpu("NVIDIA H100 80GB HBM3", 81559))).toBe("H100-SXM-80GB");
    expect(idOf(gpu("NVIDIA H100 PCIe", 81559))).toBe("H100-PCIE-80GB");
    expect(idOf(gpu("NVIDIA H100 NVL", 95830))).toBe("H100-NVL-94GB");
    expect(idOf(gpu("Tesla T4", 15360))).toBe("T4-16GB");
    expect(idOf(gpu("NVIDIA A100-SXM4-80GB", 81920))).toBe("A100-80GB");
    expect(idOf(gpu("NVIDIA A100-SXM4-40GB", 40960))).toBe("A100-40GB");
  });

  it("a variant word keeps cards apart (4060 vs 4060 Ti, 5070 vs 5070 Ti), memory picks the SKU", () => {
    expect(idOf(gpu("NVIDIA GeForce RTX 4060 Ti", 8188))).toBe("RTX-4060-Ti-8GB");
    expect(idOf(gpu("NVIDIA GeForce RTX 4060 Ti", 16380))).toBe("RTX-4060-Ti-16GB");
    expect(idOf(gpu("NVIDIA GeForce RTX 4060", 8188))).toBe("RTX-4060");
    expect(idOf(gpu("NVIDIA GeForce RTX 5070 Ti", 16303))).toBe("RTX-5070-Ti");
    expect(idOf(gpu("NVIDIA GeForce RTX 4090 Laptop GPU", 16376))).toBeUndefined();
    expect(idOf(gpu("NVIDIA GeForce RTX 3070 Ti", 8192))).toBeUndefined();
    const radeon = parseRocmSmiJson(fixture("rocm-smi-radeon.txt"))[0];
    expect(idOf(radeon)).toBe("RX-7900-XT");
    expect(idOf(parseRocmSmiJson(fixture("rocm-smi-mi300x.txt"))[0])).toBe("MI300X");
  });

  it("unified memory and CPU-only machines", () => {
    expect(idOf(parseSystemProfilerJson(fixture("system-profiler-m3max.txt"))[0])).toBe("M3-Max-128GB");
    expect(idOf(parseSystemProfilerJson(fixture("system-profiler-m4max-36gb.txt"))[0])).toBeUndefined();
    expect(
      matchDevice(parseNvidiaSmiCsv(fixture("nvidia-smi-gb10.txt"))[0] as DetectedDevice, GPU_LIST),
    ).toMatchObject({
      gpu: { id: "DGX-Spark" },
      by: "name",
    });
    const host = hostDevice(fixture("proc-meminfo-64g.txt"), fixture("proc-cpuinfo-13900k.txt"));
    expect(idOf(host)).toBe("CPU-i9-13900K-DDR5-64GB");
    expect(
      idOf(hostDevice(fixture("proc-meminfo-64g.txt"), fixture("proc-cpuinfo-epyc.txt"))),
    ).toBeUndefined();
    // A GPU name never matches a CPU row and vice versa.
    expect(idOf({ ...gpu("i9-13900K", 65536) })).toBeUndefined();
  });
});

describe("probing and --gpu auto", () => {
  it("runs every tool, reads /proc on Linux, and reports what each probe did", async () => {
    const m = await detectMachine(
      fakeRunner(
        { "nvidia-smi": fixture("nvidia-smi-rtx4090x2.txt"), "rocm-smi": { status: "timeout" } },
        desktop13900k,
      ),
    );
    expect(m.devices.map((d) => d.name)).toEqual(["NVIDIA GeForce RTX 4090"]);
    expect(m.host?.name).toContain("i9-13900K");
    expect(m.probes).toEqual([
      { tool: "nvidia-smi", status: "ok" },
      { tool: "rocm-smi", status: "timeout" },
      { tool: "system_profiler", status: "skipped" },
    ]);
    expect(chooseAuto(m)).toMatchObject({ kind: "catalog", gpu: { id: "RTX-4090" } });
  });

  it("no GPU tool and an unlisted CPU: no choice, the one-line message", async () => {
    const m = await detectMachine(fakeRunner({}, epycServer));
    expect(m.devices).toEqual([]);
    expect(chooseAuto(m)).toEqual({ kind: "none", message: NO_GPU_MESSAGE });
    // A listed CPU is used when there is no GPU.
    expect(chooseAuto(await detectMachine(fakeRunner({}, desktop13900k)))).toMatchObject({
      gpu: { id: "CPU-i9-13900K-DDR5-64GB" },
    });
  });

  it("rewrites --gpu auto and --gpu=auto; an unlisted GPU becomes --memory-bytes only where the command takes it", () => {
    const device = parseNvidiaSmiCsv(fixture("nvidia-smi-rtx4090x2.txt"))[0] as DetectedDevice;
    const gpu = GPU_LIST.find((g) => g.id === "RTX-4090");
    if (!gpu) throw new Error("catalog");
    const r = rewriteGpuAuto("plan", ["--model", "m", "--gpu", "auto"], {
      kind: "catalog",
      gpu,
      device,
      by: "exact",
    });
    expect(r.argv).toEqual(["--model", "m", "--gpu", "RTX-4090"]);
    expect(r.note).toContain("add --gpus 2");
    expect(rewriteGpuAuto("fit", ["--gpu=AUTO"], { kind: "catalog", gpu, device, by: "exact" }).argv).toEqual(
      ["--gpu", "RTX-4090"],
    );
    const adhoc = { kind: "memory" as const, bytes: 8192 * MIB, device: { ...device, name: "X", count: 1 } };
    expect(rewriteGpuAuto("estimate", ["--gpu", "auto"], adhoc).argv).toEqual([
      "--memory-bytes",
      String(8192 * MIB),
    ]);
    expect(() => rewriteGpuAuto("plan", ["--gpu", "auto"], adhoc)).toThrow(
      /not in the catalog; pass --gpu ID/,
    );
  });

  it("a real probe that overruns its timeout is abandoned, not waited for", async () => {
    const t0 = Date.now();
    const r = await systemRunner.run(process.execPath, ["-e", "setTimeout(() => {}, 10000)"], 300);
    expect(r.status).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await systemRunner.run("memlens-no-such-tool-xyz", [], 1000)).status).toBe("absent");
  });
});

describe("CLI: gpus --detect and --gpu auto", () => {
  const base = ["estimate", "--model", "meta-llama/Llama-3.1-8B", "--ctx", "8192", "--json"];
  const rtx4090 = machine(fakeRunner({ "nvidia-smi": fixture("nvidia-smi-rtx4090x2.txt") }, desktop13900k));
  const nothing = machine(fakeRunner({}, epycServer));

  it("--gpu auto gives the same estimate as naming the detected GPU, with a note on stderr", async () => {
    const auto = await runMain([...base, "--gpu", "auto"], { detect: rtx4090 });
    const named = await runMain([...base, "--gpu", "RTX-4090"]);
    expect(auto.code).toBe(0);
    expect(auto.out).toBe(named.out);
    expect(auto.err).toContain("--gpu auto: RTX-4090");
  });

  it("an unlisted GPU is sized from its reported memory (estimate), like --memory-bytes", async () => {
    const mixed = machine(fakeRunner({ "nvidia-smi": fixture("nvidia-smi-mixed.txt") }));
    const auto = await runMain([...base, "--gpu", "auto"], { detect: mixed });
    const bytes = await runMain([...base, "--memory-bytes", String(8192 * MIB)]);
    expect(auto.code).toBe(0);
    expect(auto.out).toBe(bytes.out);
  });

  it("no GPU: exit 2 with the one-line message, for every command that takes --gpu", async () => {
    for (const argv of [
      [...base, "--gpu", "auto"],
      ["plan", "--model", "meta-llama/Llama-3.1-8B", "--gpu", "auto", "--goal", "serve", "--ctx", "8192"],
      ["simulate", "--model", "meta-llama/Llama-3.1-8B", "--gpu", "auto", "--requests", "4"],
    ]) {
      const r = await runMain(argv, { detect: nothing });
      expect(r.code).toBe(2);
      expect(`${r.out}${r.err}`).toContain(NO_GPU_MESSAGE);
    }
  });

  it("gpus --detect: text and --json (devices with matches, host, probes, what auto picks)", async () => {
    const t = await runMain(["gpus", "--detect"], { detect: rtx4090 });
    expect(t.code).toBe(0);
    expect(t.out).toContain("gpu: 2 × NVIDIA GeForce RTX 4090, 23.99 GiB (nvidia-smi) → RTX-4090");
    expect(t.out).toContain("host: 13th Gen Intel(R) Core(TM) i9-13900K");
    expect(t.out).toContain("--gpu auto → RTX-4090");
    const j = JSON.parse((await runMain(["gpus", "--detect", "--json"], { detect: rtx4090 })).out);
    expect(j.devices[0]).toMatchObject({ count: 2, match: { id: "RTX-4090", by: "exact" } });
    expect(j.host.match.id).toBe("CPU-i9-13900K-DDR5-64GB");
    expect(j.auto).toEqual({ gpu: "RTX-4090", by: "exact" });
    const none = await runMain(["gpus", "--detect"], { detect: nothing });
    expect(none.out.split("\n")[0]).toBe("no GPU detected (nvidia-smi: absent, rocm-smi: absent)");
  });

  it("gpus and gpus --json list the whole catalog, every entry with its source", async () => {
    const j = JSON.parse((await runMain(["gpus", "--json"])).out) as { id: string; source: string }[];
    expect(j.length).toBe(GPU_LIST.length);
    expect(j.length).toBeGreaterThanOrEqual(60);
    for (const g of j) expect(g.source.length).toBeGreaterThan(10);
    const t = await runMain(["gpus"]);
    expect(t.out).toContain("M3-Ultra-512GB");
    expect(t.out).toContain(`${GPU_LIST.length} GPUs and machines`);
  });
});
