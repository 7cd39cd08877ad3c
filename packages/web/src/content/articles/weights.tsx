import { WorkedFigures } from "../../components/worked-figures.js";
import { WeightsCalculator } from "../../widgets/weights-calculator.js";

export function WeightsArticle() {
  return (
    <>
      <section>
        <h2>Parameter count &amp; footprint</h2>
        <p>
          To a first approximation the weights take <code>parameters × bytes per parameter</code>. The exact
          figure comes from the tensor list: every projection, norm and embedding with its shape. That detail
          matters more than it sounds. Embedding and output tables scale with the vocabulary, not the depth,
          so they are a large share of small models; mixture-of-experts models store every expert even though
          a token uses only a few.
        </p>
        <WorkedFigures topic="weights" />
      </section>
      <section>
        <h2>Data types &amp; precision</h2>
        <p>
          FP32 takes four bytes, FP16 and BF16 two, FP8 and INT8 one. BF16 keeps FP32's exponent range with
          fewer mantissa bits, which is why training prefers it; FP16 has more precision but overflows sooner.
          Fewer bytes per weight means less memory and, because decoding streams the weights, faster tokens.
        </p>
        <WeightsCalculator />
      </section>
      <section>
        <h2>Quantization basics &amp; impact</h2>
        <p>
          Quantizing stores weights in 8, 4 or fewer bits plus the scales needed to recover them.
          Post-training methods (GPTQ, AWQ, llama.cpp's k-quants and i-quants, bitsandbytes NF4) differ in how
          they group weights and choose scales, and in which tensors they leave at higher precision. That is
          why two "4-bit" files of the same model differ in size, and why the calculator counts scales, zero
          points and unquantized tensors byte by byte.
        </p>
      </section>
      <section>
        <h2>Memory-efficient fine-tuning</h2>
        <p>
          LoRA freezes the model and trains small low-rank adapters beside chosen projections, so gradients
          and optimizer states exist only for a few million parameters. QLoRA goes further and keeps the
          frozen base in 4-bit NF4, which is how a large model can be fine-tuned on a single GPU.
        </p>
      </section>
    </>
  );
}
