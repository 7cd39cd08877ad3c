/** ChartSpec → Observable Plot SVG. The only module that touches Plot. */
import { areaY, barX, barY, dot, lineY, plot, ruleX, ruleY, text } from "@observablehq/plot";
import { fmtTokens } from "../lib/format.js";
import type { AxisSpec, ChartSpec, MarkSpec, TickFormat } from "./spec.js";

const MARKS = { barX, barY, lineY, dot, ruleX, ruleY, text, areaY } as const;

const trim = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(3))));

const FORMATS: Record<TickFormat, (v: number) => string> = {
  tokens: (v) => fmtTokens(v),
  "bytes-unit": trim,
  plain: trim,
  si: (v) => {
    const abs = Math.abs(v);
    if (abs >= 1e12) return `${trim(v / 1e12)}T`;
    if (abs >= 1e9) return `${trim(v / 1e9)}G`;
    if (abs >= 1e6) return `${trim(v / 1e6)}M`;
    if (abs >= 1e3) return `${trim(v / 1e3)}k`;
    return trim(v);
  },
};

function axis(a: AxisSpec | undefined): Record<string, unknown> | undefined {
  if (!a) return undefined;
  const o: Record<string, unknown> = {};
  if (a.label !== undefined) o.label = a.label;
  if (a.type !== undefined) o.type = a.type;
  if (a.domain !== undefined) o.domain = [...a.domain];
  if (a.grid !== undefined) o.grid = a.grid;
  if (a.nice !== undefined) o.nice = a.nice;
  if (a.padding !== undefined) o.padding = a.padding;
  if (a.base !== undefined) o.base = a.base;
  if (a.ticks !== undefined) o.ticks = typeof a.ticks === "number" ? a.ticks : [...a.ticks];
  if (a.tickFormat !== undefined) o.tickFormat = FORMATS[a.tickFormat];
  return o;
}

function toMark(m: MarkSpec) {
  const make = MARKS[m.type] as (data: unknown, options: Record<string, unknown>) => unknown;
  return make(m.data, { ...m.options });
}

/** Renders a spec at `width` CSS pixels. */
export function renderChart(spec: ChartSpec, width: number): SVGSVGElement | HTMLElement {
  const x = axis(spec.x);
  const y = axis(spec.y);
  const margins: Record<string, number> = {};
  if (spec.marginLeft !== undefined) margins.marginLeft = spec.marginLeft;
  if (spec.marginRight !== undefined) margins.marginRight = spec.marginRight;
  if (spec.marginBottom !== undefined) margins.marginBottom = spec.marginBottom;
  if (spec.marginTop !== undefined) margins.marginTop = spec.marginTop;
  const el = plot({
    width,
    height: spec.height,
    ariaLabel: spec.ariaLabel,
    ariaDescription: spec.summary,
    ...margins,
    style: { background: "transparent", fontSize: "12px", overflow: "visible" },
    color: { type: "identity" },
    opacity: { type: "identity" },
    ...(x ? { x } : {}),
    ...(y ? { y } : {}),
    marks: spec.marks.map(toMark) as never,
  });
  // One accessible image per chart: the SVG is role="img" with Plot's aria-label, and the
  // figcaption next to it carries the figures as text. Plot's per-mark aria-labels on <g>
  // elements without a role are not allowed by ARIA (axe: aria-prohibited-attr), so drop them.
  el.setAttribute("role", "img");
  for (const g of el.querySelectorAll("g[aria-label]")) g.removeAttribute("aria-label");
  return el;
}
