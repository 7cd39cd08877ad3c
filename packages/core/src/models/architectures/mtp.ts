import { ConfigReader } from "../config-reader.js";
import { TensorList } from "../tensor-list.js";
import type { ArchitectureBuilder } from "./common.js";

// Multi-token-prediction (MTP) modules: extra decoder layers a checkpoint ships for speculative
// decoding. Their tensors are counted in the weights (TensorList.mtp marks them); they are not
// layers of the decoder stack, so they hold no KV here and are not active parameters.

/**
 * Adds the tensors of one decoder layer of `builder` under `to` (e.g. `mtp.layers.0`): the
 * family's own layer-0 block, built from `cfg` with `overrides` (say, full attention and an MoE
 * FFN, as the MTP layer has), so the MTP block never drifts from the main layers' layout.
 */
export function addDecoderLayerAs(
  builder: ArchitectureBuilder,
  cfg: ConfigReader,
  overrides: Readonly<Record<string, unknown>>,
  t: TensorList,
  to: string,
): void {
  const one = new ConfigReader({ ...cfg.raw, ...overrides, num_hidden_layers: 1 }, cfg.path);
  const scratch = new TensorList();
  builder(one, scratch, []);
  const from = "model.layers.0.";
  for (const x of scratch.tensors)
    if (x.layer === 0 && x.name.startsWith(from))
      t.add(`${to}.${x.name.slice(from.length)}`, x.shape, x.role, null);
}

/** The note every family with an MTP module adds. */
export const mtpNote = (n: number): string =>
  `The checkpoint's ${n}-layer multi-token-prediction module is counted in the parameters; engines load it and keep KV for it only for speculative decoding (vLLM and SGLang estimates leave it out).`;
