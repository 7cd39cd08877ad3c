import { WorkedFigures } from "../../components/worked-figures.js";
import { ZeroWidget } from "../../widgets/zero.js";

export function TrainingArticle() {
  return (
    <>
      <section>
        <h2>What consumes training memory</h2>
        <p>
          Training with AdamW in mixed precision keeps, for every parameter, a 16-bit weight used in the
          forward and backward passes, a 16-bit gradient, an fp32 master copy that receives the updates, and
          the optimizer's two fp32 moments. On top of that come the activations of every layer, stored during
          the forward pass for the backward pass, growing with batch size, sequence length and depth.
        </p>
        <WorkedFigures topic="training" />
      </section>
      <section>
        <h2>Reducing activation memory</h2>
        <p>
          <b>Activation checkpointing</b> keeps only each layer's input and recomputes the rest when the
          backward pass reaches it: roughly one extra forward pass in exchange for most of the activation
          memory. <i>Selective</i> recomputation redoes only the attention internals, which are large to store
          and cheap to recompute. Fundamentals has a slider for exactly this trade.
        </p>
      </section>
      <section>
        <h2>Sharding &amp; distribution</h2>
        <p>
          Plain data parallelism gives every GPU a full copy of everything. <b>ZeRO</b> (DeepSpeed) and{" "}
          <b>FSDP</b> (PyTorch) remove that redundancy in stages: first the optimizer states are split across
          the GPUs, then the gradients, then the weights themselves, at the price of more communication. What
          still does not fit can be offloaded to CPU memory or NVMe, and gradient accumulation reaches a large
          effective batch with small micro-batches.
        </p>
        <ZeroWidget />
      </section>
    </>
  );
}
