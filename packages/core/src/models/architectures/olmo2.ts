import { decoder } from "./decoder.js";

// modeling_olmo2.py: norms after attention and MLP (none before), q/k RMSNorm over the whole projection.
export const olmo2 = decoder({ norms: "post", qkNorm: () => "full" });
