/**
 * Serving capacity: one vLLM instance under a generated workload, simulated by core's serving
 * simulator in a Web Worker. The KV pool is core's vLLM start-up estimate, step times core's
 * roofline; the page shows latency percentiles, KV use over time and a capacity sweep.
 */
import { formatRate, formatSeconds, vllmLoggedConcurrency } from "@memlens/core";
import type { LatencySummary } from "@memlens/core/sim";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  type CapacityPoint,
  capacityThroughputChart,
  capacityTtftChart,
  kvUsageChart,
  trimRate,
} from "../charts/serving-charts.js";
import { Chart } from "../components/chart.js";
import { Field, Note, Problem, Segmented, Select, Stat } from "../components/controls.js";
import { Link } from "../components/link.js";
import { GpuPicker, ModelPicker } from "../components/pickers.js";
import {
  LENGTH_SPREADS,
  type LengthSpread,
  SERVING_KV_DTYPES,
  SHARED_PREFIX_GROUPS,
  servingSetup,
  sweepRates,
} from "../compute/serving.js";
import { fmtInt, fmtPercent } from "../lib/format.js";
import { useGpu, useModel } from "../state/selection.js";
import { useBoolParam, useEnumParam, useIntParam } from "../state/store.js";
import { createSimClient, type SimClient } from "../worker/sim-client.js";
import type { RunResult, SweepPoint } from "../worker/sim-job.js";
import "./serving.css";

const opts = <T extends string>(values: readonly T[], label: (v: T) => string = (v) => v) =>
  values.map((value) => ({ value, label: label(value) }));

const TP = ["1", "2", "4", "8"] as const;
const SEQS = ["16", "32", "64", "128", "256", "512", "1024"] as const;
const MODEL_LENS = ["2048", "4096", "8192", "16384", "32768"] as const;
const BLOCK_SIZES = ["16", "32", "64"] as const;
const REQUESTS = ["100", "250", "500", "1000", "2000", "5000"] as const;
const RATES = ["0.25", "0.5", "1", "2", "3", "4", "6", "8", "12", "16", "24", "32", "48", "64"] as const;
const PROMPTS = ["128", "256", "512", "1024", "2048", "4096"] as const;
const OUTPUTS = ["32", "64", "128", "256", "512", "1024"] as const;
const SYSTEM_PROMPTS = ["0", "256", "512", "1024", "2048"] as const;
const SPREAD_LABEL: Record<LengthSpread, string> = {
  fixed: "Fixed (every request the median)",
  "lognormal-0.5": "Log-normal, σ 0.5",
  "lognormal-1": "Log-normal, σ 1 (long tail)",
};

/** Milliseconds of quiet after the last control change before a run starts. */
const DEBOUNCE_MS = 150;

type RunState =
  | { readonly kind: "idle" }
  /** `previous`: the last finished run, shown (dimmed) until this one replaces it. */
  | { readonly kind: "running"; readonly fraction: number; readonly previous: RunResult | null }
  | { readonly kind: "done"; readonly result: RunResult }
  | { readonly kind: "error"; readonly message: string };

type SweepState =
  | { readonly kind: "idle" }
  | { readonly kind: "running"; readonly fraction: number; readonly points: readonly SweepPoint[] }
  | { readonly kind: "done"; readonly points: readonly SweepPoint[]; readonly elapsedMs: number }
  | { readonly kind: "error"; readonly message: string };

/** One simulator channel for the life of the page (a worker each; disposed on leaving). */
function useSimClient(): SimClient | null {
  const [client, setClient] = useState<SimClient | null>(null);
  useEffect(() => {
    const c = createSimClient();
    setClient(c);
    return () => c.dispose();
  }, []);
  return client;
}

function LatencyTable({ m }: { m: RunResult["metrics"] }) {
  // Short row names keep the table within a phone's width; the title spells them out.
  const rows: [string, string, LatencySummary, string][] = [
    ["TTFT", "Time to first token", m.ttftSeconds, "ttft"],
    ["TPOT", "Time per output token", m.tpotSeconds, "tpot"],
    ["E2E", "End to end", m.e2eSeconds, "e2e"],
    ["Queue", "Queueing: arrival to first scheduled", m.queueingSeconds, "queue"],
  ];
  return (
    <div class="sv-table-scroll">
      <table class="sv-latency figures-table" data-testid="sv-latency">
        <caption>Latency over the {fmtInt(m.completedRequests)} completed requests</caption>
        <thead>
          <tr>
            <th scope="col">Latency</th>
            <th scope="col">p50</th>
            <th scope="col">p90</th>
            <th scope="col">p99</th>
            <th scope="col">mean</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([short, long, s, key]) => (
            <tr key={key}>
              <th scope="row">
                <abbr title={long}>{short}</abbr>
              </th>
              {(["p50", "p90", "p99", "mean"] as const).map((p) => (
                <td key={p} data-testid={`sv-${key}-${p}`} data-value={String(s[p])}>
                  {formatSeconds(s[p])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Progress({ id, fraction, label }: { id: string; fraction: number; label: string }) {
  return (
    <p class="sv-progress" role="status">
      <label for={id}>{label}</label>
      <progress id={id} max={1} value={fraction} data-testid={id} />
      <span aria-hidden="true">{fmtPercent(fraction)}</span>
    </p>
  );
}

const lastResult = (r: RunState): RunResult | null =>
  r.kind === "done" ? r.result : r.kind === "running" ? r.previous : null;

const capacityPoint = (p: SweepPoint): CapacityPoint => ({
  ratePerSecond: p.ratePerSecond,
  ttftP99Seconds: p.metrics.ttftSeconds.p99,
  ttftP50Seconds: p.metrics.ttftSeconds.p50,
  throughputTokensPerSecond: p.metrics.throughputTokensPerSecond,
});

export function ServingPage() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [tp, setTp] = useEnumParam("sv.tp", "1", TP);
  const [kv, setKv] = useEnumParam("sv.kv", "auto", SERVING_KV_DTYPES);
  const [seqs, setSeqs] = useEnumParam("sv.seqs", "256", SEQS);
  const [modelLen, setModelLen] = useEnumParam("sv.len", "8192", MODEL_LENS);
  const [blockSize, setBlockSize] = useEnumParam("sv.bs", "16", BLOCK_SIZES);
  const [caching, setCaching] = useBoolParam("sv.pc", true);
  const [requests, setRequests] = useEnumParam("sv.n", "1000", REQUESTS);
  const [rate, setRate] = useEnumParam("sv.rate", "3", RATES);
  const [prompt, setPrompt] = useEnumParam("sv.in", "1024", PROMPTS);
  const [output, setOutput] = useEnumParam("sv.out", "256", OUTPUTS);
  const [spread, setSpread] = useEnumParam<LengthSpread>("sv.sp", "lognormal-0.5", LENGTH_SPREADS);
  const [system, setSystem] = useEnumParam("sv.sys", "512", SYSTEM_PROMPTS);
  const [seed, setSeed] = useIntParam("sv.seed", 1, 0, 1_000_000);

  const setup = useMemo(
    () =>
      servingSetup({
        model: choice,
        gpu,
        tensorParallel: Number(tp),
        kvCache: kv,
        maxNumSeqs: Number(seqs),
        maxModelLen: Number(modelLen),
        blockSize: Number(blockSize),
        enablePrefixCaching: caching,
        requests: Number(requests),
        ratePerSecond: Number(rate),
        promptMedianTokens: Number(prompt),
        outputMedianTokens: Number(output),
        lengthSpread: spread,
        sharedPrefixTokens: Number(system),
        seed,
      }),
    [
      choice,
      gpu,
      tp,
      kv,
      seqs,
      modelLen,
      blockSize,
      caching,
      requests,
      rate,
      prompt,
      output,
      spread,
      system,
      seed,
    ],
  );

  const runClient = useSimClient();
  const sweepClient = useSimClient();
  const [run, setRun] = useState<RunState>({ kind: "idle" });
  const [sweep, setSweep] = useState<SweepState>({ kind: "idle" });
  const runToken = useRef(0);

  // Every change of the setup starts a fresh run (after a short quiet period); the client makes
  // the previous one stale. The sweep belongs to the old setup: stop it and clear it.
  useEffect(() => {
    sweepClient?.cancel();
    setSweep({ kind: "idle" });
    if (!runClient || !setup.ok) {
      runClient?.cancel();
      setRun({ kind: "idle" });
      return;
    }
    const token = ++runToken.current;
    setRun((r) => ({ kind: "running", fraction: 0, previous: lastResult(r) }));
    const timer = setTimeout(() => {
      void runClient
        .run({ kind: "run", job: setup.value.job }, (p) => {
          if (runToken.current === token)
            setRun((r) => ({ kind: "running", fraction: p.fraction, previous: lastResult(r) }));
        })
        .then((o) => {
          if (runToken.current !== token) return;
          if (o.kind === "done" && o.result.kind === "run") setRun({ kind: "done", result: o.result });
          else if (o.kind === "error") setRun({ kind: "error", message: o.message });
        });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [setup, runClient, sweepClient]);

  const startSweep = () => {
    if (!sweepClient || !setup.ok) return;
    const rates = sweepRates(Number(rate));
    const points: SweepPoint[] = [];
    setSweep({ kind: "running", fraction: 0, points });
    void sweepClient
      .run({ kind: "sweep", job: setup.value.job, ratesPerSecond: rates }, (p) => {
        if (p.point) points.push(p.point);
        setSweep({ kind: "running", fraction: p.fraction, points: [...points] });
      })
      .then((o) => {
        if (o.kind === "done" && o.result.kind === "sweep")
          setSweep({ kind: "done", points: o.result.points, elapsedMs: o.result.elapsedMs });
        else if (o.kind === "error") setSweep({ kind: "error", message: o.message });
      });
  };

  const result = lastResult(run);
  const m = result?.metrics ?? null;
  const kvChart = useMemo(
    () =>
      result
        ? kvUsageChart({
            id: "sv-kv-usage",
            title: `KV cache in use over the simulated run, ${choice.spec.id} on ${gpu.id}`,
            timeSeconds: result.timeSeries.timeSeconds,
            kvCacheUsage: result.timeSeries.kvCacheUsage,
            mean: result.metrics.kvCacheUsage.mean,
            peak: result.metrics.kvCacheUsage.peak,
          })
        : null,
    [result, choice, gpu],
  );
  const sweepPoints = sweep.kind === "running" || sweep.kind === "done" ? sweep.points : [];
  const sweepCharts = useMemo(() => {
    if (sweepPoints.length === 0) return null;
    const points = sweepPoints.map(capacityPoint);
    return {
      ttft: capacityTtftChart({
        id: "sv-capacity-ttft",
        title: "Time to first token against arrival rate",
        points,
        chosenRate: Number(rate),
      }),
      throughput: capacityThroughputChart({
        id: "sv-capacity-throughput",
        title: "Output throughput against arrival rate",
        points,
        chosenRate: Number(rate),
      }),
    };
  }, [sweepPoints, rate]);

  const s = setup.ok ? setup.value : null;
  // vLLM's start-up, typed, as the setup computed it.
  const startup = s?.startup ?? null;
  const tpN = Number(tp);

  return (
    <div class="planner serving">
      <h1 tabIndex={-1} class="page-title">
        Serving capacity
      </h1>
      <p class="lead">
        How much traffic can one vLLM server take before people wait? Memory sets how many requests fit in the
        KV cache at once; the scheduler turns that into waiting time. This page simulates the server request
        by request, in a background thread of your browser.
      </p>

      <form class="planner-form" onSubmit={(ev) => ev.preventDefault()} aria-label="Server and workload">
        <ModelPicker id="sv-model" />
        <GpuPicker id="sv-gpu" />
        <Select id="sv-tp" label="GPUs (tensor parallel)" value={tp} options={opts(TP)} onChange={setTp} />
        <Select
          id="sv-kv"
          label="KV cache dtype"
          value={kv}
          options={opts(SERVING_KV_DTYPES)}
          onChange={setKv}
        />
        <Select id="sv-seqs" label="max-num-seqs" value={seqs} options={opts(SEQS)} onChange={setSeqs} />
        <Select
          id="sv-len"
          label="max-model-len (tokens)"
          value={modelLen}
          options={opts(MODEL_LENS, (v) => fmtInt(Number(v)))}
          onChange={setModelLen}
        />
        <Select
          id="sv-bs"
          label="Block size (tokens)"
          value={blockSize}
          options={opts(BLOCK_SIZES)}
          onChange={setBlockSize}
        />
        <Segmented
          name="sv-pc"
          legend="Prefix caching"
          value={caching ? "on" : "off"}
          options={[
            { value: "on", label: "On" },
            { value: "off", label: "Off" },
          ]}
          onChange={(v) => setCaching(v === "on")}
        />
        <Select
          id="sv-n"
          label="Requests"
          value={requests}
          options={opts(REQUESTS, (v) => fmtInt(Number(v)))}
          onChange={setRequests}
        />
        <Select
          id="sv-rate"
          label="Arrival rate (requests/s, Poisson)"
          value={rate}
          options={opts(RATES)}
          onChange={setRate}
        />
        <Select
          id="sv-in"
          label="Prompt length, median (tokens)"
          value={prompt}
          options={opts(PROMPTS, (v) => fmtInt(Number(v)))}
          onChange={setPrompt}
        />
        <Select
          id="sv-out"
          label="Output length, median (tokens)"
          value={output}
          options={opts(OUTPUTS, (v) => fmtInt(Number(v)))}
          onChange={setOutput}
        />
        <Select
          id="sv-sp"
          label="Length spread"
          value={spread}
          options={opts(LENGTH_SPREADS, (v) => SPREAD_LABEL[v])}
          onChange={setSpread}
        />
        <Select
          id="sv-sys"
          label={`Shared system prompt (tokens, ${SHARED_PREFIX_GROUPS} variants)`}
          value={system}
          options={opts(SYSTEM_PROMPTS, (v) => (v === "0" ? "None" : fmtInt(Number(v))))}
          onChange={setSystem}
        />
        <Field id="sv-seed" label="Seed" hint="Same seed, same requests">
          <input
            id="sv-seed"
            type="number"
            inputMode="numeric"
            min={0}
            max={1_000_000}
            step={1}
            value={seed}
            aria-describedby="sv-seed-hint"
            onChange={(ev) => {
              const n = Number((ev.currentTarget as HTMLInputElement).value);
              if (Number.isInteger(n) && n >= 0 && n <= 1_000_000) setSeed(n);
              else (ev.currentTarget as HTMLInputElement).value = String(seed);
            }}
          />
        </Field>
      </form>

      {!setup.ok ? (
        <Problem>
          <span data-testid="sv-error">{setup.message}</span>
        </Problem>
      ) : null}

      {s && startup ? (
        <section class="results" aria-labelledby="sv-pool-h">
          <h2 id="sv-pool-h">The KV pool</h2>
          <p>
            vLLM sizes its cache once, at start-up: of the memory it may use (gpu_memory_utilization, 0.9 by
            default) it takes what the weights, the activation peak of a profiling pass and a non-torch
            reserve leave, and cuts it into blocks of {blockSize} tokens. Core's estimate for {choice.spec.id}{" "}
            on {tpN} × {gpu.id}:
          </p>
          <div class="stats">
            <Stat
              label="KV blocks (num_gpu_blocks)"
              value={s.numGpuBlocks}
              text={fmtInt(s.numGpuBlocks)}
              testid="sv-kv-blocks"
            />
            <Stat
              label="Tokens the pool holds"
              value={startup.kvCacheTokens}
              text={fmtInt(startup.kvCacheTokens)}
              testid="sv-kv-tokens"
            />
            <Stat
              label={`Full-length requests at once (${fmtInt(Number(modelLen))} tokens)`}
              value={vllmLoggedConcurrency(startup)}
              text={`${vllmLoggedConcurrency(startup).toFixed(2)}×`}
              testid="sv-max-concurrency"
            />
            <Stat
              label="Token budget per step"
              value={s.maxNumBatchedTokens}
              text={fmtInt(s.maxNumBatchedTokens)}
              testid="sv-batched-tokens"
            />
          </div>
        </section>
      ) : null}

      {s ? (
        <section class="results" aria-labelledby="sv-run-h">
          <h2 id="sv-run-h">One run</h2>
          <p>
            {fmtInt(Number(requests))} requests arrive at {rate} per second on average (Poisson), with prompts
            around {fmtInt(Number(prompt))} tokens and answers around {fmtInt(Number(output))}
            {Number(system) > 0
              ? `; each prompt opens with one of ${SHARED_PREFIX_GROUPS} system prompts of ${fmtInt(Number(system))} tokens`
              : ""}
            .
          </p>
          <div
            class="sv-status"
            data-testid="sv-status"
            data-state={run.kind}
            data-mode={runClient?.mode ?? ""}
          >
            {run.kind === "running" ? (
              <Progress id="sv-run-progress" fraction={run.fraction} label="Simulating" />
            ) : null}
            {run.kind === "error" ? <Problem>{run.message}</Problem> : null}
          </div>
          {m && result ? (
            <div class={run.kind === "running" ? "sv-stale" : ""}>
              <div class="stats">
                <Stat
                  label="Completed requests"
                  value={m.completedRequests}
                  text={`${fmtInt(m.completedRequests)} of ${fmtInt(m.completedRequests + m.rejectedRequests)}`}
                  testid="sv-completed"
                  tone={m.rejectedRequests === 0 ? "good" : "bad"}
                />
                <Stat
                  label="Output throughput"
                  value={m.throughputTokensPerSecond}
                  text={formatRate(m.throughputTokensPerSecond)}
                  testid="sv-throughput"
                />
                <Stat
                  label="Requests served per second"
                  value={m.requestsPerSecond}
                  text={formatRate(m.requestsPerSecond, "req/s")}
                  testid="sv-rps"
                />
                <Stat
                  label="KV blocks in use, mean / peak"
                  value={m.kvCacheUsage.peak}
                  text={`${fmtPercent(m.kvCacheUsage.mean)} / ${fmtPercent(m.kvCacheUsage.peak)}`}
                  testid="sv-kv-usage"
                />
                <Stat
                  label="Preemptions"
                  value={m.preemptions}
                  text={fmtInt(m.preemptions)}
                  testid="sv-preemptions"
                  tone={m.preemptions === 0 ? "good" : "bad"}
                />
                <Stat
                  label="Prefix cache hit rate"
                  value={m.prefixCacheHitRate}
                  text={fmtPercent(m.prefixCacheHitRate, 1)}
                  testid="sv-prefix-hit"
                />
              </div>
              <LatencyTable m={m} />
              {kvChart ? <Chart spec={kvChart} /> : null}
              <p class="sv-timing">
                Simulated {fmtInt(m.completedRequests)} requests ({fmtInt(m.steps)} engine steps,{" "}
                {formatSeconds(m.durationSeconds)} of server time) in{" "}
                <output data-testid="sv-elapsed" data-value={String(result.elapsedMs)}>
                  {fmtInt(result.elapsedMs)} ms
                </output>{" "}
                {runClient?.mode === "worker" ? "in a Web Worker" : "on the page's thread"}.
              </p>
            </div>
          ) : null}
        </section>
      ) : null}

      {s ? (
        <section class="results" aria-labelledby="sv-sweep-h">
          <h2 id="sv-sweep-h">Capacity curve</h2>
          <p>
            The same requests again at {sweepRates(Number(rate)).map(trimRate).join(", ")} requests per
            second. Below capacity, time to first token stays near the time to prefill one prompt; past it,
            the queue grows for as long as requests keep arriving and the tail explodes while throughput
            levels off.
          </p>
          <div class="buttons">
            <button
              type="button"
              class="btn"
              data-testid="sv-sweep-run"
              disabled={sweep.kind === "running" || !sweepClient}
              onClick={startSweep}
            >
              Run the sweep ({sweepRates(Number(rate)).length} simulations)
            </button>
          </div>
          <div class="sv-status" data-testid="sv-sweep-status" data-state={sweep.kind}>
            {sweep.kind === "running" ? (
              <Progress id="sv-sweep-progress" fraction={sweep.fraction} label="Sweeping" />
            ) : null}
            {sweep.kind === "error" ? <Problem>{sweep.message}</Problem> : null}
          </div>
          {sweepCharts ? (
            <>
              <Chart spec={sweepCharts.ttft} />
              <Chart spec={sweepCharts.throughput} />
            </>
          ) : null}
          {sweep.kind === "done" ? (
            <p class="sv-timing">
              {sweep.points.length} simulations in{" "}
              <output data-testid="sv-sweep-elapsed" data-value={String(sweep.elapsedMs)}>
                {fmtInt(sweep.elapsedMs)} ms
              </output>
              .
            </p>
          ) : null}
        </section>
      ) : null}

      <section aria-labelledby="sv-how-h">
        <h2 id="sv-how-h">What is simulated</h2>
        <ul class="sv-list">
          <li>
            <strong>Continuous batching.</strong> Every step, vLLM's scheduler fills a token budget: one token
            for each running request, then chunks of waiting prompts. Finished requests leave at once and
            waiting ones take their place, so the batch never drains the way a static batch does.
          </li>
          <li>
            <strong>Paged KV cache.</strong> Each request holds whole blocks; a new block is taken only when
            the last one fills, so waste is at most one partly filled block per request (the{" "}
            <Link to={{ kind: "topic", slug: "inference" }}>inference article</Link> draws it).
          </li>
          <li>
            <strong>Preemption.</strong> When a running request needs a block and none is free, the newest
            running request gives up all of its blocks and goes back to the queue; its tokens are computed
            again later. Preemptions are the sign that the cache, not the GPU's speed, is the limit.
          </li>
          <li>
            <strong>Prefix caching.</strong> Full blocks are remembered by a hash of their tokens. A request
            whose prompt starts with the same blocks (a shared system prompt) reuses them instead of computing
            and storing them again; the hit rate is the share of prompt tokens found this way.
          </li>
          <li>
            <strong>Step time.</strong> Each step takes as long as the slower of reading the weights and the
            KV it attends to from memory, and doing its arithmetic, at 90 % of peak bandwidth and 70 % of peak
            FLOP/s (core's roofline defaults).
          </li>
        </ul>
        <h3>Reading the numbers</h3>
        <p>
          <strong>TTFT</strong> runs from arrival to the first generated token: queueing plus prefill.{" "}
          <strong>TPOT</strong> is the average gap between later tokens, the speed a reader sees.{" "}
          <strong>E2E</strong> is arrival to last token. p99 is the latency one request in a hundred exceeds,
          the figure service-level targets are usually written against.
        </p>
        <Note>
          A roofline has no launch, scheduling or sampling overhead and no tensor-parallel all-reduce time, so
          absolute latencies here are optimistic, most of all for small models (an MoE step reads only the
          experts its tokens are routed to, uniform routing assumed). Measured against two recorded vLLM 0.19
          runs of Llama-3.1-8B on one GPU, this roofline alone lands median TTFT and TPOT within 3 % (RTX
          4090) and 9 % (RTX PRO 6000); on two PCIe GPUs with tensor parallelism (Qwen3-32B) it is about a
          third too fast: it charges nothing for the all-reduces and per-step work it leaves out.
        </Note>
      </section>
    </div>
  );
}
