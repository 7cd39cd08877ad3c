import { type Summarizer, type SummaryRequest, truncateToTokens } from "@memlens/core";

/** Where and how to reach an OpenAI-compatible chat-completions endpoint. */
export interface OpenAiSummarizerOptions {
  /** Up to the version, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer`; never printed. Omitted when undefined (local servers). */
  readonly apiKey?: string | undefined;
  /** Default {@link SUMMARIZER_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Default {@link SUMMARIZER_MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
}

export const SUMMARIZER_TIMEOUT_MS = 60_000;
/** A summary of a few thousand tokens is tens of kB; anything near 1 MiB is not an answer. */
export const SUMMARIZER_MAX_RESPONSE_BYTES = 1024 * 1024;

/** The endpoint failed (network, status, body): the CLI reports one line and exits 1. */
export class SummarizerError extends Error {
  readonly code = "summarizer-failed";
  constructor(message: string) {
    super(message);
    this.name = "SummarizerError";
  }
}

const SYSTEM_PROMPT = (maxTokens: number) =>
  `You compress the older part of a conversation so that it still fits an assistant's context window. ` +
  `Write one summary of the turns you are given in at most ${maxTokens} tokens. Keep facts, numbers, ` +
  `names, decisions, constraints and open questions; drop pleasantries. Answer with the summary only.`;

/** The turns as one text block, oldest first; a previous summary is labelled as such. */
export function summaryPromptText(request: SummaryRequest): string {
  return request.inputs
    .map((x) => `${x.role === "summary" ? "previous summary" : x.role}: ${x.text}`)
    .join("\n\n");
}

/** The URL as printed in messages: without user:password. */
function shownUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = "";
  u.password = "";
  return u.href;
}

async function readBounded(res: Response, limit: number, where: string): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit)
    throw new SummarizerError(`${where}: response of ${declared} bytes is over the ${limit}-byte limit`);
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new SummarizerError(`${where}: response is over the ${limit}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function answerText(body: unknown): string | undefined {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return undefined;
  const content = (choices[0] as { message?: { content?: unknown } } | undefined)?.message?.content;
  return typeof content === "string" ? content : undefined;
}

/**
 * A {@link Summarizer} behind an OpenAI-compatible `POST {baseUrl}/chat/completions` (OpenAI,
 * vLLM, SGLang, llama.cpp server, Ollama). The answer is cut to `request.maxTokens` under
 * `request.counter`. Failures throw {@link SummarizerError} with one line naming the endpoint.
 *
 * @example
 * openAiSummarizer({ baseUrl: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen3-8B" })
 */
export function openAiSummarizer(options: OpenAiSummarizerOptions): Summarizer {
  const base = new URL(options.baseUrl);
  const endpoint = new URL(`${base.href.replace(/\/+$/, "")}/chat/completions`);
  const where = `summarizer ${shownUrl(endpoint)}`;
  const timeoutMs = options.timeoutMs ?? SUMMARIZER_TIMEOUT_MS;
  const limit = options.maxResponseBytes ?? SUMMARIZER_MAX_RESPONSE_BYTES;
  return {
    name: `openai:${options.model}`,
    async summarize(request) {
      // OpenAI API reference, POST /chat/completions: model, messages, max_tokens.
      const payload = {
        model: options.model,
        messages: [
          { role: "system", content: SYSTEM_PROMPT(request.maxTokens) },
          { role: "user", content: summaryPromptText(request) },
        ],
        max_tokens: request.maxTokens,
      };
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            ...(options.apiKey !== undefined ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError"))
          throw new SummarizerError(`${where}: no answer within ${timeoutMs / 1000} s`);
        const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : undefined;
        const msg = cause ?? (e instanceof Error ? e.message : String(e));
        throw new SummarizerError(`${where}: request failed (${msg.split("\n")[0]})`);
      }
      let text: string;
      try {
        text = await readBounded(res, limit, where);
      } catch (e) {
        if (e instanceof SummarizerError) throw e;
        const name = e instanceof Error ? e.name : "";
        throw new SummarizerError(
          name === "TimeoutError" || name === "AbortError"
            ? `${where}: no answer within ${timeoutMs / 1000} s`
            : `${where}: reading the response failed (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`,
        );
      }
      if (!res.ok) {
        const key = options.apiKey;
        const redacted = key ? text.split(key).join("***") : text;
        const detail = redacted.replace(/\s+/g, " ").trim().slice(0, 200);
        throw new SummarizerError(
          `${where}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${detail ? `: ${detail}` : ""}`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new SummarizerError(`${where}: the response is not JSON`);
      }
      const content = answerText(body);
      if (content === undefined)
        throw new SummarizerError(`${where}: the response has no choices[0].message.content string`);
      return truncateToTokens(content.trim(), request.maxTokens, request.counter);
    },
  };
}
