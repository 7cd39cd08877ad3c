/** Chart specs as data: every value a chart draws equals core's figure in the axis unit. */
import {
  catalogModelSpec,
  estimateKvCache,
  estimateWeights,
  findGpu,
  GIB,
  parseWeightFormat,
} from "@memlens/core";
import { describe, expect, it } from "vitest";
import { kvLayout } from "../compute/kv.js";
import { weightsView } from "../compute/weights.js";
import {
  curveChart,
  labelledBytesChart,
  powerTicks,
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
