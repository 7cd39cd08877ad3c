/** Renders a ChartSpec with Observable Plot, at the width of its container. */
import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { renderChart } from "../charts/render.js";
import type { ChartSpec } from "../charts/spec.js";

export function Chart({ spec }: { spec: ChartSpec }) {
  const host = useRef<HTMLDivElement>(null);
  const version = useRef(0);
  const [width, setWidth] = useState(0);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const ro = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      setWidth((old) => (Math.abs(old - w) >= 4 ? w : old));
    });
    ro.observe(el);
    setWidth(Math.floor(el.clientWidth));
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = host.current;
    if (!el || width <= 0) return;
    el.replaceChildren(renderChart(spec, width));
    version.current++;
    el.dataset.version = String(version.current);
  }, [spec, width]);

  return (
    <figure class="chart" data-chart={spec.id}>
      <div class="chart-host" ref={host} data-chart-host={spec.id} />
      {spec.legend && spec.legend.length > 0 ? (
        <ul class="legend-list inline chart-legend">
          {spec.legend.map((l) => (
            <li key={l.label}>
              <i style={{ background: l.color }} aria-hidden="true" />
              {l.label}
            </li>
          ))}
        </ul>
      ) : null}
      <figcaption class="chart-summary">{spec.summary}</figcaption>
    </figure>
  );
}

/**
 * Marks an HTML visual (a grid, a strip) as a chart for tests and the benchmark: its
 * data-version counts the renders that reached the DOM, like Chart's.
 */
export function useRenderVersion<T extends HTMLElement>(): RefObject<T | null> {
  const ref = useRef<T>(null);
  const version = useRef(0);
  useLayoutEffect(() => {
    version.current++;
    if (ref.current) ref.current.dataset.version = String(version.current);
  });
  return ref;
}
