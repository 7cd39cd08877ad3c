/**
 * A typed client for the serving-simulator worker. Each client is one channel: `run` gives the job
 * a new request id and makes the previous one stale (its promise settles as `cancelled`, and a
 * worker still busy with it is terminated and replaced, so a slider drag never queues runs behind
 * each other). Without `Worker` (Node, unit tests) or when the worker fails to start, jobs run
 * inline on the calling thread through the same `runSimJob`, yielding between sweep points.
 */
import type { SimJob, SimJobResult, SimProgress, SimWorkerRequest, SimWorkerResponse } from "./sim-job.js";

/** How a job ended: outcomes are data, the promise never rejects. */
export type SimOutcome =
  | { readonly kind: "done"; readonly result: SimJobResult }
  /** A newer job (or `cancel`) made this one stale. */
  | { readonly kind: "cancelled" }
  /** Bad input (core's error code and message) or `internal` for a bug. */
  | { readonly kind: "error"; readonly code: string; readonly message: string };

/** The part of `Worker` the client uses (tests pass a fake). */
export interface WorkerLike {
  postMessage(message: SimWorkerRequest): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<SimWorkerResponse>) => void) | null;
  onerror: ((e: Event) => void) | null;
}

export interface SimClient {
  /** Where jobs run now: a Web Worker, or inline (no Worker, or it failed to start). */
  readonly mode: "worker" | "inline";
  run(job: SimJob, onProgress?: (p: SimProgress) => void): Promise<SimOutcome>;
  /** Makes the job in flight stale (it settles as `cancelled`). */
  cancel(): void;
  /** Cancels and terminates the worker; the client must not be used afterwards. */
  dispose(): void;
}

/** The worker as Vite bundles it (a separate ES chunk), or null where there is no Worker. */
export function spawnSimWorker(): WorkerLike | null {
  if (typeof Worker === "undefined") return null;
  try {
    return new Worker(new URL("./sim-worker.ts", import.meta.url), {
      type: "module",
      name: "memlens-sim",
    }) as unknown as WorkerLike;
  } catch {
    return null;
  }
}

interface InFlight {
  readonly id: number;
  readonly job: SimJob;
  readonly onProgress: ((p: SimProgress) => void) | undefined;
  readonly settle: (o: SimOutcome) => void;
  /** A worker holds it (terminate on cancel) rather than the inline runner. */
  onWorker: boolean;
}

const yieldToPage = (): Promise<void> => new Promise((ok) => setTimeout(ok, 0));

function errorOutcome(e: unknown): SimOutcome {
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  return { kind: "error", code: typeof code === "string" ? code : "internal", message };
}

/**
 * A simulator channel. `spawn` makes the worker (default: the bundled sim-worker; pass
 * `() => null` to force inline).
 * @example
 * const sim = createSimClient();
 * const o = await sim.run({ kind: "run", job }, (p) => bar.value = p.fraction);
 * if (o.kind === "done" && o.result.kind === "run") o.result.metrics.ttftSeconds.p99;
 */
export function createSimClient(o: { spawn?: () => WorkerLike | null } = {}): SimClient {
  const spawn = o.spawn ?? spawnSimWorker;
  let worker: WorkerLike | null = null;
  let workerFailed = false;
  let nextId = 1;
  let current: InFlight | null = null;

  const finish = (f: InFlight, outcome: SimOutcome): void => {
    if (current === f) current = null;
    f.settle(outcome);
  };

  const dropWorker = (): void => {
    if (!worker) return;
    worker.onmessage = null;
    worker.onerror = null;
    worker.terminate();
    worker = null;
  };

  const runInline = async (f: InFlight): Promise<void> => {
    f.onWorker = false;
    await yieldToPage();
    if (current !== f) return;
    try {
      const { runSimJob } = await import("./sim-job.js");
      const result = await runSimJob(
        f.job,
        (p) => {
          if (current === f) f.onProgress?.(p);
        },
        async () => {
          await yieldToPage();
          return current === f;
        },
      );
      if (current === f) finish(f, result ? { kind: "done", result } : { kind: "cancelled" });
    } catch (e) {
      if (current === f) finish(f, errorOutcome(e));
    }
  };

  const ensureWorker = (): WorkerLike | null => {
    if (worker || workerFailed) return worker;
    worker = spawn();
    if (!worker) {
      workerFailed = true;
      return null;
    }
    worker.onmessage = (e) => {
      const m = e.data;
      const f = current;
      if (!f || m.id !== f.id) return; // an answer to a stale request
      switch (m.kind) {
        case "progress":
          f.onProgress?.(m.progress);
          break;
        case "done":
          finish(f, { kind: "done", result: m.result });
          break;
        case "error":
          finish(f, { kind: "error", code: m.code, message: m.message });
          break;
      }
    };
    // The worker script failed to load or threw outside a job: run inline from now on.
    worker.onerror = (e) => {
      e.preventDefault?.();
      dropWorker();
      workerFailed = true;
      if (current?.onWorker) void runInline(current);
    };
    return worker;
  };

  const cancel = (): void => {
    const f = current;
    if (!f) return;
    current = null;
    // A worker cannot be interrupted mid-simulation: replace it rather than wait for it.
    if (f.onWorker) dropWorker();
    f.settle({ kind: "cancelled" });
  };

  ensureWorker(); // start it now: the module loads while the page renders

  return {
    get mode() {
      return workerFailed ? "inline" : "worker";
    },
    run(job, onProgress) {
      cancel();
      return new Promise<SimOutcome>((settle) => {
        const f: InFlight = { id: nextId++, job, onProgress, settle, onWorker: false };
        current = f;
        const w = ensureWorker();
        if (w) {
          f.onWorker = true;
          w.postMessage({ id: f.id, job });
        } else void runInline(f);
      });
    },
    cancel,
    dispose() {
      cancel();
      dropWorker();
      workerFailed = true;
    },
  };
}
