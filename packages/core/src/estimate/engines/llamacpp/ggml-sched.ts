/**
 * Multi-backend scheduling, a port of ggml-backend.cpp ggml_backend_sched_split_graph (simplified):
 * which backend runs each node of a ggml graph (ggml-graph.ts) and the copies it inserts between
 * backends, before the graph is allocated.
 */
import type { GgmlGraph, GTensor } from "./ggml-graph.js";

export interface ScheduleConfig {
  readonly nBackends: number;
  readonly weightBackend: (name: string) => number;
  readonly kvBackend: (il: number) => number;
  readonly opOffload: boolean;
  readonly nTokens: number;
}

/**
 * Assigns each node a backend and inserts the copies the scheduler makes when a node reads a
 * tensor that lives on another backend: ops run where their weights are (large-batch ops on host
 * weights move to the first GPU, copying the weight), KV reads and writes run where the cache is,
 * graph inputs live on the CPU, and a new split starts at every op that needs a copied weight.
 */
export function scheduleGraph(g: GgmlGraph, c: ScheduleConfig): void {
  const cpu = c.nBackends - 1;
  // weights are leafs (external, not a cache tensor): flagged once by id; copies made below are not
  const weightFlag = new Uint8Array(g.tensorCount);
  for (const leaf of g.leafs) if (leaf.external && !leaf.name.startsWith("cache_")) weightFlag[leaf.id] = 1;
  const isWeight = (t: GTensor) => weightFlag[t.id] === 1;
  // per-tensor tables indexed by id (ids are dense within a graph)
  const kvLayerOfRoot: (number | null | undefined)[] = new Array(g.tensorCount);
  const kvLayer = (t: GTensor): number | null => {
    const root = t.viewSrc ?? t;
    let il = kvLayerOfRoot[root.id];
    if (il === undefined) {
      // most roots are weights ("blk.…", "token_embd…"): the prefix turns them away before the regex
      const m =
        root.external && root.name.startsWith("cache_") ? /^cache_[kv]_l(\d+)$/.exec(root.name) : null;
      il = m ? Number(m[1]) : null;
      kvLayerOfRoot[root.id] = il;
    }
    return il;
  };
  for (const leaf of g.leafs) {
    if (leaf.input) leaf.backend = cpu;
    else if (leaf.external) {
      const il = kvLayer(leaf);
      leaf.backend = il !== null ? c.kvBackend(il) : c.weightBackend(leaf.name);
    }
  }
  const batchOf = (t: GTensor) => (t.op === "GET_ROWS" ? 0 : t.op === "MUL_MAT_ID" ? t.ne[2] : t.ne[1]);
  // pass 1 (ggml_backend_sched_backend_id_from_cur): pre-allocated destinations, inputs, weights
  const assigned: (number | undefined)[] = new Array(g.tensorCount);
  const isViewOp = (t: GTensor) => t.viewSrc !== null && t.op !== "SET_ROWS" && t.op !== "CPY";
  for (const node of g.nodes) {
    if (isViewOp(node)) continue;
    const il = node.viewSrc ? kvLayer(node.viewSrc) : null;
    if (il !== null) {
      assigned[node.id] = c.kvBackend(il);
      continue;
    }
    if (node.op === "ROPE" || node.op === "FLASH_ATTN_EXT") continue;
    for (const s of node.src)
      if (isWeight(s)) {
        const wb = s.backend;
        // a higher-priority backend takes large-batch ops on host weights (op offload)
        assigned[node.id] = wb === cpu && c.opOffload && cpu > 0 && batchOf(node) >= 32 ? 0 : wb;
        break;
      }
  }
  // pass 2: expand GPU assignments up, then down (ignoring the CPU), then any backend up and down
  const order = g.nodes.filter((n) => !isViewOp(n));
  const expand = (reverse: boolean, gpuOnly: boolean) => {
    let cur = -1;
    const n = order.length;
    for (let k = 0; k < n; k++) {
      const node = order[reverse ? n - 1 - k : k]!;
      const b = assigned[node.id];
      if (b !== undefined) cur = gpuOnly && b === cpu ? -1 : b;
      else if (cur !== -1) assigned[node.id] = cur;
    }
  };
  expand(true, true);
  expand(false, true);
  expand(true, false);
  expand(false, false);
  for (const n of g.nodes) {
    if (isViewOp(n)) n.backend = n.viewSrc!.backend;
    else n.backend = assigned[n.id] ?? n.backend;
  }
  // splits and copies
  const copies = new Map<number, GTensor>();
  const out: GTensor[] = [];
  let cur = -1;
  let splitInputs = 0;
  const pending: GTensor[] = [];
  const flush = () => {
    for (const p of pending) out.push(p);
    pending.length = 0;
  };
  for (const node of g.nodes) {
    if (node.viewSrc && node.op !== "SET_ROWS" && node.op !== "CPY") {
      pending.push(node);
      continue;
    }
    const b = node.backend;
    let newSplit = b !== cur;
    if (!newSplit && splitInputs > 0)
      for (const s of node.src)
        if (isWeight(s) && s.backend !== b) {
          newSplit = true;
          break;
        }
    if (newSplit) {
      cur = b;
      splitInputs = 0;
    }
    const srcs = node.src as GTensor[];
    for (let j = 0; j < srcs.length; j++) {
      const s = srcs[j]!;
      const sb = s.viewSrc ? s.viewSrc.backend : s.backend;
      if (s.viewSrc?.external && kvLayer(s) !== null) continue;
      if (sb === b) continue;
      // host buffers are usable by the CPU backend; GPU buffers only by their own GPU
      if (b === cpu && s.external && sb === cpu) continue;
      const key = s.id * c.nBackends + b;
      let copy = copies.get(key);
      if (!copy) {
        // the copy depends on its source, so the source lives until the copy is made (input_dep)
        copy = g.op("CPY", s.type, s.ne, [s]);
        copy.backend = b;
        copies.set(key, copy);
        out.push(copy);
        splitInputs++;
      }
      srcs[j] = copy;
    }
    flush();
    out.push(node);
  }
  flush();
  g.nodes.length = 0;
  for (const n of out) g.nodes.push(n);
}
