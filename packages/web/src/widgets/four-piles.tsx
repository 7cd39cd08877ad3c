/** Fundamentals: the four piles on the GPU for the page's model, inference vs training. */
import { useMemo } from "preact/hooks";
import { type StackRow, stackedBytesChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, Problem, Segmented, Select, Stat, StepSlider, Widget } from "../components/controls.js";
import { computePiles, PILE_COLOR, PILE_LABEL, PILES, type Pile } from "../compute/piles.js";
import { CHECKPOINTING, type Checkpointing, PEAK_MOMENT_TEXT } from "../compute/training.js";
import { bytesIn, fmtBytes, fmtRatio, fmtTokens } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";

export const CONTEXTS = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
export const BATCHES = [1, 2, 4, 8, 16, 32, 64];
export const INFERENCE_WEIGHTS = ["published", "bf16", "fp16", "fp8", "int8", "awq", "nf4"] as const;
type InferenceWeights = (typeof INFERENCE_WEIGHTS)[number];
const BLOCK_KEYS = ["weights", "activations", "kvCache", "optimizer"] as const;
type BlockKey = (typeof BLOCK_KEYS)[number];

const BLOCKS: Record<BlockKey, { label: string; what: string }> = {
  weights: {
    label: "Weights",
    what: "The learned parameters. Loaded once and read on every forward pass, in training and in inference alike.",
  },
  activations: {
    label: "Activations",
    what: "Intermediate tensors of a forward pass. Inference frees each layer's as it goes; training keeps them for the backward pass, so they scale with batch, sequence and depth.",
  },
  kvCache: {
    label: "KV cache",
    what: "Keys and values of every token seen so far, kept so generation does not recompute them. Inference only, and it grows with every token.",
  },
  optimizer: {
    label: "Optimizer + gradients",
    what: "One gradient per parameter plus the optimizer's state (AdamW: an fp32 master copy and two moments). Training only, and usually the largest pile.",
  },
};

const pileOf = (d: import("@memlens/core").DeviceBytes | null, key: BlockKey): number =>
  d === null ? 0 : key === "optimizer" ? d.optimizerStates + d.gradients : d[key];

export function FourPiles() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const [ctx, setCtx] = useIntParam("p.ctx", 4096, 1, 1 << 20);
  const [batch, setBatch] = useIntParam("p.b", 1, 1, 256);
  const [w, setW] = useEnumParam<InferenceWeights>("p.w", "published", INFERENCE_WEIGHTS);
  const [ck, setCk] = useEnumParam<Checkpointing>("p.ck", "none", CHECKPOINTING);
  const [sel, setSel] = useEnumParam<BlockKey>("p.sel", "weights", BLOCK_KEYS);

  const r = useMemo(
    () =>
      computePiles({
        model: choice,
        gpu,
        weights: w === "published" ? undefined : w,
        contextLength: ctx,
        batch,
        checkpointing: ck,
      }),
    [choice, gpu, w, ctx, batch, ck],
  );
  const inf = r.inference.ok ? r.inference.value : null;
  const tr = r.training.ok ? r.training.value.perGpu : null;
  const spec = useMemo(() => {
    const rows: StackRow[] = [];
    for (const [bar, d] of [
      ["Inference", inf],
      ["Training", tr],
    ] as const) {
      if (!d) continue;
      for (const p of PILES as readonly Pile[])
        if (d[p] > 0) rows.push({ bar, part: PILE_LABEL[p], bytes: d[p], color: PILE_COLOR[p] });
    }
    return stackedBytesChart({
      id: "four-piles",
      title: `Memory of ${choice.spec.id} on one ${gpu.id}: inference vs training`,
      rows,
      capacityBytes: gpu.memoryBytes,
      capacityLabel: `${gpu.id} capacity`,
      unit,
    });
  }, [inf, tr, choice, gpu, unit]);

  const selected = BLOCKS[sel];
  return (
    <Widget
      id="w-piles"
      title="What is on the GPU right now"
      sub={`${choice.spec.id} on one ${gpu.id}. Inference: core's transformers engine at ${fmtTokens(ctx)} tokens × ${batch}. Training: full fine-tune (DeepSpeed, bf16 mixed precision, AdamW), micro-batch ${batch} × ${fmtTokens(ctx)} tokens, at the step's peak.`}
    >
      <div class="controls">
        <StepSlider
          id="piles-ctx"
          label="Context / sequence length"
          values={CONTEXTS}
          value={ctx}
          onChange={setCtx}
          format={(v) => `${fmtTokens(v)} tokens`}
        />
        <StepSlider
          id="piles-batch"
          label="Batch"
          values={BATCHES}
          value={batch}
          onChange={setBatch}
          format={String}
        />
        <Select<InferenceWeights>
          id="piles-weights"
          label="Inference weights"
          value={w}
          options={INFERENCE_WEIGHTS.map((x) => ({
            value: x,
            label: x === "published" ? "As published" : x,
          }))}
          onChange={setW}
        />
        <Segmented<Checkpointing>
          name="piles-ck"
          legend="Training: activation checkpointing"
          value={ck}
          options={CHECKPOINTING.map((c) => ({ value: c, label: c }))}
          onChange={setCk}
        />
      </div>
      <fieldset class="blocks">
        <legend class="visually-hidden">The four piles</legend>
        {BLOCK_KEYS.map((k) => (
          <button
            type="button"
            key={k}
            class={`block ${k === sel ? "sel" : ""}`}
            aria-pressed={k === sel}
            onClick={() => setSel(k)}
            style={{ "--c": k === "optimizer" ? PILE_COLOR.optimizerStates : PILE_COLOR[k] }}
          >
            <span class="block-title">{BLOCKS[k].label}</span>
            <span class="block-line">
              Inference:{" "}
              <span data-testid={`piles-inf-${k}`} data-value={pileOf(inf, k)}>
                {inf ? fmtBytes(pileOf(inf, k), unit) : "—"}
              </span>
            </span>
            <span class="block-line">
              Training:{" "}
              <span data-testid={`piles-train-${k}`} data-value={pileOf(tr, k)}>
                {tr ? fmtBytes(pileOf(tr, k), unit) : "—"}
              </span>
            </span>
          </button>
        ))}
      </fieldset>
      <p class="detail" aria-live="polite">
        <strong>{selected.label}.</strong> {selected.what}
      </p>
      <Chart spec={spec} />
      <div class="stats">
        {(
          [
            ["Inference total", inf, "piles-inf-total"],
            ["Training peak", tr, "piles-train-total"],
          ] as const
        ).map(([label, d, testid]) => (
          <Stat
            key={testid}
            label={label}
            value={d?.total ?? null}
            text={bytesIn(unit)}
            testid={testid}
            tone={d && d.total <= gpu.memoryBytes ? "good" : "bad"}
          />
        ))}
        <Stat
          label="Training ÷ inference"
          value={inf && tr ? tr.total / inf.total : null}
          text={fmtRatio}
          testid="piles-ratio"
        />
      </div>
      {r.training.ok ? (
        <Note>
          Core puts this training step's peak at {PEAK_MOMENT_TEXT[r.training.value.moment]}. At the end of
          the forward pass the GPU holds{" "}
          <span data-testid="piles-train-forward" data-value={r.training.value.forwardBytes}>
            {fmtBytes(r.training.value.forwardBytes, unit)}
          </span>
          .
        </Note>
      ) : (
        <Problem>Training: {r.training.message}</Problem>
      )}
      {!r.inference.ok ? <Problem>Inference: {r.inference.message}</Problem> : null}
    </Widget>
  );
}
