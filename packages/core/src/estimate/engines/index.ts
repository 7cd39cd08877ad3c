/**
 * The inference engines memlens models, by scenario name. Add an engine here (one line) after
 * writing its folder; estimate, the planner, the CLI and the web app read everything else off the
 * Engine object.
 */
import { MemlensError } from "../../errors/memlens-error.js";
import { INFERENCE_ENGINES, type InferenceEngine } from "../../scenario/scenario.js";
import type { Engine, EngineIssue } from "./engine.js";
import { type LlamaCppReport, llamaCppEngine } from "./llamacpp/index.js";
import { type OllamaReport, ollamaEngine } from "./ollama/index.js";
import { type SglangReport, sglangEngine } from "./sglang/index.js";
import { type TransformersReport, transformersEngine } from "./transformers/index.js";
import { type VllmReport, vllmEngine } from "./vllm/index.js";

/** Every engine's typed report, told apart by `engine`. */
export type EngineReport = VllmReport | SglangReport | TransformersReport | LlamaCppReport | OllamaReport;

/** Engines by scenario name, in the order the planner searches them. */
export const ENGINES: Readonly<Record<InferenceEngine, Engine<EngineReport>>> = {
  transformers: transformersEngine,
  "llama.cpp": llamaCppEngine,
  vllm: vllmEngine,
  sglang: sglangEngine,
  ollama: ollamaEngine,
};

/** Names of the modelled engines, in ENGINES' order. */
export const engineNames = (): InferenceEngine[] => Object.keys(ENGINES) as InferenceEngine[];

/** The engine a scenario names; a MemlensError naming the allowed values otherwise. */
export function engineOf(name: string): Engine<EngineReport> {
  const e = (ENGINES as Partial<Record<string, Engine<EngineReport>>>)[name];
  if (e) return e;
  const available = engineNames();
  if ((INFERENCE_ENGINES as readonly string[]).includes(name))
    throw new MemlensError(
      "unsupported",
      `engine "${name}" is not modelled yet; available: ${available.join(", ")}`,
      "engine",
      available,
    );
  throw new MemlensError(
    "unknown-engine",
    `engine "${name}" is not an inference engine; allowed: ${available.join(", ")}`,
    "engine",
    available,
  );
}

export type {
  Engine,
  EngineCapabilities,
  EngineDefaults,
  EngineIssue,
  EngineJson,
  EngineResult,
} from "./engine.js";
export type { LlamaCppReport, OllamaReport, SglangReport, TransformersReport, VllmReport };

/** One line of prose for an issue, in the engine's own name (the edge: notes, CLI tables, web messages). */
export function issueText(i: EngineIssue): string {
  const label = ENGINES[i.engine].label;
  switch (i.code) {
    case "engine-refuses":
      return `${label} would not start: ${i.reason}.`;
    case "kv-too-small":
      return `${label}'s KV pool holds ${i.poolTokens} tokens, less than one ${i.contextTokens}-token request.`;
    case "too-many-sequences":
      return `${label} serves at most ${i.maxSequences} parallel sequences; ${i.sequences} were asked for.`;
    case "context-over-trained":
      return `${label} refuses a context_length of ${i.contextTokens} above the model's ${i.maxPositionEmbeddings} positions.`;
  }
}
