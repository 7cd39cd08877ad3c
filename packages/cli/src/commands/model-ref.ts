import { existsSync } from "node:fs";
import {
  catalogModelSpec,
  findOllamaTag,
  looksLikeOllamaTag,
  type ModelSpec,
  modelSpecFromHfConfig,
} from "@memlens/core";
import { readJsonFile } from "../io.js";

/** A `--model` value resolved: a catalog id, or a config.json (a file, or a directory holding one). */
export interface ModelRef {
  readonly spec: ModelSpec;
  /** The scenario's `model` field for core's estimate. */
  readonly ref: { readonly id: string } | { readonly config: string };
  /** The local directory the model came from, where it was one (a tokenizer.json may sit there). */
  readonly directory: string | undefined;
}

/** Resolves `--model ID|CONFIG.json|DIR`; errors name `flag`. */
export function resolveModelFlag(m: string, flag = "--model"): ModelRef {
  const looksLikePath = m.endsWith(".json") || m.startsWith(".") || m.startsWith("/") || existsSync(m);
  if (looksLikePath) {
    const spec = modelSpecFromHfConfig(readJsonFile(m, flag), m);
    return { spec, ref: { config: m }, directory: m.endsWith(".json") ? undefined : m };
  }
  // an ollama tag names its catalog model (the tag's quantization is applied by `estimate`)
  const id = looksLikeOllamaTag(m) ? findOllamaTag(m, flag).model : m;
  const spec = catalogModelSpec(id, flag);
  return { spec, ref: { id: spec.id }, directory: undefined };
}
