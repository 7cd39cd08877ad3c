import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogModelSpec } from "../catalog/models.js";
import { MemlensError } from "../errors/memlens-error.js";
import { parseScenario } from "../scenario/scenario.js";
import { estimate } from "./estimate.js";
import { resolveTrainingSetup, trainingMemory } from "./training.js";
import { MIXED_PRECISION_ADAM, zeroModelStateBytes } from "./training-states.js";

const MODELS = ["openai-community/gpt2", "Qwen/Qwen3-0.6B", "meta-llama/Llama-3.1-8B", "Qwen/Qwen3-30B-A3B"];

function peak(raw: Record<string, unknown>): number {
  const scenario = parseScenario({ task: "training", ...raw });
  const id = (raw.model as { id: string }).id;
  const setup = resolveTrainingSetup(scenario, catalogModelSpec(id));
  const t = setup.training;
  return Math.max(...trainingMemory(setup, t.microBatch, t.sequenceLength).devices.map((d) => d.total));
}

const common = fc.record({
  model: fc.constantFrom(...MODELS),
  method: fc.constantFrom("full", "lora", "qlora"),
  precision: fc.constantFrom("bf16-mixed", "bf16", "fp32"),
  optimizer: fc.constantFrom("adamw", "adamw-8bit", "adafactor", "sgd"),
  microBatch: fc.integer({ min: 1, max: 8 }),
  sequenceLength: fc.integer({ min: 1, max: 8192 }),
  gradientAccumulation: fc.constantFrom(1, 4),
  gpus: fc.constantFrom(1, 2, 8, 64),
  attention: fc.constantFrom("sdpa", "flash", "eager"),
});

type Common = typeof common extends fc.Arbitrary<infer T> ? T : never;

function scenarioOf(c: Common) {
  return {
    model: { id: c.model },
    hardware: { gpu: "H100-SXM-80GB", count: c.gpus },
    engineOptions: { attention: c.attention },
    training: {
      method: c.method,
      precision: c.precision,
      optimizer: c.optimizer,
      microBatch: c.microBatch,
      sequenceLength: c.sequenceLength,
      gradientAccumulation: c.gradientAccumulation,
      lora: { rank: 16, alpha: 32, targets: ["all-linear"] },
    },
  };
}

describe("training memory invariants (seeded property tests)", () => {
  it("activation checkpointing never increases GPU memory: none ≥ selective ≥ full", () => {
    fc.assert(
      fc.property(common, fc.constantFrom("transformers", "torchtune", "deepspeed"), (c, engine) => {
        const s = scenarioOf(c);
        const at = (ac: string) =>
          peak({ ...s, engine, training: { ...s.training, activationCheckpointing: ac } });
        const none = at("none");
        const selective = at("selective");
        const full = at("full");
        return selective <= none && full <= selective;
      }),
      { seed: 20221, numRuns: 60 },
    );
  });

  it("raising the ZeRO stage never increases GPU memory (DeepSpeed, N_d ≥ 2)", () => {
    fc.assert(
      fc.property(common, (c) => {
        fc.pre(c.gpus >= 2);
        const s = scenarioOf(c);
        const at = (zeroStage: number) =>
          peak({ ...s, engine: "deepspeed", training: { ...s.training, zeroStage } });
        const m = [0, 1, 2, 3].map(at);
        return m[1]! <= m[0]! && m[2]! <= m[1]! && m[3]! <= m[2]!;
      }),
      { seed: 1910_02054, numRuns: 60 },
    );
  });

  it("adding offload never increases GPU memory: none ≥ optimizer-cpu ≥ all-cpu ≥ nvme", () => {
    fc.assert(
      fc.property(common, fc.constantFrom(1, 2, 3), (c, zeroStage) => {
        const s = scenarioOf(c);
        const at = (offload: string, stage = zeroStage) =>
          peak({ ...s, engine: "deepspeed", training: { ...s.training, zeroStage: stage, offload } });
        const none = at("none");
        const opt = at("optimizer-cpu");
        if (opt > none) return false;
        const none3 = at("none", 3);
        const opt3 = at("optimizer-cpu", 3);
        const all3 = at("all-cpu", 3);
        const nvme3 = at("nvme", 3);
        return opt3 <= none3 && all3 <= opt3 && nvme3 <= all3;
      }),
      { seed: 2101_06840, numRuns: 40 },
    );
  });

  it("torch engines: CPU-offloading the optimizer or FSDP's everything never increases GPU memory", () => {
    fc.assert(
      fc.property(common, fc.constantFrom("transformers", "torchtune"), (c, engine) => {
        const s = scenarioOf(c);
        const base = peak({ ...s, engine });
        const opt = peak({ ...s, engine, training: { ...s.training, offload: "optimizer-cpu" } });
        const fsdp = peak({ ...s, engine, training: { ...s.training, fsdp: true } });
        const fsdpCpu = peak({ ...s, engine, training: { ...s.training, fsdp: true, offload: "all-cpu" } });
        return opt <= base && fsdpCpu <= fsdp;
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it("memory grows with sequence length and micro-batch", () => {
    fc.assert(
      fc.property(common, (c) => {
        const s = scenarioOf(c);
        const a = peak(s);
        const longer = peak({ ...s, training: { ...s.training, sequenceLength: c.sequenceLength + 512 } });
        const wider = peak({ ...s, training: { ...s.training, microBatch: c.microBatch + 1 } });
        return longer >= a && wider >= a;
      }),
      { seed: 42, numRuns: 40 },
    );
  });
});

describe("model states through the whole estimator", () => {
  it("DeepSpeed ZeRO-3 full fine-tuning: parameters + gradients + optimizer = (2 + 2 + 12)Ψ/N_d", () => {
    const spec = catalogModelSpec("meta-llama/Llama-3.1-8B");
    const scenario = parseScenario({
      model: { id: "meta-llama/Llama-3.1-8B" },
      task: "training",
      engine: "deepspeed",
      hardware: { gpu: "H100-SXM-80GB", count: 8 },
      training: { method: "full", precision: "bf16-mixed", zeroStage: 3 },
    });
    const s = resolveTrainingSetup(scenario, spec).stageStates[0];
    if (!s) throw new Error("states");
    const paper = zeroModelStateBytes(spec.parameters, MIXED_PRECISION_ADAM, 8, 3);
    expect(s.trainableParamBytes).toBe(paper.parameters);
    expect(s.gradientBytes).toBe(paper.gradients);
    expect(s.optimizerBytes + s.masterBytes).toBe(paper.optimizer);
  });

  it("HF Trainer AMP full fine-tuning is 16 bytes per parameter with AdamW before activations", () => {
    const spec = catalogModelSpec("Qwen/Qwen3-0.6B");
    const scenario = parseScenario({
      model: { id: "Qwen/Qwen3-0.6B" },
      task: "training",
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
      training: { method: "full", precision: "bf16-mixed" },
    });
    const s = resolveTrainingSetup(scenario, spec).stageStates[0];
    if (!s) throw new Error("states");
    expect(s.trainableParamBytes + s.gradientBytes + s.optimizerBytes).toBe(16 * spec.parameters);
  });

  it("pipeline parallel: the first stage keeps more micro-batches in flight (1F1B)", () => {
    const e = estimate({
      model: { id: "meta-llama/Llama-3.1-8B" },
      task: "training",
      hardware: { gpu: "H100-SXM-80GB", count: 4 },
      parallel: { pipeline: 4 },
      training: {
        method: "full",
        precision: "bf16",
        microBatch: 1,
        sequenceLength: 4096,
        gradientAccumulation: 8,
      },
    });
    expect(e.devices).toHaveLength(4);
    const acts = e.devices.map((d) => d.bytes.activations);
    expect(acts[0]!).toBeGreaterThan(acts[1]!);
    expect(acts[1]!).toBeGreaterThan(acts[2]!);
  });
});

describe("QLoRA 70B", () => {
  const scenario = {
    model: { id: "meta-llama/Llama-3.3-70B-Instruct" },
    task: "training",
    hardware: { gpu: "A100-80GB", count: 1 },
    engineOptions: { attention: "flash" },
    training: {
      method: "qlora",
      optimizer: "adamw-8bit",
      microBatch: 1,
      sequenceLength: 2048,
      activationCheckpointing: "full",
      lora: { rank: 16, alpha: 32, targets: ["q_proj", "k_proj", "v_proj", "o_proj"] },
    },
  };

  it("fits one A100-80GB with NF4 weights and gives a per-GPU breakdown with reasons", () => {
    const e = estimate(scenario);
    const d = e.devices[0];
    if (!d) throw new Error("device");
    expect(e.fits).toBe(true);
    expect(e.engine.peakBytes).toBe(d.bytes.total);
    // NF4 + double quant of ~68.5B linear params ≈ 33 GiB, FP32 embeddings and lm_head (PEFT's
    // prepare_model_for_kbit_training) ≈ 7.8 GiB, and the bf16 cast of lm_head autocast keeps.
    expect(d.bytes.weights / 2 ** 30).toBeGreaterThan(40);
    expect(d.bytes.weights / 2 ** 30).toBeLessThan(45);
    expect(d.bytes.gradients + d.bytes.optimizerStates).toBeLessThan(2 ** 30);
    expect(d.bytes.total).toBe(
      d.bytes.weights + d.bytes.activations + d.bytes.gradients + d.bytes.optimizerStates + d.bytes.overhead,
    );
    expect(e.notes.some((n) => n.includes("nf4 (double quant)"))).toBe(true);
    expect(e.notes.some((n) => n.startsWith("The peak is"))).toBe(true);
    expect(e.maxContextLength).toBeGreaterThan(2048);
  });

  it("does not fit a 24 GB card, and says so as data", () => {
    const e = estimate({ ...scenario, hardware: { gpu: "RTX-4090", count: 1 } });
    expect(e.fits).toBe(false);
    expect(e.maxContextLength).toBeNull();
    expect(e.maxConcurrentSequences).toBe(0);
  });
});

describe("bad training input is an input error naming the field", () => {
  it.each([
    [{ engine: "deepspeed", training: { fsdp: true } }, "training.fsdp"],
    [{ training: { zeroStage: 2, offload: "all-cpu" } }, "training.offload"],
    [{ training: { method: "qlora" }, weights: "bf16" }, "weights"],
    [{ training: { method: "full" }, weights: "nf4" }, "weights"],
    [{ engine: "torchtune", training: { zeroStage: 2 } }, "training.zeroStage"],
  ])("%j", (extra, field) => {
    const base = { model: { id: "Qwen/Qwen3-0.6B" }, task: "training", hardware: { gpu: "L4", count: 2 } };
    try {
      estimate({ ...base, ...extra });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MemlensError);
      expect((e as MemlensError).field).toBe(field);
    }
  });
});
