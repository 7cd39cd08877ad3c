import type { TensorRole, TensorSpec } from "./model-spec.js";

/** Accumulates a model's tensors with their Hugging Face names and roles. */
export class TensorList {
  readonly tensors: TensorSpec[] = [];

  add(name: string, shape: readonly number[], role: TensorRole, layer: number | null = null): void {
    this.tensors.push({ name, shape, role, layer });
  }

  /** Marks every tensor `build` adds as part of a multi-token-prediction module. */
  mtp(build: () => void): void {
    const start = this.tensors.length;
    build();
    for (let i = start; i < this.tensors.length; i++) this.tensors[i] = { ...this.tensors[i]!, mtp: true };
  }

  /** A linear layer: `weight [out, in]` and, with `bias`, `bias [out]`. */
  linear(
    prefix: string,
    out: number,
    inp: number,
    role: TensorRole,
    layer: number | null,
    bias = false,
  ): void {
    this.add(`${prefix}.weight`, [out, inp], role, layer);
    if (bias) this.add(`${prefix}.bias`, [out], role, layer);
  }

  /** A norm: `weight [n]` and, for LayerNorm with bias, `bias [n]`. */
  norm(prefix: string, n: number, layer: number | null, bias = false): void {
    this.add(`${prefix}.weight`, [n], "norm", layer);
    if (bias) this.add(`${prefix}.bias`, [n], "norm", layer);
  }

  /** A SwiGLU/GeGLU MLP: gate and up [i, h], down [h, i]. */
  gatedMlp(
    prefix: string,
    hidden: number,
    inter: number,
    role: TensorRole,
    layer: number | null,
    bias = false,
  ): void {
    this.linear(`${prefix}.gate_proj`, inter, hidden, role, layer, bias);
    this.linear(`${prefix}.up_proj`, inter, hidden, role, layer, bias);
    this.linear(`${prefix}.down_proj`, hidden, inter, role, layer, bias);
  }

  /** Routed experts stored stacked, expert count first (as vLLM, llama.cpp and gpt-oss store them). */
  stackedExperts(
    prefix: string,
    experts: number,
    hidden: number,
    inter: number,
    layer: number,
    bias = false,
  ): void {
    this.add(`${prefix}.gate_proj`, [experts, inter, hidden], "expert", layer);
    this.add(`${prefix}.up_proj`, [experts, inter, hidden], "expert", layer);
    this.add(`${prefix}.down_proj`, [experts, hidden, inter], "expert", layer);
    if (bias) {
      this.add(`${prefix}.gate_up_proj_bias`, [experts, 2 * inter], "expert", layer);
      this.add(`${prefix}.down_proj_bias`, [experts, hidden], "expert", layer);
    }
  }
}
