import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runJson, runMain } from "../testing/run-main.js";

// `estimate --model config.json` of a ModelOpt checkpoint whose quantization is in the
// hf_quant_config.json beside it (issue 15 item 1, quantization part).
const here = dirname(fileURLToPath(import.meta.url));
const nvfp4 = join(here, "../../../../test/quant/fixtures/nvidia/Qwen3-235B-A22B-NVFP4/config.json");

describe("estimate of a pre-quantized checkpoint from its files", () => {
  it("reads hf_quant_config.json beside config.json: weights nvfp4, the scheme and its 16-bit tensors in the notes", async () => {
    const e = await runJson([
      "estimate",
      "--model",
      nvfp4,
      "--gpu",
      "B200",
      "--gpus",
      "2",
      "--tp",
      "2",
      "--ctx",
      "8192",
      "--engine",
      "vllm",
      "--json",
    ]);
    expect((e.scenario as { weights: string }).weights).toBe("nvfp4");
    const notes = (e.notes as string[]).join("\n");
    expect(notes).toMatch(/NVFP4 \(ModelOpt\).*read from hf_quant_config\.json/);
    expect(notes).toMatch(/kept in bf16: routers \(94\), lm_head \(1\)/);
  });
  it("llama.cpp says why it cannot load it", async () => {
    const r = await runMain(["estimate", "--model", nvfp4, "--gpu", "B200", "--engine", "llama.cpp"]);
    expect(r.code).toBe(1); // "unsupported": a valid input the engine cannot run
    expect(r.err).toMatch(/weights "nvfp4" is this checkpoint's own safetensors quantization/);
  });
});
