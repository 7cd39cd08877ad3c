import { describe, expect, it } from "vitest";
import llama70bFp8Config from "../../../../test/quant/fixtures/nvidia/Llama-3.1-70B-Instruct-FP8/config.json?raw";
import llama70bFp8Quant from "../../../../test/quant/fixtures/nvidia/Llama-3.1-70B-Instruct-FP8/hf_quant_config.json?raw";
import qwen235Nvfp4Config from "../../../../test/quant/fixtures/nvidia/Qwen3-235B-A22B-NVFP4/config.json?raw";
import qwen235Nvfp4Quant from "../../../../test/quant/fixtures/nvidia/Qwen3-235B-A22B-NVFP4/hf_quant_config.json?raw";
import { estimateWeights, parseWeightFormat } from "../estimate/weights.js";
import { parseConfigJson } from "../models/config-reader.js";
import { modelSpecFromHfConfig } from "../models/from-hf-config.js";
import type { ModelSpec } from "../models/model-spec.js";
import { catalogModelSpec, MODEL_ROWS } from "./models.js";

// ModelOpt checkpoints keep their quantization in hf_quant_config.json beside config.json. The
// catalog embeds that file in the row (scripts/gen-model-catalog.mjs), so a catalog id must weigh
// exactly what the CLI reads from the two files (test/quant/fixtures: the same JSON as the
// aiconfigurator @ 095f58a51 copies in data/hf-configs, reformatted).
declare global {
  interface ImportMeta {
    /** Vite's build-time file glob (here: eager, each file's text). */
    glob(
      pattern: string,
      options: { query: "?raw"; import: "default"; eager: true },
    ): Record<string, unknown>;
  }
}

const bytesOf = (s: ModelSpec) => estimateWeights(s, parseWeightFormat(undefined, s)).totalBytes;

const CASES = [
  { id: "nvidia/Qwen3-235B-A22B-NVFP4", config: qwen235Nvfp4Config, quant: qwen235Nvfp4Quant },
  { id: "nvidia/Llama-3.1-70B-Instruct-FP8", config: llama70bFp8Config, quant: llama70bFp8Quant },
] as const;

describe("catalog checkpoints with an hf_quant_config.json", () => {
  it.each(CASES)("$id: the catalog entry weighs what its two files give", ({ id, config, quant }) => {
    const fromFiles = modelSpecFromHfConfig(JSON.parse(config), id, { hfQuantConfig: JSON.parse(quant) });
    const fromCatalog = catalogModelSpec(id);
    expect(bytesOf(fromCatalog)).toBe(bytesOf(fromFiles));
    // Their config.json has no quantization_config: without the embedded file they would weigh BF16.
    expect(bytesOf(modelSpecFromHfConfig(JSON.parse(config), id))).toBeGreaterThan(1.5 * bytesOf(fromFiles));
    expect(fromCatalog.tensors.map((t) => t.stored ?? null)).toEqual(
      fromFiles.tensors.map((t) => t.stored ?? null),
    );
  });

  it("nvidia/Qwen3-235B-A22B-NVFP4: NVFP4 experts make it well under half its BF16 bytes", () => {
    const s = catalogModelSpec("nvidia/Qwen3-235B-A22B-NVFP4");
    // 235.09B parameters: BF16 would be 470.19 GB; 4-bit experts + FP8 scales bring it near 134 GB.
    expect(parseWeightFormat(undefined, s)).toEqual({ kind: "checkpoint", name: "nvfp4" });
    expect(bytesOf(s)).toBeLessThan(0.3 * 2 * s.parameters);
  });

  // Every checkpoint in data/hf-configs with an hf_quant_config.json, whether the generator embeds
  // the file or leaves it out because config.json already carries the same quantization_config.
  const quantFiles = import.meta.glob("../../data/hf-configs/*/*/hf_quant_config.json", {
    query: "?raw",
    import: "default",
    eager: true,
  }) as Record<string, string>;
  const configFiles = import.meta.glob("../../data/hf-configs/*/*/config.json", {
    query: "?raw",
    import: "default",
    eager: true,
  }) as Record<string, string>;
  const DATA = Object.entries(quantFiles).map(([path, quant]) => {
    const dir = path.replace(/\/hf_quant_config\.json$/, "");
    return { id: dir.split("/").slice(-2).join("/"), config: configFiles[`${dir}/config.json`]!, quant };
  });

  it("data/hf-configs holds the checkpoints with an hf_quant_config.json", () => {
    expect(DATA.map((d) => d.id)).toEqual(expect.arrayContaining(CASES.map((c) => c.id)));
  });

  it.each(DATA)(
    "$id (data/hf-configs): catalog bytes and storage equal its two files'",
    ({ id, config, quant }) => {
      // parseConfigJson, as the CLI reads a config.json: Nemotron-H files carry Python's bare Infinity.
      const fromFiles = modelSpecFromHfConfig(parseConfigJson(config), id, {
        hfQuantConfig: JSON.parse(quant),
      });
      const fromCatalog = catalogModelSpec(id);
      expect(bytesOf(fromCatalog)).toBe(bytesOf(fromFiles));
      expect(fromCatalog.tensors.map((t) => t.stored ?? null)).toEqual(
        fromFiles.tensors.map((t) => t.stored ?? null),
      );
    },
  );

  it("every row that carries an hf_quant_config builds a pre-quantized spec", () => {
    const rows = MODEL_ROWS.filter((r) => r.hfQuantConfig);
    expect(rows.length).toBeGreaterThanOrEqual(CASES.length);
    for (const r of rows)
      expect(parseWeightFormat(undefined, catalogModelSpec(r.id)).kind).toBe("checkpoint");
  });
});
