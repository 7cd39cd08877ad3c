/**
 * Test support (not built into dist): a loopback stand-in of the Hugging Face Hub API on
 * 127.0.0.1, with the three endpoints the resolver reads (model info, file tree, resolve with
 * Range support), gated repos, 404s and hostile answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A file: its first bytes (the rest reads as zeros) and its full size. */
export interface StandinFile {
  readonly head: Uint8Array;
  readonly size: number;
}

export interface StandinRepo {
  readonly cardData?: Record<string, unknown>;
  /** Files need `Authorization: Bearer <token>` (the model info stays public, as on the Hub). */
  readonly gatedToken?: string;
  readonly files: Readonly<Record<string, StandinFile>>;
  /** Misbehaviours: "redirect-loop" (every file redirects to itself), "stall" (never answers). */
  readonly hostile?: "redirect-loop" | "stall";
}

export interface HubStandin {
  readonly endpoint: string;
  /** Requests served so far ("GET /path range"), for asserting that only headers were read. */
  readonly log: string[];
  /** Bytes of file bodies sent. */
  bytesSent(): number;
  close(): Promise<void>;
}

export const textFile = (s: string): StandinFile => {
  const head = new TextEncoder().encode(s);
  return { head, size: head.length };
};

function slice(f: StandinFile, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  if (start < f.head.length) out.set(f.head.subarray(start, Math.min(end, f.head.length)), 0);
  return out;
}

export async function startHubStandin(repos: Readonly<Record<string, StandinRepo>>): Promise<HubStandin> {
  const log: string[] = [];
  let sent = 0;
  const stalled: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // the Hub serves CORS, so the web app can read it from a browser
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-expose-headers", "content-range, content-length, x-error-code");
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-headers": "range, authorization",
        "access-control-allow-methods": "GET",
      });
      return res.end();
    }
    const url = new URL(req.url ?? "/", "http://x");
    const path = decodeURIComponent(url.pathname);
    log.push(`GET ${path}${req.headers.range ? ` ${req.headers.range}` : ""}`);
    const json = (status: number, body: unknown, code?: string) => {
      res.writeHead(status, {
        "content-type": "application/json",
        ...(code ? { "x-error-code": code } : {}),
      });
      res.end(JSON.stringify(body));
    };
    const api = /^\/api\/models\/([^/]+\/[^/]+)(?:\/(tree|revision)\/(.+))?$/.exec(path);
    const file = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repoId = api?.[1] ?? file?.[1];
    const repo = repoId ? repos[repoId] : undefined;
    if (!repo) return json(404, { error: "Repository not found" }, "RepoNotFound");
    if (repo.hostile === "stall") {
      stalled.push(res);
      return;
    }
    if (api && api[2] !== "tree")
      return json(200, {
        id: repoId,
        sha: "0".repeat(40),
        gated: repo.gatedToken ? "manual" : false,
        cardData: repo.cardData ?? {},
      });
    if (api)
      return json(
        200,
        Object.entries(repo.files).map(([p, f]) => ({ type: "file", path: p, size: f.size })),
      );
    const f = repo.files[file![3]!];
    if (repo.hostile === "redirect-loop") {
      res.writeHead(302, { location: path });
      return res.end();
    }
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`)
      return json(401, { error: "Access to this model is restricted" }, "GatedRepo");
    if (!f) return json(404, { error: "Entry not found" }, "EntryNotFound");
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m ? Math.min(Number(m[2]) + 1, f.size) : f.size;
    const body = slice(f, start, end);
    sent += body.length;
    res.writeHead(m ? 206 : 200, {
      "content-length": String(body.length),
      ...(m ? { "content-range": `bytes ${start}-${end - 1}/${f.size}` } : {}),
    });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    bytesSent: () => sent,
    close: () =>
      new Promise<void>((ok) => {
        for (const r of stalled) r.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
