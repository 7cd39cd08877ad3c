/**
 * Charts as data: every chart is a pure function from core's figures to a ChartSpec (plain
 * objects, no functions, no DOM), tested without a browser; `render.ts` turns a spec into an
 * Observable Plot SVG. Values are in the unit the axis label names (GiB, GB, tokens, seconds).
 */

export type MarkType = "barX" | "barY" | "lineY" | "dot" | "ruleX" | "ruleY" | "text" | "areaY";

/** Named tick formatters (specs stay data; render.ts maps names to functions). */
export type TickFormat = "tokens" | "bytes-unit" | "plain" | "si";

export type Row = Readonly<Record<string, string | number | boolean | null>>;

export interface MarkSpec {
  readonly type: MarkType;
  readonly data: readonly Row[];
  /** Plot mark options whose values are field names or constants. */
  readonly options: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AxisSpec {
  readonly label?: string | null;
  readonly type?: "linear" | "log" | "band" | "point";
  readonly domain?: readonly (string | number)[];
  readonly tickFormat?: TickFormat;
  readonly grid?: boolean;
  readonly nice?: boolean;
  readonly ticks?: number | readonly number[];
  readonly padding?: number;
  /** Log base: 2 for token and GiB axes, so every power-of-two tick keeps its label. */
  readonly base?: number;
}

export interface ChartSpec {
  /** Stable id (tests and the benchmark find charts by it). */
  readonly id: string;
  /** What the chart shows, for screen readers (Plot's aria-label). */
  readonly ariaLabel: string;
  /** The chart's main figures in words: the text alternative shown under it. */
  readonly summary: string;
  readonly height: number;
  readonly marginLeft?: number;
  readonly marginRight?: number;
  readonly marginBottom?: number;
  readonly marginTop?: number;
  readonly x?: AxisSpec;
  readonly y?: AxisSpec;
  readonly marks: readonly MarkSpec[];
  /** Colour key drawn as an HTML list under the chart (Plot's own legends are not used). */
  readonly legend?: readonly { readonly label: string; readonly color: string }[];
}

export const mark = (
  type: MarkType,
  data: readonly Row[],
  options: Readonly<Record<string, string | number | boolean | null>>,
): MarkSpec => ({ type, data, options });
