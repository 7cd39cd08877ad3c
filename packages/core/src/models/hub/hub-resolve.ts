/**
 * The model resolver's Hub half, pure over a `ModelSource`: a repo's config.json (with
 * hf_quant_config.json) and safetensors headers, a GGUF repo's chosen quant, a fine-tune's
 * `base_model`, a LoRA adapter on its base. Core does no I/O: the source does every request.
 */
import { catalogModelSpec, findModelAlias, findModelRow, suggestModels } from "../../catalog/models.js";
import { MemlensError } from "../../errors/memlens-error.js";
import { planLora } from "../../estimate/lora.js";
import { modelSpecFromHfConfig } from "../from-hf-config.js";
import type { GgufHeader } from "../gguf.js";
import type { ModelSpec, TensorSpec } from "../model-spec.js";
import { parseSafetensorsIndex, type SafetensorsHeader, type SafetensorsIndex } from "../safetensors.js";
import {
  chooseGgufQuant,
  type GgufQuant,
  ggufQuants,
  ggufSpecWithOffsets,
  readRemoteGguf,
  readRemoteSafetensors,
} from "./hub-files.js";
import { type HubRef, looksLikeHubRef, parseHubRef } from "./hub-ref.js";
import { HubError, type HubFile, hubErrors, type ModelSource } from "./hub-source.js";

/** A LoRA adapter read from its repo's adapter_config.json. */
export interface ResolvedAdapter {
  readonly base: string;
  readonly rank: number;
  readonly targetModules: readonly string[];
  /** r·(in + out) per adapted matrix, on the base model's real shapes (PEFT's count). */
  readonly parameters: number;
  /** Bytes of adapter_model.safetensors' tensors (from its header), or null without that file. */
  readonly fileBytes: number | null;
}

export interface ResolvedHubModel {
  readonly spec: ModelSpec;
  /** How the model is stored on the Hub: "config" (config.json + safetensors), "gguf", "adapter". */
  readonly kind: "config" | "gguf" | "adapter";
  readonly repo: string;
  readonly revision: string;
  /** The GGUF file type to estimate with (the chosen quant's), for GGUF repos. */
  readonly weights: string | undefined;
  /** A GGUF repo's quants with their bytes; the chosen one first. */
  readonly ggufQuants: readonly GgufQuant[];
  /** The repo whose config was read when the named one has none (its card's `base_model`). */
  readonly baseModel: string | undefined;
  readonly adapter: ResolvedAdapter | undefined;
  /** Files read, for the cache and the notes. */
  readonly files: readonly string[];
  /** The headers read (for `memlens inspect`): a GGUF quant's, or each safetensors shard's. */
  readonly headers: HubHeaders | undefined;
}

export type HubHeaders =
  | {
      readonly kind: "gguf";
      readonly header: GgufHeader;
      readonly fileBytes: number;
      readonly bytesRead: number;
    }
  | {
      readonly kind: "safetensors";
      readonly index: SafetensorsIndex | null;
      readonly shards: readonly {
        readonly file: string;
        readonly fileBytes: number;
        readonly header: SafetensorsHeader;
      }[];
    };

export interface HubResolveOptions {
  /** The flag or scenario field errors name (default "model.id"). */
  readonly field?: string;
  /** Most shards of a sharded checkpoint (default 4096). */
  readonly maxShards?: number;
}

const MAX_BASE_HOPS = 4;

function parseJson(text: string, where: string, field: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw hubErrors.malformed(where, "not valid JSON; truncated?", field);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw hubErrors.malformed(where, "expected a JSON object", field);
  return v as Record<string, unknown>;
}

/** The catalog's spec for `id` when it has one (a base model named by a fine-tune or adapter). */
function catalogSpec(id: string): ModelSpec | undefined {
  return findModelRow(id) || findModelAlias(id) ? catalogModelSpec(id) : undefined;
}

/** The first `base_model` of a card's metadata (a string or a list). */
function baseModelOf(card: Readonly<Record<string, unknown>>): string | undefined {
  const b = card.base_model;
  if (typeof b === "string" && b.trim()) return b.trim();
  if (Array.isArray(b) && typeof b[0] === "string") return b[0];
  return undefined;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * Resolves a Hub model reference (`org/name[@revision][:QUANT]`) to a ModelSpec through `source`.
 * @example await resolveHubModel("Qwen/QwQ-32B", source) // reads config.json and the safetensors headers
 */
export async function resolveHubModel(
  ref: string | HubRef,
  source: ModelSource,
  options: HubResolveOptions = {},
): Promise<ResolvedHubModel> {
  const field = options.field ?? "model.id";
  const r = typeof ref === "string" ? parseHubRef(ref, field) : ref;
  return resolveRepo(r, source, field, options.maxShards ?? 4096, 0);
}

async function resolveRepo(
  r: HubRef,
  source: ModelSource,
  field: string,
  maxShards: number,
  hops: number,
): Promise<ResolvedHubModel> {
  const { repo, revision } = r;
  let info: Awaited<ReturnType<ModelSource["modelInfo"]>>;
  try {
    info = await source.modelInfo(repo, revision);
  } catch (e) {
    if (e instanceof HubError && e.reason === "not-found") {
      const near = suggestModels(repo);
      throw new HubError(
        "not-found",
        `${e.message}${near.length ? `; nearest known ids: ${near.join(", ")}` : ""} (run \`memlens models\` for the catalog)`,
        field,
      );
    }
    throw e;
  }
  const files = await source.listFiles(repo, revision);
  const has = new Set(files.map((f) => f.path));
  const read = async (path: string) =>
    parseJson(await source.getText(repo, revision, path), `${repo}/${path}`, field);
  const base = {
    repo,
    revision,
    weights: undefined,
    ggufQuants: [],
    baseModel: undefined,
    adapter: undefined,
    headers: undefined,
  } as const;

  if (has.has("adapter_config.json"))
    return resolveAdapter(r, source, info.cardData, files, read, field, maxShards, hops);

  const quants = ggufQuants(files);
  if (r.quant !== undefined || (!has.has("config.json") && quants.length > 0)) {
    const chosen = chooseGgufQuant(quants, r.quant, repo, field);
    const { header, bytesRead } = await readRemoteGguf(source, repo, revision, chosen, field);
    const spec = ggufSpecWithOffsets(header, `${repo}:${chosen.quant}`);
    const others = quants.filter((q) => q !== chosen);
    const listed = [chosen, ...others].map((q) => `${q.quant} ${fmt(q.bytes)} bytes`).join(", ");
    return {
      ...base,
      kind: "gguf",
      spec: {
        ...spec,
        notes: [
          ...spec.notes,
          `GGUF from ${repo}@${revision}: ${chosen.files.map((f) => f.path).join(", ")} (header read by range requests). Quants in the repo: ${listed}${r.quant ? "" : "; name one with :QUANT"}.`,
        ],
      },
      weights: spec.gguf.fileType ?? chosen.quant,
      ggufQuants: [chosen, ...others],
      files: chosen.files.map((f) => f.path),
      headers: { kind: "gguf", header, fileBytes: chosen.bytes, bytesRead },
    };
  }

  if (!has.has("config.json")) {
    const b = baseModelOf(info.cardData);
    if (b === undefined)
      throw new MemlensError(
        "invalid-value",
        `${field}: ${repo} has no config.json, no GGUF file and no base_model in its model card; pass a config.json`,
        field,
      );
    const known = catalogSpec(b);
    const followed =
      known !== undefined
        ? { ...base, repo: b, kind: "config" as const, spec: known, files: [] }
        : hops >= MAX_BASE_HOPS
          ? (() => {
              throw new MemlensError(
                "invalid-value",
                `${field}: ${repo}: base_model chain longer than ${MAX_BASE_HOPS}`,
                field,
              );
            })()
          : await resolveRepo(parseHubRef(b, `${repo} base_model`), source, field, maxShards, hops + 1);
    return {
      ...followed,
      repo,
      revision,
      baseModel: b,
      spec: {
        ...followed.spec,
        id: repo,
        notes: [
          ...followed.spec.notes,
          `${repo} has no config.json; its model card names base_model ${b}, whose shapes are used.`,
        ],
      },
    };
  }

  const config = await read("config.json");
  const quantFile = has.has("hf_quant_config.json") ? await read("hf_quant_config.json") : undefined;
  const spec = modelSpecFromHfConfig(config, repo, { hfQuantConfig: quantFile });
  const notes = [...spec.notes];
  const read2: string[] = ["config.json", ...(quantFile ? ["hf_quant_config.json"] : [])];
  let shardFiles: string[] = [];
  let index: SafetensorsIndex | null = null;
  const shards: { file: string; fileBytes: number; header: SafetensorsHeader }[] = [];
  if (has.has("model.safetensors.index.json")) {
    index = parseSafetensorsIndex(await read("model.safetensors.index.json"));
    shardFiles = [...index.files];
    read2.push("model.safetensors.index.json");
  } else if (has.has("model.safetensors")) shardFiles = ["model.safetensors"];
  if (shardFiles.length > maxShards)
    throw hubErrors.malformed(
      `${repo}/model.safetensors.index.json`,
      `${shardFiles.length} shards; at most ${maxShards}`,
      field,
    );
  if (shardFiles.length > 0) {
    const sizes = new Map(files.map((f) => [f.path, f.size]));
    let tensorBytes = 0;
    for (const path of shardFiles) {
      const size = sizes.get(path);
      if (size === undefined)
        throw hubErrors.malformed(
          `${repo}/model.safetensors.index.json`,
          `names ${path}, which the repo does not have`,
          field,
        );
      const header = await readRemoteSafetensors(source, { repo, revision, path, size }, field);
      shards.push({ file: path, fileBytes: size, header });
      tensorBytes += header.tensorBytes;
      read2.push(path);
    }
    notes.push(
      `Checkpoint on the Hub: ${fmt(tensorBytes)} bytes of tensors in ${shardFiles.length} safetensors file${shardFiles.length === 1 ? "" : "s"} (exact, from the headers read by range requests).`,
    );
  }
  return {
    ...base,
    kind: "config",
    spec: { ...spec, notes },
    files: read2,
    headers: shards.length > 0 ? { kind: "safetensors", index, shards } : undefined,
  };
}

async function resolveAdapter(
  r: HubRef,
  source: ModelSource,
  card: Readonly<Record<string, unknown>>,
  files: readonly HubFile[],
  read: (path: string) => Promise<Record<string, unknown>>,
  field: string,
  maxShards: number,
  hops: number,
): Promise<ResolvedHubModel> {
  const { repo, revision } = r;
  const ac = await read("adapter_config.json");
  const where = `${repo}/adapter_config.json`;
  const peft = typeof ac.peft_type === "string" ? ac.peft_type : "LORA";
  if (peft.toUpperCase() !== "LORA")
    throw new MemlensError(
      "unsupported",
      `${field}: ${where} is a ${peft} adapter; memlens sizes LoRA adapters only`,
      field,
    );
  // base_model_name_or_path may be a local path on the trainer's machine: then the card's base_model
  const named = typeof ac.base_model_name_or_path === "string" ? ac.base_model_name_or_path.trim() : "";
  const baseId =
    (named && (catalogSpec(named) || looksLikeHubRef(named)) ? named : undefined) ?? baseModelOf(card);
  if (!baseId)
    throw hubErrors.malformed(where, "no base_model_name_or_path and no base_model in the card", field);
  const rank = ac.r;
  if (typeof rank !== "number" || !Number.isSafeInteger(rank) || rank < 1 || rank > 65536)
    throw hubErrors.malformed(where, `r must be an integer 1..65536, got ${JSON.stringify(rank)}`, field);
  const tm = ac.target_modules;
  const targets =
    tm === "all-linear"
      ? ["all-linear"]
      : Array.isArray(tm) && tm.length > 0 && tm.length <= 1024 && tm.every((t) => typeof t === "string")
        ? (tm as string[])
        : undefined;
  if (!targets)
    throw new MemlensError(
      "unsupported",
      `${field}: ${where} target_modules ${JSON.stringify(tm)?.slice(0, 80)}: memlens reads a list of module names or "all-linear"`,
      field,
    );
  const baseRes =
    catalogSpec(baseId) ??
    (hops >= MAX_BASE_HOPS
      ? undefined
      : (
          await resolveRepo(
            parseHubRef(baseId, `${where} base_model_name_or_path`),
            source,
            field,
            maxShards,
            hops + 1,
          )
        ).spec);
  if (!baseRes)
    throw new MemlensError(
      "invalid-value",
      `${field}: ${repo}: base model chain longer than ${MAX_BASE_HOPS}`,
      field,
    );
  const plan = planLora(baseRes, rank, targets);
  let fileBytes: number | null = null;
  const adapterFile = files.find((f) => f.path === "adapter_model.safetensors");
  if (adapterFile) {
    const { size } = adapterFile;
    fileBytes = (
      await readRemoteSafetensors(source, { repo, revision, path: "adapter_model.safetensors", size }, field)
    ).tensorBytes;
  }
  // The adapter's matrices join the model: lora_A [r, in] and lora_B [out, r] per adapted module.
  const loraTensors: TensorSpec[] = plan.adapters.flatMap((a) => {
    const stack = a.module.count > 1 ? [a.module.count] : [];
    return [
      {
        name: `${a.module.module}.lora_A.weight`,
        shape: [...stack, rank, a.module.cols],
        role: "other",
        layer: a.module.layer,
      },
      {
        name: `${a.module.module}.lora_B.weight`,
        shape: [...stack, a.module.rows, rank],
        role: "other",
        layer: a.module.layer,
      },
    ];
  });
  const spec: ModelSpec = {
    ...baseRes,
    id: repo,
    tensors: [...baseRes.tensors, ...loraTensors],
    parameters: baseRes.parameters + plan.parameters,
    activeParameters: baseRes.activeParameters + plan.parameters,
    notes: [
      ...baseRes.notes,
      `LoRA adapter ${repo}: rank ${rank} on ${targets.join(", ")} of ${baseId}: ${fmt(plan.parameters)} parameters (r·(in + out) per adapted matrix on the base's shapes), counted with the weights${fileBytes === null ? "" : `; adapter_model.safetensors holds ${fmt(fileBytes)} bytes of tensors`}.`,
    ],
  };
  return {
    spec,
    kind: "adapter",
    repo,
    revision,
    weights: undefined,
    ggufQuants: [],
    baseModel: baseId,
    adapter: { base: baseId, rank, targetModules: targets, parameters: plan.parameters, fileBytes },
    headers: undefined,
    files: ["adapter_config.json", ...(fileBytes === null ? [] : ["adapter_model.safetensors"])],
  };
}
