import { WorkedFigures } from "../../components/worked-figures.js";
import { KvCalculator } from "../../widgets/kv-calculator.js";

export function KvCacheArticle() {
  return (
    <>
      <section>
        <h2>What the KV cache is &amp; why it matters</h2>
        <p>
          Each new token attends to every token before it, and attention needs each earlier token's key and
          value vectors in every layer. Recomputing them at every step would make generation quadratic, so
          engines store them: the KV cache. A generation step then computes one new key and value per layer
          and reads the rest.
        </p>
      </section>
      <section>
        <h2>How it scales</h2>
        <p>
          For ordinary attention the cache holds <code>2 × layers × KV heads × head size × bytes</code> per
          token, for every token of every sequence in the batch. It grows linearly with context and with
          concurrency, and at long context it passes the weights.
        </p>
        <KvCalculator />
        <WorkedFigures topic="kv-cache" />
      </section>
      <section>
        <h2>Reducing the KV cache</h2>
        <p>
          <b>Grouped-query attention</b> lets several query heads share one key/value head;{" "}
          <b>multi-query attention</b> shares a single one across all of them.{" "}
          <b>Multi-head latent attention</b> (DeepSeek) caches a compressed latent from which keys and values
          are rebuilt. <b>Sliding-window</b> layers keep only recent tokens. And the cache itself can be
          stored in FP8 or in llama.cpp's 8- and 4-bit block types. Switch the attention kind and the KV dtype
          above to see each one on the same model.
        </p>
      </section>
      <section>
        <h2>Context window limitations</h2>
        <p>
          A model's advertised context is rarely what a given GPU can hold: the largest context that fits is
          set by the memory left after the weights, divided by the cache per token. RoPE scaling and similar
          position tricks let models run past their training length, at some cost in quality, but they do
          nothing for the memory bill.
        </p>
      </section>
    </>
  );
}
