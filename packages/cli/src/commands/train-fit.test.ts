import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectWholeDeviceBytes } from "../testing/contract.js";
import { runJson, runMain } from "../testing/run-main.js";

const run = (argv: string[], stdinText?: string) => runMain(argv, { stdin: stdinText });

const qlora70b = {
  model: { id: "meta-llama/Llama-3.3-70B-Instruct" },
  task: "training",
  engine: "transformers",
  hardware: { gpu: "A100-80GB", count: 1 },
  engineOptions: { attention: "flash" },
  training: {
    method: "qlora",
    optimizer: "adamw-8bit",
    precision: "bf16-mixed",
    microBatch: 1,
    sequenceLength: 4096,
    activationCheckpointing: "full",
    lora: { rank: 16, alpha: 32, targets: ["q_proj", "k_proj", "v_proj", "o_proj"] },
  },
};

describe("memlens estimate --scenario qlora70b.json", () => {
  const dir = mkdtempSync(join(tmpdir(), "memlens-train-"));
  const file = join(dir, "qlora70b.json");
  writeFileSync(file, JSON.stringify(qlora70b));

  it("prints a per-GPU breakdown, whether it fits, and the reasons", async () => {
    const r = await run(["estimate", "--scenario", file]);
    expect(r.code).toBe(0);
    for (const row of ["weights", "activations", "optimizer", "overhead", "total", "capacity", "fits"])
      expect(r.out).toMatch(new RegExp(`^${row}\\s`, "m"));
    expect(r.out).toContain("4,096 tokens × 1 sequence · 1 × A100-80GB");
    expect(r.out).toContain("Fits.");
    expect(r.out).toContain("peakBytes");
    expect(r.out).toContain("nf4 (double quant)");
    expect(r.out).toContain("The peak is the start of the backward pass");
  });

  it("--json carries the contract's bytes and the training engine field peakBytes", async () => {
    const e = await runJson(["estimate", "--scenario", file, "--json"]);
    const d = e.devices[0];
    expectWholeDeviceBytes(d.bytes);
    expect(e.engine.peakBytes).toBe(d.bytes.total);
    expect(e.fits).toBe(true);
    expect(e.scenario.task).toBe("training");
    expect(e.scenario.weights).toBe("nf4");
  });

  it("on a 24 GB card: does not fit, exit 0 (an outcome, not an error)", async () => {
    const r = await run(["estimate", "--scenario", file, "--gpu", "RTX-4090"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Does not fit");
  });
});

describe("memlens train-fit", () => {
  const llama8On4090 = ["train-fit", "--model", "meta-llama/Llama-3.1-8B", "--gpu", "RTX-4090"];

  it("finds the largest micro-batch and sequence length and ranks settings that fit by cost", async () => {
    const j = await runJson([
      ...llama8On4090,
      "--method",
      "full",
      "--methods",
      "full,lora,qlora",
      "--seq",
      "2048",
      "--checkpointing",
      "full",
      "--attention",
      "flash",
      "--json",
    ]);
    expect(j.given.fits).toBe(false);
    expect(j.given.maxMicroBatch).toBe(0);
    expect(j.candidates.length).toBeGreaterThan(0);
    // Full fine-tuning of 8B does not fit 24 GB on one GPU: the cheapest fits are adapters.
    expect(j.candidates[0].method).not.toBe("full");
    for (let i = 1; i < j.candidates.length; i++)
      expect(j.candidates[i].cost).toBeGreaterThanOrEqual(j.candidates[i - 1].cost);
    for (const c of j.candidates) {
      expect(c.fits).toBe(true);
      expect(c.peakBytes).toBeLessThanOrEqual(j.capacityBytes);
      expect(c.maxMicroBatch).toBeGreaterThanOrEqual(1);
    }
  });

  it("prints a table", async () => {
    const r = await run(["train-fit", "--scenario", "-"], JSON.stringify(qlora70b));
    expect(r.code).toBe(0);
    expect(r.out).toContain("Largest micro-batch at 4,096 tokens");
    expect(r.out).toContain("Cheapest settings that fit");
  });

  it("on one GPU marks ZeRO rows and says why they differ from no sharding; on two it does not", async () => {
    const argv = [...llama8On4090, "--method", "qlora"];
    const one = await run([...argv, "--seq", "2048", "--top", "5"]);
    expect(one.out).toMatch(/ zero-1\* /);
    expect(one.out).toContain("* One GPU: ZeRO shards nothing here.");
    const two = await run([...argv, "--gpus", "2", "--seq", "2048", "--top", "40"]);
    expect(two.out).toMatch(/ zero-1 /);
    expect(two.out).not.toContain("* One GPU");
  });

  it("bad input is exit 2 naming the flag", async () => {
    const r = await run([
      "train-fit",
      "--model",
      "Qwen/Qwen3-0.6B",
      "--gpu",
      "L4",
      "--methods",
      "full,dora",
      "--json",
    ]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.field).toBe("--methods");
  });
});
