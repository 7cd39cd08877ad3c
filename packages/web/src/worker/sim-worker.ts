/**
 * The serving simulator off the main thread: receives `SimWorkerRequest`s, runs them with core's
 * `simulateServing` (through `runSimJob`) and posts progress and the result under the request's id.
 * Stale runs are not interrupted here: the client terminates this worker and starts a fresh one.
 */
import { MemlensError } from "@memlens/core";
import { loadCatalog } from "../lib/catalog-slot.js";
import { runSimJob, type SimWorkerRequest, type SimWorkerResponse } from "./sim-job.js";

/** The dedicated-worker global, typed narrowly (the web tsconfig's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: SimWorkerResponse): void;
  onmessage: ((e: MessageEvent<SimWorkerRequest>) => void) | null;
}

const scope = self as unknown as WorkerScope;

async function handle({ id, job }: SimWorkerRequest): Promise<void> {
  try {
    // The worker's copy of core reads the catalog chunk too (the same file as the page's).
    await loadCatalog();
    const result = await runSimJob(job, (progress) => scope.postMessage({ id, kind: "progress", progress }));
    if (result) scope.postMessage({ id, kind: "done", result });
  } catch (e) {
    if (e instanceof MemlensError) scope.postMessage({ id, kind: "error", code: e.code, message: e.message });
    else scope.postMessage({ id, kind: "error", code: "internal", message: String(e) });
  }
}

scope.onmessage = (e) => {
  void handle(e.data);
};
