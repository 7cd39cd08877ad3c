import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { wordTokenCounter } from "@memlens/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadTokenCounter } from "../tokenizers/index.js";
import { parseConversation } from "./context.js";
import { openAiSummarizer, SummarizerError } from "./openai-summarizer.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "memlens.js");
const conversation = join(here, "fixtures", "conversation.json");
const SUMMARY = "User sizes 7B model memory.";
const KEY = "sk-test-not-a-real-key";

interface Seen {
  readonly path: string | undefined;
  readonly authorization: string | undefined;
  readonly body: {
    model: string;
    max_tokens: number;
    messages: { role: string; content: string }[];
  };
}

/** A stub OpenAI-compatible server: records each request, answers as `reply` says. */
let server: Server;
let port = 0;
const seen: Seen[] = [];
let reply: (res: ServerResponse) => void = () => {};

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        path: req.url,
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
      });
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
});

const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const completion = (content: unknown) =>
  json(200, {
    id: "x",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content } }],
  });

const exec = promisify(execFile);
async function memlens(argv: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...argv], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const contextArgv = (url: string) => [
  "context",
  "--model",
  "openai-community/gpt2",
  "--gpu",
  "RTX-4090",
  conversation,
  "--policy",
  "summarize",
  "--budget",
  "60",
  "--summarizer",
  "openai",
  "--summarizer-url",
  url,
  "--summarizer-model",
  "stub",
];

describe("memlens context --summarizer openai (built binary, local stub server)", () => {
  it("sends the turns to /chat/completions and puts the server's answer in the summaries", async () => {
    reply = completion(SUMMARY);
    const r = await memlens([...contextArgv(`http://127.0.0.1:${port}/v1`), "--json"], {
      OPENAI_API_KEY: KEY,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // --budget 60: summary budget 60 / 8 = 7 tokens.
    expect(out.simulation.policy.summaryMaxTokens).toBe(7);
    expect(out.simulation.summarizer).toBe("openai:stub");
    expect(seen.length).toBeGreaterThan(0);
    const first = seen[0]!;
    expect(first.path).toBe("/v1/chat/completions");
    expect(first.authorization).toBe(`Bearer ${KEY}`);
    expect(first.body.model).toBe("stub");
    expect(first.body.max_tokens).toBe(7);
    expect(first.body.messages[0]!.role).toBe("system");
    const prompt = first.body.messages.map((m) => m.content).join("\n");
    const turns = parseConversation(readFileSync(conversation, "utf8"), "fixture");
    const folded: string[] = out.simulation.steps.find(
      (s: { lost: { summarizedTurnIds: string[] } }) => s.lost.summarizedTurnIds.length > 0,
    ).lost.summarizedTurnIds;
    expect(folded.length).toBeGreaterThan(0);
    for (const id of folded) expect(prompt).toContain(turns.find((t) => t.id === id)!.text);
    // Every summary is the stub's text, and the summary block counts its GPT-2 tokens.
    expect(out.summaries.length).toBe(seen.length);
    const gpt2 = await loadTokenCounter("gpt2");
    expect(gpt2.count(SUMMARY)).toBeLessThanOrEqual(7); // so that nothing is cut
    // A new summary is in its step's blocks, or was dropped at once to keep the budget.
    let shown = 0;
    for (const s of out.summaries) {
      expect(s.text).toBe(SUMMARY);
      const step = out.simulation.steps[s.turnIndex];
      const block = step.blocks.find((b: { id: string }) => b.id === s.id);
      if (block) {
        expect(block).toMatchObject({ kind: "summary", tokens: gpt2.count(SUMMARY) });
        shown++;
      } else expect(step.lost.evictedSummaryIds).toContain(s.id);
    }
    expect(shown).toBeGreaterThan(0);
    expect(r.stdout).not.toContain(KEY);
  });

  it("a server answering 500 ends the run with exit 1 and one line naming the endpoint and status", async () => {
    reply = json(500, { error: { message: "model crashed" } });
    const r = await memlens(contextArgv(`http://127.0.0.1:${port}/v1`), { OPENAI_API_KEY: KEY });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`http://127.0.0.1:${port}/v1/chat/completions`);
    expect(lines[0]).toContain("HTTP 500");
    expect(r.stderr).not.toContain(KEY);
  });

  it.each([
    ["not http", "ftp://127.0.0.1/v1"],
    ["no scheme", "127.0.0.1:8000"],
  ])("a bad --summarizer-url (%s: %s) exits 2 naming the flag", async (_, url) => {
    const r = await memlens(contextArgv(url));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--summarizer-url");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(seen).toHaveLength(0);
  });
});

describe("openAiSummarizer (in process, local stub server)", () => {
  const request = {
    inputs: [
      { role: "summary", text: "earlier: budget is 24 GB" },
      { role: "user", text: "How big is the KV cache at 8k tokens?" },
    ],
    maxTokens: 5,
    counter: wordTokenCounter,
  };
  const summarizer = () => openAiSummarizer({ baseUrl: `http://127.0.0.1:${port}/v1/`, model: "stub" });

  it("cuts a longer answer to maxTokens and sends no Authorization without a key", async () => {
    reply = completion("one two three four five six seven");
    expect(await summarizer().summarize(request)).toBe("one two three four five");
    expect(seen[0]!.authorization).toBeUndefined();
    expect(seen[0]!.path).toBe("/v1/chat/completions");
    expect(seen[0]!.body.messages[1]!.content).toBe(
      "previous summary: earlier: budget is 24 GB\n\nuser: How big is the KV cache at 8k tokens?",
    );
  });

  it.each([
    ["a body that is not JSON", (res: ServerResponse) => res.end("<html>oops</html>"), "not JSON"],
    ["no choices", json(200, { choices: [] }), "choices[0].message.content"],
    ["a non-string content", completion(null), "choices[0].message.content"],
    ["a 401", json(401, { error: { message: "bad key" } }), "HTTP 401"],
    [
      "a body over the limit",
      (res: ServerResponse) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end("x".repeat(2 * 1024 * 1024));
      },
      "limit",
    ],
  ])("%s is a SummarizerError naming the endpoint", async (_, answer, message) => {
    reply = answer;
    const err = await Promise.resolve(summarizer().summarize(request)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SummarizerError);
    expect((err as Error).message).toContain(`http://127.0.0.1:${port}/v1/chat/completions`);
    expect((err as Error).message).toContain(message);
  });

  it("a server that does not answer in time is a SummarizerError", async () => {
    reply = () => {}; // never answers
    const s = openAiSummarizer({ baseUrl: `http://127.0.0.1:${port}/v1`, model: "stub", timeoutMs: 200 });
    await expect(s.summarize(request)).rejects.toThrow(/no answer within 0.2 s/);
  });

  it("a closed port is a SummarizerError, not a stack trace", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const s = openAiSummarizer({ baseUrl: `http://127.0.0.1:${closedPort}/v1`, model: "stub" });
    await expect(s.summarize(request)).rejects.toThrow(/request failed/);
  });
});
