import { Deque } from "./deque.js";
import { BatchBuilder, type Engine, type EngineHooks, type KvCost, stepSeconds } from "./engine.js";
import type { AllocateOptions, KvManager } from "./kv-manager.js";
import type { SimRequest } from "./request.js";
import type { StepBatch, StepTimeModel } from "./step-time.js";

const ADMIT: AllocateOptions = { fullSequenceMustFit: true, admission: true };

/**
 * Static batching, the baseline continuous batching replaced (FasterTransformer; Vidur's
 * `faster_transformer` replica scheduler; Yu et al., Orca, OSDI'22 §2): up to `maxBatchSize`
 * waiting requests whose whole KV fits are taken together, prompts padded to the longest, one
 * prefill step, then decode steps for every slot until the longest output is done; nothing joins a
 * running batch and KV is freed only when the whole batch ends.
 */
export class StaticBatchEngine implements Engine {
  readonly waiting = new Deque<SimRequest>();
  private batch: SimRequest[] = [];
  private step = -1; // -1: prefill next; k ≥ 0: decode step k
  private paddedPrompt = 0;
  private paddedOutput = 0;
  preemptions = 0;
  steps = 0;
  lastBatch: StepBatch | null = null;
  private readonly builder: BatchBuilder;

  constructor(
    readonly kv: KvManager,
    private readonly maxBatchSize: number,
    private readonly stepTime: StepTimeModel,
    cost: KvCost,
    private readonly hooks: EngineHooks,
  ) {
    this.builder = new BatchBuilder(cost);
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get runningCount(): number {
    return this.batch.length;
  }

  enqueue(req: SimRequest): void {
    this.waiting.pushBack(req);
  }

  startStep(now: number): number {
    if (this.batch.length === 0) {
      while (this.waiting.length > 0 && this.batch.length < this.maxBatchSize) {
        const req = this.waiting.peekFront()!;
        // The whole sequence is allocated up front: prompt + output − 1 tokens of KV.
        if (!this.kv.allocate(req, req.promptTokens + req.outputTokens - 1, 0, ADMIT)) break;
        this.waiting.popFront();
        req.firstScheduledSeconds = now;
        req.prefixCounted = true;
        req.prefixQueriedTokens = req.promptTokens;
        this.batch.push(req);
      }
      if (this.batch.length === 0) {
        this.lastBatch = null;
        return -1;
      }
      this.step = -1;
      this.paddedPrompt = 0;
      this.paddedOutput = 0;
      for (const r of this.batch) {
        if (r.promptTokens > this.paddedPrompt) this.paddedPrompt = r.promptTokens;
        if (r.outputTokens > this.paddedOutput) this.paddedOutput = r.outputTokens;
      }
    }
    const b = this.builder;
    b.reset();
    for (const r of this.batch) {
      if (this.step < 0) b.add(r, 0, this.paddedPrompt, false);
      else b.add(r, this.paddedPrompt + this.step, 1, true);
    }
    const batch = b.build();
    this.lastBatch = batch;
    this.steps++;
    return stepSeconds(this.stepTime, batch);
  }

  finishStep(now: number): void {
    for (const r of this.batch) {
      if (r.generated >= r.outputTokens) continue; // padding slot: finished, still holding memory
      r.computed = r.promptTokens + r.generated;
      r.generated++;
      this.hooks.onToken(r, now);
      if (r.generated >= r.outputTokens) this.hooks.onFinish(r, now);
    }
    this.step++;
    if (this.step >= this.paddedOutput - 1) {
      for (const r of this.batch) this.kv.free(r, "finished");
      this.batch = [];
    }
  }

  release(req: SimRequest): void {
    this.kv.free(req, "finished");
  }
}
