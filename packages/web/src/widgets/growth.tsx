/** Advanced architectures: a transformer's growing KV cache vs a recurrent model's constant state. */
import { catalogModelSpec } from "@memlens/core";
import { useMemo } from "preact/hooks";
import { curveChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, Select, Stat, StepSlider, Widget } from "../components/controls.js";
import { growthSeries, recurrentLayerShare, recurrentModels } from "../compute/growth.js";
import { contextGrid } from "../compute/kv.js";
import { bytesIn, fmtPercent, fmtRatio, fmtTokens } from "../lib/format.js";
import { useModel, useUnit } from "../state/selection.js";
import { useIntParam, useStringParam } from "../state/store.js";

export const GROWTH_CONTEXTS = [1024, 4096, 16384, 65536, 262144, 1048576];

export function Growth() {
  const { choice } = useModel();
  const [unit] = useUnit();
  const recurrent = useMemo(() => recurrentModels(), []);
  const [otherRaw, setOther] = useStringParam("gr.m", recurrent[0] ?? "");
  const other = recurrent.includes(otherRaw) ? otherRaw : (recurrent[0] ?? "");
  const [ctx, setCtx] = useIntParam("gr.ctx", 65536, 1, 1 << 24);
  const otherSpec = useMemo(() => (other ? catalogModelSpec(other) : null), [other]);
  const grid = useMemo(() => contextGrid(1 << 20, 1024), []);
  const a = useMemo(
    () =>
      growthSeries(
        choice.spec,
        [...new Set([...grid, ctx])].sort((x, y) => x - y),
      ),
    [choice, grid, ctx],
  );
  const b = useMemo(
    () =>
      otherSpec
        ? growthSeries(
            otherSpec,
            [...new Set([...grid, ctx])].sort((x, y) => x - y),
          )
        : [],
    [otherSpec, grid, ctx],
  );
  const chart = useMemo(
    () =>
      curveChart({
        id: "growth",
        title: `Per-sequence cache of ${choice.spec.id} and ${other} by context length`,
        points: [
          ...a.map((p) => ({
            series: choice.spec.id,
            tokens: p.tokens,
            bytes: p.totalBytes,
            color: "#f0a020",
          })),
          ...b.map((p) => ({ series: p.model, tokens: p.tokens, bytes: p.totalBytes, color: "#14a3a3" })),
        ],
        unit,
        yLabel: "Cache per sequence",
        marker: ctx,
        logY: true,
      }),
    [a, b, choice, other, unit, ctx],
  );
  const at = (s: typeof a) => s.find((p) => p.tokens === ctx);
  const pa = at(a);
  const pb = at(b);
  return (
    <Widget
      id="w-growth"
      title="Growing cache vs constant state"
      sub="Core's KV cache estimate for one sequence, bf16: attention layers add K and V for every token; SSM and linear-attention layers keep a fixed-size state."
    >
      <div class="controls">
        <StepSlider
          id="growth-ctx"
          label="Sequence length"
          values={GROWTH_CONTEXTS}
          value={ctx}
          onChange={setCtx}
          format={(v) => `${fmtTokens(v)} tokens`}
        />
        {recurrent.length > 0 ? (
          <Select
            id="growth-model"
            label="Model with constant-state layers"
            value={other}
            options={recurrent.map((id) => ({ value: id, label: id }))}
            onChange={setOther}
          />
        ) : null}
      </div>
      <div class="stats">
        {pa ? (
          <Stat label={`${choice.spec.id}`} value={pa.totalBytes} text={bytesIn(unit, 2)} testid="growth-a" />
        ) : null}
        {pb && otherSpec ? (
          <>
            <Stat
              label={`${other}: constant state`}
              value={pb.stateBytes}
              text={bytesIn(unit, 2)}
              testid="growth-b-state"
            />
            <Stat label={`${other}: total`} value={pb.totalBytes} text={bytesIn(unit, 2)} testid="growth-b" />
            <Stat
              label="Ratio"
              value={pa && pb.totalBytes > 0 ? pa.totalBytes / pb.totalBytes : null}
              text={pa && pb.totalBytes > 0 ? fmtRatio(pa.totalBytes / pb.totalBytes) : "—"}
              testid="growth-ratio"
            />
          </>
        ) : null}
      </div>
      <Chart spec={chart} />
      {otherSpec ? (
        <Note>
          {fmtPercent(recurrentLayerShare(otherSpec))} of {other}'s layers keep a constant state; the rest are
          attention layers whose cache still grows, which is why a hybrid's line is flatter but not flat.
        </Note>
      ) : (
        <Note>The catalog has no model with recurrent layers in this build.</Note>
      )}
    </Widget>
  );
}
