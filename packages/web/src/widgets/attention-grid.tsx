/** Attention: the n × n score matrix of eager attention vs the tiles FlashAttention streams. */
import { useMemo } from "preact/hooks";
import { curveChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, RangeSlider, Segmented, Stat, StepSlider, Widget } from "../components/controls.js";
import {
  ATTENTION_IMPL_LABEL,
  ATTENTION_IMPLS,
  type AttentionImpl,
  attentionAt,
  scoreGrid,
  slidingWindowOf,
} from "../compute/attention.js";
import { contextGrid } from "../compute/kv.js";
import { bytesIn, fmtRatio, fmtTokens } from "../lib/format.js";
import { useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";

export const ATTN_TOKENS = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
export const GRID_CELLS = 16;
const IMPL_SHORT: Record<AttentionImpl, string> = { eager: "Eager", sdpa: "SDPA", flash: "Flash" };
const IMPL_COLOR: Record<AttentionImpl, string> = { eager: "#e0556b", sdpa: "#5b8cff", flash: "#2bb673" };

export function AttentionGrid() {
  const { choice } = useModel();
  const [unit] = useUnit();
  const spec = choice.spec;
  const [n, setN] = useIntParam("at.n", 4096, 1, 1 << 22);
  const [batch, setBatch] = useIntParam("at.b", 1, 1, 256);
  const [impl, setImpl] = useEnumParam<AttentionImpl>("at.k", "eager", ATTENTION_IMPLS);
  const [row, setRow] = useIntParam("at.row", GRID_CELLS - 1, 0, GRID_CELLS - 1);

  const at = useMemo(
    () => ({
      eager: attentionAt(spec, n, batch, "eager"),
      sdpa: attentionAt(spec, n, batch, "sdpa"),
      flash: attentionAt(spec, n, batch, "flash"),
    }),
    [spec, n, batch],
  );
  const window = slidingWindowOf(spec);
  const cells = useMemo(() => scoreGrid(n, GRID_CELLS, window, impl, row), [n, window, impl, row]);
  const chart = useMemo(() => {
    const points = [];
    for (const k of ATTENTION_IMPLS)
      for (const t of contextGrid(131072, 256))
        points.push({
          series: ATTENTION_IMPL_LABEL[k],
          tokens: t,
          bytes: attentionAt(spec, t, batch, k).attentionBytes,
          color: IMPL_COLOR[k],
        });
    return curveChart({
      id: "attention-workspace",
      title: `Attention workspace of one layer of ${spec.id} during prefill, by kernel`,
      points,
      unit,
      yLabel: "Attention workspace",
      marker: n,
      logY: true,
    });
  }, [spec, batch, n, unit]);

  const per = Math.ceil(n / GRID_CELLS);
  return (
    <Widget
      id="w-attention"
      title="Why long context explodes: n² vs tiles"
      sub={`Prefill of ${fmtTokens(n)} tokens × ${batch} on ${spec.id}. Core's activation model of transformers' attention kernels, the largest layer.`}
    >
      <div class="controls">
        <StepSlider
          id="attn-n"
          label="Sequence length"
          values={ATTN_TOKENS}
          value={n}
          onChange={setN}
          format={(v) => `${fmtTokens(v)} tokens`}
        />
        <StepSlider
          id="attn-batch"
          label="Batch"
          values={[1, 2, 4, 8, 16, 32]}
          value={batch}
          onChange={setBatch}
          format={String}
        />
        <Segmented<AttentionImpl>
          name="attn-impl"
          legend="Kernel"
          value={impl}
          options={ATTENTION_IMPLS.map((k) => ({ value: k, label: ATTENTION_IMPL_LABEL[k] }))}
          onChange={setImpl}
        />
        {impl !== "eager" ? (
          <RangeSlider
            id="attn-row"
            label="Query block on chip"
            min={0}
            max={GRID_CELLS - 1}
            value={row}
            onChange={setRow}
            format={(v) => `${v + 1} of ${GRID_CELLS}`}
          />
        ) : null}
      </div>
      <div class="attn-layout">
        <div
          class="score-grid"
          role="img"
          aria-label={`Score matrix of ${fmtTokens(n)} tokens drawn as ${GRID_CELLS} × ${GRID_CELLS} blocks of ${per} × ${per} positions: ${impl === "eager" ? "every block below the diagonal is stored" : `only query block ${row + 1} is held on chip, the rest is streamed`}${window !== null ? `; blocks beyond the ${window}-token window are skipped` : ""}.`}
          style={{ gridTemplateColumns: `repeat(${GRID_CELLS}, 1fr)` }}
        >
          {cells.map((c, i) => (
            <span key={i} class={`cell ${c}`} />
          ))}
        </div>
        <ul class="legend-list">
          <li>
            <i class="cell score" /> score stored in GPU memory
          </li>
          <li>
            <i class="cell tile" /> tile on chip now
          </li>
          <li>
            <i class="cell streamed" /> computed, never stored
          </li>
          <li>
            <i class="cell masked" /> causal mask (skipped)
          </li>
          {window !== null ? (
            <li>
              <i class="cell outside" /> outside the sliding window
            </li>
          ) : null}
        </ul>
      </div>
      <div class="stats">
        <Stat
          label="Eager: n² scores, one layer"
          value={at.eager.attentionScoresBytes}
          text={bytesIn(unit, 2)}
          testid="attn-scores"
          tone="bad"
        />
        {ATTENTION_IMPLS.map((k) => (
          <Stat
            key={k}
            label={`${IMPL_SHORT[k]} workspace`}
            value={at[k].attentionBytes}
            text={bytesIn(unit, 2)}
            testid={`attn-${k}`}
            tone={k === "flash" ? "good" : undefined}
          />
        ))}
        <Stat
          label="Eager ÷ flash"
          value={at.eager.attentionBytes / at.flash.attentionBytes}
          text={fmtRatio}
          testid="attn-ratio"
        />
      </div>
      <Chart spec={chart} />
      <Note>
        The workspace counts Q, K and V (expanded to every head), the output, and with eager attention the
        scores, their fp32 softmax and the causal mask. Doubling the sequence doubles the flash curve and
        quadruples the eager one.
      </Note>
    </Widget>
  );
}
