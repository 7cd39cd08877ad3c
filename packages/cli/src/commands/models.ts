import { attentionKindOf, catalogModelSpec, formatCount, MODEL_ALIASES, MODEL_ROWS } from "@memlens/core";
import { parseFlags } from "../args.js";
import type { CliIo } from "../io.js";

export async function runModels(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, {
    json: { type: "boolean" },
    search: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(
      "memlens models [--search TEXT] [--json]: the embedded model catalog, and the instruct/chat ids that resolve to its models\n",
    );
    return 0;
  }
  const q = values.search?.toLowerCase();
  const entries = [
    ...MODEL_ROWS.map((r) => ({ id: r.id, source: r.source, aliasOf: undefined as string | undefined })),
    ...MODEL_ALIASES.map((a) => ({ id: a.id, source: a.source, aliasOf: a.base })),
  ];
  const rows = entries
    .filter((r) => !q || r.id.toLowerCase().includes(q))
    .map((r) => {
      const s = catalogModelSpec(r.id);
      const kinds = [...new Set(s.layers.map((l) => attentionKindOf(l.mixer)))];
      const windowed = s.layers.some((l) => l.mixer.kind === "attention" && l.mixer.slidingWindow !== null);
      return {
        id: r.id,
        architecture: s.architecture,
        parameters: s.parameters,
        activeParameters: Math.round(s.activeParameters),
        layers: s.numLayers,
        attention: kinds.join("+") + (windowed ? "+swa" : ""),
        maxPositionEmbeddings: s.maxPositionEmbeddings,
        dtype: s.checkpointDtype,
        source: r.source,
        ...(r.aliasOf ? { aliasOf: r.aliasOf } : {}),
      };
    });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const head = `${"id".padEnd(46)}${"arch".padEnd(14)}${"params".padStart(10)}${"active".padStart(10)}${"layers".padStart(7)}  attention`;
  const out = [
    head,
    ...rows.map(
      (r) =>
        `${r.id.padEnd(46)}${r.architecture.padEnd(14)}${formatCount(r.parameters).padStart(10)}${formatCount(r.activeParameters).padStart(10)}${String(r.layers).padStart(7)}  ${r.attention}${r.aliasOf ? `  (alias of ${r.aliasOf})` : ""}`,
    ),
  ];
  const aliases = rows.filter((r) => r.aliasOf).length;
  io.stdout.write(
    `${out.join("\n")}\n${rows.length - aliases} models${aliases ? `, ${aliases} aliases` : ""}\n`,
  );
  return 0;
}
