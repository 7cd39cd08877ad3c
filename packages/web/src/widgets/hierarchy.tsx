/** Hardware: device memory and the link beyond it, for the page's GPU; the whole catalog as a scatter. */
import { formatRate, formatSeconds } from "@memlens/core";
import { useMemo } from "preact/hooks";
import { gpuScatterChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Select, Stat, Widget } from "../components/controls.js";
import { gpuPoints, hierarchyFor } from "../compute/hierarchy.js";
import { fmtBandwidth, fmtBytes } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useEnumParam } from "../state/store.js";

const HW_WEIGHTS = ["published", "bf16", "fp8", "int8", "awq", "Q4_K_M"] as const;

export function Hierarchy() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const [w, setW] = useEnumParam("hw.w", "published", HW_WEIGHTS);
  const [sel, setSel] = useEnumParam("hw.sel", "device", ["device", "link"] as const);
  const h = useMemo(
    () => hierarchyFor(choice.spec, gpu, w === "published" ? undefined : w),
    [choice, gpu, w],
  );
  const chart = useMemo(() => gpuScatterChart({ points: gpuPoints(), selected: gpu.id, unit }), [gpu, unit]);
  const maxBw = Math.max(...h.tiers.map((t) => t.bandwidthBytesPerSecond));
  const selected = h.tiers.find((t) => t.id === sel) ?? h.tiers[0]!;
  return (
    <Widget
      id="w-hierarchy"
      title="The memory hierarchy: size vs speed"
      sub={`${gpu.name}, with ${choice.spec.id}'s weights (${fmtBytes(h.weightBytes, unit)}) as the thing to move. Bar length is bandwidth on a log scale.`}
    >
      <div class="controls">
        <Select
          id="hw-weights"
          label="Weights stored as"
          value={w}
          options={HW_WEIGHTS.map((x) => ({ value: x, label: x === "published" ? "As published" : x }))}
          onChange={setW}
        />
      </div>
      <fieldset class="tiers">
        <legend class="visually-hidden">Memory tiers</legend>
        {h.tiers.map((t) => (
          <button
            type="button"
            key={t.id}
            class={`tier ${t.id === sel ? "sel" : ""}`}
            aria-pressed={t.id === sel}
            onClick={() => setSel(t.id)}
          >
            <span class="tier-top">
              <strong>{t.name}</strong>
              <small>
                {t.capacityBytes !== null ? `${fmtBytes(t.capacityBytes, unit)} · ` : ""}
                {fmtBandwidth(t.bandwidthBytesPerSecond)}
              </small>
            </span>
            <span
              class="tier-bar"
              style={{
                width: `${Math.max(6, (Math.log10(t.bandwidthBytesPerSecond / 1e8) / Math.log10(maxBw / 1e8)) * 100)}%`,
              }}
            />
          </button>
        ))}
      </fieldset>
      <p class="detail" aria-live="polite">
        <strong>{selected.name}.</strong> {selected.detail} Moving the weights once takes{" "}
        <span data-testid={`hw-read-${selected.id}`} data-value={selected.weightsReadSeconds}>
          {formatSeconds(selected.weightsReadSeconds)}
        </span>
        .
      </p>
      <div class="stats">
        <Stat
          label="Read all weights from device memory"
          value={h.tiers[0]!.weightsReadSeconds}
          text={formatSeconds}
          testid="hw-read-time"
        />
        <Stat
          label="Batch-1 decode ceiling"
          value={h.decodeCeilingTokensPerSecond}
          text={formatRate}
          testid="hw-decode"
          tone={h.fitsInDeviceMemory ? "good" : "bad"}
        />
        <Stat
          label={`Streaming them over ${gpu.interconnect.kind}`}
          value={h.offloadCeilingTokensPerSecond}
          text={formatRate}
          testid="hw-offload"
        />
        <Stat
          label="Weights fit in device memory"
          value={h.fitsInDeviceMemory}
          testid="hw-fits"
          tone={h.fitsInDeviceMemory ? "good" : "bad"}
        />
      </div>
      <Chart spec={chart} />
    </Widget>
  );
}
