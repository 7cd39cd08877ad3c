import { existsSync } from "node:fs";
import {
  formatBinaryBytes,
  formatCount,
  ggufMetadataToJson,
  hasGguf,
  kvBytesPerToken,
  looksLikeHubRef,
  MemlensError,
  type ModelSpec,
  summarizeSafetensors,
} from "@memlens/core";
import { parseFlags } from "../args.js";
import {
  detectModelFile,
  type GgufFile,
  modelSpecFromSafetensors,
  readGgufFile,
  readSafetensorsFiles,
  type SafetensorsFiles,
} from "../files/model-files.js";
import { type CliIo, styler } from "../io.js";
import { resolveHubId } from "./model-ref.js";

const HELP = `memlens inspect: read a model file's header (never its weights)

  memlens inspect FILE|org/name[:QUANT] [--json] [--tensors]

FILE is a .gguf, a .safetensors, or a model.safetensors.index.json (every shard's header is read);
a Hub id reads the same headers by HTTP range requests (cached; HF_TOKEN, --offline as for --model).
Prints exact per-tensor types and bytes, and the model's shape; --tensors lists every tensor.
`;

const FLAGS = {
  json: { type: "boolean" },
  tensors: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function specSummary(spec: ModelSpec) {
  const first = spec.layers.find((l) => l.mixer.kind === "attention")?.mixer;
  return {
    architecture: spec.architecture,
    parameters: spec.parameters,
    activeParameters: Math.round(spec.activeParameters),
    numLayers: spec.numLayers,
    hiddenSize: spec.hiddenSize,
    vocabSize: spec.vocabSize,
    maxPositionEmbeddings: spec.maxPositionEmbeddings,
    tiedEmbeddings: spec.tiedEmbeddings,
    ...(first && first.kind === "attention"
      ? { numHeads: first.numHeads, numKvHeads: first.numKvHeads, headDim: first.headDim }
      : {}),
    kvBytesPerTokenF16: kvBytesPerToken(spec, {
      kDtype: "fp16",
      vDtype: "fp16",
      mla: "latent",
      recurrent: "llamacpp",
      recurrentDtypeBytes: 4,
    }),
  };
}

function ggufJson(f: GgufFile, withTensors: boolean) {
  const byType: Record<string, { tensors: number; bytes: number }> = {};
  for (const t of f.header.tensors) {
    const x = byType[t.type] ?? { tensors: 0, bytes: 0 };
    byType[t.type] = x;
    x.tensors++;
    x.bytes += t.bytes;
  }
  return {
    kind: "gguf" as const,
    path: f.path,
    fileBytes: f.fileBytes,
    headerBytesRead: f.bytesRead,
    version: f.header.version,
    alignment: f.header.alignment,
    dataOffset: f.header.dataOffset,
    tensorCount: f.header.tensors.length,
    tensorBytes: f.header.tensorBytes,
    fileType: f.spec.gguf.fileType,
    bytesByType: byType,
    model: specSummary(f.spec),
    llamaCpp: f.spec.gguf.hparams,
    metadata: ggufMetadataToJson(f.header),
    ...(withTensors
      ? {
          tensors: f.header.tensors.map((t) => ({
            name: t.name,
            type: t.type,
            ne: t.ne,
            bytes: t.bytes,
            offset: t.offset,
          })),
        }
      : {}),
  };
}

function safetensorsJson(f: SafetensorsFiles, withTensors: boolean, spec?: ModelSpec) {
  const sum = summarizeSafetensors(f.shards.map((s) => s.header));
  let model: ReturnType<typeof specSummary> | null = spec ? specSummary(spec) : null;
  let modelError: string | null = null;
  if (f.configPath && !spec) {
    try {
      model = specSummary(modelSpecFromSafetensors(f));
    } catch (e) {
      modelError = e instanceof Error ? e.message : String(e);
    }
  }
  return {
    kind: "safetensors" as const,
    path: f.path,
    files: f.shards.map((s) => ({ file: s.file, fileBytes: s.fileBytes, headerBytes: s.header.headerBytes })),
    indexTotalSize: f.index?.totalSize ?? null,
    tensorCount: sum.tensors,
    parameters: sum.parameters,
    tensorBytes: sum.bytes,
    bytesByDtype: sum.bytesByDtype,
    metadata: f.shards[0]?.header.metadata ?? {},
    configPath: f.configPath,
    model,
    ...(modelError ? { modelError } : {}),
    ...(withTensors
      ? {
          tensors: f.shards.flatMap((s) =>
            s.header.tensors.map((t) => ({
              file: s.file,
              name: t.name,
              dtype: t.dtype,
              shape: t.shape,
              bytes: t.bytes,
            })),
          ),
        }
      : {}),
  };
}

export async function runInspect(argv: readonly string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, FLAGS, true);
  if (v.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path || positionals.length > 1)
    throw new MemlensError(
      "missing-field",
      "inspect: give one FILE (.gguf, .safetensors or index.json)",
      "file",
    );
  const data =
    !existsSync(path) && looksLikeHubRef(path)
      ? await inspectHub(path, v.tensors === true, io)
      : detectModelFile(path) === "gguf"
        ? ggufJson(readGgufFile(path), v.tensors === true)
        : safetensorsJson(readSafetensorsFiles(path), v.tensors === true);
  if (v.json) {
    io.stdout.write(`${JSON.stringify(data, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2)}\n`);
    return 0;
  }
  io.stdout.write(render(data, io));
  return 0;
}

/** A Hub repo's headers, read by range requests through the model resolver (and its cache). */
async function inspectHub(ref: string, withTensors: boolean, io: CliIo) {
  const r = await resolveHubId(ref, io, "file");
  const h = r.headers;
  if (h?.kind === "gguf" && hasGguf(r.spec))
    return ggufJson(
      {
        kind: "gguf",
        path: `${r.repo}/${r.files[0] ?? ""}`,
        fileBytes: h.fileBytes,
        bytesRead: h.bytesRead,
        header: h.header,
        spec: r.spec,
      },
      withTensors,
    );
  if (h?.kind === "safetensors")
    return safetensorsJson(
      {
        kind: "safetensors",
        path: r.repo,
        index: h.index,
        shards: h.shards,
        configPath: `${r.repo}/config.json`,
      },
      withTensors,
      r.spec,
    );
  throw new MemlensError(
    "invalid-value",
    `file: ${r.repo} has no GGUF or safetensors file to inspect (${r.kind === "adapter" ? "a LoRA adapter" : "config.json only"}); memlens estimate --model ${ref} reads what it has`,
    "file",
  );
}

function render(d: ReturnType<typeof ggufJson> | ReturnType<typeof safetensorsJson>, io: CliIo): string {
  const st = styler(io);
  const lines: string[] = [];
  const m = d.model;
  if (d.kind === "gguf") {
    lines.push(
      st.bold(
        `${d.path} · GGUF v${d.version} · ${m?.architecture ?? "?"} · ${formatCount(m?.parameters ?? 0)} parameters${d.fileType ? ` · ${d.fileType}` : ""}`,
      ),
    );
    lines.push(
      `file ${formatBinaryBytes(d.fileBytes, 2)} · tensors ${formatBinaryBytes(d.tensorBytes, 2)} in ${d.tensorCount} · header read ${formatBinaryBytes(d.headerBytesRead, 1)}`,
    );
  } else {
    lines.push(
      st.bold(
        `${d.path} · safetensors · ${d.files.length} file${d.files.length === 1 ? "" : "s"} · ${formatCount(d.parameters)} parameters`,
      ),
    );
    lines.push(`tensors ${formatBinaryBytes(d.tensorBytes, 2)} in ${d.tensorCount}`);
  }
  if (m) {
    const heads = "numHeads" in m ? ` · heads ${m.numHeads} (kv ${m.numKvHeads}, head dim ${m.headDim})` : "";
    lines.push(
      `layers ${m.numLayers} · hidden ${m.hiddenSize}${heads} · vocab ${m.vocabSize.toLocaleString("en-US")}${m.maxPositionEmbeddings ? ` · context ${m.maxPositionEmbeddings.toLocaleString("en-US")}` : ""}`,
    );
    lines.push(`KV cache at f16: ${m.kvBytesPerTokenF16.toLocaleString("en-US")} bytes per token`);
  } else if (d.kind === "safetensors") {
    lines.push(
      st.dim(
        d.configPath
          ? `config.json: ${"modelError" in d ? d.modelError : "unreadable"}`
          : "no config.json beside the file: shape not inferred",
      ),
    );
  }
  lines.push("");
  const types =
    d.kind === "gguf"
      ? d.bytesByType
      : Object.fromEntries(Object.entries(d.bytesByDtype).map(([k, b]) => [k, { tensors: NaN, bytes: b }]));
  lines.push("type        tensors          bytes");
  for (const [t, x] of Object.entries(types).sort((a, b) => b[1].bytes - a[1].bytes))
    lines.push(
      `${t.padEnd(10)}${(Number.isNaN(x.tensors) ? "" : String(x.tensors)).padStart(9)}${formatBinaryBytes(x.bytes, 2).padStart(15)}`,
    );
  if ("tensors" in d && d.tensors) {
    lines.push("");
    for (const t of d.tensors as {
      name: string;
      type?: string;
      dtype?: string;
      ne?: readonly number[];
      shape?: readonly number[];
      bytes: number;
    }[])
      lines.push(
        `${t.name.padEnd(40)} ${(t.type ?? t.dtype ?? "").padEnd(8)} [${(t.ne ?? t.shape ?? []).join(", ")}] ${t.bytes.toLocaleString("en-US")}`,
      );
  }
  return `${lines.join("\n")}\n`;
}
