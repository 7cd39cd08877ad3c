import { formatBinaryBytes, GPU_LIST } from "@memlens/core";
import { parseFlags } from "../args.js";
import type { CliIo } from "../io.js";

export async function runGpus(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout.write(
      "memlens gpus [--json]: the embedded GPU catalog (memory, bandwidth, dense FLOP/s, source)\n",
    );
    return 0;
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(GPU_LIST, null, 2)}\n`);
    return 0;
  }
  const head = `${"id".padEnd(22)}${"memory".padStart(11)}${"bandwidth".padStart(13)}${"bf16/fp16".padStart(13)}  name`;
  const rows = GPU_LIST.map((g) => {
    const half = g.flopsPerSecond.bf16 ?? g.flopsPerSecond.fp16 ?? 0;
    return `${g.id.padEnd(22)}${formatBinaryBytes(g.memoryBytes).padStart(11)}${`${(g.bandwidthBytesPerSecond / 1e9).toFixed(0)} GB/s`.padStart(13)}${`${(half / 1e12).toFixed(0)} TFLOP/s`.padStart(13)}  ${g.name}`;
  });
  io.stdout.write(`${[head, ...rows].join("\n")}\n${rows.length} GPUs (dense figures; GB/s = 1e9 bytes/s)\n`);
  return 0;
}
