// Interaction to updated chart in the knowledge base, in headless Chromium (a benchmark, not a test).
// For each widget it moves one control many times and measures, inside the page, the time from the
// input event to the widget's chart being re-rendered and the next animation frame (layout + paint
// scheduled). Target: p95 < 50 ms. Needs the built site: `npm run build -w @memlens/web` (or
// `npm run build`), and /usr/bin/chromium (apt-get install -y chromium).
//   node bench/web-interaction.mjs [rounds-per-control, default 40]
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
const dist = resolve(here, "../packages/web/dist");
const rounds = Number(process.argv[2] ?? 40);
const chromiumPath = process.env.MEMLENS_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(join(dist, "index.html"))) {
  console.error(`${dist}/index.html is missing: run npm run build first`);
  process.exit(1);
}
if (!existsSync(chromiumPath)) {
  console.error(`${chromiumPath} is missing: apt-get install -y chromium`);
  process.exit(1);
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  const file = normalize(join(dist, path === "/" ? "index.html" : path));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile())
    return res.writeHead(404).end();
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/`;

// page, widget, control (range: positions cycled; select: values cycled)
const CASES = [
  { page: "/t/fundamentals", widget: "w-piles", id: "piles-ctx", kind: "range", values: [2, 4, 6, 8, 5, 3] },
  {
    page: "/t/weights",
    widget: "w-weights",
    id: "weights-format",
    kind: "select",
    values: ["Q4_K_M", "nf4", "fp8", "Q8_0", "awq", "bf16"],
  },
  { page: "/t/kv-cache", widget: "w-kv", id: "kv-ctx", kind: "range", values: [3, 5, 7, 9, 6, 4] },
  { page: "/t/attention", widget: "w-attention", id: "attn-n", kind: "range", values: [2, 4, 6, 8, 5, 3] },
  {
    page: "/t/inference",
    widget: "w-paging",
    id: "pg-requests",
    kind: "range",
    values: [4, 10, 16, 22, 12, 6],
  },
  { page: "/t/training", widget: "w-zero", id: "zero-gpus", kind: "range", values: [0, 2, 4, 6, 3, 1] },
  {
    page: "/t/hardware",
    widget: "w-hierarchy",
    id: "gpu-picker",
    kind: "select",
    values: ["H100-SXM-80GB", "M4-Max-128GB", "RTX-4090", "MI300X", "L4-24GB", "A100-80GB"],
  },
  {
    page: "/t/agent-memory",
    widget: "w-context",
    id: "cw-turns",
    kind: "range",
    values: [4, 12, 20, 30, 40, 8],
  },
  {
    page: "/t/architectures",
    widget: "w-growth",
    id: "growth-ctx",
    kind: "range",
    values: [0, 2, 4, 5, 3, 1],
  },
  {
    page: "/planner",
    widget: null,
    id: "pl-kv",
    kind: "select",
    values: ["auto", "bf16", "fp16", "auto", "bf16", "fp32"],
  },
];

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.on("pageerror", (e) => console.error("page error:", e.message));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const all = [];
const rows = [];
for (const c of CASES) {
  await page.goto(`${base}#${c.page}`);
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[data-chart-host]")].every((el) => el.dataset.version !== undefined),
  );
  const times = await page.evaluate(
    async ({ c, rounds }) => {
      const scope = c.widget ? document.querySelector(`[data-widget="${c.widget}"]`) : document;
      const hosts = [...scope.querySelectorAll("[data-chart-host]")];
      const el = document.getElementById(c.id);
      const versions = () => hosts.map((h) => h.dataset.version).join(",");
      const out = [];
      for (let i = 0; i < rounds; i++) {
        const v = c.values[i % c.values.length];
        if (String(el.value) === String(v)) continue;
        const before = versions();
        const t0 = performance.now();
        el.value = String(v);
        el.dispatchEvent(new Event(c.kind === "range" ? "input" : "change", { bubbles: true }));
        // wait for a chart in the widget to re-render, then for the next frame
        const ok = await new Promise((done) => {
          const timer = setTimeout(() => done(false), 3000);
          const check = () => {
            if (versions() === before) return requestAnimationFrame(check);
            clearTimeout(timer);
            done(true);
          };
          queueMicrotask(check);
        });
        await new Promise((r) => requestAnimationFrame(() => r()));
        if (ok) out.push(performance.now() - t0);
        else out.push(Number.NaN);
      }
      return out;
    },
    { c, rounds },
  );
  const missed = times.filter((t) => Number.isNaN(t)).length;
  if (missed > 0)
    console.error(`${c.page} #${c.id}: ${missed} interactions did not re-render a chart within 3 s`);
  times.splice(0, times.length, ...times.filter((t) => !Number.isNaN(t)));
  process.stderr.write(`${c.page} #${c.id} done\n`);
  all.push(...times);
  rows.push({
    widget: `${c.page} #${c.id}`,
    n: times.length,
    p50: pct(times, 50),
    p95: pct(times, 95),
    max: Math.max(...times),
  });
}
await browser.close();
server.close();

const f = (x) => x.toFixed(1).padStart(7);
console.log("interaction → updated chart (ms), headless Chromium, 1280 px");
console.log(`${"control".padEnd(38)}     n     p50     p95     max`);
for (const r of rows)
  console.log(`${r.widget.padEnd(38)} ${String(r.n).padStart(5)} ${f(r.p50)} ${f(r.p95)} ${f(r.max)}`);
const p95 = pct(all, 95);
console.log(
  `${"all".padEnd(38)} ${String(all.length).padStart(5)} ${f(pct(all, 50))} ${f(p95)} ${f(Math.max(...all))}`,
);
console.log(`p95 ${p95.toFixed(1)} ms — target < 50 ms: ${p95 < 50 ? "met" : "NOT met"}`);
