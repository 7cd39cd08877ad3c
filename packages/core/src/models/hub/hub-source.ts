/**
 * What the model resolver needs from the Hugging Face Hub, as an interface core defines and never
 * implements: the CLI implements it over Node's fetch with an on-disk cache, the web app over the
 * browser's fetch with IndexedDB. Every method may throw a `HubError` (one line, saying what to do).
 */
import { MemlensError, type MemlensErrorCode } from "../../errors/memlens-error.js";

/** The part of `{endpoint}/api/models/{repo}[/revision/{rev}]` the resolver reads. */
export interface HubModelInfo {
  readonly id: string;
  /** The commit the revision names, when the Hub says. */
  readonly sha: string | null;
  /** false, or the gating mode ("auto", "manual"). */
  readonly gated: false | string;
  /** The model card's YAML metadata (`base_model`, `license`, ...). */
  readonly cardData: Readonly<Record<string, unknown>>;
}

/** One file of `{endpoint}/api/models/{repo}/tree/{rev}?recursive=true`. */
export interface HubFile {
  readonly path: string;
  /** Bytes of the file (the LFS object's size for large files). */
  readonly size: number;
}

/** The Hub, as the resolver reads it. `revision` is a branch, tag or commit ("main" by default). */
export interface ModelSource {
  modelInfo(repo: string, revision: string): Promise<HubModelInfo>;
  listFiles(repo: string, revision: string): Promise<readonly HubFile[]>;
  /** A small text file (config.json, an index): bounded by the implementation. */
  getText(repo: string, revision: string, path: string): Promise<string>;
  /** Bytes [start, endExclusive) of a file by an HTTP range request; never more than asked for. */
  getRange(
    repo: string,
    revision: string,
    path: string,
    start: number,
    endExclusive: number,
  ): Promise<Uint8Array>;
}

/** Why a Hub request failed. */
export type HubErrorReason = "not-found" | "gated" | "offline" | "timeout" | "malformed";

const CODE: Record<HubErrorReason, MemlensErrorCode> = {
  "not-found": "unknown-model",
  gated: "invalid-value",
  offline: "invalid-value",
  timeout: "invalid-value",
  malformed: "malformed-file",
};

/** A Hub request that failed; `reason` says why, the message says what to do (one line). */
export class HubError extends MemlensError {
  readonly reason: HubErrorReason;
  constructor(reason: HubErrorReason, message: string, field = "model.id") {
    super(CODE[reason], message.startsWith(`${field}: `) ? message : `${field}: ${message}`, field);
    this.reason = reason;
  }
}

/** The error messages every transport uses, so the CLI and the web app say the same thing. */
export const hubErrors = {
  gated: (repo: string, endpoint: string, withToken: boolean, field?: string): HubError =>
    new HubError(
      "gated",
      withToken
        ? `${repo} is gated and the token given has no access: accept its licence at ${endpoint}/${repo} with the account the token (HF_TOKEN or --hf-token) belongs to`
        : `${repo} is gated: accept its licence at ${endpoint}/${repo}, then set HF_TOKEN (or pass --hf-token) to a token of that account`,
      field,
    ),
  offline: (what: string, why: string, field?: string): HubError =>
    new HubError(
      "offline",
      `${what}: ${why}, and it is not in the cache; run once with network to cache it, or pass a local config.json (--model ./config.json or a directory holding one)`,
      field,
    ),
  timeout: (url: string, ms: number, field?: string): HubError =>
    new HubError(
      "timeout",
      `${url}: no answer within ${ms} ms (the Hub or the network is stalled); try again`,
      field,
    ),
  malformed: (url: string, why: string, field?: string): HubError =>
    new HubError("malformed", `${url}: refused a malformed answer (${why})`, field),
};

const enc = (s: string) => s.split("/").map(encodeURIComponent).join("/");

/** The Hub's endpoints the resolver reads, under `endpoint` (HF_ENDPOINT, no trailing slash). */
export const hubUrls = {
  modelInfo: (endpoint: string, repo: string, revision: string): string =>
    `${endpoint}/api/models/${enc(repo)}${revision === "main" ? "" : `/revision/${encodeURIComponent(revision)}`}`,
  tree: (endpoint: string, repo: string, revision: string): string =>
    `${endpoint}/api/models/${enc(repo)}/tree/${encodeURIComponent(revision)}?recursive=true`,
  file: (endpoint: string, repo: string, revision: string, path: string): string =>
    `${endpoint}/${enc(repo)}/resolve/${encodeURIComponent(revision)}/${enc(path)}`,
};

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The fields of a model info answer the resolver reads; anything else is ignored. */
export function parseHubModelInfo(raw: unknown, repo: string, url: string, field?: string): HubModelInfo {
  if (!isObj(raw)) throw hubErrors.malformed(url, "expected a JSON object", field);
  return {
    id: typeof raw.id === "string" ? raw.id : repo,
    sha: typeof raw.sha === "string" ? raw.sha : null,
    gated: typeof raw.gated === "string" ? raw.gated : false,
    cardData: isObj(raw.cardData) ? raw.cardData : {},
  };
}

/** The files of a tree answer (directories skipped; an LFS file's size is its object's). */
export function parseHubTree(raw: unknown, url: string, field?: string): HubFile[] {
  if (!Array.isArray(raw)) throw hubErrors.malformed(url, "expected a JSON array of files", field);
  const out: HubFile[] = [];
  for (const e of raw) {
    if (!isObj(e) || e.type !== "file" || typeof e.path !== "string") continue;
    const size = isObj(e.lfs) && typeof e.lfs.size === "number" ? e.lfs.size : e.size;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
      throw hubErrors.malformed(url, `file ${e.path} has size ${JSON.stringify(size)}`, field);
    out.push({ path: e.path, size });
  }
  return out;
}
