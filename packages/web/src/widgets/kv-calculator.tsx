/**
 * KV cache: bytes by context, batch, KV dtype and attention kind; compared with the weights;
 * the largest context and concurrency the GPU holds (core's estimate, for an engine that
 * stores that KV dtype).
 */
import {
  catalogModelSpec,
  ENGINES,
  estimateWeights,
  KV_DTYPES,
  type KvDtype,
  parseWeightFormat,
} from "@memlens/core";
import { useMemo } from "preact/hooks";
import { curveChart, labelledBytesChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, Problem, Segmented, Select, Stat, StepSlider, Widget } from "../components/controls.js";
import {
  ATTENTION_OVERRIDES,
  type AttentionOverride,
  attentionVariant,
  contextGrid,
  exemplars,
  kvPerToken,
  kvTotal,
  MEMORY_KIND_LABEL,
  memoryKindOf,
} from "../compute/kv.js";
import { attempt, runInference } from "../compute/scenario.js";
import { bytesIn, fmtInt, fmtRatio, fmtTokens } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";

export const KV_CONTEXTS = [
  512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576,
];
export const KV_BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/**
 * The engine that stores a KV dtype, the first of transformers (16/32-bit), vLLM (fp8), llama.cpp
 * (ggml blocks) whose KV dtypes include it; vLLM for one none of them takes (int8), whose estimate
 * then says which dtypes it does take.
 */
export function engineForKv(dtype: KvDtype): string {
  const order = ["transformers", "vllm", "llama.cpp"] as const;
  return order.find((n) => ENGINES[n].kvDtypes.includes(dtype)) ?? "vllm";
}

/** A model name short enough for a bar label (the summary under the chart keeps full ids). */
function shortName(id: string): string {
  const name = id.split("/")[1] ?? id;
  return name.length > 16 ? `${name.slice(0, 15)}…` : name;
}

const KIND_COLOR = {
  mha: "#e0556b",
  gqa: "#5b8cff",
  mqa: "#2bb673",
  mla: "#7c5cff",
  swa: "#f0a020",
  ssm: "#14a3a3",
};

export function KvCalculator() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const [ctx, setCtx] = useIntParam("kv.ctx", 8192, 1, 1 << 24);
  const [batch, setBatch] = useIntParam("kv.b", 1, 1, 4096);
  const [dtype, setDtype] = useEnumParam<KvDtype>("kv.dt", "bf16", KV_DTYPES);
  const [ov, setOv] = useEnumParam<AttentionOverride>("kv.at", "published", ATTENTION_OVERRIDES);

  const variant = useMemo(() => attentionVariant(choice, ov), [choice, ov]);
  const spec = variant ?? choice.spec;
  const kv = useMemo(
    () => attempt(() => ({ total: kvTotal(spec, ctx, batch, dtype), perToken: kvPerToken(spec, dtype) })),
    [spec, ctx, batch, dtype],
  );
  const weightBytes = useMemo(
    () => estimateWeights(choice.spec, parseWeightFormat(undefined, choice.spec)).totalBytes,
    [choice],
  );

  const curve = useMemo(() => {
    const grid = contextGrid(Math.min(1 << 20, Math.max(ctx, 4096) * 4), 512);
    const points = [];
    const series: { label: string; s: typeof spec; color: string }[] = [
      { label: spec.id, s: spec, color: "#14a3a3" },
    ];
    if (variant && ov !== "published")
      series.push({ label: `${choice.spec.id} (as published)`, s: choice.spec, color: "#8a94a6" });
    for (const { label, s, color } of series)
      for (const t of grid) {
        const r = attempt(() => kvTotal(s, t, batch, dtype).totalBytes);
        if (r.ok) points.push({ series: label, tokens: t, bytes: r.value, color });
      }
    return curveChart({
      id: "kv-growth",
      title: `KV cache of ${spec.id} by context length at batch ${batch}, ${dtype}`,
      points,
      unit,
      yLabel: "KV cache",
      marker: ctx,
      reference: { label: "weights", bytes: weightBytes },
    });
  }, [spec, variant, ov, choice, ctx, batch, dtype, unit, weightBytes]);

  const kinds = useMemo(() => {
    const bars = exemplars(choice.spec.parameters).map((e) => {
      const s = catalogModelSpec(e.id);
      const r = attempt(() => kvTotal(s, ctx, batch, dtype).totalBytes);
      return {
        label: `${e.kind.toUpperCase()} · ${shortName(e.id)}`,
        bytes: r.ok ? r.value : 0,
        color: KIND_COLOR[e.kind],
        highlight: e.id === choice.key,
      };
    });
    return labelledBytesChart({
      id: "kv-kinds",
      title: `KV cache at ${fmtTokens(ctx)} tokens × ${batch} for one catalog model of each attention kind`,
      bars,
      unit,
      xLabel: "KV cache",
    });
  }, [choice, ctx, batch, dtype, unit]);

  const engine = engineForKv(dtype);
  const fit = useMemo(
    () =>
      runInference({
        model: variant && ov !== "published" ? { ...choice, spec } : choice,
        gpuId: gpu.id,
        engine,
        kvCache: dtype,
        contextLength: ctx,
        batch,
      }),
    [choice, variant, ov, spec, gpu, engine, dtype, ctx, batch],
  );
  const kind = memoryKindOf(spec);
  const canOverride = choice.spec.layers.every((l) => l.mixer.kind === "attention");

  return (
    <Widget
      id="w-kv"
      title="KV cache size: watch it grow"
      sub={`${spec.id}: ${MEMORY_KIND_LABEL[kind]}, ${spec.numLayers} layers. Core's estimateKvCache with sliding windows and recurrent state applied.`}
    >
      <div class="controls">
        <StepSlider
          id="kv-ctx"
          label="Context length"
          values={KV_CONTEXTS}
          value={ctx}
          onChange={setCtx}
          format={(v) => `${fmtTokens(v)} tokens`}
        />
        <StepSlider
          id="kv-batch"
          label="Batch (sequences)"
          values={KV_BATCHES}
          value={batch}
          onChange={setBatch}
          format={String}
        />
        <Select<KvDtype>
          id="kv-dtype"
          label="KV cache dtype"
          value={dtype}
          options={KV_DTYPES.map((d) => ({ value: d, label: d }))}
          onChange={setDtype}
        />
        <Segmented<AttentionOverride>
          name="kv-attn"
          legend="Attention kind (rewrites num_key_value_heads)"
          value={canOverride ? ov : "published"}
          options={ATTENTION_OVERRIDES.map((o) => ({
            value: o,
            label: o === "published" ? "As published" : o.toUpperCase(),
          }))}
          onChange={(o) => (canOverride ? setOv(o) : undefined)}
        />
      </div>
      {!canOverride ? (
        <Note>This model's layers are not all plain attention, so it is shown as published.</Note>
      ) : null}
      {kv.ok ? (
        <div class="stats">
          <Stat
            label="KV per token (all layers)"
            value={kv.value.perToken}
            text={`${fmtInt(kv.value.perToken)} B`}
            testid="kv-per-token"
          />
          <Stat
            label={`KV cache, ${fmtTokens(ctx)} × ${batch}`}
            value={kv.value.total.totalBytes}
            text={bytesIn(unit, 2)}
            testid="kv-total"
          />
          <Stat
            label="KV ÷ weights"
            value={kv.value.total.totalBytes / weightBytes}
            text={fmtRatio}
            testid="kv-vs-weights"
            tone={kv.value.total.totalBytes > weightBytes ? "bad" : "neutral"}
          />
          {fit.ok ? (
            <>
              <Stat
                label={`Max context on ${gpu.id} (${engine}, batch ${batch})`}
                value={fit.value.maxContextLength}
                text={
                  fit.value.maxContextLength === null
                    ? "does not fit"
                    : `${fmtInt(fit.value.maxContextLength)} tokens`
                }
                testid="kv-max-context"
              />
              <Stat
                label={`Max sequences at ${fmtTokens(ctx)}`}
                value={fit.value.maxConcurrentSequences}
                text={fmtInt}
                testid="kv-max-batch"
              />
            </>
          ) : null}
        </div>
      ) : (
        <Problem>{kv.message}</Problem>
      )}
      {!fit.ok ? <Problem>Max context and concurrency: {fit.message}</Problem> : null}
      <Chart spec={curve} />
      <h4>The same context on other attention kinds</h4>
      <p class="widget-sub">One catalog model of each kind, the closest in size to {choice.spec.id}.</p>
      <Chart spec={kinds} />
    </Widget>
  );
}
