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
  findModelAlias,
  findModelRow,
  GPU_LIST,
  type GpuSpec,
  HubError,
  looksLikeHubRef,
  looksLikeOllamaTag,
  MemlensError,
  MODEL_ROWS,
  type ModelSpec,
  modelSpecFromHfConfig,
} from "@memlens/core";
// the Hub resolver (core's range readers and header parsers) loads on first use, not with the page
import type { HubResolution } from "./hub-models.js";

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
  readonly origin: "catalog" | "config" | "gguf" | "hub";
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
  const alias = row ? undefined : findModelAlias(k);
  if (alias) {
    // an instruct/chat id the catalog knows: its base model's shapes under its own name
    const choice: ModelChoice = {
      ...catalogChoice(alias.base),
      key: k,
      label: `${k} (= ${alias.base})`,
      spec: catalogModelSpec(k),
    };
    cache.set(k, choice);
    return { choice, problem: null };
  }
  if (!row && isHubKey(k)) {
    const st = hubStatus.get(k) ?? loadHubModel(k);
    return {
      choice: resolveModelKey(DEFAULT_MODEL).choice,
      problem: "error" in st ? `${st.error} Showing ${DEFAULT_MODEL}.` : `Reading ${k} from the Hub…`,
    };
  }
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

/** Whether a typed model name is for the Hub resolver (a Hub id or an ollama tag). */
const isHubKey = (k: string): boolean => looksLikeOllamaTag(k) || looksLikeHubRef(k);

type HubStatus = { readonly loading: true } | { readonly error: string };
const hubStatus = new Map<string, HubStatus>();
const hubListeners = new Set<() => void>();

/** Calls `f` whenever a Hub model finishes loading (or fails); returns the unsubscribe. */
export function onHubModelChange(f: () => void): () => void {
  hubListeners.add(f);
  return () => hubListeners.delete(f);
}

/** The picker choice for a resolved Hub id or ollama tag, under the key the reader typed. */
export function hubChoice(key: string, r: HubResolution): ModelChoice {
  if (r.kind === "catalog")
    return { ...catalogChoice(r.id), key, label: `${key} (ollama: ${r.id}, ${r.weights})` };
  const res = r.resolved;
  const what =
    res.kind === "gguf"
      ? `GGUF ${res.weights ?? ""}`
      : res.kind === "adapter"
        ? `LoRA adapter on ${res.baseModel}`
        : res.baseModel
          ? `fine-tune of ${res.baseModel}`
          : "config.json";
  return { key, label: `${key} (Hub: ${what})`, spec: res.spec, config: null, origin: "hub" };
}

/** Whether a HubError is the offline kind (no network and nothing cached). */
const offlineText = (key: string) =>
  `You are offline and ${key} is not cached in this browser: connect once to read it from the Hub, or upload its config.json.`;

/** Starts resolving a typed Hub id or ollama tag (once per key); listeners hear when it ends. */
function loadHubModel(key: string): HubStatus {
  const st: HubStatus = { loading: true };
  hubStatus.set(key, st);
  import("./hub-models.js")
    .then((h) => {
      const endpoint = h.hubEndpoint();
      return h.resolveTypedModel(
        key,
        h.cachedSource(new h.BrowserHubSource(endpoint), h.indexedDbStore(), endpoint),
      );
    })
    .then((r) => {
      cache.set(key, hubChoice(key, r));
      hubStatus.delete(key);
    })
    .catch((e: unknown) => {
      const msg =
        e instanceof HubError && e.reason === "offline"
          ? offlineText(key)
          : e instanceof MemlensError
            ? e.message
            : `Could not read ${key}: ${e instanceof Error ? e.message : String(e)}`;
      hubStatus.set(key, { error: msg });
    })
    .finally(() => {
      for (const f of hubListeners) f();
    });
  return st;
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
