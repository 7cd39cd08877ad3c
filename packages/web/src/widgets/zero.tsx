/** Training: per-GPU memory by ZeRO stage, GPU count and activation checkpointing. */
import { useMemo } from "preact/hooks";
import { type StackRow, stackedBytesChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, Problem, Segmented, Stat, StepSlider, Widget } from "../components/controls.js";
import { PILE_COLOR, PILE_LABEL, type Pile } from "../compute/piles.js";
import {
  CHECKPOINTING,
  type Checkpointing,
  PEAK_MOMENT_TEXT,
  trainingPeak,
  type ZeroStage,
} from "../compute/training.js";
import { bytesIn, fmtBytes, fmtTokens } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";

export const ZERO_GPUS = [1, 2, 4, 8, 16, 32, 64, 128];
const STAGES = ["0", "1", "2", "3"] as const;
const STAGE_LABEL = { "0": "0 · none", "1": "1 · optimizer", "2": "2 · + gradients", "3": "3 · + weights" };
const PARTS: Pile[] = ["weights", "gradients", "optimizerStates", "activations", "overhead"];

export function ZeroWidget() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const [stage, setStage] = useEnumParam("z.s", "0", STAGES);
  const [n, setN] = useIntParam("z.n", 8, 1, 4096);
  const [ck, setCk] = useEnumParam<Checkpointing>("z.ck", "none", CHECKPOINTING);
  const [seq, setSeq] = useIntParam("z.seq", 2048, 1, 1 << 20);

  const all = useMemo(
    () =>
      STAGES.map((s) =>
        trainingPeak({
          model: choice,
          gpu,
          gpuCount: n,
          zeroStage: Number(s) as ZeroStage,
          checkpointing: ck,
          sequenceLength: seq,
          microBatch: 1,
        }),
      ),
    [choice, gpu, n, ck, seq],
  );
  const curOutcome = all[Number(stage)]!;
  const chart = useMemo(() => {
    const rows: StackRow[] = [];
    all.forEach((o, i) => {
      if (!o.ok) return;
      const m = o.value;
      for (const p of PARTS)
        if (m.perGpu[p] > 0)
          rows.push({
            bar: `ZeRO-${i}`,
            part: PILE_LABEL[p],
            bytes: m.perGpu[p],
            color: PILE_COLOR[p],
            dim: String(i) !== stage,
          });
    });
    return stackedBytesChart({
      id: "zero-stages",
      title: `Per-GPU training memory of ${choice.spec.id} on ${n} × ${gpu.id}, by ZeRO stage`,
      rows,
      capacityBytes: gpu.memoryBytes,
      capacityLabel: `${gpu.id} capacity`,
      unit,
    });
  }, [all, stage, choice, n, gpu, unit]);
  if (!curOutcome.ok)
    return (
      <Widget id="w-zero" title="ZeRO / FSDP: sharding a model across GPUs" sub={choice.spec.id}>
        <Problem>{curOutcome.message}</Problem>
      </Widget>
    );
  const cur = curOutcome.value;
  const fits = cur.perGpu.total <= gpu.memoryBytes;
  return (
    <Widget
      id="w-zero"
      title="ZeRO / FSDP: sharding a model across GPUs"
      sub={`Full fine-tune of ${choice.spec.id}, bf16 mixed precision with AdamW, micro-batch 1 × ${fmtTokens(seq)} tokens, data parallel over ${n} GPUs; memory per GPU at the step's peak.`}
    >
      <div class="controls">
        <Segmented
          name="zero-stage"
          legend="ZeRO stage"
          value={stage}
          options={STAGES.map((s) => ({ value: s, label: STAGE_LABEL[s] }))}
          onChange={setStage}
        />
        <StepSlider
          id="zero-gpus"
          label="GPUs"
          values={ZERO_GPUS}
          value={n}
          onChange={setN}
          format={String}
        />
        <Segmented<Checkpointing>
          name="zero-ck"
          legend="Activation checkpointing"
          value={ck}
          options={CHECKPOINTING.map((c) => ({ value: c, label: c }))}
          onChange={setCk}
        />
        <StepSlider
          id="zero-seq"
          label="Sequence length"
          values={[512, 1024, 2048, 4096, 8192, 16384, 32768]}
          value={seq}
          onChange={setSeq}
          format={(v) => `${fmtTokens(v)} tokens`}
        />
      </div>
      <div class="stats">
        <Stat
          label={`Per GPU at ZeRO-${stage}`}
          value={cur.perGpu.total}
          text={bytesIn(unit)}
          testid="zero-total"
          tone={fits ? "good" : "bad"}
        />
        <Stat label="Weights" value={cur.perGpu.weights} text={bytesIn(unit)} testid="zero-weights" />
        <Stat label="Gradients" value={cur.perGpu.gradients} text={bytesIn(unit)} testid="zero-grads" />
        <Stat
          label="Optimizer states"
          value={cur.perGpu.optimizerStates}
          text={bytesIn(unit)}
          testid="zero-opt"
        />
        <Stat label="Activations" value={cur.perGpu.activations} text={bytesIn(unit)} testid="zero-act" />
        <Stat
          label={`Fits one ${gpu.id}?`}
          value={fits}
          text={
            fits
              ? `yes, ${fmtBytes(gpu.memoryBytes - cur.perGpu.total, unit)} spare`
              : `no, ${fmtBytes(cur.perGpu.total - gpu.memoryBytes, unit)} over`
          }
          testid="zero-fits"
          tone={fits ? "good" : "bad"}
        />
      </div>
      <Chart spec={chart} />
      <Note>
        Core's training model (DeepSpeed profile: bf16 weights and gradients, fp32 master copy and AdamW
        moments, 16 bytes per parameter before sharding). The peak of this step is{" "}
        {PEAK_MOMENT_TEXT[cur.moment]}.
      </Note>
    </Widget>
  );
}
