import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { blobToEmbedding, embeddingToBlob } from "./embedding.js";
import { type MemoryKind, type MemoryStore, openMemoryStore } from "./memory-store.js";

const tmpDb = () => join(mkdtempSync(join(tmpdir(), "memlens-mem-")), "nested", "memory.db");
let store: MemoryStore | undefined;
afterEach(() => store?.close());

// A fixed corpus written for this test; ids are 1..n in this order.
const CORPUS: [MemoryKind, string][] = [
  ["semantic", "The production cluster runs vLLM on eight H100 GPUs with tensor parallelism 8."],
  ["episodic", "On Monday the deployment of the 70B model failed with CUDA out of memory at 32k context."],
  ["procedural", "To shrink KV cache memory, set the KV cache dtype to fp8 and re-run the benchmark."],
  ["semantic", "The user prefers byte counts in GiB rather than GB."],
  ["episodic", "The user asked how prefix caching changes time to first token for long system prompts."],
  ["semantic", "A sourdough starter needs feeding twice a day at room temperature."],
  [
    "procedural",
    "To reproduce latency numbers: warm up with 10 requests, then measure 100 requests at batch size 1.",
  ],
  ["semantic", "Quantizing the weights to 4 bits cut the model's weight memory to about a quarter."],
  ["episodic", "On Friday the team decided to move the chatbot to a self-hosted model."],
  ["semantic", "The user's laptop has 64 GB of unified memory."],
  ["procedural", "Deploy a new model version by draining traffic from one replica at a time."],
  ["episodic", "Yesterday the user baked bread and said the crust was too thick."],
];

function seeded(): MemoryStore {
  const s = openMemoryStore(tmpDb(), { now: () => new Date("2026-01-02T03:04:05.000Z") });
  s.addMany(CORPUS.map(([kind, text], i) => ({ kind, text, source: `test:${i + 1}` })));
  return s;
}

describe("memory store: full-text retrieval (FTS5 + BM25) on a fixed corpus", () => {
  it.each([
    ["kv cache fp8", [3]],
    ["out of memory during deployment", [2, 10, 8]],
    ["unified memory on the laptop", [10]],
    ["sourdough", [6]],
    ["how do I measure latency?", [7]],
    ["GiB or GB preference", [4, 10]],
    ["bread", [12]],
    ["time to first token with prefix caching", [5]],
  ])("%j → top ids %j", (query, top) => {
    store = seeded();
    const hits = store.search(query, { limit: top.length });
    expect(hits.map((h) => h.record.id)).toEqual(top);
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
  });
  it("stems (porter): 'caches' finds 'cache' and 'caching', 'feeds' finds 'feeding'", () => {
    store = seeded();
    expect(store.search("caches").map((h) => h.record.id)).toEqual([3, 5]);
    expect(store.search("feeds").map((h) => h.record.id)).toEqual([6]);
  });
  it("filters by kind and limits", () => {
    store = seeded();
    expect(store.search("memory", { kind: "episodic" }).map((h) => h.record.id)).toEqual([2]);
    expect(store.search("memory model user", { limit: 2 })).toHaveLength(2);
  });
  it("treats FTS5 syntax in the query as words", () => {
    store = seeded();
    expect(() => store!.search('kv" OR NEAR(cache) *')).not.toThrow();
    expect(() => store!.search("?!")).toThrow(expect.objectContaining({ field: "QUERY" }));
  });
  it("keeps timestamps and provenance", () => {
    store = seeded();
    expect(store.get(4)).toEqual({
      id: 4,
      kind: "semantic",
      text: "The user prefers byte counts in GiB rather than GB.",
      source: "test:4",
      createdAt: "2026-01-02T03:04:05.000Z",
      embeddingDims: null,
    });
  });
});

describe("memory store: vector retrieval", () => {
  const vec: Record<number, number[]> = {
    1: [1, 0, 0, 0],
    2: [0.9, 0.1, 0, 0],
    3: [0, 1, 0, 0],
    4: [0, 0, 1, 0],
  };
  const withVectors = () => {
    const s = openMemoryStore(tmpDb());
    s.addMany([
      { kind: "semantic", text: "GPU cluster facts", embedding: vec[1] },
      { kind: "episodic", text: "GPU outage on Monday", embedding: vec[2] },
      { kind: "semantic", text: "bread recipe", embedding: vec[3] },
      { kind: "semantic", text: "no vector here" },
      { kind: "procedural", text: "how to bake bread", embedding: vec[4] },
    ]);
    return s;
  };
  it("ranks by cosine similarity and skips memories without embeddings", () => {
    store = withVectors();
    const hits = store.searchByEmbedding([1, 0.05, 0, 0]);
    expect(hits.map((h) => h.record.id)).toEqual([1, 2, 3, 5]);
    expect(hits[0]!.score).toBeCloseTo(1 / Math.sqrt(1 + 0.05 ** 2), 6);
  });
  it("fuses text and vector rankings with RRF", () => {
    store = withVectors();
    // Text ranks "bread recipe" (3) then "how to bake bread" (5); the vector points at 5.
    // RRF: 5 → 1/(60+2) + 1/(60+1); 3 → 1/(60+1) + 1/(60+4) (3 ties at cosine 0, ids 1, 2, 3).
    const hits = store.searchHybrid("bread", [0, 0, 1, 0], { limit: 3 });
    expect(hits.map((h) => h.record.id)).toEqual([5, 3, 1]);
    expect(hits[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(hits[1]!.score).toBeCloseTo(1 / 61 + 1 / 64, 12);
  });
  it("refuses an embedding of another length, naming --embedding", () => {
    store = withVectors();
    expect(() => store!.add({ kind: "semantic", text: "x", embedding: [1, 2] })).toThrow(
      expect.objectContaining({ field: "--embedding", message: expect.stringContaining("have 4") }),
    );
    expect(() => store!.searchByEmbedding([0, 0, 0, 0])).toThrow(/all zeros/);
  });
  it("stores float32 little-endian", () => {
    const blob = embeddingToBlob([1, -2.5, 0.1]);
    expect([...blob.subarray(0, 4)]).toEqual([0, 0, 0x80, 0x3f]);
    expect(Array.from(blobToEmbedding(blob))).toEqual([1, -2.5, Math.fround(0.1)]);
  });
});

describe("memory store: forget, export, transactions", () => {
  it("forgets by id and by query (every word must occur), updating the full-text index", () => {
    store = seeded();
    expect(store.forget(6)).toBe(true);
    expect(store.forget(6)).toBe(false);
    expect(store.search("sourdough", { limit: 5 })).toEqual([]);
    expect(store.forgetMatching("bread crust", { dryRun: true })).toEqual([12]);
    expect(store.count()).toBe(11);
    expect(store.forgetMatching("bread crust")).toEqual([12]);
    expect(store.count()).toBe(10);
    expect(store.checkIntegrity()).toBe("ok");
  });
  it("never reuses an id after forget", () => {
    store = seeded();
    store.forget(12);
    expect(store.add({ kind: "semantic", text: "new" }).id).toBe(13);
  });
  it("exports every record with embeddings as numbers, oldest first", () => {
    store = openMemoryStore(tmpDb(), { now: () => new Date("2026-01-02T00:00:00Z") });
    store.add({ kind: "semantic", text: "a", embedding: [0.5, 0.25] });
    store.add({ kind: "episodic", text: "b", source: "chat:1" });
    expect([...store.exportAll()]).toEqual([
      {
        id: 1,
        kind: "semantic",
        text: "a",
        source: null,
        createdAt: "2026-01-02T00:00:00.000Z",
        embeddingDims: 2,
        embedding: [0.5, 0.25],
      },
      {
        id: 2,
        kind: "episodic",
        text: "b",
        source: "chat:1",
        createdAt: "2026-01-02T00:00:00.000Z",
        embeddingDims: null,
        embedding: null,
      },
    ]);
  });
  it("adds a batch atomically: one bad record, nothing written", () => {
    store = seeded();
    expect(() =>
      store!.addMany([
        { kind: "semantic", text: "fine" },
        { kind: "bogus" as MemoryKind, text: "bad kind" },
      ]),
    ).toThrow(expect.objectContaining({ field: "--kind" }));
    expect(store.count()).toBe(CORPUS.length);
  });
  it("uses WAL and full sync", () => {
    store = seeded();
    const path = store.path;
    store.close();
    const db = openMemoryStore(path);
    store = db;
    expect(db.checkIntegrity()).toBe("ok");
  });
});
