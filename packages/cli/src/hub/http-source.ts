/**
 * core's `ModelSource` over Node's fetch: the Hub API and file endpoints, every request with a
 * timeout, a bounded answer, a redirect limit, and the token sent only to the Hub's own origin.
 * (Plain fetch rather than @huggingface/hub: the resolver needs byte ranges with a hard size cap,
 * a redirect limit and a per-request timeout on every call, which are a few lines here.)
 */
import {
  HubError,
  type HubFile,
  type HubModelInfo,
  hubErrors,
  hubUrls,
  type ModelSource,
  parseHubModelInfo,
  parseHubTree,
} from "@memlens/core";

export interface HttpSourceOptions {
  /** HF_ENDPOINT: https://huggingface.co or a mirror, without a trailing slash. */
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly field?: string;
  /** Replaced by tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

/** Largest JSON or text answer (model info, a file listing page, config.json). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const MAX_LIST_PAGES = 100;

export class HttpHubSource implements ModelSource {
  readonly #o: HttpSourceOptions;
  readonly #field: string;
  constructor(o: HttpSourceOptions) {
    this.#o = o;
    this.#field = o.field ?? "model.id";
  }

  async modelInfo(repo: string, revision: string): Promise<HubModelInfo> {
    const url = hubUrls.modelInfo(this.#o.endpoint, repo, revision);
    return parseHubModelInfo(
      this.#json(url, (await this.#get(url, repo, "model")).text()),
      repo,
      url,
      this.#field,
    );
  }

  async listFiles(repo: string, revision: string): Promise<readonly HubFile[]> {
    const out: HubFile[] = [];
    let url: string | null = hubUrls.tree(this.#o.endpoint, repo, revision);
    for (let page = 0; url !== null; page++) {
      if (page >= MAX_LIST_PAGES)
        throw hubErrors.malformed(url, `over ${MAX_LIST_PAGES} pages of files`, this.#field);
      const res = await this.#get(url, repo, "listing");
      out.push(...parseHubTree(this.#json(url, res.text()), url, this.#field));
      const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "");
      url = next ? new URL(next[1]!, url).toString() : null;
    }
    return out;
  }

  async getText(repo: string, revision: string, path: string): Promise<string> {
    return (await this.#get(this.#fileUrl(repo, revision, path), repo, path)).text();
  }

  async getRange(
    repo: string,
    revision: string,
    path: string,
    start: number,
    endExclusive: number,
  ): Promise<Uint8Array> {
    const n = endExclusive - start;
    if (n <= 0) return new Uint8Array(0);
    const url = this.#fileUrl(repo, revision, path);
    const res = await this.#get(url, repo, path, { start, endExclusive });
    return res.bytes;
  }

  #fileUrl(repo: string, revision: string, path: string): string {
    return hubUrls.file(this.#o.endpoint, repo, revision, path);
  }

  #json(url: string, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw hubErrors.malformed(url, "not valid JSON; truncated?", this.#field);
    }
  }

  /** One GET with the timeout, redirect limit and size bound; HTTP errors become HubErrors. */
  async #get(
    url0: string,
    repo: string,
    what: string,
    range?: { start: number; endExclusive: number },
  ): Promise<{ bytes: Uint8Array; headers: Headers; text(): string }> {
    const f = this.#o.fetch ?? fetch;
    const ms = this.#o.timeoutMs;
    const signal = AbortSignal.timeout(ms);
    const origin = new URL(this.#o.endpoint).origin;
    let url = url0;
    try {
      for (let hop = 0; ; hop++) {
        const headers: Record<string, string> = { "user-agent": "memlens" };
        if (this.#o.token && new URL(url).origin === origin)
          headers.authorization = `Bearer ${this.#o.token}`;
        if (range) headers.range = `bytes=${range.start}-${range.endExclusive - 1}`;
        const res = await fetchRetrying(f, url, { headers, redirect: "manual", signal });
        if (res.status >= 300 && res.status < 400) {
          const loc = res.headers.get("location");
          await res.body?.cancel();
          if (!loc) throw hubErrors.malformed(url, `HTTP ${res.status} without a Location`, this.#field);
          if (hop >= MAX_REDIRECTS)
            throw hubErrors.malformed(url0, `over ${MAX_REDIRECTS} redirects (a loop?)`, this.#field);
          const next = new URL(loc, url);
          if (next.protocol !== "https:" && next.protocol !== "http:")
            throw hubErrors.malformed(url0, `a redirect to ${next.protocol} refused`, this.#field);
          url = next.toString();
          continue;
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw this.#httpError(res, url0, repo, what);
        }
        const max = range ? range.endExclusive - range.start : MAX_TEXT_BYTES;
        // A server that ignores Range answers 200 with the whole file: read up to the range's end.
        const skip = range && res.status === 200 ? range.start : 0;
        const bytes = await readBounded(res, skip, max, !range, url0, this.#field);
        return { bytes, headers: res.headers, text: () => new TextDecoder().decode(bytes) };
      }
    } catch (e) {
      if (e instanceof HubError) throw e;
      const name = (e as { name?: string }).name;
      if (name === "TimeoutError" || name === "AbortError" || signal.aborted)
        throw hubErrors.timeout(url0, ms, this.#field);
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw hubErrors.offline(
        repo,
        `cannot reach ${this.#o.endpoint}${cause ? ` (${cause})` : ""}`,
        this.#field,
      );
    }
  }

  #httpError(res: Response, url: string, repo: string, what: string): HubError {
    const code = res.headers.get("x-error-code") ?? "";
    const endpoint = this.#o.endpoint;
    if (code === "RepoNotFound" || (res.status === 404 && what === "model"))
      return new HubError("not-found", `${repo} is not on the Hub (${endpoint})`, this.#field);
    if (code === "RevisionNotFound")
      return new HubError("not-found", `${repo}: no such revision on the Hub (${url})`, this.#field);
    if (res.status === 401 || res.status === 403 || code === "GatedRepo")
      return hubErrors.gated(repo, endpoint, this.#o.token !== undefined, this.#field);
    if (res.status === 404)
      return new HubError("not-found", `${repo}: ${what} is not in the repo (${url})`, this.#field);
    if (res.status === 429 || res.status >= 500)
      return new HubError(
        "offline",
        `${url}: the Hub answered HTTP ${res.status}; try again later`,
        this.#field,
      );
    return hubErrors.malformed(url, `HTTP ${res.status}`, this.#field);
  }
}

/** A GET, tried once more when a kept-alive connection was reset under it (GETs are idempotent). */
async function fetchRetrying(f: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await f(url, init);
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (init.signal?.aborted || (code !== "ECONNRESET" && code !== "UND_ERR_SOCKET")) throw e;
    return f(url, init);
  }
}

/** Reads a body, skipping `skip` bytes, keeping at most `max`; over `max` is an error when `strict`. */
async function readBounded(
  res: Response,
  skip: number,
  max: number,
  strict: boolean,
  url: string,
  field: string,
): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (strict && declared > max) {
    await res.body?.cancel();
    throw hubErrors.malformed(url, `an answer of ${declared} bytes; memlens reads at most ${max}`, field);
  }
  const out = new Uint8Array(Math.min(max, Number.isFinite(declared) && declared >= 0 ? declared : max));
  let buf = out;
  let got = 0;
  let skipped = 0;
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let chunk = value;
    if (skipped < skip) {
      const s = Math.min(skip - skipped, chunk.length);
      skipped += s;
      chunk = chunk.subarray(s);
    }
    if (got + chunk.length > max) {
      if (strict) {
        await reader.cancel();
        throw hubErrors.malformed(url, `an answer over ${max} bytes`, field);
      }
      chunk = chunk.subarray(0, max - got);
    }
    if (got + chunk.length > buf.length) {
      const next = new Uint8Array(Math.min(max, Math.max(got + chunk.length, buf.length * 2 || 65536)));
      next.set(buf.subarray(0, got));
      buf = next;
    }
    buf.set(chunk, got);
    got += chunk.length;
    if (!strict && got >= max) {
      await reader.cancel();
      break;
    }
  }
  return buf.subarray(0, got);
}
