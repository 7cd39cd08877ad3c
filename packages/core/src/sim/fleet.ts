/**
 * Data-parallel replicas behind a router: which replica an arriving request goes to, and the
 * metrics of each replica. Each replica is a whole engine (its own scheduler and KV pool) in
 * `simulateServing`'s one event loop, so the router sees every replica's state at the arrival.
 */
import { MemlensError } from "../errors/memlens-error.js";
import type { Engine } from "./engine.js";
import { type LatencySummary, summarize } from "./metrics.js";
import type { SimRequest } from "./request.js";

export const ROUTERS = ["round-robin", "least-requests", "prefix-aware"] as const;
/**
 * round-robin: replica i mod N. least-requests: the fewest requests waiting + running (ties: lowest
 * index). prefix-aware: a KV-cache-aware scorer in the manner of llm-d's (prefix-cache scorer plus a
 * load scorer): the share of the prompt each replica's cache already holds, less its load as a share
 * of `maxNumSeqs`, highest wins (ties: fewer requests, then lowest index). The equal weighting of
 * the two terms is memlens' choice, not a measured figure.
 */
export type Router = (typeof ROUTERS)[number];

export function parseRouter(v: unknown, field = "router"): Router {
  if (!ROUTERS.includes(v as Router))
    throw new MemlensError(
      "invalid-value",
      `${field} must be one of ${ROUTERS.join(", ")}, got ${String(v)}`,
      field,
      [...ROUTERS],
    );
  return v as Router;
}

/** A router over `engines`: picks the replica of each arriving request, in arrival order. */
export function makeRouter(
  router: Router,
  engines: readonly Engine[],
  maxNumSeqs: number,
): (req: SimRequest) => number {
  const n = engines.length;
  const load = (e: number) => engines[e]!.waitingCount + engines[e]!.runningCount;
  if (n === 1) return () => 0;
  switch (router) {
    case "round-robin": {
      let next = 0;
      return () => {
        const e = next;
        next = (next + 1) % n;
        return e;
      };
    }
    case "least-requests":
      return () => {
        let best = 0;
        for (let e = 1; e < n; e++) if (load(e) < load(best)) best = e;
        return best;
      };
    case "prefix-aware":
      return (req) => {
        let best = 0;
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let e = 0; e < n; e++) {
          // lookupPrefix only reads the cache (the engine looks up again when it schedules).
          const hit = engines[e]!.kv.lookupPrefix(req) / req.promptTokens;
          const score = hit - load(e) / maxNumSeqs;
          if (score > bestScore || (score === bestScore && load(e) < load(best))) {
            best = e;
            bestScore = score;
          }
        }
        return best;
      };
  }
}

/** One replica's share of the run, named as `ServingMetrics` names the same figures. */
export interface ReplicaMetrics {
  readonly replica: number;
  readonly completedRequests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Output tokens per second over the fleet's span (first arrival to last token anywhere). */
  readonly throughputTokensPerSecond: number;
  readonly requestsPerSecond: number;
  readonly ttftSeconds: LatencySummary;
  readonly tpotSeconds: LatencySummary;
  readonly e2eSeconds: LatencySummary;
  readonly queueingSeconds: LatencySummary;
  readonly prefixCacheHitRate: number;
  readonly preemptions: number;
  readonly steps: number;
}

/** Per-replica metrics of finished requests (`replicaOf[i]` is request i's replica). */
export function replicaMetrics(
  requests: readonly SimRequest[],
  replicaOf: readonly number[],
  engines: readonly Engine[],
  durationSeconds: number,
): ReplicaMetrics[] {
  return engines.map((engine, e) => {
    const mine = requests.filter((_, i) => replicaOf[i] === e);
    let input = 0;
    let output = 0;
    let hit = 0;
    let queried = 0;
    for (const r of mine) {
      input += r.promptTokens;
      output += r.generated;
      hit += r.prefixHitTokens;
      queried += r.prefixQueriedTokens;
    }
    const rate = (x: number) => (durationSeconds > 0 ? x / durationSeconds : 0);
    return {
      replica: e,
      completedRequests: mine.length,
      inputTokens: input,
      outputTokens: output,
      throughputTokensPerSecond: rate(output),
      requestsPerSecond: rate(mine.length),
      ttftSeconds: summarize(mine.map((r) => r.firstTokenSeconds - r.arrivalSeconds)),
      tpotSeconds: summarize(
        mine.map((r) =>
          r.outputTokens > 1 ? (r.lastTokenSeconds - r.firstTokenSeconds) / (r.outputTokens - 1) : Number.NaN,
        ),
      ),
      e2eSeconds: summarize(mine.map((r) => r.lastTokenSeconds - r.arrivalSeconds)),
      queueingSeconds: summarize(mine.map((r) => r.firstScheduledSeconds - r.arrivalSeconds)),
      prefixCacheHitRate: queried > 0 ? hit / queried : 0,
      preemptions: engine.preemptions,
      steps: engine.steps,
    };
  });
}
