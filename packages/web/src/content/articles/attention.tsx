import { WorkedFigures } from "../../components/worked-figures.js";
import { AttentionGrid } from "../../widgets/attention-grid.js";

export function AttentionArticle() {
  return (
    <>
      <section>
        <h2>Standard attention memory cost</h2>
        <p>
          Attention scores every query token against every key token. Written out, that is a matrix with one
          entry per pair, per head, per sequence: its size grows with the square of the sequence length. The
          textbook implementation materialises it, applies a softmax in higher precision, and only then
          multiplies by the values. At a few thousand tokens this table can dwarf everything else a layer
          holds.
        </p>
        <AttentionGrid />
        <WorkedFigures topic="attention" />
      </section>
      <section>
        <h2>FlashAttention &amp; IO-aware methods</h2>
        <p>
          FlashAttention computes exactly the same result in tiles. It loads a block of queries and a block of
          keys into the GPU's fast on-chip memory, keeps a running maximum and sum for the softmax, and writes
          out only the final output. The score matrix exists one tile at a time and never in GPU memory, so
          memory grows linearly with the sequence, and less traffic to slow memory also makes it faster. Later
          versions reorganised the work across the GPU further.
        </p>
      </section>
      <section>
        <h2>Sparse &amp; windowed attention</h2>
        <p>
          Another way out is to attend to fewer tokens. Sliding-window layers look back only a fixed distance
          (Mistral, Gemma 2's local layers, gpt-oss's alternating layers); sparse patterns mix local windows
          with a few global tokens. The grid above greys out what a windowed model skips. The cost is reach:
          information from far back must travel through the layers that still see everything.
        </p>
      </section>
    </>
  );
}
