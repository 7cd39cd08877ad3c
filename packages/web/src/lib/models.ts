/**
 * The model a page is about: a catalog model (by Hugging Face id) or one the reader uploaded
 * (a config.json, or a GGUF header). config.json uploads stay in this tab (sessionStorage), GGUF
 * uploads until the page reloads; the URL names them `upload:<file name>`, so a shared link with
 * an upload falls back to the default model.
 */
import {
  type CatalogModelRow,
  catalogModelSpec,
  findGpu,
  findModelRow,
  GPU_LIST,
  type GpuSpec,
  MODEL_ROWS,
  type ModelSpec,
  modelSpecFromHfConfig,
} from "@memlens/core";

export const DEFAULT_MODEL = "meta-llama/Llama-3.1-8B";
export const DEFAULT_GPU = "RTX-4090";

/** What a GGUF upload adds: the file's own tensor bytes, read by core's header parser. */
export interface GgufSummary {
  readonly fileName: string;
  readonly fileBytes: number;
  readonly tensorBytes: number;
  readonly tensorCount: number;
  readonly architecture: string;
  readonly fileType: string | null;
}

export interface ModelChoice {
  /** URL value: a catalog id or `upload:<name>`. */
  readonly key: string;
  readonly label: string;
  readonly spec: ModelSpec;
  /** The config.json behind the spec (catalog row or upload), null for GGUF; attention-kind variants rewrite it. */
  readonly config: Readonly<Record<string, unknown>> | null;
  readonly origin: "catalog" | "config" | "gguf";
  readonly gguf?: GgufSummary;
}

interface StoredUpload {
  readonly name: string;
  readonly config: Record<string, unknown>;
}

const STORAGE_KEY = "memlens-uploads";
const cache = new Map<string, ModelChoice>();

function storedUploads(): StoredUpload[] {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredUpload[]) : [];
  } catch {
    return [];
  }
}

function choiceFromUpload(u: StoredUpload): ModelChoice {
  const key = `upload:${u.name}`;
  const spec = modelSpecFromHfConfig(u.config, u.name);
  return { key, label: `${u.name} (uploaded config.json)`, spec, config: u.config, origin: "config" };
}

const ggufUploads = new Map<string, ModelChoice>();

/** Adds a model read from a GGUF header (kept in memory only: the header is not re-read). */
export function addGgufUpload(name: string, spec: ModelSpec, gguf: GgufSummary): string {
  const key = `upload:${name}`;
  const choice: ModelChoice = {
    key,
    label: `${name} (uploaded GGUF)`,
    spec,
    config: null,
    origin: "gguf",
    gguf,
  };
  ggufUploads.set(key, choice);
  cache.set(key, choice);
  return key;
}

/**
 * Adds an uploaded config.json; throws core's MemlensError when it is not one core can read
 * (the caller shows its message). Returns the URL key.
 */
export function addUpload(u: StoredUpload): string {
  const choice = choiceFromUpload(u);
  cache.set(choice.key, choice);
  try {
    const rest = storedUploads().filter((x) => x.name !== u.name);
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify([...rest, u].slice(-8)));
  } catch {
    // Storage full or disabled: the upload still works until the tab reloads.
  }
  return choice.key;
}

/** Uploaded models of this tab, newest last. */
export function uploadedChoices(): ModelChoice[] {
  const out: ModelChoice[] = [...ggufUploads.values()];
  for (const u of storedUploads()) {
    try {
      out.push(resolveModelKey(`upload:${u.name}`).choice);
    } catch {
      // A stored upload that no longer parses is skipped.
    }
  }
  return out;
}

/** A catalog model as a picker choice (a row, or an id that must be in the catalog). */
export function catalogChoice(rowOrId: CatalogModelRow | string): ModelChoice {
  const row = typeof rowOrId === "string" ? findModelRow(rowOrId) : rowOrId;
  if (!row) throw new Error(`"${String(rowOrId)}" is not in the catalog`);
  return {
    key: row.id,
    label: row.id,
    spec: catalogModelSpec(row.id),
    config: row.config,
    origin: "catalog",
  };
}

/** The model for a URL value; an unknown value falls back to the default with a message. */
export function resolveModelKey(key: string | null): { choice: ModelChoice; problem: string | null } {
  const k = key ?? DEFAULT_MODEL;
  const hit = cache.get(k);
  if (hit) return { choice: hit, problem: null };
  if (k.startsWith("upload:")) {
    const u = storedUploads().find((x) => `upload:${x.name}` === k);
    if (u) {
      const choice = choiceFromUpload(u);
      cache.set(k, choice);
      return { choice, problem: null };
    }
    return {
      choice: resolveModelKey(DEFAULT_MODEL).choice,
      problem: `The uploaded model "${k.slice(7)}" is not in this browser tab; showing ${DEFAULT_MODEL}.`,
    };
  }
  const row = findModelRow(k);
  if (!row)
    return {
      choice: resolveModelKey(DEFAULT_MODEL).choice,
      problem: `"${k}" is not in the catalog; showing ${DEFAULT_MODEL}.`,
    };
  const choice = catalogChoice(row);
  cache.set(k, choice);
  cache.set(row.id, choice);
  return { choice, problem: null };
}

/** Catalog ids grouped by organisation, for the picker. */
export function catalogGroups(): { org: string; ids: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const r of MODEL_ROWS) {
    const org = r.id.split("/")[0] ?? r.id;
    groups.set(org, [...(groups.get(org) ?? []), r.id]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([org, ids]) => ({ org, ids: ids.sort((a, b) => a.localeCompare(b)) }));
}

/** The GPU for a URL value; unknown ids fall back to the default. */
export function resolveGpuKey(key: string | null): { gpu: GpuSpec; problem: string | null } {
  try {
    return { gpu: findGpu(key ?? DEFAULT_GPU), problem: null };
  } catch {
    return {
      gpu: findGpu(DEFAULT_GPU),
      problem: `"${key}" is not a GPU in the catalog; showing ${DEFAULT_GPU}.`,
    };
  }
}

export const gpuIds = (): string[] => GPU_LIST.map((g) => g.id);
