/** The Hub as the environment configures it: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, the cache folder. */
import { MemlensError, type ModelSource } from "@memlens/core";
import { CachedSource, cacheDir } from "./cache.js";
import { HttpHubSource } from "./http-source.js";

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";
/** Per-request timeout: a stalled Hub or network fails in seconds, never hangs. */
export const DEFAULT_HUB_TIMEOUT_MS = 10_000;

type Env = Readonly<Record<string, string | undefined>>;

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

export function hubEndpoint(env: Env): string {
  const e = (env.HF_ENDPOINT ?? "").trim() || DEFAULT_HF_ENDPOINT;
  let u: URL;
  try {
    u = new URL(e);
  } catch {
    throw new MemlensError(
      "invalid-value",
      `HF_ENDPOINT "${e}" is not a URL; expected like ${DEFAULT_HF_ENDPOINT}`,
      "HF_ENDPOINT",
    );
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new MemlensError("invalid-value", `HF_ENDPOINT "${e}" must be an http(s) URL`, "HF_ENDPOINT");
  return e.replace(/\/+$/, "");
}

/** The cached Hub source the environment describes (offline: the cache alone). */
export function hubSourceFromEnv(env: Env, field = "model.id"): ModelSource {
  const endpoint = hubEndpoint(env);
  const offline = truthy(env.HF_HUB_OFFLINE);
  const ms = Number(env.MEMLENS_HUB_TIMEOUT_MS);
  const timeoutMs = Number.isSafeInteger(ms) && ms > 0 ? ms : DEFAULT_HUB_TIMEOUT_MS;
  const token = env.HF_TOKEN?.trim() || undefined;
  return new CachedSource({
    dir: cacheDir(env),
    endpoint,
    field,
    offlineWhy: "offline (HF_HUB_OFFLINE=1 or --offline)",
    upstream: offline ? null : new HttpHubSource({ endpoint, token, timeoutMs, field }),
  });
}
