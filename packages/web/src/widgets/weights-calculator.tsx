/** Weights: exact bytes of every tensor at any storage format, and which GPUs hold them. */
import { formatCount } from "@memlens/core";
import { useMemo } from "preact/hooks";
import { weightsByFormatChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, Select, Stat, Widget } from "../components/controls.js";
import { formatGroups, weightsView } from "../compute/weights.js";
import { bytesIn, fmtBytes, fmtInt } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useStringParam } from "../state/store.js";

const ROLE_LABEL: Record<string, string> = {
  embedding: "Embeddings",
  "position-embedding": "Position embeddings",
  output: "Output head",
  attention: "Attention",
  mlp: "MLP",
  expert: "Routed experts",
  "shared-expert": "Shared experts",
  router: "Routers",
  norm: "Norms",
  ssm: "SSM",
  vision: "Vision tower",
  other: "Other",
};

export function WeightsCalculator() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const [fmt, setFmt] = useStringParam("w.f", "");
  const groups = useMemo(() => formatGroups(), []);
  const valid = fmt === "" || groups.some((g) => g.names.includes(fmt));
  const name = valid ? fmt : "";
  const v = useMemo(() => weightsView(choice.spec, name), [choice, name]);
  const total = v.selected.breakdown.totalBytes;
  const chart = useMemo(
    () =>
      weightsByFormatChart({
        rows: v.rows,
        selected: v.selected.name,
        capacityBytes: gpu.memoryBytes,
        gpuName: gpu.id,
        modelName: choice.spec.id,
        unit,
      }),
    [v, gpu, choice, unit],
  );
  const fits = total <= gpu.memoryBytes;
  const roles = Object.entries(v.selected.breakdown.byRole)
    .filter(([, b]) => (b ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  return (
    <Widget
      id="w-weights"
      title="Weights footprint calculator"
      sub={`Every tensor of ${choice.spec.id} (${formatCount(choice.spec.parameters)} parameters) stored as the format you pick.`}
    >
      <div class="controls">
        <Select
          id="weights-format"
          label="Storage format"
          value={name}
          groups={[
            {
              label: "Checkpoint",
              options: [
                { value: "", label: `As published (${weightsView(choice.spec, "").selected.description})` },
              ],
            },
            ...groups.map((g) => ({ label: g.label, options: g.names.map((n) => ({ value: n, label: n })) })),
          ]}
          onChange={setFmt}
        />
      </div>
      <div class="stats">
        <Stat
          label={`Weights, ${v.selected.description}`}
          value={total}
          text={bytesIn(unit, 2)}
          testid="weights-total"
        />
        <Stat
          label="Bytes per parameter"
          value={total / choice.spec.parameters}
          text={(total / choice.spec.parameters).toFixed(3)}
          testid="weights-bpp"
        />
        <Stat
          label={`On one ${gpu.id}`}
          value={gpu.memoryBytes - total}
          text={
            fits
              ? `fits, ${fmtBytes(gpu.memoryBytes - total, unit)} left`
              : `${fmtBytes(total - gpu.memoryBytes, unit)} too big`
          }
          testid="weights-fit"
          tone={fits ? "good" : "bad"}
        />
        {choice.gguf ? (
          <Stat
            label={`This GGUF file's tensors (${choice.gguf.fileType ?? "?"})`}
            value={choice.gguf.tensorBytes}
            text={bytesIn(unit, 2)}
            testid="weights-gguf-file"
          />
        ) : null}
      </div>
      <Chart spec={chart} />
      <p class="fitline" data-testid="weights-fits-on" data-value={v.fitsOn.length}>
        The weights alone fit on {fmtInt(v.fitsOn.length)} of the catalog's GPUs
        {v.fitsOn.length > 0 ? `: ${v.fitsOn.map((g) => g.id).join(", ")}` : ""}. The KV cache, activations
        and the runtime need room on top.
      </p>
      <details class="roles">
        <summary>Where the bytes are, by tensor role</summary>
        <ul>
          {roles.map(([role, b]) => (
            <li key={role}>
              {ROLE_LABEL[role] ?? role}:{" "}
              <span data-testid={`weights-role-${role}`}>{fmtBytes(b ?? 0, unit, 2)}</span>
            </li>
          ))}
        </ul>
      </details>
      {v.selected.name.match(/^[QIT]|^BF16$|^F16$|^F32$|^MXFP4_MOE$|^NVFP4$/) ? (
        <Note>
          GGUF here is one type throughout (1-D tensors F32, matrices at the type's base block type).
          llama.cpp's quantizer gives a few tensors a larger type (the "_M"/"_L" mixes); an uploaded GGUF
          shows the file's exact tensor bytes.
        </Note>
      ) : null}
    </Widget>
  );
}
