import { describe, expect, it } from "vitest";
import { parseConfigJson } from "../models/config-reader.js";
import { modelSpecFromHfConfig } from "../models/from-hf-config.js";
import { catalogModelSpec, MODEL_ALIASES, MODEL_ROWS } from "./models.js";

// The whole embedded catalog (data/hf-configs): every entry builds a spec with a positive
// parameter count, and the generated row (scripts/gen-model-catalog.mjs drops keys that size
// nothing, to keep the web bundle small) builds exactly the spec its verbatim files give. The
// published counts are checked against each row in models/parameter-counts.test.ts.
declare global {
  interface ImportMeta {
    /** Vite's build-time file glob (here: eager, each file's text). */
    glob(
      pattern: string,
      options: { query: "?raw"; import: "default"; eager: true },
    ): Record<string, unknown>;
  }
}

const configFiles = import.meta.glob("../../data/hf-configs/*/*/config.json", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;
const quantFiles = import.meta.glob("../../data/hf-configs/*/*/hf_quant_config.json", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const FILES = Object.entries(configFiles).map(([path, config]) => {
  const dir = path.replace(/\/config\.json$/, "");
  return { id: dir.split("/").slice(-2).join("/"), config, quant: quantFiles[`${dir}/hf_quant_config.json`] };
});

describe("the embedded model catalog", () => {
  it("has a row for every config.json in data/hf-configs, and no other", () => {
    expect(MODEL_ROWS.map((r) => r.id).sort()).toEqual(FILES.map((f) => f.id).sort());
  });

  it("answers to at least 169 ids (models and aliases)", () => {
    expect(MODEL_ROWS.length + MODEL_ALIASES.length).toBeGreaterThanOrEqual(169);
  });

  it.each(FILES)(
    "$id: the generated row builds the spec its verbatim files give",
    ({ id, config, quant }) => {
      const raw = parseConfigJson(config) as Record<string, unknown>;
      // The generator embeds hf_quant_config.json where config.json's quantization_config has no
      // quant_method (catalog-quant.test.ts checks the two routes weigh the same).
      const qc = raw.quantization_config as { quant_method?: unknown } | undefined;
      const hfQuantConfig = quant && !qc?.quant_method ? JSON.parse(quant) : undefined;
      const fromFiles = modelSpecFromHfConfig(raw, id, { hfQuantConfig });
      const fromCatalog = catalogModelSpec(id);
      expect(fromCatalog.parameters).toBeGreaterThan(0);
      expect(fromCatalog.activeParameters).toBeGreaterThan(0);
      expect(fromCatalog).toEqual(fromFiles);
    },
  );

  it.each(MODEL_ALIASES.map((a) => [a.id, a.base] as const))(
    "alias %s builds its base %s's shapes under its own name",
    (id, base) => {
      const spec = catalogModelSpec(id);
      expect(spec.parameters).toBeGreaterThan(0);
      expect(spec.parameters).toBe(catalogModelSpec(base).parameters);
      expect(spec.tensors.map((t) => t.shape)).toEqual(catalogModelSpec(base).tensors.map((t) => t.shape));
    },
  );
});
