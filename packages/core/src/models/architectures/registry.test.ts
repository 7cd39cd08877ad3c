import { describe, expect, it } from "vitest";
import { MemlensError } from "../../errors/memlens-error.js";
import { modelSpecFromHfConfig, SUPPORTED_ARCHITECTURES } from "../from-hf-config.js";
import { MULTIMODAL_ARCHITECTURES, TEXT_ARCHITECTURES } from "./index.js";

const tinyLlama = {
  hidden_size: 64,
  num_hidden_layers: 6,
  vocab_size: 100,
  num_attention_heads: 4,
  intermediate_size: 128,
  sliding_window: 16,
  torch_dtype: "bfloat16",
};

describe("architecture registry", () => {
  it("lists every text and multimodal model_type as supported, sorted", () => {
    const all = [...Object.keys(TEXT_ARCHITECTURES), ...Object.keys(MULTIMODAL_ARCHITECTURES)].sort();
    expect(SUPPORTED_ARCHITECTURES).toEqual(all);
    expect(SUPPORTED_ARCHITECTURES).toContain("gemma3");
  });

  it("refuses a model_type that is only an Object.prototype key", () => {
    const err = (() => {
      try {
        modelSpecFromHfConfig({ ...tinyLlama, model_type: "toString" }, "x");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MemlensError);
    expect((err as MemlensError).code).toBe("unsupported-architecture");
  });

  it("builds a wrapper's text_config without model_type as the wrapper's text model", () => {
    const wrapped = modelSpecFromHfConfig({ model_type: "gemma3", text_config: tinyLlama }, "x");
    const direct = modelSpecFromHfConfig({ ...tinyLlama, model_type: "gemma3_text" }, "x");
    expect(wrapped.architecture).toBe("gemma3_text");
    expect(wrapped.layers).toEqual(direct.layers);
    expect(wrapped.parameters).toBe(direct.parameters);
  });
});
