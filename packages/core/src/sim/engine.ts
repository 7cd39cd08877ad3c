import { MemlensError } from "../errors/memlens-error.js";
import type { KvManager } from "./kv-manager.js";
import { type KvEviction, type KvStorageSizes, kvBytesRead, residentTokens } from "./kv-policy.js";
import { numTokens, type SimRequest } from "./request.js";
import type { StepBatch, StepTimeModel } from "./step-time.js";

/** What an engine reports back to the driver. */
export interface EngineHooks {
  /** A token was sampled for `req` at `now` (the first one is the TTFT event). */
  onToken(req: SimRequest, now: number): void;
  /** `req` emitted its last token; its KV is already released. */
  onFinish(req: SimRequest, now: number): void;
  /** Prefill-only engine: `req` has its first token and its KV is ready to ship. */
  onHandoff(req: SimRequest, now: number): void;
}

/** One model replica with its own KV memory, driven step by step by the event loop. */
export interface Engine {
  readonly kv: KvManager;
  /** Requests waiting for admission. */
  readonly waitingCount: number;
  /** Requests holding KV and being served. */
  readonly runningCount: number;
  /** Preemptions so far. */
  readonly preemptions: number;
  /** Steps run so far. */
  readonly steps: number;
  /** Adds an arrived request to the waiting queue. */
  enqueue(req: SimRequest): void;
  /** Plans the next step at `now`; returns its duration in seconds, or -1 when there is nothing to run. */
  startStep(now: number): number;
  /** Applies the planned step's results at `now` (its end). */
  finishStep(now: number): void;
  /** Frees the KV of a request handed off by a prefill-only engine (after its transfer). */
  release(req: SimRequest): void;
  /** The batch of the step in flight (for traces and tests). */
  readonly lastBatch: StepBatch | null;
}

/** How KV is stored and evicted, for the bytes and tokens attention reads. */
export interface KvCost {
  readonly eviction: KvEviction;
  readonly sizes: KvStorageSizes;
}

/** Accumulates a StepBatch from the scheduled requests (shared by the engines). */
export class BatchBuilder {
  prefillTokens = 0;
  prefillSeqs = 0;
  decodeSeqs = 0;
  decodeContextTokens = 0;
  contextTokens = 0;
  kvTokensRead = 0;
  kvBytesRead = 0;
  prefillAttentionPairs = 0;
  private readonly simple: boolean;

  constructor(private readonly cost: KvCost) {
    this.simple = cost.eviction.kind === "none" && cost.sizes.residualTokens === 0;
  }

  reset(): void {
    this.prefillTokens = 0;
    this.prefillSeqs = 0;
    this.decodeSeqs = 0;
    this.decodeContextTokens = 0;
    this.contextTokens = 0;
    this.kvTokensRead = 0;
    this.kvBytesRead = 0;
    this.prefillAttentionPairs = 0;
  }

  /** Adds a request that computes `n` tokens after `cached` tokens of KV. */
  add(req: SimRequest, cached: number, n: number, decode: boolean): void {
    if (decode) {
      this.decodeSeqs++;
      this.decodeContextTokens += cached;
    } else {
      this.prefillSeqs++;
      this.prefillTokens += n;
      this.prefillAttentionPairs += n * (cached + (n + 1) / 2);
    }
    this.contextTokens += cached;
    const t = cached + n;
    if (this.simple) {
      this.kvTokensRead += t;
      this.kvBytesRead += t * this.cost.sizes.bytesPerToken;
    } else {
      this.kvTokensRead += residentTokens(this.cost.eviction, t, req.promptTokens);
      this.kvBytesRead += kvBytesRead(this.cost.eviction, this.cost.sizes, t, req.promptTokens);
    }
  }

  build(): StepBatch {
    return {
      prefillTokens: this.prefillTokens,
      prefillSeqs: this.prefillSeqs,
      decodeSeqs: this.decodeSeqs,
      decodeContextTokens: this.decodeContextTokens,
      contextTokens: this.contextTokens,
      kvTokensRead: this.kvTokensRead,
      kvBytesRead: this.kvBytesRead,
      prefillAttentionPairs: this.prefillAttentionPairs,
    };
  }
}

/** Calls the step-time model and rejects impossible answers (a model bug would otherwise hang the run). */
export function stepSeconds(model: StepTimeModel, batch: StepBatch): number {
  const t = model(batch);
  if (!(t >= 0) || !Number.isFinite(t))
    throw new MemlensError(
      "invalid-value",
      `stepTime returned ${t} for batch ${JSON.stringify(batch)}; it must be a finite number ≥ 0`,
      "stepTime",
    );
  return t;
}

/** True when a scheduled request is decoding one token (it has output and only its last token is new). */
export const isDecode = (req: SimRequest, cached: number, n: number): boolean =>
  n === 1 && req.generated > 0 && cached === numTokens(req) - 1;
