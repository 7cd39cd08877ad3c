import { ContiguousKvManager } from "./contiguous-kv-manager.js";
import { PagedKvManager } from "./paged-kv-manager.js";
import { createSimRequest, type SimRequest } from "./request.js";

/** One cell (token slot) of a KV memory picture. */
export interface PagingCell {
  /** Index of the request holding the slot, or null when free. */
  readonly owner: number | null;
  /** used: holds a token; reserved: held but empty (fragmentation); free. */
  readonly state: "used" | "reserved" | "free";
}

/** A KV memory picture drawn by the real allocators, for the paging widget. */
export interface PagingPicture {
  readonly cells: readonly PagingCell[];
  /** Slots held but holding no token. */
  readonly reservedSlots: number;
  readonly freeSlots: number;
  readonly usedSlots: number;
  /** Requests that got memory, in order. */
  readonly admitted: readonly number[];
  /** Tokens cut off because a request is longer than its contiguous reservation. */
  readonly truncatedTokens: number;
  /** Whether one more request of `probeTokens` would fit. */
  readonly probeFits: boolean;
}

export interface PagingPictureOptions {
  /** Token length of each request, in arrival order. */
  readonly requestTokens: readonly number[];
  /** Token slots in the memory (the picture's cells). */
  readonly poolSlots: number;
  /** `contiguous`: each request reserves `reservationTokens`; `paged`: blocks of `blockSize` on demand. */
  readonly mode: "contiguous" | "paged";
  /** Contiguous reservation per request (the "max length"). */
  readonly reservationTokens: number;
  /** Paged block size (1 = token-granular). */
  readonly blockSize: number;
  /** Length of a further request to test for room (default: the shortest request). */
  readonly probeTokens?: number;
}

/**
 * Draws the knowledge base's paging figure with the simulator's allocators: contiguous max-length
 * reservation vs vLLM's paged pool, same requests, same memory. A request longer than its
 * contiguous reservation keeps only `reservationTokens` (the figure draws it clipped) and the cut is
 * reported in `truncatedTokens`.
 */
export function drawPagingPicture(o: PagingPictureOptions): PagingPicture {
  const reqs: SimRequest[] = o.requestTokens.map((t, i) =>
    createSimRequest(i, { arrivalSeconds: 0, promptTokens: t, outputTokens: 1 }),
  );
  const cells: PagingCell[] = Array.from({ length: o.poolSlots }, () => ({ owner: null, state: "free" }));
  const admitted: number[] = [];
  let truncated = 0;
  const admit = { fullSequenceMustFit: false, admission: true };
  let probeFits: boolean;
  const probe = createSimRequest(reqs.length, {
    arrivalSeconds: 0,
    promptTokens: o.probeTokens ?? Math.min(...o.requestTokens),
    outputTokens: 1,
  });
  if (o.mode === "contiguous") {
    const kv = new ContiguousKvManager({
      capacityTokens: o.poolSlots,
      maxModelLen: o.reservationTokens,
      reservation: "max-model-len",
    });
    for (const r of reqs) {
      const tokens = Math.min(r.promptTokens, o.reservationTokens);
      truncated += r.promptTokens - tokens;
      if (!kv.allocate(r, tokens, 0, admit)) continue;
      admitted.push(r.id);
      for (let s = 0; s < r.kv.segmentLength; s++)
        cells[r.kv.segmentStart + s] = { owner: r.id, state: s < tokens ? "used" : "reserved" };
    }
    probeFits = kv.allocate(probe, Math.min(probe.promptTokens, o.reservationTokens), 0, admit);
  } else {
    const bs = o.blockSize;
    const kv = new PagedKvManager({
      numGpuBlocks: Math.floor(o.poolSlots / bs) + 1, // + vLLM's null block
      blockSize: bs,
      enablePrefixCaching: false,
    });
    for (const r of reqs) {
      if (!kv.allocate(r, r.promptTokens, 0, admit)) continue;
      admitted.push(r.id);
      r.kv.blocks.forEach((b, k) => {
        for (let s = 0; s < bs; s++)
          cells[(b - 1) * bs + s] = { owner: r.id, state: k * bs + s < r.promptTokens ? "used" : "reserved" };
      });
    }
    probeFits = kv.allocate(probe, probe.promptTokens, 0, admit);
  }
  let reserved = 0;
  let free = 0;
  for (const c of cells) {
    if (c.state === "reserved") reserved++;
    else if (c.state === "free") free++;
  }
  return {
    cells,
    reservedSlots: reserved,
    freeSlots: free,
    usedSlots: o.poolSlots - reserved - free,
    admitted,
    truncatedTokens: truncated,
    probeFits,
  };
}
