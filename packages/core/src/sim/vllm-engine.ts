import { Deque } from "./deque.js";
import { BatchBuilder, type Engine, type EngineHooks, isDecode, type KvCost, stepSeconds } from "./engine.js";
import type { AllocateOptions, KvManager } from "./kv-manager.js";
import { numTokens, type SimRequest } from "./request.js";
import type { StepBatch, StepTimeModel } from "./step-time.js";

/** vLLM v1 scheduler settings (engine arguments of the same names). */
export interface VllmSchedulerConfig {
  /** `--max-num-seqs`: requests running at once. */
  readonly maxNumSeqs: number;
  /** `--max-num-batched-tokens`: token budget of one step. */
  readonly maxNumBatchedTokens: number;
  /** `--enable-chunked-prefill` (on by default in v1). */
  readonly enableChunkedPrefill: boolean;
  /** `--long-prefill-token-threshold`: cap on one request's tokens per step (0 = off). */
  readonly longPrefillTokenThreshold: number;
  /** `--max-model-len`. */
  readonly maxModelLen: number;
  /** `scheduler_reserve_full_isl` (vLLM 0.19, default true): admit only if the whole sequence fits. */
  readonly reserveFullIsl: boolean;
}

/** Which part of the work an engine does (disaggregated serving splits prefill from decode). */
export type EngineRole = "both" | "prefill" | "decode";

const PLACEHOLDER = undefined as unknown as SimRequest;
const RUNNING: AllocateOptions = { fullSequenceMustFit: false, admission: false };

/**
 * vLLM v1's continuous-batching scheduler (`vllm/v1/core/sched/scheduler.py` Scheduler.schedule):
 * no prefill/decode phases, every request catches up num_computed_tokens → num_tokens under one
 * token budget.
 * Phase 1 walks RUNNING in order: n = min(num_tokens − computed, threshold, budget,
 * max_model_len − 1 − computed); when `allocate_slots` fails it preempts the newest running request
 * (`running.pop()`: free its blocks, num_computed_tokens = 0, front of WAITING; recompute, no swap),
 * and stops if the victim is the request itself.
 * Phase 2 runs only if nothing was preempted this step: admit from the head of WAITING while
 * running < max_num_seqs and budget remains, after a prefix-cache lookup; a failed allocation
 * stops admission (admission never preempts). Without chunked prefill a prompt longer than the
 * remaining budget waits.
 */
export class VllmEngine implements Engine {
  readonly waiting = new Deque<SimRequest>();
  readonly running: SimRequest[] = [];
  preemptions = 0;
  steps = 0;
  lastBatch: StepBatch | null = null;
  private readonly schedReqs: SimRequest[] = [];
  private readonly schedTokens: number[] = [];
  private readonly schedCached: number[] = [];
  private numScheduled = 0;
  private readonly builder: BatchBuilder;
  private readonly admit: AllocateOptions;
  /** Requests leaving RUNNING in the step being finished. */
  private readonly done = new Set<SimRequest>();

  constructor(
    readonly kv: KvManager,
    private readonly cfg: VllmSchedulerConfig,
    private readonly stepTime: StepTimeModel,
    cost: KvCost,
    private readonly hooks: EngineHooks,
    private readonly role: EngineRole = "both",
  ) {
    this.builder = new BatchBuilder(cost);
    this.admit = { fullSequenceMustFit: cfg.reserveFullIsl, admission: true };
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get runningCount(): number {
    return this.running.length;
  }

  enqueue(req: SimRequest): void {
    this.waiting.pushBack(req);
  }

  private preempt(victim: SimRequest): void {
    // scheduler.py _preempt_request: free KV, num_computed_tokens = 0, prepend to WAITING.
    this.kv.free(victim, "preempted");
    victim.recomputedTokens += victim.computed;
    victim.computed = 0;
    victim.preemptions++;
    this.preemptions++;
    this.waiting.pushFront(victim);
  }

  startStep(now: number): number {
    const { cfg, kv, running, waiting } = this;
    const reqs = this.schedReqs;
    const toks = this.schedTokens;
    const cached = this.schedCached;
    let ns = 0; // scheduled so far (arrays are reused: setting .length is slow in V8)
    this.numScheduled = 0;
    if (running.length === 0 && waiting.length === 0) return -1;
    const thr = cfg.longPrefillTokenThreshold;
    let budget = cfg.maxNumBatchedTokens;
    let preempted = false;

    // Phase 1: RUNNING.
    let i = 0;
    while (i < running.length && budget > 0) {
      const req = running[i]!;
      let n = numTokens(req) - req.computed;
      if (thr > 0 && n > thr) n = thr;
      n = Math.min(n, budget, cfg.maxModelLen - 1 - req.computed);
      if (n <= 0) {
        i++;
        continue;
      }
      let scheduled = true;
      while (!kv.allocate(req, n, 0, RUNNING)) {
        const victim = running.pop()!;
        this.preempt(victim);
        preempted = true;
        if (victim === req) {
          scheduled = false;
          break;
        }
      }
      if (!scheduled) break;
      reqs[ns] = req;
      toks[ns] = n;
      cached[ns++] = req.computed;
      budget -= n;
      i++;
    }

    // Phase 2: WAITING (skipped in any step that preempted).
    if (!preempted) {
      while (waiting.length > 0 && budget > 0) {
        if (running.length >= cfg.maxNumSeqs) break;
        const req = waiting.peekFront()!;
        const hit = req.computed === 0 && req.externalTokens === 0 ? kv.lookupPrefix(req) : 0;
        let n = numTokens(req) - req.computed - hit - req.externalTokens;
        if (thr > 0 && n > thr) n = thr;
        if (!cfg.enableChunkedPrefill && n > budget) break;
        n = Math.min(n, budget);
        if (!kv.allocate(req, n, hit, this.admit)) break;
        waiting.popFront();
        if (!req.prefixCounted) {
          req.prefixCounted = true;
          req.prefixHitTokens = hit;
          req.prefixQueriedTokens = numTokens(req);
        }
        req.computed += hit + req.externalTokens;
        req.externalTokens = 0;
        if (Number.isNaN(req.firstScheduledSeconds)) req.firstScheduledSeconds = now;
        running.push(req);
        reqs[ns] = req;
        toks[ns] = n;
        cached[ns++] = req.computed;
        budget -= n;
      }
    }

    this.numScheduled = ns;
    if (ns === 0) {
      this.lastBatch = null;
      return -1;
    }
    const b = this.builder;
    b.reset();
    for (let k = 0; k < ns; k++) {
      const r = reqs[k]!;
      b.add(r, cached[k]!, toks[k]!, isDecode(r, cached[k]!, toks[k]!));
    }
    const batch = b.build();
    this.lastBatch = batch;
    this.steps++;
    return stepSeconds(this.stepTime, batch);
  }

  finishStep(now: number): void {
    const reqs = this.schedReqs;
    const toks = this.schedTokens;
    let removed = 0;
    const ns = this.numScheduled;
    this.numScheduled = 0;
    for (let k = 0; k < ns; k++) {
      const req = reqs[k]!;
      req.computed += toks[k]!;
      if (req.computed < numTokens(req)) continue; // a prefill chunk: no token yet
      req.generated++;
      this.hooks.onToken(req, now);
      if (this.role === "prefill") {
        // Its KV stays on this engine until the transfer completes (release).
        this.markDone(req);
        removed++;
        this.hooks.onHandoff(req, now);
      } else if (req.generated >= req.outputTokens) {
        this.kv.free(req, "finished");
        this.markDone(req);
        removed++;
        this.hooks.onFinish(req, now);
      }
    }
    if (removed > 0) {
      const r = this.running;
      let j = 0;
      for (let k = 0; k < r.length; k++) {
        const x = r[k]!;
        if (!this.done.has(x)) r[j++] = x;
      }
      r.length = j;
      this.done.clear();
    }
    for (let k = 0; k < ns; k++) reqs[k] = PLACEHOLDER; // drop references to finished requests
  }

  private markDone(req: SimRequest): void {
    this.done.add(req);
  }

  release(req: SimRequest): void {
    this.kv.free(req, "finished");
  }
}
