import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectWholeDeviceBytes } from "./testing/contract.js";
import { runJson, runMain } from "./testing/run-main.js";

const run = (argv: string[], stdinText?: string) => runMain(argv, { stdin: stdinText });

/** The README's first example. */
const README_EXAMPLE = [
  "estimate",
  "--model",
  "meta-llama/Llama-3.1-8B",
  "--gpu",
  "RTX-4090",
  "--ctx",
  "8192",
];

describe("memlens CLI in process", () => {
  it("estimate with flags prints a breakdown", async () => {
    const r = await run(README_EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.out).toContain("weights");
    expect(r.out).toContain("14.96 GiB");
    expect(r.out).toContain("Fits");
  });

  it("estimate --scenario - --json follows the contract", async () => {
    const scenario = {
      model: { id: "Qwen/Qwen3-8B" },
      hardware: { gpu: "L40S", count: 1 },
      contextLength: 32768,
      batch: 2,
    };
    const e = await runJson(["estimate", "--scenario", "-", "--json"], { stdin: JSON.stringify(scenario) });
    expect(e.memlensVersion).toBe("0.1.0");
    expect(e.scenario.engine).toBe("transformers");
    expect(e.devices[0].bytes.kvCache).toBe(2 * 36 * 8 * 128 * 2 * 32768 * 2);
    expectWholeDeviceBytes(e.devices[0].bytes);
    expect(typeof e.performance.decodeTokensPerSecond).toBe("number");
    expect(Array.isArray(e.notes)).toBe(true);
  });

  it("reads a config.json from disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memlens-"));
    const cfg = join(dir, "config.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        model_type: "llama",
        hidden_size: 256,
        intermediate_size: 768,
        num_hidden_layers: 4,
        num_attention_heads: 4,
        num_key_value_heads: 4,
        vocab_size: 4096,
        torch_dtype: "float16",
      }),
    );
    const e = await runJson(["estimate", "--model", cfg, "--memory-bytes", String(2 ** 30), "--json"]);
    // 2·4096·256 (embed + head) + 4·(4·256² + 3·256·768 + 2·256) + 256 norm
    expect(e.model.parameters).toBe(2 * 4096 * 256 + 4 * (4 * 256 * 256 + 3 * 256 * 768 + 2 * 256) + 256);
  });

  it.each([
    [["estimate", "--model", "nope/nope", "--gpu", "RTX-4090"], "model.id"],
    [["estimate", "--model", "meta-llama/Llama-3.1-8B", "--gpu", "GTX-9999"], "hardware.gpu"],
    [["estimate", "--model", "meta-llama/Llama-3.1-8B", "--weights", "fp7"], "weights"],
    [["estimate", "--model", "meta-llama/Llama-3.1-8B", "--ctx", "-1"], "--ctx"],
    [["estimate", "--model", "meta-llama/Llama-3.1-8B", "--ctx", "abc"], "--ctx"],
    [["estimate", "--model", "meta-llama/Llama-3.1-8B", "--frobnicate"], "--frobnicate"],
  ])("bad input %j exits 2 with one line naming %s", async (argv, field) => {
    const plain = await run(argv);
    expect(plain.code).toBe(2);
    expect(plain.err.trim().split("\n")).toHaveLength(1);
    expect(plain.err).toContain(field.replace(/^--/, ""));
    expect(plain.err).not.toMatch(/\n\s+at /);
    const js = await run([...argv, "--json"]);
    expect(js.code).toBe(2);
    const body = JSON.parse(js.out);
    expect(body.error.field).toBe(field);
    expect(Object.keys(body)).toEqual(["error"]);
  });

  it("a malformed config.json is exit 2 naming the file field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memlens-"));
    const cfg = join(dir, "config.json");
    writeFileSync(cfg, "{ not json");
    const r = await run(["estimate", "--model", cfg, "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.field).toBe("model.config");
  });

  it("an unknown flag is one line naming it and the allowed flags, also where positionals are taken", async () => {
    for (const argv of [
      ["estimate", "--context", "8192"],
      ["inspect", "--bogus", "model.gguf"],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toContain(`${argv[1]}: Unknown option '${argv[1]}'; allowed flags: --`);
      expect(r.err).not.toContain("positional");
    }
  });

  it("models and gpus list the catalogs", async () => {
    const m = await run(["models", "--json"]);
    expect(JSON.parse(m.out).length).toBeGreaterThanOrEqual(50);
    const g = await run(["gpus", "--json"]);
    expect(JSON.parse(g.out).length).toBeGreaterThanOrEqual(30);
  });
});

describe("the built binary", () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "memlens.js");
  it("runs the README example and exits 0", () => {
    const out = execFileSync(process.execPath, [bin, ...README_EXAMPLE], { encoding: "utf8" });
    expect(out).toContain("GPU0");
  });
  it("exits 2 on bad input without a stack trace", () => {
    const r = spawnSync(process.execPath, [bin, "estimate", "--model", "nope"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain("    at ");
  });
  it("memory add then memory search --json finds the memory", () => {
    const db = join(mkdtempSync(join(tmpdir(), "memlens-mem-")), "memory.db");
    const opts = { encoding: "utf8" as const, env: { ...process.env, NO_COLOR: "1" } };
    execFileSync(process.execPath, [bin, "memory", "add", "--db", db, "H100 SXM has 80 GiB of HBM3"], opts);
    execFileSync(
      process.execPath,
      [
        bin,
        "memory",
        "add",
        "--db",
        db,
        "--kind",
        "procedural",
        "Paged attention splits the KV cache into blocks",
      ],
      opts,
    );
    const out = execFileSync(
      process.execPath,
      [bin, "memory", "search", "--db", db, "KV cache", "--json"],
      opts,
    );
    const r = JSON.parse(out);
    expect(r.results).toHaveLength(1);
    expect(r.results[0]).toMatchObject({
      kind: "procedural",
      text: "Paged attention splits the KV cache into blocks",
    });
  });
  it("lists every command in the help text", () => {
    const out = execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    for (const c of ["estimate", "memory", "simulate", "context"])
      expect(out).toMatch(new RegExp(`^  ${c} `, "m"));
  });
});
