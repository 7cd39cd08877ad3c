/**
 * The Hub answers memlens has read, on disk: every model info, file listing, text file and header
 * range, keyed by endpoint, repo, revision and request, so a second run needs no network.
 * MEMLENS_CACHE_DIR overrides the platform cache folder.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type HubFile, type HubModelInfo, hubErrors, type ModelSource } from "@memlens/core";

/** memlens' cache folder: MEMLENS_CACHE_DIR, else the platform's user cache folder. */
export function cacheDir(
  env: Readonly<Record<string, string | undefined>>,
  platform = process.platform,
): string {
  if (env.MEMLENS_CACHE_DIR) return env.MEMLENS_CACHE_DIR;
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === "darwin") return join(home, "Library", "Caches", "memlens");
  if (platform === "win32")
    return join(env.LOCALAPPDATA || join(home, "AppData", "Local"), "memlens", "Cache");
  return join(env.XDG_CACHE_HOME || join(home, ".cache"), "memlens");
}

/**
 * A ModelSource that answers from the cache, asks `upstream` (or, with none, says it is offline)
 * on a miss, and keeps what upstream answers.
 */
export class CachedSource implements ModelSource {
  readonly #dir: string;
  readonly #key: string;
  readonly #upstream: ModelSource | null;
  readonly #offlineWhy: string;
  readonly #field: string;
  constructor(o: {
    dir: string;
    endpoint: string;
    upstream: ModelSource | null;
    offlineWhy: string;
    field?: string;
  }) {
    this.#dir = join(o.dir, "hub");
    this.#key = o.endpoint;
    this.#upstream = o.upstream;
    this.#offlineWhy = o.offlineWhy;
    this.#field = o.field ?? "model.id";
  }

  #path(parts: readonly (string | number)[]): string {
    const h = createHash("sha256")
      .update(JSON.stringify([this.#key, ...parts]))
      .digest("hex");
    return join(this.#dir, h.slice(0, 2), h);
  }

  #read(parts: readonly (string | number)[]): Buffer | undefined {
    try {
      return readFileSync(this.#path(parts));
    } catch {
      return undefined;
    }
  }

  #write(parts: readonly (string | number)[], data: string | Uint8Array): void {
    const p = this.#path(parts);
    try {
      mkdirSync(join(p, ".."), { recursive: true });
      const tmp = `${p}.${process.pid}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, p);
    } catch {
      // a read-only or full cache folder costs a refetch next time, nothing more
    }
  }

  #up(repo: string): ModelSource {
    if (this.#upstream) return this.#upstream;
    throw hubErrors.offline(repo, this.#offlineWhy, this.#field);
  }

  async #json<T>(
    parts: readonly (string | number)[],
    repo: string,
    get: (s: ModelSource) => Promise<T>,
  ): Promise<T> {
    const hit = this.#read(parts);
    if (hit) {
      try {
        return JSON.parse(hit.toString("utf8")) as T;
      } catch {
        // a damaged entry is refetched
      }
    }
    const v = await get(this.#up(repo));
    this.#write(parts, JSON.stringify(v));
    return v;
  }

  modelInfo(repo: string, revision: string): Promise<HubModelInfo> {
    return this.#json(["info", repo, revision], repo, (s) => s.modelInfo(repo, revision));
  }

  listFiles(repo: string, revision: string): Promise<readonly HubFile[]> {
    return this.#json(["tree", repo, revision], repo, (s) => s.listFiles(repo, revision));
  }

  async getText(repo: string, revision: string, path: string): Promise<string> {
    const parts = ["text", repo, revision, path];
    const hit = this.#read(parts);
    if (hit) return hit.toString("utf8");
    const v = await this.#up(repo).getText(repo, revision, path);
    this.#write(parts, v);
    return v;
  }

  async getRange(
    repo: string,
    revision: string,
    path: string,
    start: number,
    endExclusive: number,
  ): Promise<Uint8Array> {
    const parts = ["range", repo, revision, path, start, endExclusive];
    const hit = this.#read(parts);
    if (hit && hit.length === endExclusive - start) return new Uint8Array(hit);
    const v = await this.#up(repo).getRange(repo, revision, path, start, endExclusive);
    this.#write(parts, v);
    return v;
  }
}
