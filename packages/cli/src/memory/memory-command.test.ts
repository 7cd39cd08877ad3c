import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type MemoryIo, runMemoryCommand } from "./memory-command.js";

function fakeIo(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: MemoryIo = { stdout: { write: (s) => out.push(s) }, stderr: { write: (s) => err.push(s) }, env };
  return { io, out: () => out.join(""), err: () => err.join("") };
}
const tmp = () => mkdtempSync(join(tmpdir(), "memlens-cmd-"));

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const f = fakeIo(env);
  const code = await runMemoryCommand(argv, f.io);
  return { code, out: f.out(), err: f.err() };
}

describe("memlens memory", () => {
  it("adds, searches, forgets and exports through one database", async () => {
    const db = join(tmp(), "m.db");
    expect(
      await run([
        "add",
        "--db",
        db,
        "--kind",
        "procedural",
        "--source",
        "chat:7",
        "Set",
        "the",
        "KV",
        "cache",
        "dtype",
        "to",
        "fp8",
      ]),
    ).toEqual({
      code: 0,
      out: `added memory 1 (procedural) to ${db}\n`,
      err: "",
    });
    await run(["add", "--db", db, "The cluster has eight GPUs"]);
    const s = await run(["search", "--db", db, "--json", "kv", "cache"]);
    expect(s.code).toBe(0);
    const parsed = JSON.parse(s.out);
    expect(parsed.ranking).toBe("fts5-bm25");
    expect(parsed.results.map((r: { id: number }) => r.id)).toEqual([1]);
    expect(parsed.results[0]).toMatchObject({
      kind: "procedural",
      source: "chat:7",
      text: "Set the KV cache dtype to fp8",
    });
    const text = await run(["search", "--db", db, "gpus"]);
    expect(text.out).toMatch(/^#2 {2}semantic {4}\d{4}-\d\d-\d\d {2}\S+ {2}The cluster has eight GPUs\n$/);
    const exported = await run(["export", "--db", db]);
    expect(
      exported.out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    ).toEqual([1, 2]);
    expect(JSON.parse((await run(["export", "--db", db, "--json"])).out).memories).toHaveLength(2);
    expect((await run(["forget", "--db", db, "--query", "eight gpus", "--dry-run"])).out).toBe(
      "would forget 1 memory: 2\n",
    );
    expect((await run(["forget", "--db", db, "1"])).out).toBe("forgot 1 memory: 1\n");
    expect((await run(["forget", "--db", db, "--query", "cluster", "--json"])).out).toBe(
      `${JSON.stringify({ forgotten: [2], matched: [2], dryRun: false, db })}\n`,
    );
    expect((await run(["export", "--db", db])).out).toBe("");
  });

  it("uses $XDG_DATA_HOME/memlens/memory.db when --db is not given", async () => {
    const home = tmp();
    expect((await run(["add", "remember", "this"], { XDG_DATA_HOME: home })).code).toBe(0);
    expect(existsSync(join(home, "memlens", "memory.db"))).toBe(true);
  });

  it("searches by embedding (cosine) and by text + embedding (RRF)", async () => {
    const db = join(tmp(), "m.db");
    await run(["add", "--db", db, "--embedding", "[1,0]", "alpha note"]);
    await run(["add", "--db", db, "--embedding", "[0,1]", "beta note"]);
    const v = JSON.parse((await run(["search", "--db", db, "--json", "--embedding", "[0.1,0.9]"])).out);
    expect(v.ranking).toBe("cosine");
    expect(v.results.map((r: { id: number }) => r.id)).toEqual([2, 1]);
    const h = JSON.parse((await run(["search", "--db", db, "--json", "--embedding", "[1,0]", "note"])).out);
    expect(h.ranking).toBe("rrf(fts5-bm25, cosine)");
    expect(h.results[0].id).toBe(1);
  });

  it("reports a missing database instead of creating one on search", async () => {
    const db = join(tmp(), "none.db");
    expect(await run(["search", "--db", db, "anything"])).toEqual({
      code: 0,
      out: `no memory database at ${db} yet\n`,
      err: "",
    });
    expect(existsSync(db)).toBe(false);
  });

  it.each([
    [
      ["add", "--kind", "fact", "x"],
      "--kind",
      /--kind must be one of episodic, semantic, procedural, got "fact"/,
    ],
    [["search", "--kind", "bogus", "x"], "--kind", /episodic, semantic, procedural/],
    [["add", "--kind"], "--kind", /episodic, semantic, procedural/],
    [["search", "--limit", "0", "x"], "--limit", /--limit must be from 1 to 10000/],
    [["search", "--limit", "ten", "x"], "--limit", /whole number/],
    [["add", "--embedding", "[1,nope]", "x"], "--embedding", /JSON array of numbers/],
    [["forget", "abc"], "ID", /ID must be a whole number/],
    [["forget"], "ID", /either an ID or --query/],
    [["forget", "99"], "ID", /no memory 99/],
    [["add"], "TEXT", /needs TEXT/],
    [["search"], "QUERY", /needs QUERY/],
    [["search", "?!"], "QUERY", /no words/],
    [
      ["add", "--colour", "red", "x"],
      "--colour",
      /allowed flags: --db, --kind, --source, --embedding, --json/,
    ],
    [["frobnicate"], "command", /allowed: add, search, forget, export/],
  ])("%j exits 2 naming %s", async (argv, field, msg) => {
    const db = join(tmp(), "m.db");
    const withDb = argv[0] === "frobnicate" ? argv : [argv[0]!, "--db", db, ...argv.slice(1)];
    const r = await run(withDb);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(msg);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    const j = await run([...withDb, "--json"]);
    expect(j.code).toBe(2);
    const e = JSON.parse(j.out).error;
    expect(e).toMatchObject({ code: "invalid-value", field });
    expect(e.message).toMatch(msg);
  });

  it("prints usage for --help (exit 0) and for no subcommand (exit 2)", async () => {
    expect((await run(["--help"])).code).toBe(0);
    expect((await run(["add", "--help"])).out).toMatch(/^memlens memory:/);
    expect((await run([])).code).toBe(2);
  });
});
