import { decoder, everyLayerWindow } from "./decoder.js";

// modeling_phi3.py: fused qkv_proj and gate_up_proj, optional sliding window on every layer.
export const phi3 = decoder({ slidingWindow: everyLayerWindow, fusedQkv: true, mlp: "fused-gated" });
