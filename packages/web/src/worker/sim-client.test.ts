import { catalogModelSpec, estimate, findGpu } from "@memlens/core";
import { describe, expect, it } from "vitest";
import { type ServingInput, servingSetup, sweepRates } from "../compute/serving.js";
import { catalogChoice } from "../lib/models.js";
import { createSimClient, type WorkerLike } from "./sim-client.js";
import {
  runSimJob,
  type SimJob,
  type SimProgress,
  type SimWorkerRequest,
  type SimWorkerResponse,
} from "./sim-job.js";

const MODEL = "meta-llama/Llama-3.1-8B";
const choice = catalogChoice(MODEL);

const input = (over: Partial<ServingInput> = {}): ServingInput => ({
  model: choice,
  gpu: findGpu("RTX-4090"),
  tensorParallel: 1,
  kvCache: "auto",
  maxNumSeqs: 64,
  maxModelLen: 8192,
  blockSize: 16,
  enablePrefixCaching: true,
  requests: 200,
  ratePerSecond: 4,
  promptMedianTokens: 512,
  outputMedianTokens: 128,
  lengthSpread: "lognormal-0.5",
  sharedPrefixTokens: 256,
  seed: 7,
  ...over,
});

function setupOf(over: Partial<ServingInput> = {}) {
  const s = servingSetup(input(over));
  if (!s.ok) throw new Error(s.message);
  return s.value;
}

describe("serving setup: the KV pool is core's vLLM estimate", () => {
  it("numGpuBlocks equals estimate() with engine vllm for the same settings", () => {
    const s = setupOf();
    const e = estimate({
      model: { id: MODEL },
      engine: "vllm",
      task: "inference",
      kvCache: "auto",
      contextLength: 8192,
      batch: 64,
      hardware: { gpu: "RTX-4090", count: 1 },
      parallel: { tensor: 1, pipeline: 1 },
      engineOptions: { blockSize: 16, enablePrefixCaching: true },
    });
    expect(s.numGpuBlocks).toBe(e.engine.numGpuBlocks);
    expect(s.numGpuBlocks).toBeGreaterThan(1000);
    expect(s.job.serving.kvCache.numGpuBlocks).toBe(s.numGpuBlocks);
    // fp8 KV doubles the blocks the same memory holds (about; activations stay the same).
    const fp8 = setupOf({ kvCache: "fp8" });
    expect(fp8.numGpuBlocks / s.numGpuBlocks).toBeGreaterThan(1.9);
    expect(fp8.job.step.params.kvBytesPerToken).toBe(s.job.step.params.kvBytesPerToken / 2);
  });

  it("says why when vLLM would not start (a 70B model on one 24 GB card)", () => {
    const s = servingSetup(
      input({ model: { ...choice, key: "x", spec: catalogModelSpec("meta-llama/Llama-3.1-70B") } }),
    );
    expect(s.ok).toBe(false);
  });

  it("sweeps the chosen rate times fixed factors", () => {
    expect(sweepRates(2)).toEqual([0.5, 1, 1.5, 2, 3, 4, 6, 8]);
  });
});

describe("serving setup across architectures: every request completes on core's pool", () => {
  it.each([
    ["meta-llama/Llama-3.1-70B", "H100-SXM-80GB", 4], // dense GQA under TP
    ["Qwen/Qwen3-30B-A3B", "H100-SXM-80GB", 1], // MoE
    ["deepseek-ai/DeepSeek-V2-Lite", "A100-80GB", 1], // MLA
    ["openai/gpt-oss-20b", "H100-SXM-80GB", 1], // sliding-window groups, MXFP4 experts
    ["Qwen/Qwen3-Next-80B-A3B-Thinking", "H100-SXM-80GB", 4], // hybrid linear attention
  ])("%s on %s × %i", async (id, gpu, tp) => {
    const s = servingSetup(
      input({ model: catalogChoice(id), gpu: findGpu(gpu), tensorParallel: tp, requests: 60 }),
    );
    if (!s.ok) throw new Error(s.message);
    expect(s.value.job.step.params.weightBytes).toBeGreaterThan(0);
    expect(s.value.job.step.params.attentionFlopsPerPair).toBeGreaterThan(0);
    const o = await createSimClient().run({ kind: "run", job: s.value.job });
    if (o.kind !== "done" || o.result.kind !== "run") throw new Error(JSON.stringify(o));
    expect(o.result.metrics.completedRequests).toBe(60);
    expect(o.result.metrics.kvCacheBlocks).toBe(s.value.numGpuBlocks);
  });
});

describe("sim client, inline fallback (no Worker in Node)", () => {
  it("runs a job inline: every configured request completes on core's pool, progress rises to 1", async () => {
    const s = setupOf();
    const sim = createSimClient();
    expect(sim.mode).toBe("inline");
    const seen: number[] = [];
    const o = await sim.run({ kind: "run", job: s.job }, (p) => seen.push(p.fraction));
    expect(o.kind).toBe("done");
    if (o.kind !== "done" || o.result.kind !== "run") throw new Error("no run result");
    const m = o.result.metrics;
    expect(m.completedRequests).toBe(200);
    expect(m.rejectedRequests).toBe(0);
    expect(m.kvCacheBlocks).toBe(s.numGpuBlocks);
    expect(m.prefixCacheHitRate).toBeGreaterThan(0);
    expect(o.result.timeSeries.kvCacheUsage.length).toBeGreaterThan(10);
    expect(seen.at(-1)).toBe(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    // Same job, same numbers (the simulator is deterministic).
    const again = await sim.run({ kind: "run", job: s.job });
    expect(again.kind === "done" && again.result.kind === "run" && again.result.metrics).toEqual(m);
  });

  it("a newer run makes the older one stale: it settles as cancelled, the newer one completes", async () => {
    const s = setupOf();
    const sim = createSimClient();
    const first = sim.run({ kind: "run", job: s.job });
    const second = sim.run({ kind: "run", job: { ...s.job, workload: { ...s.job.workload, requests: 50 } } });
    expect(await first).toEqual({ kind: "cancelled" });
    const o = await second;
    expect(o.kind === "done" && o.result.kind === "run" && o.result.metrics.completedRequests).toBe(50);
  });

  it("sweeps arrival rates with a point per rate; cancel stops a sweep between points", async () => {
    const s = setupOf({ requests: 100 });
    const sim = createSimClient();
    const rates = sweepRates(4);
    const points: number[] = [];
    const o = await sim.run({ kind: "sweep", job: s.job, ratesPerSecond: rates }, (p) => {
      if (p.point) points.push(p.point.ratePerSecond);
    });
    if (o.kind !== "done" || o.result.kind !== "sweep") throw new Error("no sweep result");
    expect(points).toEqual(rates);
    expect(o.result.points.map((p) => p.metrics.completedRequests)).toEqual(rates.map(() => 100));
    // Heavier load, longer tails: p99 TTFT at 4× the rate is above p99 TTFT at ¼ of it.
    const ttft = o.result.points.map((p) => p.metrics.ttftSeconds.p99);
    expect(ttft.at(-1)!).toBeGreaterThan(ttft[0]!);

    const stopped = sim.run({ kind: "sweep", job: s.job, ratesPerSecond: rates }, (p) => {
      if (p.point) sim.cancel();
    });
    expect(await stopped).toEqual({ kind: "cancelled" });
  });

  it("bad input is an error outcome with core's code, not a rejection", async () => {
    const s = setupOf();
    const sim = createSimClient();
    const o = await sim.run({ kind: "run", job: { ...s.job, serving: { ...s.job.serving, maxNumSeqs: 0 } } });
    expect(o).toMatchObject({ kind: "error", code: "invalid-value" });
    if (o.kind === "error") expect(o.message).toMatch(/maxNumSeqs/);
  });
});

/** A Worker stand-in that runs jobs with runSimJob on a later tick, like the real one. */
class FakeWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<SimWorkerResponse>) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  terminated = false;
  readonly received: number[] = [];
  postMessage(m: SimWorkerRequest): void {
    this.received.push(m.id);
    setTimeout(() => {
      if (this.terminated) return;
      const send = (r: SimWorkerResponse) => this.onmessage?.({ data: r } as MessageEvent<SimWorkerResponse>);
      // An answer under an id the client never issued must be ignored.
      send({ id: m.id + 1000, kind: "progress", progress: { fraction: 0.5 } });
      void runSimJob(m.job, (progress) => send({ id: m.id, kind: "progress", progress })).then((result) => {
        if (result && !this.terminated) send({ id: m.id, kind: "done", result });
      });
    }, 0);
  }
  terminate(): void {
    this.terminated = true;
  }
}

describe("sim client, worker path (fake worker)", () => {
  it("tags requests with growing ids, ignores stale answers, replaces a busy worker on a newer run", async () => {
    const workers: FakeWorker[] = [];
    const sim = createSimClient({
      spawn: () => {
        const w = new FakeWorker();
        workers.push(w);
        return w;
      },
    });
    expect(sim.mode).toBe("worker");
    const job: SimJob = { kind: "run", job: setupOf({ requests: 40 }).job };
    const seen: SimProgress[] = [];
    const a = sim.run(job);
    const b = sim.run(job, (p) => seen.push(p));
    expect(await a).toEqual({ kind: "cancelled" });
    const o = await b;
    expect(o.kind === "done" && o.result.kind === "run" && o.result.metrics.completedRequests).toBe(40);
    expect(workers.length).toBe(2); // the first was busy with the stale run: terminated, replaced
    expect(workers[0]!.terminated).toBe(true);
    expect(workers[0]!.received).toEqual([1]);
    expect(workers[1]!.received).toEqual([2]);
    expect(seen.every((p) => p.fraction !== 0.5 || p.point === undefined)).toBe(true);
    expect(seen.at(-1)?.fraction).toBe(1);
    // An idle worker is reused.
    await sim.run(job);
    expect(workers.length).toBe(2);
    sim.dispose();
    expect(workers[1]!.terminated).toBe(true);
  });

  it("falls back to inline when the worker fails to load", async () => {
    const sim = createSimClient({
      spawn: () => {
        const w = new FakeWorker();
        w.postMessage = () => setTimeout(() => w.onerror?.(new Event("error")), 0);
        return w;
      },
    });
    const o = await sim.run({ kind: "run", job: setupOf({ requests: 30 }).job });
    expect(o.kind === "done" && o.result.kind === "run" && o.result.metrics.completedRequests).toBe(30);
    expect(sim.mode).toBe("inline");
  });

  it("times 2,000 requests (reported, not asserted tightly)", async () => {
    const s = setupOf({ requests: 2000, ratePerSecond: 8 });
    const o = await createSimClient().run({ kind: "run", job: s.job });
    if (o.kind !== "done" || o.result.kind !== "run") throw new Error("no run");
    expect(o.result.metrics.completedRequests).toBe(2000);
    console.log(`inline: 2000 requests simulated in ${o.result.elapsedMs.toFixed(0)} ms`);
    expect(o.result.elapsedMs).toBeLessThan(20_000);
  });
});
