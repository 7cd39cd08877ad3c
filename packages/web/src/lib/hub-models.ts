/**
 * Models named by a Hub id or an ollama tag in the browser: core's resolver (`resolveHubModel`)
 * over the browser's fetch (the Hub serves config.json and byte ranges with CORS), every answer
 * kept in IndexedDB so a reload or a shared link works offline once fetched.
 * The endpoint is https://huggingface.co unless localStorage "memlens.hfEndpoint" names a mirror.
 */
import {
  findOllamaTag,
  HubError,
  type HubFile,
  type HubModelInfo,
  hubErrors,
  hubUrls,
  looksLikeHubRef,
  looksLikeOllamaTag,
  MemlensError,
  type ModelSource,
  parseHubModelInfo,
  parseHubTree,
  resolveHubModel,
} from "@memlens/core";

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";
const TIMEOUT_MS = 10_000;
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

export function hubEndpoint(): string {
  try {
    const e = localStorage.getItem("memlens.hfEndpoint");
    if (e && /^https?:\/\//.test(e)) return e.replace(/\/+$/, "");
  } catch {
    // storage disabled: the default endpoint
  }
  return DEFAULT_HF_ENDPOINT;
}

/** core's ModelSource over the browser's fetch: a timeout and a size bound on every answer. */
export class BrowserHubSource implements ModelSource {
  constructor(
    readonly endpoint: string,
    readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
  ) {}

  async #get(url: string, repo: string, what: string, range?: [number, number]): Promise<Uint8Array> {
    if (typeof navigator !== "undefined" && navigator.onLine === false)
      throw hubErrors.offline(repo, "this browser is offline");
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        signal,
        ...(range ? { headers: { range: `bytes=${range[0]}-${range[1] - 1}` } } : {}),
      });
    } catch {
      if (signal.aborted) throw hubErrors.timeout(url, TIMEOUT_MS);
      throw hubErrors.offline(repo, `cannot reach ${this.endpoint} (offline, or blocked)`);
    }
    if (!res.ok) {
      const code = res.headers.get("x-error-code");
      if (code === "RepoNotFound" || (res.status === 404 && what === "model"))
        throw new HubError("not-found", `${repo} is not on the Hub (${this.endpoint})`);
      if (res.status === 401 || res.status === 403 || code === "GatedRepo")
        throw new HubError(
          "gated",
          `${repo} is gated: accept its licence at ${this.endpoint}/${repo}; the browser sends no token, so use the CLI with HF_TOKEN`,
        );
      throw new HubError(res.status === 404 ? "not-found" : "offline", `${url}: HTTP ${res.status}`);
    }
    const max = range ? range[1] - range[0] : MAX_TEXT_BYTES;
    const buf = new Uint8Array(await res.arrayBuffer());
    // a server that ignores Range sends the whole file: keep the range asked for
    if (range && res.status === 200) return buf.slice(range[0], range[1]);
    if (buf.length > max) throw hubErrors.malformed(url, `an answer over ${max} bytes`);
    return buf;
  }

  #json(bytes: Uint8Array, url: string): unknown {
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw hubErrors.malformed(url, "not valid JSON; truncated?");
    }
  }

  async modelInfo(repo: string, revision: string): Promise<HubModelInfo> {
    const url = hubUrls.modelInfo(this.endpoint, repo, revision);
    return parseHubModelInfo(this.#json(await this.#get(url, repo, "model"), url), repo, url);
  }

  async listFiles(repo: string, revision: string): Promise<readonly HubFile[]> {
    const url = hubUrls.tree(this.endpoint, repo, revision);
    return parseHubTree(this.#json(await this.#get(url, repo, "listing"), url), url);
  }

  async getText(repo: string, revision: string, path: string): Promise<string> {
    return new TextDecoder().decode(await this.#get(this.#file(repo, revision, path), repo, path));
  }

  getRange(repo: string, revision: string, path: string, start: number, end: number): Promise<Uint8Array> {
    return this.#get(this.#file(repo, revision, path), repo, path, [start, end]);
  }

  #file(repo: string, revision: string, path: string): string {
    return hubUrls.file(this.endpoint, repo, revision, path);
  }
}

/** A key-value store (IndexedDB in the browser, a Map in tests). */
export interface AnswerStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

export function memoryStore(): AnswerStore {
  const m = new Map<string, unknown>();
  return { get: async (k) => m.get(k), put: async (k, v) => void m.set(k, v) };
}

/** IndexedDB database "memlens-hub", store "answers"; a Map when IndexedDB is unavailable. */
export function indexedDbStore(): AnswerStore {
  if (typeof indexedDB === "undefined") return memoryStore();
  const db = new Promise<IDBDatabase>((ok, fail) => {
    const r = indexedDB.open("memlens-hub", 1);
    r.onupgradeneeded = () => r.result.createObjectStore("answers");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const req = <T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>) =>
    db.then(
      (d) =>
        new Promise<T>((ok, fail) => {
          const r = f(d.transaction("answers", mode).objectStore("answers"));
          r.onsuccess = () => ok(r.result);
          r.onerror = () => fail(r.error);
        }),
    );
  return {
    get: (k) => req("readonly", (s) => s.get(k)).catch(() => undefined),
    put: (k, v) =>
      req("readwrite", (s) => s.put(v, k)).then(
        () => undefined,
        () => undefined,
      ),
  };
}

/** A ModelSource answering from `store` first and keeping every answer `upstream` gives. */
export function cachedSource(upstream: ModelSource, store: AnswerStore, endpoint: string): ModelSource {
  const memo = async <T>(parts: readonly unknown[], get: () => Promise<T>): Promise<T> => {
    const key = JSON.stringify([endpoint, ...parts]);
    const hit = (await store.get(key)) as T | undefined;
    if (hit !== undefined) return hit;
    const v = await get();
    await store.put(key, v);
    return v;
  };
  return {
    modelInfo: (r, v) => memo(["info", r, v], () => upstream.modelInfo(r, v)),
    listFiles: (r, v) => memo(["tree", r, v], () => upstream.listFiles(r, v)),
    getText: (r, v, p) => memo(["text", r, v, p], () => upstream.getText(r, v, p)),
    getRange: (r, v, p, s, e) => memo(["range", r, v, p, s, e], () => upstream.getRange(r, v, p, s, e)),
  };
}

/** What a typed name resolved to: a catalog id (ollama tags) or a Hub model's spec. */
export type HubResolution =
  | { readonly kind: "catalog"; readonly id: string; readonly weights: string }
  | { readonly kind: "hub"; readonly resolved: Awaited<ReturnType<typeof resolveHubModel>> };

/** Resolves a typed Hub id or ollama tag; errors are core's one-line MemlensErrors. */
export async function resolveTypedModel(key: string, source: ModelSource): Promise<HubResolution> {
  if (looksLikeOllamaTag(key)) {
    const t = findOllamaTag(key, "model");
    return { kind: "catalog", id: t.model, weights: t.weights };
  }
  if (!looksLikeHubRef(key))
    throw new MemlensError(
      "invalid-value",
      `"${key}" is neither a Hub id (org/name[:QUANT]) nor an ollama tag (name:tag)`,
      "model",
    );
  return { kind: "hub", resolved: await resolveHubModel(key, source, { field: "model" }) };
}
