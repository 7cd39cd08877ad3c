import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { openMemoryStore } from "./memory-store.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..", "..");

/**
 * Node 20 cannot run TypeScript (no --experimental-strip-types), so the child gets the store's own
 * source transpiled by TypeScript into a temporary folder whose node_modules points at the repo's.
 */
function transpileStore(): string {
  const out = mkdtempSync(join(tmpdir(), "memlens-kill-"));
  symlinkSync(join(repoRoot, "node_modules"), join(out, "node_modules"), "dir");
  mkdirSync(join(out, "memory"));
  for (const f of ["memory-store", "sqlite", "embedding", "fts-query"]) {
    const src = readFileSync(join(here, `${f}.ts`), "utf8");
    const js = ts.transpileModule(src, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    writeFileSync(join(out, "memory", `${f}.js`), js);
  }
  return pathToFileURL(join(out, "memory", "memory-store.js")).href;
}

interface Round {
  acked: Map<number, number[]>;
  signal: NodeJS.Signals | null;
}

/**
 * Runs the writer until it has acknowledged `ackTarget` batches (or, with `pause`, until it stalls
 * inside the transaction of batch `pause.batch`), then SIGKILLs it.
 */
function writeThenKill(
  moduleUrl: string,
  db: string,
  perBatch: number,
  firstBatch: number,
  ackTarget: number,
  extraDelayMs: number,
  pause?: { batch: number; size: number },
): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(here, "fixtures", "kill-writer.mjs"),
        moduleUrl,
        db,
        String(perBatch),
        String(firstBatch),
        String(pause?.batch ?? -1),
        String(pause?.size ?? 0),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const acked = new Map<number, number[]>();
    let buf = "";
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    child.stdout.on("data", (d) => {
      buf += String(d);
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
        if (line === "ready") continue;
        if (line.startsWith("mid ")) {
          killed = true;
          child.kill("SIGKILL");
          continue;
        }
        const [batch, ids] = line.split(" ");
        acked.set(Number(batch), ids!.split(",").map(Number));
        if (!killed && !pause && acked.size >= ackTarget) {
          killed = true;
          setTimeout(() => child.kill("SIGKILL"), extraDelayMs);
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (!killed) reject(new Error(`writer exited on its own (code ${code}): ${stderr}`));
      else resolve({ acked, signal });
    });
  });
}

describe("memory store: killed mid-write", () => {
  it("loses no acknowledged record, keeps every batch whole, and passes integrity checks", async () => {
    const moduleUrl = transpileStore();
    const db = join(mkdtempSync(join(tmpdir(), "memlens-kill-db-")), "memory.db");
    const perBatch = 25;
    let nextBatch = 0;
    let totalAcked = 0;
    // Kill right after an acknowledgement (the next transaction is under way) and a few ms later.
    for (const [ackTarget, delay] of [
      [20, 0],
      [35, 3],
      [10, 1],
    ] as const) {
      const round = await writeThenKill(moduleUrl, db, perBatch, nextBatch, ackTarget, delay);
      expect(round.signal).toBe("SIGKILL");
      const store = openMemoryStore(db);
      try {
        expect(store.checkIntegrity()).toBe("ok");
        for (const [batch, ids] of round.acked) {
          expect(ids).toHaveLength(perBatch);
          for (const id of ids) expect(store.get(id)?.source).toBe(`batch:${batch}`);
        }
        totalAcked += round.acked.size * perBatch;
        // Atomic batches: a batch is either all there or absent (one may have committed unacknowledged).
        const export_ = [...store.exportAll()];
        const perSource = new Map<string, number>();
        for (const r of export_) perSource.set(r.source!, (perSource.get(r.source!) ?? 0) + 1);
        for (const n of perSource.values()) expect(n).toBe(perBatch);
        expect(export_.length).toBeGreaterThanOrEqual(totalAcked);
        expect(store.search("kill test batch", { limit: 1 })).toHaveLength(1);
        nextBatch = Math.max(...[...perSource.keys()].map((s) => Number(s.split(":")[1]))) + 1;
        totalAcked = export_.length;
      } finally {
        store.close();
      }
    }

    // Stall inside a large transaction (its pages spill to the WAL uncommitted), kill there: the
    // batch must vanish entirely and everything acknowledged before it must stay.
    const pauseBatch = nextBatch + 5;
    const round = await writeThenKill(moduleUrl, db, perBatch, nextBatch, 0, 0, {
      batch: pauseBatch,
      size: 5000,
    });
    expect(round.signal).toBe("SIGKILL");
    expect([...round.acked.keys()]).toEqual([0, 1, 2, 3, 4].map((i) => nextBatch + i));
    const store = openMemoryStore(db);
    try {
      expect(store.checkIntegrity()).toBe("ok");
      const sources = new Set([...store.exportAll()].map((r) => r.source));
      expect(sources.has(`batch:${pauseBatch}`)).toBe(false);
      for (const ids of round.acked.values()) for (const id of ids) expect(store.get(id)).toBeDefined();
      expect(store.count()).toBe(totalAcked + 5 * perBatch);
    } finally {
      store.close();
    }
  }, 60_000);
});
