/**
 * Weights of real pre-quantized checkpoints as memlens reads them from their config.json
 * `quantization_config` / `hf_quant_config.json`, against the checkpoints' real sizes
 * (fixtures/SOURCES.md), and which tensors each config keeps in 16 bit.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { vllmRankWeights } from "../../packages/core/src/estimate/engines/vllm/weights.js";
import { estimate } from "../../packages/core/src/estimate/estimate.js";
import { estimateWeights, parseWeightFormat } from "../../packages/core/src/estimate/weights.js";
import { modelSpecFromHfConfig } from "../../packages/core/src/models/from-hf-config.js";
import type { ModelSpec, TensorSpec } from "../../packages/core/src/models/model-spec.js";

const DIR = join(import.meta.dirname, "fixtures");

function load(id: string): ModelSpec {
  const read = (f: string) => JSON.parse(readFileSync(join(DIR, id, f), "utf8")) as unknown;
  const hq = existsSync(join(DIR, id, "hf_quant_config.json")) ? read("hf_quant_config.json") : undefined;
  return modelSpecFromHfConfig(read("config.json"), id, { hfQuantConfig: hq });
}
const bytesOf = (s: ModelSpec) => estimateWeights(s, parseWeightFormat(undefined, s)).totalBytes;
const find = (s: ModelSpec, name: string): TensorSpec => {
  const t = s.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor ${name}`);
  return t;
};

describe("memlens weight bytes against real checkpoint sizes", () => {
  it("gpt-oss-20b (MXFP4 experts, the rest bf16): exactly the index's total_size", () => {
    expect(bytesOf(load("openai/gpt-oss-20b"))).toBe(13_761_264_768);
  });

  // The file is 8 + JSON header + tensors; the header of these ~2,400-tensor files is under 400 KB.
  const GENZ: readonly [string, number][] = [
    ["main", 36_652_345_792],
    ["gptq-3bit--1g-actorder_True", 26_774_982_616],
    ["gptq-3bit-128g-actorder_True", 28_029_117_672],
    ["gptq-4bit-32g-actorder_True", 40_663_149_992],
  ];
  for (const [branch, fileBytes] of GENZ)
    it(`TheBloke/Genz-70b-GPTQ ${branch}: file size minus a safetensors header of under 400 KB`, () => {
      const header = fileBytes - bytesOf(load(`TheBloke/Genz-70b-GPTQ/${branch}`));
      expect(header).toBeGreaterThan(8);
      expect(header).toBeLessThan(400_000);
    });
});

describe("which tensors each checkpoint keeps in 16 bit, from its own lists", () => {
  it("DeepSeek-V3.1-NVFP4: MLA projections but o_proj excluded, routers and lm_head bf16, experts NVFP4", () => {
    const s = load("nvidia/DeepSeek-V3.1-NVFP4");
    expect(parseWeightFormat(undefined, s)).toEqual({ kind: "checkpoint", name: "nvfp4" });
    for (const p of ["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj"])
      expect(find(s, `model.layers.7.self_attn.${p}.weight`).stored).toBeUndefined();
    expect(find(s, "model.layers.7.self_attn.o_proj.weight").stored?.scheme).toBe("nvfp4");
    expect(find(s, "model.layers.7.mlp.experts.down_proj").stored?.scheme).toBe("nvfp4");
    expect(find(s, "model.layers.7.mlp.shared_experts.up_proj.weight").stored?.scheme).toBe("nvfp4");
    expect(find(s, "model.layers.7.mlp.gate.weight").stored).toBeUndefined();
    expect(find(s, "lm_head.weight").stored).toBeUndefined();
    // Hand-derived: 256 experts × down_proj [7168, 2048]: 2048/2 bytes + 2048/16 E4M3 scales per row, + FP32 scale.
    const down = find(s, "model.layers.7.mlp.experts.down_proj");
    expect(estimateWeights({ ...s, tensors: [down] }, { kind: "checkpoint", name: "nvfp4" }).totalBytes).toBe(
      256 * (7168 * 1024 + 7168 * 128 + 4),
    );
  });
  it("DeepSeek-V3.2-NVFP4 also keeps the DSA indexer in bf16 (indexer* patterns)", () => {
    const s = load("nvidia/DeepSeek-V3.2-NVFP4");
    const indexer = s.tensors.filter((t) => t.name.includes(".indexer.") && t.shape.length === 2);
    expect(indexer.length).toBeGreaterThan(0);
    for (const t of indexer) expect(t.stored).toBeUndefined();
  });
  it("Qwen3-235B-A22B-NVFP4: routers and lm_head excluded; attention and all 128 experts NVFP4", () => {
    const s = load("nvidia/Qwen3-235B-A22B-NVFP4");
    expect(find(s, "model.layers.93.mlp.gate.weight").stored).toBeUndefined();
    expect(find(s, "model.layers.0.self_attn.k_proj.weight").stored?.scheme).toBe("nvfp4");
    // 128 experts × gate_proj [1536, 4096] NVFP4.
    const gate = find(s, "model.layers.0.mlp.experts.gate_proj");
    expect(estimateWeights({ ...s, tensors: [gate] }, parseWeightFormat(undefined, s)).totalBytes).toBe(
      128 * (1536 * 2048 + 1536 * 256 + 4),
    );
  });
  it("Llama-3.1-70B-Instruct-FP8 (ModelOpt): per-tensor FP8 on every decoder linear, lm_head bf16", () => {
    const s = load("nvidia/Llama-3.1-70B-Instruct-FP8");
    const q = find(s, "model.layers.0.self_attn.q_proj.weight");
    expect(q.stored).toEqual({ scheme: "fp8", options: { scaleGranularity: "tensor" } });
    expect(find(s, "lm_head.weight").stored).toBeUndefined();
    // 80 layers × (q 8192² + k,v 1024×8192 + o 8192² + 3 × 28672×8192) bytes + one FP32 scale per matrix.
    const linear = 80 * (2 * 8192 * 8192 + 2 * 1024 * 8192 + 3 * 28672 * 8192) + 80 * 7 * 4;
    const dense = (2 * 128256 * 8192 + 161 * 8192) * 2;
    expect(bytesOf(s)).toBe(linear + dense);
  });
  it("Qwen3 FP8 block checkpoints read as plain fp8 (the same tensors); the static per-tensor one does not", () => {
    for (const id of ["Qwen/Qwen3-30B-A3B-FP8", "Qwen/Qwen3-235B-A22B-FP8", "Qwen/Qwen3-32B-FP8"])
      expect(parseWeightFormat(undefined, load(id))).toEqual({ kind: "fp8", block: [128, 128] });
    const perTensor = load("Qwen/Qwen3-32B-FP8-Static-PerTensor");
    expect(perTensor.nativeQuantization?.source).toBe("hf_quant_config.json");
    expect(parseWeightFormat(undefined, perTensor)).toEqual({ kind: "checkpoint", name: "fp8" });
  });
  it("gpt-oss-120b: only the experts are MXFP4 (modules_to_not_convert names attention, router, embeddings, lm_head)", () => {
    const s = load("openai/gpt-oss-120b");
    const stored = new Set(s.tensors.filter((t) => t.stored).map((t) => t.role));
    expect([...stored]).toEqual(["expert"]);
  });
});

describe("every engine loads the checkpoint's bytes", () => {
  const s = load("nvidia/Qwen3-235B-A22B-NVFP4");
  const total = bytesOf(s);
  const run = (engine: string, extra: Record<string, unknown> = {}) =>
    estimate(
      {
        model: { id: "nvidia/Qwen3-235B-A22B-NVFP4" },
        hardware: { gpu: "B200", count: 4 },
        parallel: { tensor: 4 },
        contextLength: 8192,
        engine,
        ...extra,
      },
      { modelSpec: s },
    );
  it("vLLM, SGLang and transformers: weights per GPU are the checkpoint's over 4 GPUs (within 2%), scheme noted", () => {
    for (const engine of ["vllm", "sglang", "transformers"]) {
      const e = run(engine);
      expect(e.scenario.weights).toBe("nvfp4");
      const perGpu = e.devices[0]!.bytes.weights;
      expect(Math.abs(perGpu - total / 4) / (total / 4)).toBeLessThan(0.02);
      expect(e.notes.join(" ")).toMatch(
        /NVFP4 \(ModelOpt\).*read from hf_quant_config\.json.*kept in bf16: routers \(94\), lm_head \(1\)/,
      );
    }
  });
  it("an FP8 checkpoint read as plain fp8 still notes what its config keeps in 16 bit (Qwen3-30B-A3B-FP8)", () => {
    const q = load("Qwen/Qwen3-30B-A3B-FP8");
    const e = estimate(
      {
        model: { id: "Qwen/Qwen3-30B-A3B-FP8" },
        hardware: { gpu: "H100-SXM-80GB", count: 1 },
        engine: "vllm",
      },
      { modelSpec: q },
    );
    expect(e.scenario.weights).toBe("fp8");
    expect(e.notes.join(" ")).toMatch(
      /128×128 block, read from config\.json quantization_config; 336 linear weight tensors quantized, kept in bf16: routers \(48\), lm_head \(1\)/,
    );
  });
  it("llama.cpp refuses the safetensors quantization by name", () => {
    expect(() => run("llama.cpp", { parallel: { tensor: 1 }, hardware: { gpu: "B200", count: 1 } })).toThrow(
      /weights "nvfp4" is this checkpoint's own safetensors quantization .*llama\.cpp loads GGUF files only/,
    );
  });
});

describe("vLLM's load-time layout of a GPTQ checkpoint", () => {
  it("Genz-70b-GPTQ (4-bit, g128, sym) through Marlin: the file's tensors less the qzeros Marlin drops", () => {
    const s = load("TheBloke/Genz-70b-GPTQ/main");
    const loaded = vllmRankWeights(s, parseWeightFormat(undefined, s), 1, 1).parameterBytes[0]!;
    // qzeros int32[K/128, N/8] per linear: K/128 × N/2 bytes (q, k, v, o, gate, up, down over 80 layers).
    const linears: [number, number][] = [
      [8192, 8192],
      [1024, 8192],
      [1024, 8192],
      [8192, 8192],
      [28672, 8192],
      [28672, 8192],
      [8192, 28672],
    ];
    const qzeros = 80 * linears.reduce((a, [n, k]) => a + (k / 128) * (n / 2), 0);
    expect(loaded).toBe(bytesOf(s) - qzeros);
  });
});

describe("fine-tuning a bitsandbytes checkpoint", () => {
  // The Llama-2-70B-shaped Genz config with an unsloth-style bnb-4bit quantization_config instead.
  const hfConfig = {
    ...JSON.parse(readFileSync(join(DIR, "TheBloke/Genz-70b-GPTQ/main/config.json"), "utf8")),
    quantization_config: {
      quant_method: "bitsandbytes",
      load_in_4bit: true,
      bnb_4bit_quant_type: "nf4",
      bnb_4bit_use_double_quant: true,
      llm_int8_skip_modules: ["lm_head"],
    },
  };
  it("QLoRA's frozen base is the checkpoint's NF4 storage, noted as such", () => {
    const e = estimate({
      model: { hfConfig },
      task: "training",
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
      training: { method: "qlora", microBatch: 1, sequenceLength: 1024 },
    });
    expect(e.notes.join(" ")).toMatch(/Frozen base weights stored as nf4 \(as the checkpoint stores it\)/);
    // The same tensors, the same NF4 double-quant storage as memlens' own QLoRA model of the bf16
    // base: equal weights (frozen base + LoRA adapters), with the checkpoint's bytes inside.
    const { quantization_config: _, ...base } = hfConfig;
    const fromBase = estimate({
      model: { hfConfig: base },
      task: "training",
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
      training: { method: "qlora", microBatch: 1, sequenceLength: 1024 },
    });
    expect(e.devices[0]!.bytes.weights).toBe(fromBase.devices[0]!.bytes.weights);
    const adapters = e.devices[0]!.bytes.weights - bytesOf(modelSpecFromHfConfig(hfConfig, "bnb"));
    expect(adapters).toBeGreaterThan(0);
    expect(adapters).toBeLessThan(0.06 * e.devices[0]!.bytes.weights);
  });
});
