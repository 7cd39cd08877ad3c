/** Labelled, keyboard-operable controls. Every control has a visible label and a stable id. */
import type { ComponentChildren } from "preact";

export function Field({
  id,
  label,
  children,
  hint,
}: {
  id: string;
  label: string;
  children: ComponentChildren;
  hint?: string;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A slider over a list of values (log-spaced contexts, powers of two...). */
export function StepSlider({
  id,
  label,
  values,
  value,
  onChange,
  format,
}: {
  id: string;
  label: string;
  values: readonly number[];
  value: number;
  onChange: (v: number) => void;
  format: (v: number) => string;
}) {
  let idx = values.findIndex((v) => v >= value);
  if (idx === -1) idx = values.length - 1;
  return (
    <div class="field slider">
      <label for={id}>
        {label}: <strong>{format(values[idx]!)}</strong>
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={values.length - 1}
        step={1}
        value={idx}
        aria-valuetext={format(values[idx]!)}
        onInput={(e) => onChange(values[Number((e.currentTarget as HTMLInputElement).value)]!)}
      />
    </div>
  );
}

export function RangeSlider({
  id,
  label,
  min,
  max,
  value,
  onChange,
  format,
  step = 1,
}: {
  id: string;
  label: string;
  min: number;
  max: number;
  value: number;
  onChange: (v: number) => void;
  format: (v: number) => string;
  step?: number;
}) {
  return (
    <div class="field slider">
      <label for={id}>
        {label}: <strong>{format(value)}</strong>
      </label>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        aria-valuetext={format(value)}
        onInput={(e) => onChange(Number((e.currentTarget as HTMLInputElement).value))}
      />
    </div>
  );
}

export interface Option<T extends string> {
  readonly value: T;
  readonly label: string;
}

export function Select<T extends string>({
  id,
  label,
  value,
  options,
  groups,
  onChange,
}: {
  id: string;
  label: string;
  value: T;
  options?: readonly Option<T>[];
  groups?: readonly { label: string; options: readonly Option<T>[] }[];
  onChange: (v: T) => void;
}) {
  return (
    <Field id={id} label={label}>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value as T)}
      >
        {options?.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
        {groups?.map((g) => (
          <optgroup key={g.label} label={g.label}>
            {g.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </Field>
  );
}

/** A segmented choice: a radio group (arrow keys move between options). */
export function Segmented<T extends string>({
  name,
  legend,
  value,
  options,
  onChange,
}: {
  name: string;
  legend: string;
  value: T;
  options: readonly Option<T>[];
  onChange: (v: T) => void;
}) {
  return (
    <fieldset class="segmented">
      <legend>{legend}</legend>
      <div class="segmented-options">
        {options.map((o) => (
          <label key={o.value} class={o.value === value ? "on" : ""}>
            <input
              type="radio"
              name={name}
              value={o.value}
              checked={o.value === value}
              onChange={() => onChange(o.value)}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function statText<V>(value: V | null, text: string | ((value: V) => string) | undefined): string {
  if (typeof text === "string") return text;
  if (value === null) return "—";
  if (text) return text(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/**
 * A figure read from core: the raw number in data-value, the formatted text shown. `text` is the
 * text itself or how to format `value` (a missing value shows "—"); a yes/no figure is a boolean,
 * written 1 or 0 and shown "yes" or "no" unless `text` says more.
 */
export function Stat<V extends number | string | boolean>({
  label,
  value,
  text,
  testid,
  tone,
}: {
  label: string;
  value: V | null;
  text?: string | ((value: V) => string);
  testid: string;
  tone?: "good" | "bad" | "neutral" | undefined;
}) {
  const raw = value === null ? "" : typeof value === "boolean" ? (value ? "1" : "0") : String(value);
  return (
    <div class={`stat ${tone ?? ""}`}>
      <span class="stat-label">{label}</span>
      <output class="stat-value" data-testid={testid} data-value={raw}>
        {statText(value, text)}
      </output>
    </div>
  );
}

export function Widget({
  id,
  title,
  sub,
  children,
  data,
}: {
  id: string;
  title: string;
  sub: string;
  children: ComponentChildren;
  /** Extra data-* attributes (inputs a test reads back, e.g. the demo request lengths). */
  data?: Record<string, string>;
}) {
  const extra = Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, v]));
  return (
    <section class="widget" id={id} aria-labelledby={`${id}-title`} data-widget={id} {...extra}>
      <h3 id={`${id}-title`}>{title}</h3>
      <p class="widget-sub">{sub}</p>
      {children}
    </section>
  );
}

export function Problem({ children }: { children: ComponentChildren }) {
  return (
    <p class="problem" role="status">
      {children}
    </p>
  );
}

export function Note({ children }: { children: ComponentChildren }) {
  return <p class="note">{children}</p>;
}
