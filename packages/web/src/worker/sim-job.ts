/**
 * Serving-simulator jobs as plain data (structured-clone safe, so they cross into a Web Worker)
 * and the one function that runs them with core's simulator. The worker and the inline fallback
 * both call `runSimJob`, so the page gets the same numbers either way.
 */
import { type FitsRequest, type FitsResult, whatFits } from "@memlens/core";
import {
  type GeneratedWorkload,
  generateWorkload,
  type ModelStep,
  modelStepTime,
  type SimulateServingOptions,
  type SimulationResult,
  simulateServing,
} from "@memlens/core/sim";

/** Everything `simulateServing` needs except the workload and the step-time function (not cloneable). */
export type ServingSettings = Omit<SimulateServingOptions, "workload" | "stepTime" | "recordRequests">;

/** One serving setup: a generated workload, a roofline step time and the engine settings. */
export interface ServingJob {
  readonly workload: GeneratedWorkload;
  readonly step: ModelStep;
  readonly serving: ServingSettings;
}

/** What the page asks the simulator for. */
export type SimJob =
  /** One run of the setup. */
  | { readonly kind: "run"; readonly job: ServingJob }
  /** The setup again at each arrival rate (Poisson), same lengths and seed: the capacity curve. */
  | { readonly kind: "sweep"; readonly job: ServingJob; readonly ratesPerSecond: readonly number[] }
  /** What runs on a GPU: core's `whatFits` sweep over the catalog (the "What runs" page). */
  | { readonly kind: "fits"; readonly request: Omit<FitsRequest, "onProgress"> };

/** One run's answer (per-request timings are not kept: they would only cost transfer time). */
export interface RunResult {
  readonly kind: "run";
  readonly metrics: SimulationResult["metrics"];
  readonly timeSeries: SimulationResult["timeSeries"];
  readonly engines: SimulationResult["engines"];
  /** Wall time of the simulation itself, milliseconds (workload generation included). */
  readonly elapsedMs: number;
}

/** One point of the capacity curve. */
export interface SweepPoint {
  readonly ratePerSecond: number;
  readonly metrics: SimulationResult["metrics"];
}

export interface SweepResult {
  readonly kind: "sweep";
  readonly points: readonly SweepPoint[];
  readonly elapsedMs: number;
}

export interface FitsJobResult {
  readonly kind: "fits";
  readonly result: FitsResult;
  readonly elapsedMs: number;
}

export type SimJobResult = RunResult | SweepResult | FitsJobResult;

/** Progress of a job: the fraction done (0..1) and, for sweeps, the points finished so far. */
export interface SimProgress {
  readonly fraction: number;
  readonly point?: SweepPoint;
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

function simulate(job: ServingJob, onFraction?: (f: number) => void): SimulationResult {
  return simulateServing(
    {
      ...job.serving,
      workload: generateWorkload(job.workload),
      stepTime: modelStepTime(job.step),
    },
    onFraction,
  );
}

/**
 * Runs a job with core's simulator. Sweeps call `beforePoint` before each rate (the inline runner
 * yields to the page there and stops when the job went stale); returning false stops the sweep.
 */
export async function runSimJob(
  job: SimJob,
  onProgress: (p: SimProgress) => void,
  beforePoint: () => Promise<boolean> | boolean = () => true,
): Promise<SimJobResult | null> {
  const start = now();
  switch (job.kind) {
    case "run": {
      const r = simulate(job.job, (fraction) => onProgress({ fraction }));
      return {
        kind: "run",
        metrics: r.metrics,
        timeSeries: r.timeSeries,
        engines: r.engines,
        elapsedMs: now() - start,
      };
    }
    case "sweep": {
      const points: SweepPoint[] = [];
      const n = job.ratesPerSecond.length;
      for (let i = 0; i < n; i++) {
        if (!(await beforePoint())) return null;
        const ratePerSecond = job.ratesPerSecond[i]!;
        const setup: ServingJob = {
          ...job.job,
          workload: { ...job.job.workload, arrival: { kind: "poisson", ratePerSecond } },
        };
        const r = simulate(setup, (f) => onProgress({ fraction: (i + f) / n }));
        const point: SweepPoint = { ratePerSecond, metrics: r.metrics };
        points.push(point);
        onProgress({ fraction: (i + 1) / n, point });
      }
      return { kind: "sweep", points, elapsedMs: now() - start };
    }
    case "fits": {
      const result = whatFits({ ...job.request, onProgress: (fraction) => onProgress({ fraction }) });
      return { kind: "fits", result, elapsedMs: now() - start };
    }
  }
}

/** Page → worker: run `job` under request id `id` (ids only grow; a newer id makes older ones stale). */
export interface SimWorkerRequest {
  readonly id: number;
  readonly job: SimJob;
}

/** Worker → page, tagged with the request id it answers. */
export type SimWorkerResponse =
  | { readonly id: number; readonly kind: "progress"; readonly progress: SimProgress }
  | { readonly id: number; readonly kind: "done"; readonly result: SimJobResult }
  /** Bad input (core's MemlensError code) or a bug ("internal"). */
  | { readonly id: number; readonly kind: "error"; readonly code: string; readonly message: string };
