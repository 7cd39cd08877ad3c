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
