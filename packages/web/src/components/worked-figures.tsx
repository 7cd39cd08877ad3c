/** Seed 002's worked figures, recomputed by core (always in decimal GB, as the seed states them). */
import { formatDecimalBytes } from "@memlens/core";
import { workedFigures } from "../compute/worked-figures.js";
import type { TopicSlug } from "../content/topic-slugs.js";
import { fmtInt } from "../lib/format.js";

function show(value: number, unit: string): string {
  switch (unit) {
    case "bytes":
      return formatDecimalBytes(value, 1);
    case "B":
      return `${fmtInt(value)} bytes`;
    case "ms":
      return `${value.toFixed(1)} ms`;
    default:
      return `${value.toFixed(1)} tok/s`;
  }
}

export function WorkedFigures({ topic }: { topic: TopicSlug }) {
  const rows = workedFigures(topic);
  if (rows.length === 0) return null;
  return (
    <aside class="worked" aria-labelledby={`wf-${topic}`}>
      <h3 id={`wf-${topic}`}>Worked figures, recomputed</h3>
      <p class="widget-sub">
        The classic back-of-the-envelope numbers, each computed live by the memlens engine.
      </p>
      <dl>
        {rows.map((r) => (
          <div key={r.id} class="wf-row">
            <dt>{r.what}</dt>
            <dd data-testid={r.id} data-value={r.value}>
              {show(r.value, r.unit)}
            </dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
