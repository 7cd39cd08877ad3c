/**
 * Pure parsers for what the machine-probing tools print (no I/O here: ./probe.ts runs them).
 * Each takes the tool's raw output and returns the devices it names; tests feed recorded outputs
 * from ./fixtures/.
 */

/** One kind of device the machine has (identical devices grouped, `count` of them). */
export interface DetectedDevice {
  /** The name as the tool printed it, e.g. "NVIDIA GeForce RTX 4090", "Apple M3 Max". */
  readonly name: string;
  /** Total memory the tool reported, bytes; absent when it printed none (e.g. "[N/A]"). */
  readonly memoryBytes?: number;
  /** "gpu": discrete GPU; "unified": SoC whose GPU shares system memory; "cpu": the host CPU and its RAM. */
  readonly kind: "gpu" | "unified" | "cpu";
  /** The tool (or file) that reported it. */
  readonly via: "nvidia-smi" | "rocm-smi" | "system_profiler" | "/proc/meminfo";
  /** How many identical devices (same name and memory) there are. */
  readonly count: number;
}

const MIB = 2 ** 20;
const KIB = 1024;

/** Groups identical (name, memory, kind) entries, keeping first-seen order. */
function group(items: readonly Omit<DetectedDevice, "count">[]): DetectedDevice[] {
  const out: DetectedDevice[] = [];
  for (const d of items) {
    const i = out.findIndex((o) => o.name === d.name && o.memoryBytes === d.memoryBytes && o.kind === d.kind);
    const prev = out[i];
    if (prev) out[i] = { ...prev, count: prev.count + 1 };
    else out.push({ ...d, count: 1 });
  }
  return out;
}

/** Splits one CSV line on commas outside double quotes. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      cells.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

/**
 * `nvidia-smi --query-gpu=name,memory.total --format=csv[,noheader][,nounits]`: one line per GPU,
 * memory in MiB ("24564" or "24564 MiB"); a header line ("name, memory.total [MiB]") is skipped.
 * A memory cell that is not a number ("[N/A]", "[Not Supported]") leaves the memory absent.
 */
export function parseNvidiaSmiCsv(text: string): DetectedDevice[] {
  const items: Omit<DetectedDevice, "count">[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || /^name\s*,/i.test(line)) continue;
    const [name, mem] = csvCells(line);
    if (!name) continue;
    const m = /^(\d+(?:\.\d+)?)\s*(MiB)?$/i.exec(mem ?? "");
    items.push({
      name,
      ...(m ? { memoryBytes: Math.round(Number(m[1]) * MIB) } : {}),
      kind: "gpu",
      via: "nvidia-smi",
    });
  }
  return group(items);
}

/** A tool's JSON output as an object, or undefined when it is not one. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const doc: unknown = JSON.parse(text);
    return typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Looks a key up case-insensitively (rocm-smi has printed both "Card series" and "Card Series"). */
function field(o: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const want of keys) {
    for (const [k, v] of Object.entries(o)) {
      if (k.toLowerCase() === want.toLowerCase() && typeof v === "string" && v.trim() && v !== "N/A")
        return v.trim();
    }
  }
  return undefined;
}

/**
 * `rocm-smi --showproductname --showmeminfo vram --json`: an object keyed "card0", "card1", ...
 * with "Card Series" / "Card Model" / "Card SKU" and "VRAM Total Memory (B)" (a decimal string);
 * other keys ("system") are ignored.
 */
export function parseRocmSmiJson(text: string): DetectedDevice[] {
  const doc = jsonObject(text);
  if (!doc) return [];
  const items: Omit<DetectedDevice, "count">[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (!/^card\d+$/i.test(key) || typeof value !== "object" || value === null) continue;
    const card = value as Record<string, unknown>;
    const name = field(card, "Card Series", "Card series", "Card Model", "Card model", "Card SKU");
    if (!name) continue;
    const total = field(card, "VRAM Total Memory (B)");
    const bytes = total && /^\d+$/.test(total) ? Number(total) : undefined;
    items.push({ name, ...(bytes ? { memoryBytes: bytes } : {}), kind: "gpu", via: "rocm-smi" });
  }
  return group(items);
}

/** "128 GB" / "16 GB" (Apple's physical_memory, binary sizes) → bytes. */
function appleMemory(s: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(GB|TB|MB)$/i.exec((s ?? "").trim());
  if (!m) return undefined;
  const unit = (m[2] ?? "GB").toUpperCase();
  const scale = unit === "TB" ? 2 ** 40 : unit === "MB" ? 2 ** 20 : 2 ** 30;
  return Math.round(Number(m[1]) * scale);
}

/**
 * `system_profiler SPHardwareDataType SPDisplaysDataType -json` on a Mac: Apple silicon
 * (SPHardwareDataType[0].chip_type "Apple M3 Max", physical_memory "128 GB") is one unified-memory
 * device; its GPU core count (SPDisplaysDataType[].sppci_cores) is added to the name when present.
 * Intel Macs (no chip_type) yield nothing: their GPUs are not in the catalog's Apple rows.
 */
export function parseSystemProfilerJson(text: string): DetectedDevice[] {
  const doc = jsonObject(text);
  if (!doc) return [];
  const d = doc;
  const hw = Array.isArray(d.SPHardwareDataType)
    ? (d.SPHardwareDataType[0] as Record<string, unknown>)
    : undefined;
  const chip = hw ? field(hw, "chip_type") : undefined;
  if (!hw || !chip) return [];
  const displays = Array.isArray(d.SPDisplaysDataType)
    ? (d.SPDisplaysDataType as Record<string, unknown>[])
    : [];
  const cores = displays.map((x) => field(x, "sppci_cores")).find((c) => c !== undefined);
  const memoryBytes = appleMemory(field(hw, "physical_memory"));
  return [
    {
      name: cores ? `${chip} (${cores}-core GPU)` : chip,
      ...(memoryBytes ? { memoryBytes } : {}),
      kind: "unified",
      via: "system_profiler",
      count: 1,
    },
  ];
}

/** /proc/meminfo's MemTotal (kB, which proc(5) means as KiB) → bytes. */
export function parseProcMeminfo(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/im.exec(text);
  return m ? Number(m[1]) * KIB : undefined;
}

/** /proc/cpuinfo's first "model name" (x86) or "Model" / "Hardware" line (Arm boards). */
export function parseProcCpuinfoModel(text: string): string | undefined {
  for (const key of ["model name", "Model", "Hardware"]) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, "m").exec(text);
    if (m?.[1]?.trim()) return m[1].trim().replace(/\s+/g, " ");
  }
  return undefined;
}

/** The host as a "cpu" device: its CPU model and RAM (from /proc). */
export function hostDevice(
  meminfo: string | undefined,
  cpuinfo: string | undefined,
): DetectedDevice | undefined {
  const memoryBytes = meminfo ? parseProcMeminfo(meminfo) : undefined;
  const model = cpuinfo ? parseProcCpuinfoModel(cpuinfo) : undefined;
  if (memoryBytes === undefined && model === undefined) return undefined;
  return {
    name: model ?? "unknown CPU",
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    kind: "cpu",
    via: "/proc/meminfo",
    count: 1,
  };
}
