import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { describeAllowed, MemlensError } from "@memlens/core";
import { blobToEmbedding, cosineSimilarity, embeddingToBlob, validateEmbedding } from "./embedding.js";
import { toFtsQuery } from "./fts-query.js";
import { openSqlite, type SqliteDatabase } from "./sqlite.js";

/**
 * Long-term memory kinds (Tulving 1972 for episodic/semantic; procedural as in the CoALA agent
 * taxonomy, Sumers et al. 2023): what happened, what is true, how to do things.
 */
export const MEMORY_KINDS = ["episodic", "semantic", "procedural"] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];
export const isMemoryKind = (s: string): s is MemoryKind => (MEMORY_KINDS as readonly string[]).includes(s);

/** One stored memory. */
export interface MemoryRecord {
  readonly id: number;
  readonly kind: MemoryKind;
  readonly text: string;
  /** Provenance: where the memory came from (a conversation id, a file, a URL, "user"). */
  readonly source: string | null;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  /** Length of the stored embedding, or null when none was given. */
  readonly embeddingDims: number | null;
}

export interface NewMemory {
  readonly kind: MemoryKind;
  readonly text: string;
  readonly source?: string | undefined;
  /** Default: now. */
  readonly createdAt?: Date | undefined;
  /** A vector from the user's embedding model; every embedding in one store has the same length. */
  readonly embedding?: readonly number[] | Float32Array | undefined;
}

export interface MemoryHit {
  readonly record: MemoryRecord;
  /** Higher is better: −bm25() for text, cosine for vectors, the RRF sum for both. */
  readonly score: number;
}

export interface SearchOptions {
  /** Default 10. */
  readonly limit?: number;
  readonly kind?: MemoryKind | undefined;
}

/** The store's schema version (PRAGMA user_version). */
export const MEMORY_SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS memories (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('episodic', 'semantic', 'procedural')),
  text TEXT NOT NULL,
  source TEXT,
  created_at TEXT NOT NULL,
  embedding BLOB,
  embedding_dims INTEGER
);
CREATE INDEX IF NOT EXISTS memories_kind ON memories(kind);
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(
  text, content='memories', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER IF NOT EXISTS memories_au AFTER UPDATE OF text ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
END;
`;

interface Row {
  id: number;
  kind: MemoryKind;
  text: string;
  source: string | null;
  created_at: string;
  embedding_dims: number | null;
}

const toRecord = (r: Row): MemoryRecord => ({
  id: r.id,
  kind: r.kind,
  text: r.text,
  source: r.source,
  createdAt: r.created_at,
  embeddingDims: r.embedding_dims,
});

const COLUMNS = "m.id, m.kind, m.text, m.source, m.created_at, m.embedding_dims";

/** Reciprocal rank fusion constant (Cormack, Clarke & Buettcher, SIGIR 2009: k = 60). */
export const RRF_K = 60;

/** A long-term memory store in one SQLite file. */
export interface MemoryStore {
  readonly path: string;
  /** Adds one memory in its own transaction; returns it with its id. */
  add(memory: NewMemory): MemoryRecord;
  /** Adds many memories in one transaction: all of them or none. */
  addMany(memories: readonly NewMemory[]): MemoryRecord[];
  get(id: number): MemoryRecord | undefined;
  count(): number;
  /** Full-text search (FTS5, any word of `query`), ranked by BM25. */
  search(query: string, options?: SearchOptions): MemoryHit[];
  /** Nearest memories by cosine similarity to `vector` (memories without embeddings are skipped). */
  searchByEmbedding(vector: readonly number[] | Float32Array, options?: SearchOptions): MemoryHit[];
  /** Text and vector rankings fused by reciprocal rank (RRF). */
  searchHybrid(query: string, vector: readonly number[] | Float32Array, options?: SearchOptions): MemoryHit[];
  /** Deletes one memory; false when there was none with that id. */
  forget(id: number): boolean;
  /** Deletes every memory containing all words of `query`; returns their ids (nothing deleted with dryRun). */
  forgetMatching(query: string, options?: { dryRun?: boolean }): number[];
  /** Every memory, oldest first, with its embedding as numbers. */
  exportAll(): IterableIterator<MemoryRecord & { readonly embedding: number[] | null }>;
  /** SQLite's `PRAGMA integrity_check` plus FTS5's own check; "ok" when both pass. */
  checkIntegrity(): string;
  close(): void;
}

/**
 * Opens (creating when needed, unless `readonly`) a memory store. WAL journal, `synchronous=FULL`:
 * a write acknowledged by `add` survives a crash of the process and of the machine.
 */
export function openMemoryStore(
  path: string,
  options: { readonly?: boolean; now?: () => Date } = {},
): MemoryStore {
  const now = options.now ?? (() => new Date());
  const readonly = options.readonly === true;
  if (!readonly && path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = openSqlite(path, readonly ? { readonly: true, fileMustExist: true } : {});
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new MemlensError("invalid-value", `--db: cannot open "${path}" (${msg})`, "--db");
  }
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > MEMORY_SCHEMA_VERSION) {
    db.close();
    throw new MemlensError(
      "unsupported",
      `--db: "${path}" has memory schema ${version}; this memlens reads up to ${MEMORY_SCHEMA_VERSION}`,
      "--db",
    );
  }
  if (!readonly) {
    // SQLite WAL: readers do not block the writer; FULL syncs the WAL on every commit.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    if (version < MEMORY_SCHEMA_VERSION) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${MEMORY_SCHEMA_VERSION}`);
      })();
    }
  } else if (version === 0) {
    db.close();
    throw new MemlensError("invalid-value", `--db: "${path}" is not a memlens memory database`, "--db");
  }

  const insert = db.prepare(
    "INSERT INTO memories (kind, text, source, created_at, embedding, embedding_dims) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const byId = db.prepare(`SELECT ${COLUMNS} FROM memories m WHERE m.id = ?`);
  const storedDims = () =>
    (
      db.prepare("SELECT embedding_dims FROM memories WHERE embedding IS NOT NULL LIMIT 1").get() as
        | { embedding_dims: number }
        | undefined
    )?.embedding_dims;

  const checkDims = (vector: readonly number[] | Float32Array, field: string) => {
    validateEmbedding(vector, field);
    const dims = storedDims();
    if (dims !== undefined && dims !== vector.length)
      throw new MemlensError(
        "invalid-value",
        `${field} has ${vector.length} numbers; embeddings in "${path}" have ${dims}`,
        field,
      );
  };

  const addOne = (m: NewMemory): MemoryRecord => {
    if (!isMemoryKind(m.kind))
      throw new MemlensError(
        "invalid-value",
        `--kind must be one of ${describeAllowed(MEMORY_KINDS)}, got "${String(m.kind)}"`,
        "--kind",
        MEMORY_KINDS,
      );
    if (typeof m.text !== "string" || m.text.trim() === "")
      throw new MemlensError("invalid-value", "TEXT must not be empty", "TEXT");
    if (m.embedding !== undefined) checkDims(m.embedding, "--embedding");
    const createdAt = (m.createdAt ?? now()).toISOString();
    const r = insert.run(
      m.kind,
      m.text,
      m.source ?? null,
      createdAt,
      m.embedding === undefined ? null : embeddingToBlob(m.embedding),
      m.embedding === undefined ? null : m.embedding.length,
    );
    return toRecord(byId.get(Number(r.lastInsertRowid)) as Row);
  };
  const addMany = db.transaction((ms: readonly NewMemory[]) => ms.map(addOne));
  const limitOf = (o: SearchOptions | undefined) => {
    const n = o?.limit ?? 10;
    if (!Number.isInteger(n) || n < 1)
      throw new MemlensError("invalid-value", `--limit must be a whole number ≥ 1, got ${n}`, "--limit");
    return n;
  };
  const kindClause = (o: SearchOptions | undefined) => (o?.kind ? "AND m.kind = ?" : "");
  const kindParams = (o: SearchOptions | undefined) => (o?.kind ? [o.kind] : []);

  const search = (query: string, o?: SearchOptions): MemoryHit[] => {
    const rows = db
      .prepare(
        `SELECT ${COLUMNS}, bm25(memories_fts) AS rank FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid
         WHERE memories_fts MATCH ? ${kindClause(o)} ORDER BY rank, m.id LIMIT ?`,
      )
      .all(toFtsQuery(query, "OR", "QUERY"), ...kindParams(o), limitOf(o)) as (Row & { rank: number })[];
    // FTS5 bm25() is negative, more negative = better; flip it so higher is better.
    return rows.map((r) => ({ record: toRecord(r), score: -r.rank }));
  };

  const searchByEmbedding = (vector: readonly number[] | Float32Array, o?: SearchOptions): MemoryHit[] => {
    checkDims(vector, "--embedding");
    const hits: MemoryHit[] = [];
    for (const r of db
      .prepare(
        `SELECT ${COLUMNS}, m.embedding FROM memories m WHERE m.embedding IS NOT NULL ${kindClause(o)}`,
      )
      .iterate(...kindParams(o)) as IterableIterator<Row & { embedding: Buffer }>) {
      hits.push({ record: toRecord(r), score: cosineSimilarity(vector, blobToEmbedding(r.embedding)) });
    }
    return hits.sort((a, b) => b.score - a.score || a.record.id - b.record.id).slice(0, limitOf(o));
  };

  const store: MemoryStore = {
    path,
    add: (m) => db.transaction(addOne)(m),
    addMany: (ms) => addMany(ms),
    get: (id) => {
      const r = byId.get(id) as Row | undefined;
      return r ? toRecord(r) : undefined;
    },
    count: () => (db.prepare("SELECT count(*) AS n FROM memories").get() as { n: number }).n,
    search,
    searchByEmbedding,
    searchHybrid: (query, vector, o) => {
      const depth = Math.max(50, limitOf(o) * 5);
      const lists = [
        search(query, { ...o, limit: depth }),
        searchByEmbedding(vector, { ...o, limit: depth }),
      ];
      const fused = new Map<number, { record: MemoryRecord; score: number }>();
      for (const list of lists)
        list.forEach((h, i) => {
          const prev = fused.get(h.record.id);
          // RRF(d) = Σ_lists 1 / (k + rank(d)), rank from 1.
          fused.set(h.record.id, { record: h.record, score: (prev?.score ?? 0) + 1 / (RRF_K + i + 1) });
        });
      return [...fused.values()]
        .sort((a, b) => b.score - a.score || a.record.id - b.record.id)
        .slice(0, limitOf(o));
    },
    forget: (id) =>
      db.transaction(() => db.prepare("DELETE FROM memories WHERE id = ?").run(id).changes > 0)(),
    forgetMatching: (query, o) =>
      db.transaction(() => {
        const ids = (
          db
            .prepare("SELECT rowid AS id FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rowid")
            .all(toFtsQuery(query, "AND", "--query")) as { id: number }[]
        ).map((r) => r.id);
        if (!o?.dryRun) {
          const del = db.prepare("DELETE FROM memories WHERE id = ?");
          for (const id of ids) del.run(id);
        }
        return ids;
      })(),
    exportAll: function* () {
      for (const r of db
        .prepare(`SELECT ${COLUMNS}, m.embedding FROM memories m ORDER BY m.id`)
        .iterate() as IterableIterator<Row & { embedding: Buffer | null }>) {
        yield { ...toRecord(r), embedding: r.embedding ? Array.from(blobToEmbedding(r.embedding)) : null };
      }
    },
    checkIntegrity: () => {
      const rows = db.pragma("integrity_check") as { integrity_check: string }[];
      const sqlite = rows.map((r) => r.integrity_check).join("; ");
      if (sqlite !== "ok" || readonly) return sqlite;
      try {
        // FTS5: compares the full-text index with the content table.
        db.prepare("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)").run();
      } catch (e) {
        return `fts5: ${e instanceof Error ? e.message : String(e)}`;
      }
      return "ok";
    },
    close: () => {
      if (db.open) db.close();
    },
  };
  return store;
}
