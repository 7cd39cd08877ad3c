/**
 * The one model resolver every command uses for --model (and a scenario's `model`), in order:
 * a local path (config.json, a directory holding one, .gguf, .safetensors or its index) → an
 * ollama tag → the embedded catalog (case-insensitive, aliases included) → the on-disk cache →
 * the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE; see hub/).
 */
import { existsSync } from "node:fs";
import {
  catalogModelSpec,
  findModelAlias,
  findModelRow,
  findOllamaTag,
  looksLikeHubRef,
  looksLikeOllamaTag,
  type ModelSpec,
  type ResolvedHubModel,
  resolveHubModel,
} from "@memlens/core";
import {
  modelSpecFromConfigFile,
  modelSpecFromSafetensors,
  readGgufFile,
  readSafetensorsFiles,
} from "../files/model-files.js";
import { hubSourceFromEnv } from "../hub/hub-env.js";
import type { CliIo } from "../io.js";

/** The scenario's `model` field for a --model value. */
export type ModelField =
  | { readonly id: string }
  | { readonly config: string }
  | { readonly gguf: string }
  | { readonly safetensors: string };

/** A `--model` value resolved. */
export interface ModelRef {
  readonly spec: ModelSpec;
  /** The scenario's `model` field for core's estimate. */
  readonly ref: ModelField;
  /** The local directory the model came from, where it was one (a tokenizer.json may sit there). */
  readonly directory: string | undefined;
  /** Weights the model names when the user names none: an ollama tag's quant, a GGUF file's type. */
  readonly weights: string | undefined;
  /** What resolved it (the Hub's answer, for Hub ids). */
  readonly hub: ResolvedHubModel | undefined;
}

/** Whether a --model value names a local file or directory rather than an id. */
export function looksLikePath(m: string): boolean {
  return (
    m.endsWith(".json") || m.endsWith(".gguf") || m.startsWith(".") || m.startsWith("/") || existsSync(m)
  );
}

/** The scenario `model` field a --model value names, before anything is read. */
export function modelFieldOf(m: string): ModelField {
  if (!looksLikePath(m)) return { id: m };
  if (m.endsWith(".gguf")) return { gguf: m };
  if (m.endsWith(".safetensors") || m.endsWith(".safetensors.index.json")) return { safetensors: m };
  return { config: m };
}

/** Whether core's catalog answers to `id` itself (a model or an alias). */
export const inCatalog = (id: string): boolean =>
  findModelRow(id) !== undefined || findModelAlias(id) !== undefined;

/** A Hub id through the cache and the Hub, as the environment configures them. */
export function resolveHubId(id: string, io: CliIo, field: string): Promise<ResolvedHubModel> {
  return resolveHubModel(id, hubSourceFromEnv(io.env, field), { field });
}

/** Resolves `--model ID|CONFIG.json|DIR|FILE.gguf|FILE.safetensors|org/name[@rev][:QUANT]`; errors name `flag`. */
export async function resolveModelFlag(m: string, io: CliIo, flag = "--model"): Promise<ModelRef> {
  const field = modelFieldOf(m);
  const none = { directory: undefined, weights: undefined, hub: undefined };
  if ("config" in field) {
    const spec = modelSpecFromConfigFile(m, flag);
    return { ...none, spec, ref: field, directory: m.endsWith(".json") ? undefined : m };
  }
  if ("gguf" in field) {
    const spec = readGgufFile(m, flag).spec;
    return { ...none, spec, ref: field, weights: spec.gguf.fileType ?? undefined };
  }
  if ("safetensors" in field)
    return { ...none, spec: modelSpecFromSafetensors(readSafetensorsFiles(m, flag), flag), ref: field };
  if (looksLikeOllamaTag(m)) {
    // an ollama tag names its catalog model at the tag's quantization
    const tag = findOllamaTag(m, flag);
    const spec = catalogModelSpec(tag.model, flag);
    return { ...none, spec, ref: { id: spec.id }, weights: tag.weights };
  }
  if (!inCatalog(m) && looksLikeHubRef(m)) {
    const hub = await resolveHubId(m, io, flag);
    return { ...none, spec: hub.spec, ref: { id: m }, weights: hub.weights, hub };
  }
  const spec = catalogModelSpec(m, flag);
  return { ...none, spec, ref: { id: spec.id } };
}

/**
 * The ModelSpec a scenario's `model` names when core cannot build it alone (a file, a Hub id),
 * through the same resolver; undefined for catalog ids and inline configs, which core resolves.
 * Fills `weights` with what the model names (a GGUF's type) when the scenario names none.
 */
export async function resolveScenarioModel(
  scenario: Record<string, unknown>,
  io: CliIo,
): Promise<ModelSpec | undefined> {
  const m = scenario.model as Record<string, unknown> | undefined;
  if (!m || typeof m !== "object") return undefined;
  if (typeof m.config === "string") return modelSpecFromConfigFile(m.config, "model.config");
  if (typeof m.gguf === "string") {
    const spec = readGgufFile(m.gguf, "model.gguf").spec;
    // the file's own type is what llama.cpp loads
    if (scenario.weights === undefined && spec.gguf.fileType) scenario.weights = spec.gguf.fileType;
    return spec;
  }
  if (typeof m.safetensors === "string")
    return modelSpecFromSafetensors(readSafetensorsFiles(m.safetensors, "model.safetensors"));
  if (typeof m.id === "string" && !inCatalog(m.id) && !looksLikeOllamaTag(m.id) && looksLikeHubRef(m.id)) {
    const hub = await resolveHubId(m.id, io, "model.id");
    if (scenario.weights === undefined && hub.weights !== undefined) scenario.weights = hub.weights;
    return hub.spec;
  }
  return undefined;
}
