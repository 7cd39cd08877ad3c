import { Growth } from "../../widgets/growth.js";

export function ArchitecturesArticle() {
  return (
    <>
      <section>
        <h2>Memory-efficient architectures</h2>
        <p>
          Attention's memory of the past is a list that gets one entry longer with every token.{" "}
          <b>State-space models</b> such as Mamba replace it with a fixed-size state that each token updates,
          so memory per sequence stays constant however long the input. <b>Linear attention</b> (Gated
          DeltaNet, RWKV-style recurrences) does the same with an attention-like update. The price is recall:
          a fixed state has to compress, so exact lookup of an early detail is harder than for attention.
        </p>
        <Growth />
      </section>
      <section>
        <h2>Long-context techniques</h2>
        <p>
          Transformers reach longer contexts by rescaling rotary position embeddings (position interpolation,
          YaRN), by retrieving only the relevant parts of a long input, and by mixing layer types.{" "}
          <b>Hybrid</b> models interleave a few full-attention layers with many recurrent or local ones: the
          attention layers keep precise recall, the rest keep memory growth small.
        </p>
      </section>
    </>
  );
}
