/** The planner: the full scenario form, core's estimate, and core's ranked changes. */
import { allowedWeightNames, ENGINES, formatRate, formatSeconds, INFERENCE_ENGINES } from "@memlens/core";
import { useMemo } from "preact/hooks";
import { paretoChart, qualityBand, type StackRow, stackedBytesChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Field, Problem, Select, Stat } from "../components/controls.js";
import { GpuPicker, ModelPicker, UnitSwitch } from "../components/pickers.js";
import { PILE_COLOR, PILE_LABEL, type Pile } from "../compute/piles.js";
import { candidateLabel, PARETO_SEARCH_NOTE, paretoPlan, plan } from "../compute/planner.js";
import { modelledEngines } from "../compute/scenario.js";
import { fmtBytes, fmtInt } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam, useStringParam } from "../state/store.js";

/** What to do, without the figures core's description appends after ": " (shown from the fields). */
const changeAction = (description: string): string => {
  const i = description.indexOf(": ");
  return i > 0 ? description.slice(0, i) : description;
};

/** Decode speed ratio in words: "2.00× faster", "3.68× slower", "unchanged" (as core words it). */
const speedWords = (x: number): string =>
  x >= 1.005
    ? `decode ${x.toFixed(2)}× faster`
    : x <= 0.995
      ? `decode ${(1 / x).toFixed(2)}× slower`
      : "decode speed unchanged";

const PARTS: Pile[] = ["weights", "kvCache", "activations", "overhead"];
/** Every KV dtype some engine accepts (the URL may hold any); the menu shows the chosen engine's. */
const KV_CHOICES: readonly string[] = [...new Set(Object.values(ENGINES).flatMap((e) => e.kvDtypes))];

function NumberField({
  id,
  label,
  value,
  min,
  max,
  onChange,
}: {
  id: string;
  label: string;
  value: number;
  min: number;
  max: number;
  onChange: (v: number) => void;
}) {
  return (
    <Field id={id} label={label} hint={`${fmtInt(min)} to ${fmtInt(max)}`}>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={min}
        max={max}
        step={1}
        value={value}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          const n = Number((e.currentTarget as HTMLInputElement).value);
          if (Number.isInteger(n) && n >= min && n <= max) onChange(n);
          else (e.currentTarget as HTMLInputElement).value = String(value);
        }}
      />
    </Field>
  );
}

export function PlannerPage() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const engines = modelledEngines();
  const [engine, setEngine] = useEnumParam("pl.e", "transformers", INFERENCE_ENGINES);
  const weightNames = useMemo(() => allowedWeightNames(), []);
  const [weightsRaw, setWeights] = useStringParam("pl.w", "");
  const weights = weightsRaw === "" || weightNames.includes(weightsRaw) ? weightsRaw : "";
  const [kvRaw, setKv] = useEnumParam("pl.kv", "auto", KV_CHOICES);
  // The KV dtypes the engine takes, from the engine itself; one it refuses falls back to its first.
  const kvOptions = ENGINES[engine].kvDtypes;
  const kv = kvOptions.includes(kvRaw) ? kvRaw : (kvOptions[0] ?? "auto");
  const [ctx, setCtx] = useIntParam("pl.ctx", 8192, 1, 1 << 24);
  const [batch, setBatch] = useIntParam("pl.b", 1, 1, 65536);
  const [count, setCount] = useIntParam("pl.n", 1, 1, 64);
  const [tpRaw, setTp] = useIntParam("pl.tp", 1, 1, 64);
  const tp = Math.min(tpRaw, count);

  const r = useMemo(
    () =>
      plan(choice, {
        engine,
        weights,
        kvCache: kv,
        contextLength: ctx,
        batch,
        gpuId: gpu.id,
        gpuCount: count,
        tensorParallel: tp,
      }),
    [choice, engine, weights, kv, ctx, batch, gpu, count, tp],
  );
  const e = r.estimate.ok ? r.estimate.value : null;
  const chart = useMemo(() => {
    if (!e) return null;
    const rows: StackRow[] = [];
    for (const d of e.devices)
      for (const p of PARTS)
        if (d.bytes[p] > 0)
          rows.push({ bar: d.name, part: PILE_LABEL[p], bytes: d.bytes[p], color: PILE_COLOR[p] });
    return stackedBytesChart({
      id: "planner-devices",
      title: `Memory per GPU for ${choice.spec.id} on ${count} × ${gpu.id}`,
      rows,
      // The estimate's own capacity: the total the driver reports where the engine fits into it.
      capacityBytes: e.devices[0]?.capacityBytes ?? gpu.memoryBytes,
      capacityLabel: `${gpu.id} capacity`,
      unit,
    });
  }, [e, choice, count, gpu, unit]);
  const search = useMemo(
    () => paretoPlan(choice, { gpuId: gpu.id, gpuCount: count, contextLength: ctx, concurrency: batch }),
    [choice, gpu, count, ctx, batch],
  );
  const goalWords = `${fmtInt(ctx)} tokens × ${fmtInt(batch)} sequences on ${count} × ${gpu.id}`;
  const pareto = useMemo(
    () =>
      search.ok
        ? paretoChart({
            points: search.value.front.map((c) => ({
              label: candidateLabel(c),
              peakDeviceBytes: c.peakDeviceBytes,
              decodeTokensPerSecond: c.decodeTokensPerSecond,
              perplexityDelta: c.perplexityDelta,
            })),
            capacityBytes: gpu.memoryBytes,
            gpuName: gpu.id,
            goal: goalWords,
            unit,
          })
        : null,
    [search, gpu, goalWords, unit],
  );

  return (
    <div class="planner">
      <h1 tabIndex={-1} class="page-title">
        Planner
      </h1>
      <p class="lead">
        One deployment question, answered by core's <code>estimate()</code>: memory per GPU, whether it fits,
        the longest context and the most concurrent sequences that fit, roofline speed, and single changes
        ranked by what they save.
      </p>
      <form class="planner-form" onSubmit={(ev) => ev.preventDefault()} aria-label="Scenario">
        <ModelPicker id="pl-model" />
        <Select
          id="pl-engine"
          label="Engine"
          value={engine}
          options={INFERENCE_ENGINES.map((x) => ({
            value: x,
            label: engines.includes(x) ? x : `${x} (not modelled yet)`,
          }))}
          onChange={setEngine}
        />
        <Select
          id="pl-weights"
          label="Weights"
          value={weights}
          options={[
            { value: "", label: "As published" },
            ...weightNames.map((n) => ({ value: n, label: n })),
          ]}
          onChange={setWeights}
        />
        <Select
          id="pl-kv"
          label="KV cache dtype"
          value={kv}
          options={kvOptions.map((k) => ({ value: k, label: k }))}
          onChange={setKv}
        />
        <NumberField
          id="pl-ctx"
          label="Context length (tokens)"
          value={ctx}
          min={1}
          max={1 << 24}
          onChange={setCtx}
        />
        <NumberField
          id="pl-batch"
          label="Concurrent sequences"
          value={batch}
          min={1}
          max={65536}
          onChange={setBatch}
        />
        <GpuPicker id="pl-gpu" />
        <NumberField id="pl-count" label="GPU count" value={count} min={1} max={64} onChange={setCount} />
        <NumberField id="pl-tp" label="Tensor parallel" value={tp} min={1} max={count} onChange={setTp} />
        <UnitSwitch />
      </form>
      {!r.estimate.ok ? (
        <Problem>
          <span data-testid="planner-error">{r.estimate.message}</span>
        </Problem>
      ) : null}
      {e && chart ? (
        <section class="results" aria-labelledby="results-h">
          <h2 id="results-h">Answer</h2>
          <div class="stats">
            <Stat label="Fits" value={e.fits} testid="planner-fits" tone={e.fits ? "good" : "bad"} />
            <Stat
              label="Busiest GPU"
              value={Math.max(...e.devices.map((d) => d.bytes.total))}
              text={`${fmtBytes(Math.max(...e.devices.map((d) => d.bytes.total)), unit)} of ${fmtBytes(e.devices[0]?.capacityBytes ?? gpu.memoryBytes, unit)}`}
              testid="planner-peak"
            />
            <Stat
              label={`Max context at batch ${batch}`}
              value={e.maxContextLength}
              text={e.maxContextLength === null ? "none" : `${fmtInt(e.maxContextLength)} tokens`}
              testid="planner-max-context"
            />
            <Stat
              label={`Max sequences at ${fmtInt(ctx)} tokens`}
              value={e.maxConcurrentSequences}
              text={fmtInt}
              testid="planner-max-batch"
            />
            <Stat
              label="KV per token"
              value={e.kvBytesPerToken}
              text={`${fmtInt(e.kvBytesPerToken)} B`}
              testid="planner-kv-token"
            />
            <Stat
              label="Prefill"
              value={e.performance.prefillTokensPerSecond}
              text={formatRate}
              testid="planner-prefill"
            />
            <Stat
              label={`Decode (${e.performance.bound}-bound)`}
              value={e.performance.decodeTokensPerSecond}
              text={formatRate}
              testid="planner-decode"
            />
            <Stat
              label="Time to first token"
              value={e.performance.timeToFirstTokenSeconds}
              text={formatSeconds}
              testid="planner-ttft"
            />
          </div>
          <Chart spec={chart} />
          <h3>Every way to serve it: the Pareto front</h3>
          {search.ok && pareto ? (
            <>
              <p class="detail" data-testid="planner-search">
                Core's <code>planDeployment</code> searched{" "}
                <span data-testid="planner-search-count" data-value={search.value.candidatesEvaluated}>
                  {fmtInt(search.value.candidatesEvaluated)}
                </span>{" "}
                candidates (engine × weights × KV dtype × TP/PP split × batch) for {goalWords} in{" "}
                <span data-testid="planner-search-ms" data-value={search.value.searchMilliseconds}>
                  {fmtInt(search.value.searchMilliseconds)} ms
                </span>
                . Each numbered point is one configuration at {fmtInt(batch)} sequences that no other beats on
                memory per GPU, decode speed and quality cost (the published perplexity increase of its weight
                format) all at once; the table below names them. {PARETO_SEARCH_NOTE} Ask{" "}
                <code>memlens plan</code> for it.
              </p>
              <Chart spec={pareto} />
              {search.value.front.length > 0 ? (
                <div class="table-scroll">
                  <table class="pareto-table figures-table" data-testid="planner-pareto">
                    <caption class="visually-hidden">Configurations on the Pareto front</caption>
                    <thead>
                      <tr>
                        <th scope="col">#</th>
                        <th scope="col">Configuration (engine · weights · KV cache · split)</th>
                        <th scope="col">Memory per GPU</th>
                        <th scope="col">Decode</th>
                        <th scope="col">Quality cost</th>
                      </tr>
                    </thead>
                    <tbody>
                      {search.value.front.map((c, i) => (
                        <tr key={candidateLabel(c)}>
                          <th scope="row">{i + 1}</th>
                          <td class="cfg">{candidateLabel(c)}</td>
                          <td>{fmtBytes(c.peakDeviceBytes, unit)}</td>
                          <td>{formatRate(c.decodeTokensPerSecond)}</td>
                          <td>
                            <i class="swatch" style={{ background: qualityBand(c.perplexityDelta).color }} />
                            {c.perplexityDelta === null
                              ? "not published"
                              : c.perplexityDelta === 0
                                ? "none (16-bit weights)"
                                : `+${Number(c.perplexityDelta.toPrecision(2))} ppl`}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : null}
            </>
          ) : (
            <p>{search.ok ? null : search.message}</p>
          )}
          <h3>What to change</h3>
          {r.changes.ok && r.changes.value.length > 0 ? (
            <ol class="changes" data-testid="planner-changes">
              {r.changes.value.map((c) => (
                <li key={c.description}>
                  <span>{changeAction(c.description)}</span>
                  {c.changesGoal ? <span class="chip">changes the goal</span> : null}
                  <span class="change-figures">
                    <span
                      data-testid="change-saved"
                      data-value={c.memorySavedBytes}
                      class={c.memorySavedBytes > 0 ? "good" : c.memorySavedBytes < 0 ? "bad" : ""}
                    >
                      {c.memorySavedBytes > 0
                        ? `saves ${fmtBytes(c.memorySavedBytes, unit)} on the busiest GPU`
                        : c.memorySavedBytes < 0
                          ? `costs ${fmtBytes(-c.memorySavedBytes, unit)} more on the busiest GPU`
                          : "no memory change"}
                    </span>
                    <span
                      data-testid="change-speed"
                      data-value={c.decodeSpeedup}
                      class={c.decodeSpeedup >= 1.005 ? "good" : c.decodeSpeedup <= 0.995 ? "bad" : ""}
                    >
                      {speedWords(c.decodeSpeedup)}
                    </span>
                    <span data-testid="change-quality" data-value={c.perplexityDelta ?? ""}>
                      {c.perplexityDelta === null
                        ? "quality cost not published"
                        : c.perplexityDelta === 0
                          ? "no quality cost"
                          : `+${Number(c.perplexityDelta.toPrecision(2))} perplexity (WikiText-2)`}
                    </span>
                  </span>
                </li>
              ))}
            </ol>
          ) : (
            <p>{r.changes.ok ? "No single change in core's ladders fits better." : r.changes.message}</p>
          )}
          <h3>Notes</h3>
          <ul class="notes" data-testid="planner-notes">
            {e.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
          <details>
            <summary>
              Scenario JSON (for <code>memlens estimate</code>)
            </summary>
            <pre>{JSON.stringify(r.scenario, null, 2)}</pre>
          </details>
        </section>
      ) : null}
    </div>
  );
}
