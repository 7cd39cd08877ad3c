import { formatBinaryBytes, GPU_LIST } from "@memlens/core";
import { parseFlags } from "../args.js";
import { detectReport, detectText } from "../detect/auto.js";
import { detectMachine } from "../detect/probe.js";
import type { CliIo } from "../io.js";

export async function runGpus(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, {
    json: { type: "boolean" },
    detect: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(
      "memlens gpus [--json]: the embedded GPU and machine catalog (memory, bandwidth, dense FLOP/s, source)\n" +
        "memlens gpus --detect [--json]: this machine's GPUs (nvidia-smi, rocm-smi, system_profiler) and RAM (/proc),\n" +
        "  matched to the catalog; what --gpu auto would use\n",
    );
    return 0;
  }
  if (values.detect) {
    const machine = await (io.detect ?? (() => detectMachine()))();
    io.stdout.write(
      values.json ? `${JSON.stringify(detectReport(machine), null, 2)}\n` : detectText(machine),
    );
    return 0;
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(GPU_LIST, null, 2)}\n`);
    return 0;
  }
  const w = Math.max(22, ...GPU_LIST.map((g) => g.id.length + 2));
  const head = `${"id".padEnd(w)}${"memory".padStart(11)}${"bandwidth".padStart(13)}${"bf16/fp16".padStart(13)}  name`;
  const rows = GPU_LIST.map((g) => {
    const f = g.flopsPerSecond;
    // CPU-only rows have no 16-bit figure: their FP32 is shown, marked *.
    const half = f.bf16 ?? f.fp16;
    const t = (half ?? f.fp32 ?? 0) / 1e12;
    const flops = `${t.toFixed(t < 10 ? 2 : 0)} TFLOP/s${half === undefined ? "*" : " "}`;
    return `${g.id.padEnd(w)}${formatBinaryBytes(g.memoryBytes).padStart(11)}${`${(g.bandwidthBytesPerSecond / 1e9).toFixed(0)} GB/s`.padStart(13)}${flops.padStart(14)} ${g.name}`;
  });
  io.stdout.write(
    `${[head, ...rows].join("\n")}\n${rows.length} GPUs and machines (dense figures; GB/s = 1e9 bytes/s; * = FP32, CPU only)\n`,
  );
  return 0;
}
