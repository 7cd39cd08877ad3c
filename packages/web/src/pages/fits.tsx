/** "What runs on my GPU": core's whatFits sweep in the Web Worker, a sortable table and a chart. */
import {
  engineNames,
  FITS_DEFAULT_CONTEXT,
  FITS_RANKING,
  type FitsResult,
  formatRate,
  MODEL_ROWS,
  modelFamily,
} from "@memlens/core";
import { useEffect, useMemo, useState } from "preact/hooks";
import { paretoChart, qualityBand } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, Problem, Select } from "../components/controls.js";
import { GpuPicker } from "../components/pickers.js";
import {
  type AdapterInfo,
  type FitsSortKey,
  matchAdapter,
  plannerHref,
  sortEntries,
} from "../compute/fits.js";
import { fmtBytes, fmtInt, fmtPercent } from "../lib/format.js";
import { setGpu, useGpu, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";
import { createSimClient, type SimClient } from "../worker/sim-client.js";
import "./serving.css";
import "./fits.css";

type SweepState =
  | { readonly kind: "running"; readonly fraction: number }
  | { readonly kind: "done"; readonly result: FitsResult; readonly elapsedMs: number }
  | { readonly kind: "error"; readonly message: string };

const CONTEXTS = ["2048", "4096", "8192", "16384", "32768", "65536", "131072"] as const;
const FLOORS = ["0", "5", "10", "20", "50"] as const;
/**
 * "all", then every catalog family (core's modelFamily) in alphabetical order. Built on first
 * render, not at module load: the catalog rows arrive with the catalog chunk (main.tsx).
 */
let families: readonly string[] | undefined;
const familyChoices = (): readonly string[] =>
  (families ??= [
    "all",
    ...[...new Set(MODEL_ROWS.map((r) => modelFamily(r.id)))].sort((a, b) => a.localeCompare(b)),
  ]);

/** WebGPU's adapter info, where the browser exposes one; null otherwise. */
async function detectAdapter(): Promise<AdapterInfo | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return null;
  const adapter = (await gpu.requestAdapter()) as { info?: Partial<AdapterInfo> } | null;
  const info = adapter?.info;
  if (!info) return null;
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
  };
}

function DetectButton() {
  const [said, setSaid] = useState<string | null>(null);
  const detect = async () => {
    try {
      const info = await detectAdapter();
      if (!info) {
        setSaid("This browser exposes no WebGPU adapter: pick the GPU from the list.");
        return;
      }
      const hit = matchAdapter(info);
      const what = [info.vendor, info.architecture, info.description].filter((s) => s !== "").join(" · ");
      if (hit) {
        setGpu(hit.id);
        setSaid(`Detected ${hit.name} (the browser reports: ${what}).`);
      } else
        setSaid(
          `The browser reports ${what || "an adapter with no name"}, which was not recognised in the catalog: pick the GPU from the list.`,
        );
    } catch (e) {
      setSaid(
        `WebGPU did not answer (${e instanceof Error ? e.message : String(e)}): pick the GPU from the list.`,
      );
    }
  };
  return (
    <p class="fits-detect">
      <button type="button" onClick={() => void detect()} data-testid="fits-detect">
        Detect my GPU
      </button>{" "}
      {said ? <span data-testid="fits-detected">{said}</span> : null}
    </p>
  );
}

const COLUMNS: readonly { key: FitsSortKey; label: string; numeric: boolean }[] = [
  { key: "rank", label: "#", numeric: true },
  { key: "model", label: "Model", numeric: false },
  { key: "params", label: "Params", numeric: true },
  { key: "maxContext", label: "Max context", numeric: true },
  { key: "decode", label: "Decode", numeric: true },
  { key: "quality", label: "Δ ppl", numeric: true },
  { key: "bytes", label: "Memory", numeric: true },
];

export function FitsPage() {
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const engines = engineNames();
  const [engine, setEngine] = useEnumParam("f.e", "llama.cpp", engines);
  const [ctx, setCtx] = useEnumParam<(typeof CONTEXTS)[number]>(
    "f.ctx",
    String(FITS_DEFAULT_CONTEXT) as "4096",
    CONTEXTS,
  );
  const [floor, setFloor] = useEnumParam<(typeof FLOORS)[number]>("f.min", "0", FLOORS);
  const [count, setCount] = useIntParam("f.n", 1, 1, 8);
  const [family, setFamily] = useEnumParam("f.fam", "all", familyChoices());
  const [sort, setSort] = useState<{ key: FitsSortKey; desc: boolean }>({ key: "rank", desc: false });
  const [client, setClient] = useState<SimClient | null>(null);
  const [state, setState] = useState<SweepState>({ kind: "running", fraction: 0 });

  useEffect(() => {
    const c = createSimClient();
    setClient(c);
    return () => c.dispose();
  }, []);

  useEffect(() => {
    if (!client) return;
    setState({ kind: "running", fraction: 0 });
    const request = {
      gpu: gpu.id,
      gpuCount: count,
      engine,
      contextLength: Number(ctx),
      minDecodeTokensPerSecond: Number(floor),
      ...(family === "all" ? {} : { family }),
    };
    void client
      .run({ kind: "fits", request }, (p) => setState({ kind: "running", fraction: p.fraction }))
      .then((o) => {
        if (o.kind === "done" && o.result.kind === "fits")
          setState({ kind: "done", result: o.result.result, elapsedMs: o.result.elapsedMs });
        else if (o.kind === "error") setState({ kind: "error", message: o.message });
      });
  }, [client, gpu, engine, ctx, floor, count, family]);

  const result = state.kind === "done" ? state.result : null;
  const rows = useMemo(
    () => (result ? sortEntries(result.entries, sort.key, sort.desc) : []),
    [result, sort],
  );
  const chart = useMemo(() => {
    if (!result) return null;
    // each model once, at its best-ranked format, so the chart spans small to large models;
    // x is the whole model's memory, so partly offloaded models sit past the capacity line
    const seen = new Set<string>();
    const top = result.entries.filter((e) => e.fits && !seen.has(e.model) && seen.add(e.model)).slice(0, 60);
    return paretoChart({
      id: "fits-chart",
      pointsAre: "the models that run (best format each)",
      // with several GPUs the capacity line is per GPU, so the axis stays per GPU there
      xAxis: count === 1 ? "model" : "per-gpu",
      points: top.map((e) => ({
        label: `${e.model} · ${e.weights}${e.gpuLayers !== e.totalLayers ? ` · ${e.gpuLayers}/${e.totalLayers} layers` : ""}`,
        peakDeviceBytes: count === 1 ? e.bytes + e.hostBytes : e.bytes,
        decodeTokensPerSecond: e.decodeTokensPerSecond,
        perplexityDelta: e.qualityCost,
      })),
      capacityBytes: gpu.memoryBytes,
      gpuName: `${count} × ${gpu.id}`,
      goal: `${fmtInt(Number(ctx))} tokens`,
      unit,
    });
  }, [result, gpu, count, ctx, unit]);

  const header = (c: (typeof COLUMNS)[number]) => {
    const active = sort.key === c.key;
    return (
      <th
        key={c.key}
        scope="col"
        aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"}
        class={c.numeric ? "num" : undefined}
      >
        <button
          type="button"
          class="fits-sort"
          data-testid={`fits-sort-${c.key}`}
          onClick={() => setSort({ key: c.key, desc: active ? !sort.desc : c.numeric && c.key !== "rank" })}
        >
          {c.label}
          {active ? (sort.desc ? " ▼" : " ▲") : ""}
        </button>
      </th>
    );
  };

  return (
    <article class="page serving-page fits-page">
      <h1 class="page-title" tabIndex={-1}>
        What runs on my GPU
      </h1>
      <p class="lede">
        Every catalog model in every weight format the engine loads, swept on your GPU in a Web Worker: the
        longest context with every layer on the GPU, the layers llama.cpp keeps on it when not all fit, decode
        speed and the published quality cost of the format. Open a row in the planner to change anything.
      </p>
      <section class="fits-controls" aria-label="Hardware and goal">
        <GpuPicker id="fits-gpu" />
        <DetectButton />
        <Select
          id="fits-engine"
          label="Engine"
          value={engine}
          options={engines.map((e) => ({ value: e, label: e }))}
          onChange={setEngine}
        />
        <Select
          id="fits-count"
          label="GPUs"
          value={String(count)}
          options={["1", "2", "4", "8"].map((n) => ({ value: n, label: n }))}
          onChange={(v) => setCount(Number(v))}
        />
        <Select
          id="fits-family"
          label="Family"
          value={family}
          options={familyChoices().map((f) => ({ value: f, label: f === "all" ? "every family" : f }))}
          onChange={setFamily}
        />
        <Select
          id="fits-ctx"
          label="Context (tokens)"
          value={ctx}
          options={CONTEXTS.map((c) => ({ value: c, label: fmtInt(Number(c)) }))}
          onChange={setCtx}
        />
        <Select
          id="fits-floor"
          label="Decode at least"
          value={floor}
          options={FLOORS.map((f) => ({ value: f, label: f === "0" ? "any speed" : `${f} tokens/s` }))}
          onChange={setFloor}
        />
      </section>
      {state.kind === "running" ? (
        <p class="sv-progress" role="status">
          <label for="fits-progress">Sweeping the catalog</label>
          <progress id="fits-progress" max={1} value={state.fraction} data-testid="fits-progress" />
          <span aria-hidden="true">{fmtPercent(state.fraction)}</span>
        </p>
      ) : null}
      {state.kind === "error" ? <Problem>{state.message}</Problem> : null}
      {result && state.kind === "done" ? (
        <>
          <p class="fits-summary" data-testid="fits-summary">
            {fmtInt(result.entries.filter((e) => e.fits).length)} model × format pairs run at{" "}
            {fmtInt(result.contextLength)} tokens on {result.gpuCount} × {result.gpu} with {result.engine} (of{" "}
            {fmtInt(result.evaluated)} tried, in {Math.round(state.elapsedMs)} ms).
          </p>
          {chart ? <Chart spec={chart} /> : null}
          <p class="fits-rule">Ranked: {FITS_RANKING}. Click a column to sort.</p>
          <div class="sv-table-scroll">
            <table class="figures-table fits-table" data-testid="fits-table">
              <caption>Model × weight format pairs that run</caption>
              <thead>
                <tr>
                  {COLUMNS.slice(0, 2).map(header)}
                  <th scope="col">Weights</th>
                  {COLUMNS.slice(2).map(header)}
                  <th scope="col">GPU layers</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => {
                  const rank = result.entries.indexOf(e) + 1;
                  const band = qualityBand(e.qualityCost);
                  return (
                    <tr
                      key={`${e.model}/${e.weights}`}
                      class={e.fits && e.meetsSpeedFloor ? undefined : "fits-dim"}
                    >
                      <td class="num">{rank}</td>
                      <td>
                        <a
                          href={plannerHref(e, result.gpu, result.gpuCount, result.concurrency)}
                          data-testid="fits-open"
                        >
                          {e.model.slice(e.model.indexOf("/") + 1)}
                        </a>
                      </td>
                      <td>{e.weights}</td>
                      <td class="num">{(e.parameters / 1e9).toFixed(e.parameters < 1e10 ? 1 : 0)} B</td>
                      <td class="num">{e.maxContext === null ? "–" : fmtInt(e.maxContext)}</td>
                      <td class="num">{formatRate(e.decodeTokensPerSecond)}</td>
                      <td class="num" title={band.label}>
                        {e.qualityCost === null ? "?" : e.qualityCost.toFixed(3)}
                      </td>
                      <td class="num">{fmtBytes(e.bytes, unit)}</td>
                      <td>
                        {e.gpuLayers === null
                          ? "–"
                          : e.gpuLayers === e.totalLayers
                            ? "all"
                            : `${e.gpuLayers} of ${e.totalLayers}`}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {result.skipped.length > 0 ? (
            <Note>
              Not modelled for {result.engine}: {result.skipped.map((s) => s.model).join(", ")}.
            </Note>
          ) : null}
          {result.notes
            .filter((n) => !n.startsWith("Ranked:"))
            .map((n) => (
              <Note key={n}>{n}</Note>
            ))}
        </>
      ) : null}
    </article>
  );
}
