/** Chart specs as data: every value a chart draws equals core's figure in the axis unit. */
import {
  catalogModelSpec,
  estimateKvCache,
  estimateWeights,
  findGpu,
  GIB,
  paretoFront,
  parseWeightFormat,
  planDeployment,
} from "@memlens/core";
import { describe, expect, it } from "vitest";
import { kvLayout } from "../compute/kv.js";
import { candidateLabel, PARETO_ENGINES, paretoPlan } from "../compute/planner.js";
import { weightsView } from "../compute/weights.js";
import { catalogChoice } from "../lib/models.js";
import {
  curveChart,
  labelledBytesChart,
  paretoChart,
  powerTicks,
  qualityBand,
  stackedBytesChart,
  weightsByFormatChart,
} from "./charts.js";

const spec = catalogModelSpec("meta-llama/Llama-3.1-8B");
const rtx = findGpu("RTX-4090");

describe("chart specs", () => {
  it("weights by format: one bar per format, value = core's bytes in GiB, capacity rule", () => {
    const v = weightsView(spec, "Q4_K_M");
    const chart = weightsByFormatChart({
      rows: v.rows,
      selected: "Q4_K_M",
      capacityBytes: rtx.memoryBytes,
      gpuName: rtx.id,
      modelName: spec.id,
      unit: "gib",
    });
    const bars = chart.marks.find((m) => m.type === "barX")!;
    for (const row of bars.data) {
      const expected = estimateWeights(spec, parseWeightFormat(String(row.format), spec)).totalBytes / GIB;
      expect(row.value).toBe(expected);
    }
    expect(bars.data.find((r) => r.format === "Q4_K_M")?.opacity).toBe(1);
    const rule = chart.marks.find((m) => m.type === "ruleX")!;
    expect(rule.data[0]?.value).toBe(24);
    // sorted largest first
    const values = bars.data.map((r) => Number(r.value));
    expect([...values].sort((a, b) => b - a)).toEqual(values);
  });

  it("KV curve: points are core's estimateKvCache in GB, with power-of-two ticks", () => {
    const points = [1024, 4096, 16384].map((t) => ({
      series: spec.id,
      tokens: t,
      bytes: estimateKvCache(spec, t, 1, kvLayout("bf16")).totalBytes,
      color: "#000",
    }));
    const chart = curveChart({
      id: "kv",
      title: "t",
      points,
      unit: "gb",
      yLabel: "KV",
      marker: 4096,
      reference: { label: "weights", bytes: 16e9 },
    });
    const line = chart.marks.find((m) => m.type === "lineY")!;
    expect(line.data.map((d) => d.value)).toEqual(points.map((p) => p.bytes / 1e9));
    expect(chart.x?.ticks).toEqual([1024, 4096, 16384]);
    expect(chart.summary).toContain("16.0 GB");
    expect(chart.legend?.map((l) => l.label)).toEqual([spec.id, "weights"]);
  });

  it("stacked piles: totals are the sum of the segments, summary names every part", () => {
    const chart = stackedBytesChart({
      id: "s",
      title: "t",
      rows: [
        { bar: "Inference", part: "Weights", bytes: 3 * GIB, color: "#1" },
        { bar: "Inference", part: "KV cache", bytes: GIB, color: "#2" },
      ],
      capacityBytes: 24 * GIB,
      unit: "gib",
    });
    const text = chart.marks.find((m) => m.type === "text")!;
    expect(text.data[0]).toMatchObject({ value: 4, label: "4.0 GiB" });
    expect(chart.summary).toBe(
      "Inference: 4.0 GiB (Weights 3.0 GiB, KV cache 1.0 GiB). Capacity: 24.0 GiB (dashed line).",
    );
  });

  it("labelled bars keep their order and dim the others", () => {
    const c = labelledBytesChart({
      id: "k",
      title: "t",
      unit: "gib",
      xLabel: "KV",
      bars: [
        { label: "a", bytes: GIB, color: "#1", highlight: true },
        { label: "b", bytes: 2 * GIB, color: "#2", highlight: false },
      ],
    });
    expect(c.y?.domain).toEqual(["a", "b"]);
    expect(c.marks[0]!.data.map((d) => d.opacity)).toEqual([1, 0.45]);
  });

  it("power ticks", () => {
    expect(powerTicks(256, 131072)).toEqual([256, 1024, 4096, 16384, 65536]);
    expect(powerTicks(1000, 5000, 1)).toEqual([1024, 2048, 4096]);
  });
});

describe("planner Pareto chart", () => {
  const id = "meta-llama/Llama-3.1-70B";
  const model = catalogChoice(id);
  const h100 = findGpu("H100-SXM-80GB");
  const form = { gpuId: h100.id, gpuCount: 2, contextLength: 8192, concurrency: 32 };
  const r = paretoPlan(model, form);
  if (!r.ok) throw new Error(r.message);
  const front = r.value.front;

  it("draws core's planDeployment front: one point per configuration, none dominated", () => {
    const core = planDeployment({
      model: model.spec,
      gpu: h100.id,
      gpuCount: 2,
      engines: PARETO_ENGINES,
      goal: { kind: "serve", contextLength: 8192, concurrency: 32 },
    });
    expect(r.value.candidatesEvaluated).toBe(core.candidatesEvaluated);
    expect(front.length).toBeGreaterThanOrEqual(2);
    // every point is a candidate of core's front, at the goal's concurrency, and the set is its own front
    for (const c of front) expect(core.pareto).toContainEqual(c);
    expect(front.every((c) => c.batch === 32 && c.contextLength === 8192 && c.fits)).toBe(true);
    expect(paretoFront(front)).toHaveLength(front.length);
    expect(new Set(front.map(candidateLabel)).size).toBe(front.length);
  });

  it("x = core's peak bytes per GPU in GiB, y = core's decode tokens/s, colour = quality band", () => {
    const chart = paretoChart({
      points: front.map((c) => ({
        label: candidateLabel(c),
        peakDeviceBytes: c.peakDeviceBytes,
        decodeTokensPerSecond: c.decodeTokensPerSecond,
        perplexityDelta: c.perplexityDelta,
      })),
      capacityBytes: h100.memoryBytes,
      gpuName: h100.id,
      goal: "8,192 tokens × 32 sequences",
      unit: "gib",
    });
    const dots = chart.marks.filter((m) => m.type === "dot").flatMap((m) => m.data);
    expect(dots.map((d) => ({ x: d.x, y: d.y, color: d.color }))).toEqual(
      expect.arrayContaining(
        front.map((c) => ({
          x: c.peakDeviceBytes / GIB,
          y: c.decodeTokensPerSecond,
          color: qualityBand(c.perplexityDelta).color,
        })),
      ),
    );
    expect(dots).toHaveLength(front.length);
    expect(chart.x?.domain).toEqual([0, h100.memoryBytes / GIB]);
    // every configuration is numbered exactly once, and its tooltip names it
    const numbers = chart.marks
      .filter((m) => m.type === "text")
      .flatMap((m) => m.data.filter((d) => "y" in d).flatMap((d) => String(d.text).split(", ")));
    expect(numbers.map(Number).sort((a, b) => a - b)).toEqual(front.map((_, i) => i + 1));
    for (const [i, c] of front.entries())
      expect(dots.filter((d) => String(d.title).startsWith(`${i + 1}. ${candidateLabel(c)}:`))).toHaveLength(
        1,
      );
    expect(chart.legend?.length).toBeGreaterThan(0);
  });

  it("points closer than 3% of both axes share one label and nest their dots, larger first", () => {
    const p = (label: string, gib: number, speed: number, ppl: number) => ({
      label,
      peakDeviceBytes: gib * GIB,
      decodeTokensPerSecond: speed,
      perplexityDelta: ppl,
    });
    const chart = paretoChart({
      points: [p("a", 45, 2400, 0.13), p("b", 44.9, 2400, 0.4), p("c", 10, 100, 0)],
      capacityBytes: 80 * GIB,
      gpuName: "H100",
      goal: "g",
      unit: "gib",
    });
    const labels = chart.marks
      .filter((m) => m.type === "text")
      .flatMap((m) => m.data.filter((d) => "y" in d).map((d) => d.text));
    expect(labels.sort()).toEqual(["1, 2", "3"]);
    const dotMarks = chart.marks.filter((m) => m.type === "dot");
    expect(dotMarks.map((m) => [m.options.r, m.data.map((d) => String(d.title).slice(0, 1))])).toEqual([
      [8, ["1"]],
      [5, ["2", "3"]],
    ]);
    expect(chart.legend?.map((l) => l.label)).toEqual([
      "≤ 0.05 ppl (no visible loss)",
      "0.05–0.25 ppl",
      "0.25–1 ppl",
    ]);
    expect(qualityBand(null).label).toBe("not published");
    expect(qualityBand(0).color).toBe(qualityBand(0.05).color);
  });
});
