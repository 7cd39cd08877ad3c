import { PagingGrid } from "../../widgets/paging-grid.js";

export function InferenceArticle() {
  return (
    <>
      <section>
        <h2>Paging &amp; batching</h2>
        <p>
          A serving engine does not know in advance how long each answer will be. Reserving the maximum length
          for every request up front leaves most of that space empty, and requests of different sizes leave
          gaps no new request fits in. <b>PagedAttention</b> (vLLM) borrows the operating system's answer:
          split the KV cache into small fixed-size blocks, hand them out as a sequence grows, and keep a table
          from each sequence to its blocks. <b>Continuous batching</b> then adds and retires requests at every
          step instead of waiting for a whole batch to finish.
        </p>
        <PagingGrid />
      </section>
      <section>
        <h2>Caching across requests</h2>
        <p>
          Requests often begin with the same text: a system prompt, a few-shot preamble, the same retrieved
          documents. With <b>prefix caching</b> the engine keeps the blocks of that shared beginning and lets
          later requests point at them, so only the new suffix is prefilled. How much it saves depends on how
          often prefixes repeat and on what the engine evicts when memory runs short.
        </p>
      </section>
      <section>
        <h2>KV compression &amp; eviction</h2>
        <p>
          The cache can also be made smaller while serving: stored in 8 or fewer bits, or pruned to the tokens
          that keep attracting attention (the "heavy hitters") plus the first few tokens, which act as
          attention sinks, and the most recent window. Eviction trades exact recall of the dropped tokens for
          a cache of bounded size.
        </p>
      </section>
      <section>
        <h2>Other techniques</h2>
        <p>
          <b>Speculative decoding</b> lets a small draft model propose several tokens that the large model
          checks in one pass, so the large model's weights are read once for several tokens.{" "}
          <b>Disaggregated serving</b> runs prefill and decode on different GPUs, because the first is
          compute-bound and the second bandwidth-bound, and ships the KV cache between them.
        </p>
      </section>
    </>
  );
}
