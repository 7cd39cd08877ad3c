import { FourPiles } from "../../widgets/four-piles.js";
import { StoreVsRecompute } from "../../widgets/recompute.js";

export function FundamentalsArticle() {
  return (
    <>
      <section>
        <h2>Types of memory in an LLM</h2>
        <p>
          A GPU running a language model holds a handful of very different things at once, and each one grows
          for its own reason. The <b>weights</b> are fixed by the model's shapes and the format they are
          stored in. The <b>activations</b> are the scratch results of a forward pass and scale with how many
          tokens go through it. The <b>KV cache</b> is generation's memory of the tokens already seen. The{" "}
          <b>optimizer states and gradients</b> appear only when the weights are being trained.
        </p>
        <p>
          Pick any model and GPU above and the widget shows all four for that exact model, computed by the
          memlens engine from the model's real tensor list, first for generating text and then for a full
          fine-tune.
        </p>
        <FourPiles />
      </section>
      <section>
        <h2>Memory vs compute trade-offs</h2>
        <p>
          Most memory savings are paid for in time. <b>Caching</b> keeps a result so it never has to be
          computed again: the KV cache and prefix caching spend memory to save work. <b>Recomputation</b> goes
          the other way: activation checkpointing throws activations away after the forward pass and rebuilds
          them when the backward pass needs them.
        </p>
        <p>
          A third trade hides behind both: <b>capacity</b> is how much fits, <b>bandwidth</b> is how fast it
          can be read. Generating one token reads every weight once but does little arithmetic per byte, so
          decoding usually waits on bandwidth rather than on the GPU's arithmetic units.
        </p>
        <StoreVsRecompute />
      </section>
      <section>
        <h2>Training vs inference memory</h2>
        <p>
          Inference keeps the weights, a short-lived set of activations and the KV cache. Training keeps the
          weights in several forms (a 16-bit working copy, an fp32 master copy), a gradient for each, the
          optimizer's two running moments, and the activations of every layer until the backward pass consumes
          them. The ratio between the two bars above is why a card that runs a model comfortably can be far
          too small to fine-tune it.
        </p>
      </section>
    </>
  );
}
