import { existsSync } from "node:fs";
import { describeAllowed, isInputError, MemlensError } from "@memlens/core";
import { intFlag, parseFlags } from "../args.js";
import { defaultMemoryDbPath } from "./default-db-path.js";
import { parseEmbeddingFlag } from "./embedding.js";
import { toFtsQuery } from "./fts-query.js";
import {
  isMemoryKind,
  MEMORY_KINDS,
  type MemoryHit,
  type MemoryKind,
  type MemoryRecord,
  openMemoryStore,
} from "./memory-store.js";

/** What `memlens memory` needs from the process. */
export interface MemoryIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const MEMORY_SUBCOMMANDS = ["add", "search", "forget", "export"] as const;

const USAGE = `memlens memory: a long-term memory store (SQLite, full-text and vector search)

Usage:
  memlens memory add [--db PATH] [--kind episodic|semantic|procedural] [--source TEXT] [--embedding JSON] TEXT
  memlens memory search [--db PATH] [--kind KIND] [--limit N] [--embedding JSON] [--json] QUERY
  memlens memory forget [--db PATH] [--dry-run] [--json] ID | --query QUERY
  memlens memory export [--db PATH] [--json]

--kind defaults to semantic. --embedding takes a JSON array of numbers from your embedding model;
search with QUERY and --embedding fuses both rankings (reciprocal rank fusion), with only
--embedding it ranks by cosine similarity. forget --query deletes memories holding every word.
export writes JSON Lines (one memory per line); with --json, one JSON document.
Default database: $MEMLENS_MEMORY_DB, else $XDG_DATA_HOME/memlens/memory.db, else the platform's
user data directory (~/.local/share, ~/Library/Application Support, %LOCALAPPDATA%).
`;

/** parseFlags, with the allowed kinds added when --kind itself is malformed (e.g. no value). */
function parseMemoryFlags<O extends Parameters<typeof parseFlags>[1]>(
  argv: readonly string[],
  options: O,
  positionals = false,
) {
  try {
    return parseFlags(argv, options, positionals);
  } catch (e) {
    if (e instanceof MemlensError && e.field === "--kind")
      throw new MemlensError(
        "invalid-value",
        `${e.message}; --kind must be one of ${describeAllowed(MEMORY_KINDS)}`,
        "--kind",
        MEMORY_KINDS,
      );
    throw e;
  }
}

const kindFlag = (v: string | undefined): MemoryKind | undefined => {
  if (v === undefined) return undefined;
  if (!isMemoryKind(v))
    throw new MemlensError(
      "invalid-value",
      `--kind must be one of ${describeAllowed(MEMORY_KINDS)}, got "${v}"`,
      "--kind",
      MEMORY_KINDS,
    );
  return v;
};

const oneLine = (s: string, max = 100) => {
  const flat = s.replace(/\s+/gu, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const recordJson = (r: MemoryRecord) => ({
  id: r.id,
  kind: r.kind,
  text: r.text,
  source: r.source,
  createdAt: r.createdAt,
  embeddingDims: r.embeddingDims,
});

function printHits(hits: readonly MemoryHit[], io: MemoryIo): void {
  for (const h of hits) {
    const r = h.record;
    const src = r.source ? `  (${oneLine(r.source, 40)})` : "";
    io.stdout.write(
      `#${r.id}  ${r.kind.padEnd(10)}  ${r.createdAt.slice(0, 10)}  ${h.score.toPrecision(3)}  ${oneLine(r.text)}${src}\n`,
    );
  }
}

async function add(argv: readonly string[], io: MemoryIo, json: boolean): Promise<number> {
  const { values, positionals } = parseMemoryFlags(
    argv,
    {
      db: { type: "string" },
      kind: { type: "string" },
      source: { type: "string" },
      embedding: { type: "string" },
      json: { type: "boolean" },
    },
    true,
  );
  const text = positionals.join(" ");
  if (text.trim() === "")
    throw new MemlensError(
      "invalid-value",
      'memory add needs TEXT, e.g. memlens memory add "fact to keep"',
      "TEXT",
    );
  const kind = kindFlag(values.kind) ?? "semantic";
  const embedding = values.embedding === undefined ? undefined : parseEmbeddingFlag(values.embedding);
  const store = openMemoryStore(values.db ?? defaultMemoryDbPath(io.env));
  try {
    const r = store.add({ kind, text, source: values.source, embedding });
    if (json) io.stdout.write(`${JSON.stringify({ memory: recordJson(r), db: store.path })}\n`);
    else io.stdout.write(`added memory ${r.id} (${r.kind}) to ${store.path}\n`);
    return 0;
  } finally {
    store.close();
  }
}

async function search(argv: readonly string[], io: MemoryIo, json: boolean): Promise<number> {
  const { values, positionals } = parseMemoryFlags(
    argv,
    {
      db: { type: "string" },
      kind: { type: "string" },
      limit: { type: "string" },
      embedding: { type: "string" },
      json: { type: "boolean" },
    },
    true,
  );
  const query = positionals.join(" ");
  const limit = intFlag(values.limit, "--limit", 1, 10_000) ?? 10;
  const kind = kindFlag(values.kind);
  const embedding = values.embedding === undefined ? undefined : parseEmbeddingFlag(values.embedding);
  if (query.trim() === "" && embedding === undefined)
    throw new MemlensError("invalid-value", "memory search needs QUERY (or --embedding)", "QUERY");
  if (query.trim() !== "") toFtsQuery(query, "OR", "QUERY"); // refuse a query with no words up front
  const path = values.db ?? defaultMemoryDbPath(io.env);
  let hits: MemoryHit[] = [];
  if (existsSync(path)) {
    const store = openMemoryStore(path);
    try {
      const opts = { limit, kind };
      hits =
        embedding === undefined
          ? store.search(query, opts)
          : query.trim() === ""
            ? store.searchByEmbedding(embedding, opts)
            : store.searchHybrid(query, embedding, opts);
    } finally {
      store.close();
    }
  }
  const mode =
    embedding === undefined ? "fts5-bm25" : query.trim() === "" ? "cosine" : "rrf(fts5-bm25, cosine)";
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ query, ranking: mode, db: path, results: hits.map((h) => ({ ...recordJson(h.record), score: h.score })) })}\n`,
    );
  } else if (hits.length === 0) {
    io.stdout.write(
      existsSync(path) ? `no memories match in ${path}\n` : `no memory database at ${path} yet\n`,
    );
  } else printHits(hits, io);
  return 0;
}

async function forget(argv: readonly string[], io: MemoryIo, json: boolean): Promise<number> {
  const { values, positionals } = parseMemoryFlags(
    argv,
    {
      db: { type: "string" },
      query: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
    },
    true,
  );
  const idText = positionals.join(" ").trim();
  if ((idText === "") === (values.query === undefined))
    throw new MemlensError(
      "invalid-value",
      "memory forget needs either an ID or --query QUERY (not both)",
      "ID",
    );
  const dryRun = values["dry-run"] === true;
  const path = values.db ?? defaultMemoryDbPath(io.env);
  let ids: number[];
  if (idText !== "") {
    if (!/^\d+$/u.test(idText))
      throw new MemlensError(
        "invalid-value",
        `ID must be a whole number (a memory id), got "${idText}"`,
        "ID",
      );
    const id = Number(idText);
    const store = existsSync(path) ? openMemoryStore(path) : undefined;
    try {
      const found = store?.get(id) !== undefined;
      if (!found) throw new MemlensError("invalid-value", `ID: no memory ${id} in ${path}`, "ID");
      if (!dryRun) store!.forget(id);
      ids = [id];
    } finally {
      store?.close();
    }
  } else {
    const store = existsSync(path) ? openMemoryStore(path) : undefined;
    try {
      ids = store ? store.forgetMatching(values.query!, { dryRun }) : [];
    } finally {
      store?.close();
    }
  }
  if (json)
    io.stdout.write(`${JSON.stringify({ forgotten: dryRun ? [] : ids, matched: ids, dryRun, db: path })}\n`);
  else if (ids.length === 0) io.stdout.write("no memories matched; nothing forgotten\n");
  else
    io.stdout.write(
      `${dryRun ? "would forget" : "forgot"} ${ids.length} ${ids.length === 1 ? "memory" : "memories"}: ${ids.join(", ")}\n`,
    );
  return 0;
}

async function exportAll(argv: readonly string[], io: MemoryIo, json: boolean): Promise<number> {
  const { values } = parseMemoryFlags(argv, { db: { type: "string" }, json: { type: "boolean" } });
  const path = values.db ?? defaultMemoryDbPath(io.env);
  const store = existsSync(path) ? openMemoryStore(path) : undefined;
  try {
    const line = (r: MemoryRecord & { embedding: number[] | null }) =>
      JSON.stringify({ ...recordJson(r), ...(r.embedding ? { embedding: r.embedding } : {}) });
    if (json) {
      io.stdout.write('{"memories":[');
      let first = true;
      for (const r of store?.exportAll() ?? []) {
        io.stdout.write(`${first ? "" : ","}\n${line(r)}`);
        first = false;
      }
      io.stdout.write("\n]}\n");
    } else for (const r of store?.exportAll() ?? []) io.stdout.write(`${line(r)}\n`);
    return 0;
  } finally {
    store?.close();
  }
}

/**
 * `memlens memory <add|search|forget|export> ...`: argv after "memory" → exit code (0 ok, 2 bad
 * input, 1 anything else). Errors print one line on stderr, or `{"error":{code,message,field}}` on
 * stdout with --json.
 */
export async function runMemoryCommand(argv: string[], io: MemoryIo): Promise<number> {
  const json = argv.includes("--json");
  const [sub, ...rest] = argv;
  try {
    if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help" || rest.includes("--help")) {
      io.stdout.write(USAGE);
      return sub === undefined ? 2 : 0;
    }
    switch (sub) {
      case "add":
        return await add(rest, io, json);
      case "search":
        return await search(rest, io, json);
      case "forget":
        return await forget(rest, io, json);
      case "export":
        return await exportAll(rest, io, json);
      default:
        throw new MemlensError(
          "invalid-value",
          `memory: unknown subcommand "${sub}"; allowed: ${MEMORY_SUBCOMMANDS.join(", ")}`,
          "command",
          MEMORY_SUBCOMMANDS,
        );
    }
  } catch (e) {
    const input = isInputError(e);
    const code = e instanceof MemlensError ? e.code : "internal";
    const field = e instanceof MemlensError ? e.field : undefined;
    const message = (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "error";
    if (json)
      io.stdout.write(`${JSON.stringify({ error: { code, message, ...(field ? { field } : {}) } })}\n`);
    else io.stderr.write(`memlens: ${message}\n`);
    return input ? 2 : 1;
  }
}
