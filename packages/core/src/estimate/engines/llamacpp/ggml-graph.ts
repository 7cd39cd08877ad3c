/**
 * A shape-only model of a ggml compute graph and of ggml's graph allocator, so llama.cpp's compute
 * buffer can be reproduced without running it. Tensors carry type, ne[] and nb[] exactly as ggml
 * lays them out; the graph is ordered by the same depth-first walk as ggml_build_forward_expand; and
 * allocation replays ggml-alloc.c: inputs first, in-place reuse for element-wise ops, views that
 * keep their source alive, best-fit over free blocks with the last block as the fallback.
 *
 * Sources (ggml-org/llama.cpp@de3ff815): ggml/src/ggml.c (tensor shapes of each op, ggml_nbytes,
 * ggml_visit_parents_graph), ggml/src/ggml-alloc.c (ggml_op_can_inplace, ggml_dyn_tallocr_alloc /
 * free_bytes, ggml_gallocr_allocate_node, ggml_gallocr_alloc_graph_impl).
 */
import { lookupGgmlType } from "../../../catalog/dtypes.js";

export type GgmlOp =
  | "NONE"
  | "GET_ROWS"
  | "MUL_MAT"
  | "MUL_MAT_ID"
  | "ADD"
  | "ADD_ID"
  | "MUL"
  | "DIV"
  | "SCALE"
  | "RMS_NORM"
  | "NORM"
  | "ROPE"
  | "SOFT_MAX"
  | "UNARY"
  | "GLU"
  | "CLAMP"
  | "CONT"
  | "CPY"
  | "SET_ROWS"
  | "VIEW"
  | "RESHAPE"
  | "PERMUTE"
  | "TRANSPOSE"
  | "FLASH_ATTN_EXT"
  | "CONCAT"
  | "PAD"
  | "ARGSORT"
  | "TOP_K"
  | "SUM_ROWS"
  | "REPEAT"
  | "FILL"
  | "SSM_CONV"
  | "SSM_SCAN"
  | "OTHER";

// ggml-alloc.c ggml_op_can_inplace (the ops present in GgmlOp).
const INPLACE: ReadonlySet<GgmlOp> = new Set<GgmlOp>([
  "FILL",
  "SCALE",
  "ADD",
  "ADD_ID",
  "MUL",
  "DIV",
  "UNARY",
  "ROPE",
  "RMS_NORM",
  "CLAMP",
  "SOFT_MAX",
]);

const VIEW_OPS: ReadonlySet<GgmlOp> = new Set<GgmlOp>(["VIEW", "RESHAPE", "PERMUTE", "TRANSPOSE"]);

export interface GTensor {
  readonly id: number;
  readonly op: GgmlOp;
  readonly type: string;
  readonly ne: readonly [number, number, number, number];
  readonly nb: readonly [number, number, number, number];
  readonly src: readonly GTensor[];
  /** Root tensor whose memory this one views (ggml keeps the root, never a view of a view). */
  readonly viewSrc: GTensor | null;
  readonly viewOffs: number;
  /** Memory that exists outside the graph allocator (weights, KV cache). */
  readonly external: boolean;
  input: boolean;
  output: boolean;
  name: string;
  /** Backend (buffer) the scheduler runs this node on; 0 when there is one. */
  backend: number;
}

// lookupGgmlType normalises its argument on every call; graphs ask for a handful of names thousands of times.
const typeInfoByName = new Map<string, { readonly size: number; readonly block: number }>();
const typeInfo = (type: string): { readonly size: number; readonly block: number } => {
  let info = typeInfoByName.get(type);
  if (!info) {
    const t = lookupGgmlType(type);
    info = { size: t.typeSizeBytes, block: t.blockSize };
    typeInfoByName.set(type, info);
  }
  return info;
};

/** ggml_nbytes. */
export function nbytes(t: Pick<GTensor, "type" | "ne" | "nb">): number {
  for (const n of t.ne) if (n <= 0) return 0;
  const { size, block } = typeInfo(t.type);
  let bytes = block === 1 ? size : (t.ne[0] * t.nb[0]) / block;
  for (let i = block === 1 ? 0 : 1; i < 4; i++) bytes += (t.ne[i]! - 1) * t.nb[i]!;
  return bytes;
}

function contiguousStrides(type: string, ne: readonly number[]): [number, number, number, number] {
  const { size, block } = typeInfo(type);
  const nb0 = size;
  const nb1 = (nb0 * ne[0]!) / block;
  const nb2 = nb1 * ne[1]!;
  const nb3 = nb2 * ne[2]!;
  return [nb0, nb1, nb2, nb3];
}

// A four-element list is kept as it is (every shape is read-only once made), so most ops allocate
// no copy of the shape their caller just built.
const ne4 = (ne: readonly number[]): readonly [number, number, number, number] =>
  ne.length === 4 && ne[0] !== undefined && ne[1] !== undefined && ne[2] !== undefined && ne[3] !== undefined
    ? (ne as unknown as readonly [number, number, number, number])
    : [ne[0] ?? 1, ne[1] ?? 1, ne[2] ?? 1, ne[3] ?? 1];

/** Builds tensors and records graph order (ggml_build_forward_expand). */
export class GgmlGraph {
  private nextId = 0;
  readonly nodes: GTensor[] = [];
  readonly leafs: GTensor[] = [];
  /** Visited flags by tensor id (one pushed per tensor made, so the array stays dense). */
  private readonly visited: boolean[] = [];
  /** Backend new nodes are assigned to (the scheduler's choice, set by the graph builder). */
  backend = 0;

  private make(
    op: GgmlOp,
    type: string,
    ne: readonly number[],
    src: readonly GTensor[],
    view?: { of: GTensor; nb?: readonly number[]; offs?: number },
    external = false,
  ): GTensor {
    const shape = ne4(ne);
    let viewSrc: GTensor | null = null;
    let viewOffs = 0;
    if (view) {
      viewSrc = view.of.viewSrc ?? view.of;
      viewOffs = (view.of.viewSrc ? view.of.viewOffs : 0) + (view.offs ?? 0);
    }
    this.visited.push(false);
    return {
      id: this.nextId++,
      op,
      type,
      ne: shape,
      nb: view?.nb ? ne4(view.nb) : contiguousStrides(type, shape),
      src,
      viewSrc,
      viewOffs,
      external,
      input: false,
      output: false,
      name: "",
      backend: this.backend,
    };
  }

  /** Tensors made so far: every id is below this. */
  get tensorCount(): number {
    return this.nextId;
  }

  /** A tensor with memory of its own outside the graph (a weight or a KV cache tensor). */
  external(type: string, ne: readonly number[], name = ""): GTensor {
    const t = this.make("NONE", type, ne, [], undefined, true);
    t.name = name;
    return t;
  }

  /** A graph input (ggml_set_input): allocated before any node. */
  input(type: string, ne: readonly number[], name = ""): GTensor {
    const t = this.make("NONE", type, ne, []);
    t.input = true;
    t.name = name;
    return t;
  }

  // --- ops (result shapes as ggml.c computes them) ---

  getRows(a: GTensor, ids: GTensor): GTensor {
    const type = a.type === "I32" ? "I32" : "F32";
    return this.make("GET_ROWS", type, [a.ne[0], ids.ne[0], ids.ne[1], ids.ne[2]], [a, ids]);
  }
  mulMat(a: GTensor, b: GTensor): GTensor {
    return this.make("MUL_MAT", "F32", [a.ne[1], b.ne[1], b.ne[2], b.ne[3]], [a, b]);
  }
  mulMatId(as: GTensor, b: GTensor, ids: GTensor): GTensor {
    return this.make("MUL_MAT_ID", "F32", [as.ne[1], ids.ne[0], b.ne[2], 1], [as, b, ids]);
  }
  /** Element-wise ops whose result has a's shape (add, mul, scale, norms, rope, softmax, unary...). */
  unary(op: GgmlOp, a: GTensor, ...rest: (GTensor | null | undefined)[]): GTensor {
    const src = [a, ...rest.filter((x): x is GTensor => !!x)];
    return this.make(op, a.type, a.ne, src);
  }
  add(a: GTensor, b: GTensor): GTensor {
    return this.unary("ADD", a, b);
  }
  mul(a: GTensor, b: GTensor): GTensor {
    return this.unary("MUL", a, b);
  }
  /** GLU split ops (swiglu_split, geglu_split): a's shape. */
  glu(a: GTensor, b: GTensor): GTensor {
    return this.make("GLU", a.type, a.ne, [a, b]);
  }
  cont(a: GTensor, ne?: readonly number[]): GTensor {
    return this.make("CONT", a.type, ne ?? a.ne, [a]);
  }
  cast(a: GTensor, type: string): GTensor {
    return this.make("CPY", type, a.ne, [a]);
  }
  reshape(a: GTensor, ne: readonly number[]): GTensor {
    return this.make("RESHAPE", a.type, ne, [a], { of: a });
  }
  view(a: GTensor, ne: readonly number[], nb: readonly number[], offs: number): GTensor {
    const full = ne4(ne);
    const strides = [typeInfo(a.type).size, ...nb];
    return this.make("VIEW", a.type, full, [a], { of: a, nb: ne4(strides), offs });
  }
  permute(a: GTensor, axes: readonly [number, number, number, number]): GTensor {
    const ne = [0, 0, 0, 0];
    const nb = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      ne[axes[i]!] = a.ne[i]!;
      nb[axes[i]!] = a.nb[i]!;
    }
    return this.make("PERMUTE", a.type, ne, [a], { of: a, nb });
  }
  transpose(a: GTensor): GTensor {
    return this.permute(a, [1, 0, 2, 3]);
  }
  /** ggml_set_rows / ggml_cpy: the result is a view of the destination. */
  store(op: "SET_ROWS" | "CPY", dst: GTensor, src: readonly GTensor[]): GTensor {
    return this.make(op, dst.type, dst.ne, src, { of: dst, nb: dst.nb });
  }
  flashAttn(q: GTensor, k: GTensor, v: GTensor, mask: GTensor | null, sinks?: GTensor | null): GTensor {
    const src = [q, k, v, ...(mask ? [mask] : []), ...(sinks ? [sinks] : [])];
    return this.make("FLASH_ATTN_EXT", "F32", [v.ne[0], q.ne[2], q.ne[1], q.ne[3]], src);
  }
  /** Any op producing a new tensor of the given shape. */
  op(op: GgmlOp, type: string, ne: readonly number[], src: readonly GTensor[]): GTensor {
    return this.make(op, type, ne, src);
  }

  /** ggml_build_forward_expand: appends `t` and its unvisited ancestors in depth-first order. */
  expand(t: GTensor): void {
    this.visit(t);
  }
  // The walk's stack and each entry's next source (an explicit stack: a layer chain is thousands deep).
  private readonly stack: GTensor[] = [];
  private readonly nextSrc: number[] = [];
  private visit(root: GTensor): void {
    const visited = this.visited;
    if (visited[root.id]) return;
    visited[root.id] = true;
    const stack = this.stack;
    const nextSrc = this.nextSrc;
    stack.push(root);
    nextSrc.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const t = stack[top]!;
      const i = nextSrc[top]!;
      if (i < t.src.length) {
        nextSrc[top] = i + 1;
        const s = t.src[i]!;
        if (!visited[s.id]) {
          // marked on the way down, as the recursive walk marks a source when it enters it
          visited[s.id] = true;
          stack.push(s);
          nextSrc.push(0);
        }
      } else {
        stack.pop();
        nextSrc.pop();
        if (t.op === "NONE") this.leafs.push(t);
        else this.nodes.push(t);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ggml-alloc.c: the dynamic tensor allocator, replayed over sizes affine in one integer j
//
// allocateGraphAffine replays one graph whose tensor sizes are v + s·j (v: the size in the graph
// built at j = 0, s: the change per step of j, read from the same graph built at j = 1). Every
// decision the allocator takes (best fit, which free block an offset touches, a block emptied,
// the high-water mark, an in-place reuse of the same shape) compares two such affine values; each
// comparison's outcome at j = 0 holds on an interval of j, so the window, the intersection of those
// intervals, is where the replay at j = 0 takes exactly the same decisions and every offset and
// high-water mark is v + s·j. allocateGraph is the same replay with every slope 0.

/** The integer j range over which every decision taken so far stays the same. */
class Window {
  lo = Number.NEGATIVE_INFINITY;
  hi = Number.POSITIVE_INFINITY;
  /** Sign of v + s·j at j = 0, narrowing the window to the j where it keeps that sign. */
  sign(v: number, s: number): number {
    if (s === 0) return Math.sign(v);
    if (v === 0) {
      this.lo = Math.max(this.lo, 0);
      this.hi = Math.min(this.hi, 0);
      return 0;
    }
    // v + s·j changes sign at r = -v/s (exact enough: |v| < 2^53, a non-integer r is ≥ 1/|s| from one)
    const r = -v / s;
    if (r > 0) this.hi = Math.min(this.hi, Math.ceil(r) - 1);
    else this.lo = Math.max(this.lo, Math.floor(r) + 1);
    return Math.sign(v);
  }
  /** Only j = 0 (a step that is not affine in j). */
  pin(): void {
    this.lo = Math.max(this.lo, 0);
    this.hi = Math.min(this.hi, 0);
  }
}

interface FreeBlock {
  offset: number;
  size: number;
  /** Slopes of offset and size per step of j. */
  offsetS: number;
  sizeS: number;
}

class DynAllocator {
  blocks: FreeBlock[] = [{ offset: 0, size: Number.MAX_SAFE_INTEGER, offsetS: 0, sizeS: 0 }];
  maxSize = 0;
  maxSizeS = 0;
  /** Offset and its slope of the last alloc. */
  offsetS = 0;
  constructor(
    readonly alignment: number,
    private readonly w: Window,
  ) {}
  /** Aligned size; aligning v + s·j adds s·j only when the alignment divides s. */
  private align(n: number, s: number): number {
    if (s % this.alignment !== 0) this.w.pin();
    return Math.ceil(n / this.alignment) * this.alignment;
  }
  alloc(bytes: number, bytesS: number): number {
    const w = this.w;
    const size = this.align(bytes, bytesS);
    const sizeS = bytesS;
    // best fit among all blocks but the last
    let best = -1;
    let bestSize = Number.POSITIVE_INFINITY;
    let bestSizeS = 0;
    for (let i = 0; i < this.blocks.length - 1; i++) {
      const b = this.blocks[i]!;
      if (
        w.sign(b.size - size, b.sizeS - sizeS) >= 0 &&
        (bestSize === Number.POSITIVE_INFINITY || w.sign(bestSize - b.size, bestSizeS - b.sizeS) >= 0)
      ) {
        best = i;
        bestSize = b.size;
        bestSizeS = b.sizeS;
      }
    }
    // else the last block (one chunk of unbounded size: CPU and CUDA buffer types have no max size)
    if (best === -1) best = this.blocks.length - 1;
    const block = this.blocks[best]!;
    const offset = block.offset;
    this.offsetS = block.offsetS;
    block.offset += size;
    block.offsetS += sizeS;
    block.size -= size;
    block.sizeS -= sizeS;
    if (w.sign(block.size, block.sizeS) === 0) this.blocks.splice(best, 1);
    if (w.sign(offset + size - this.maxSize, this.offsetS + sizeS - this.maxSizeS) > 0) {
      this.maxSize = offset + size;
      this.maxSizeS = this.offsetS + sizeS;
    }
    return offset;
  }
  free(offset: number, offsetS: number, bytes: number, bytesS: number): void {
    const w = this.w;
    const size = this.align(bytes, bytesS);
    const sizeS = bytesS;
    for (let i = 0; i < this.blocks.length; i++) {
      const b = this.blocks[i]!;
      if (w.sign(b.offset + b.size - offset, b.offsetS + b.sizeS - offsetS) === 0) {
        b.size += size;
        b.sizeS += sizeS;
        const next = this.blocks[i + 1];
        if (next && w.sign(b.offset + b.size - next.offset, b.offsetS + b.sizeS - next.offsetS) === 0) {
          b.size += next.size;
          b.sizeS += next.sizeS;
          this.blocks.splice(i + 1, 1);
        }
        return;
      }
      if (w.sign(offset + size - b.offset, offsetS + sizeS - b.offsetS) === 0) {
        b.offset = offset;
        b.offsetS = offsetS;
        b.size += size;
        b.sizeS += sizeS;
        const prev = this.blocks[i - 1];
        if (prev && w.sign(prev.offset + prev.size - b.offset, prev.offsetS + prev.sizeS - b.offsetS) === 0) {
          prev.size += b.size;
          prev.sizeS += b.sizeS;
          this.blocks.splice(i, 1);
        }
        return;
      }
    }
    let at = 0;
    while (
      at < this.blocks.length &&
      w.sign(this.blocks[at]!.offset - offset, this.blocks[at]!.offsetS - offsetS) < 0
    )
      at++;
    this.blocks.splice(at, 0, { offset, size, offsetS, sizeS });
  }
}

/** Compute buffer bytes per backend as v + s·j, for every integer j in [lo, hi] (lo ≤ 0 ≤ hi). */
export interface AffineBufferSizes {
  readonly sizes: readonly number[];
  readonly slopes: readonly number[];
  readonly lo: number;
  readonly hi: number;
}

/**
 * A graph's tensor sizes as affine functions of one integer step j: from the graph built at j = 0
 * and, when there is one, the same graph built at j = 1. Every tensor of `g` (by id) has its size
 * at j = 0, its change per step, and the one dimension of its shape that changes (-1 for none)
 * with that dimension's change per step.
 */
export interface AffineGraph {
  readonly g: GgmlGraph;
  readonly size0: Float64Array;
  readonly sizeStep: Float64Array;
  readonly neDim: Int8Array;
  readonly neStep: Float64Array;
}

/** `g` with every size constant (slopes 0): what a plain replay reads. */
function constantGraph(g: GgmlGraph): AffineGraph {
  const n = g.tensorCount;
  const size0 = new Float64Array(n);
  for (const t of g.leafs) size0[t.id] = nbytes(t);
  for (const t of g.nodes) size0[t.id] = nbytes(t);
  return {
    g,
    size0,
    sizeStep: new Float64Array(n),
    neDim: new Int8Array(n).fill(-1),
    neStep: new Float64Array(n),
  };
}

/**
 * The affine form of graphs g0 and g1 built alike but for one size variable a step apart (the KV
 * cells per stream, nKv and nKv + 256); null when the two differ in anything but sizes, or a
 * tensor's size is not affine in the step (more than one dimension changes). The builder reads that
 * variable only as whole tensor dimensions, never in a branch (graph.ts), so the form holds at
 * every step, not only at the two built: allocateAffineAt replays it at any j.
 */
export function affineGraph(g0: GgmlGraph, g1: GgmlGraph): AffineGraph | null {
  if (!sameStructure(g0, g1)) return null;
  const a = constantGraph(g0);
  const { size0, sizeStep, neDim, neStep } = a;
  const step = (t0: GTensor, t1: GTensor) => {
    const id = t0.id;
    sizeStep[id] = nbytes(t1) - size0[id]!;
    for (let i = 0; i < 4; i++)
      if (t0.ne[i] !== t1.ne[i]) {
        neDim[id] = i;
        neStep[id] = t1.ne[i]! - t0.ne[i]!;
      }
  };
  for (let i = 0; i < g0.leafs.length; i++) step(g0.leafs[i]!, g1.leafs[i]!);
  for (let i = 0; i < g0.nodes.length; i++) step(g0.nodes[i]!, g1.nodes[i]!);
  return a;
}

/**
 * Replays ggml_gallocr_alloc_graph_impl over the graph and returns the buffer size each backend
 * needs (the allocator's high-water mark). `alignment[b]` is backend b's buffer alignment.
 */
export function allocateGraph(
  g: GgmlGraph,
  alignment: readonly number[],
  trace?: (event: "alloc" | "free", t: GTensor, offset: number, maxSize: number) => void,
): number[] {
  return [...replay(constantGraph(g), 0, alignment, trace).sizes];
}

/**
 * allocateGraph for graphs g0 and g1 built alike but for one size variable a step apart (the KV
 * cells per stream, nKv and nKv + 256): the sizes at g0, their slopes, and the window of steps j
 * over which the allocator decides exactly as at g0, so the sizes at step j are sizes + slopes·j.
 * Null when the two graphs differ in anything but sizes (affineGraph), so that only a plain replay
 * is exact.
 */
export function allocateGraphAffine(
  g0: GgmlGraph,
  g1: GgmlGraph,
  alignment: readonly number[],
): AffineBufferSizes | null {
  const a = affineGraph(g0, g1);
  return a ? replay(a, 0, alignment) : null;
}

/**
 * allocateGraphAffine at step j0 of an affine graph: the sizes at j0, their slopes, and the window
 * (relative to j0) where the allocator decides as at j0. One build of a graph pair thus serves every
 * cache size: a replay at j0 is the plain replay of the graph built at that size.
 */
export function allocateAffineAt(
  a: AffineGraph,
  j0: number,
  alignment: readonly number[],
): AffineBufferSizes {
  return replay(a, j0, alignment);
}

/** Same tensors, ops, sources, flags and backends, each tensor with at most one dimension that changes. */
function sameStructure(g0: GgmlGraph, g1: GgmlGraph): boolean {
  if (g0.tensorCount !== g1.tensorCount) return false;
  if (g0.nodes.length !== g1.nodes.length || g0.leafs.length !== g1.leafs.length) return false;
  const same = (a: GTensor, b: GTensor): boolean => {
    if (a.id !== b.id || a.op !== b.op || a.type !== b.type || a.backend !== b.backend) return false;
    if (a.input !== b.input || a.output !== b.output || a.external !== b.external) return false;
    if ((a.viewSrc?.id ?? -1) !== (b.viewSrc?.id ?? -1) || a.src.length !== b.src.length) return false;
    for (let i = 0; i < a.src.length; i++) if (a.src[i]!.id !== b.src[i]!.id) return false;
    let changed = 0;
    for (let i = 0; i < 4; i++) if (a.ne[i] !== b.ne[i]) changed++;
    return changed <= 1;
  };
  for (let i = 0; i < g0.nodes.length; i++) if (!same(g0.nodes[i]!, g1.nodes[i]!)) return false;
  for (let i = 0; i < g0.leafs.length; i++) if (!same(g0.leafs[i]!, g1.leafs[i]!)) return false;
  return true;
}

function replay(
  a: AffineGraph,
  j0: number,
  alignment: readonly number[],
  trace?: (event: "alloc" | "free", t: GTensor, offset: number, maxSize: number) => void,
): AffineBufferSizes {
  const g = a.g;
  const w = new Window();
  const allocs = alignment.map((al) => new DynAllocator(al, w));
  const { sizeStep, neDim, neStep } = a;
  const n = g.tensorCount;
  // each tensor's size at j0 (its slope is sizeStep)
  const size = new Float64Array(n);
  for (let i = 0; i < n; i++) size[i] = a.size0[i]! + sizeStep[i]! * j0;
  // ggml's hash set as columns indexed by tensor id (ids are dense within a graph)
  const nChildren = new Int32Array(n);
  const nViews = new Int32Array(n);
  const bufferOf = new Int32Array(n);
  const offsetOf = new Float64Array(n);
  const offsetSOf = new Float64Array(n);
  const allocated = new Uint8Array(n);
  const isView = (t: GTensor) => t.viewSrc !== null;
  const isAllocated = (t: GTensor) => t.external || (t.viewSrc?.external ?? false) || allocated[t.id] === 1;
  const neSlope = (id: number, i: number) => (neDim[id] === i ? neStep[id]! : 0);
  // ggml_are_same_layout for two non-view tensors (contiguous: the same type and ne means the same nb)
  const sameLayout = (x: GTensor, y: GTensor): boolean => {
    if (x.type !== y.type) return false;
    for (let i = 0; i < 4; i++) {
      const s = neSlope(x.id, i) - neSlope(y.id, i);
      if (w.sign(x.ne[i]! - y.ne[i]! + s * j0, s) !== 0) return false;
    }
    return true;
  };
  const allocate = (node: GTensor, buffer: number): void => {
    if (isAllocated(node) || isView(node)) return;
    const id = node.id;
    allocated[id] = 1;
    if (INPLACE.has(node.op)) {
      for (const parent of node.src) {
        const pid = parent.id;
        if (allocated[pid] !== 1 || parent.external) continue;
        if (parent.output) continue;
        // a view parent is never reused, whatever its layout
        if (isView(parent) || nChildren[pid] !== 1 || nViews[pid] !== 0) continue;
        if (!sameLayout(node, parent)) continue;
        bufferOf[id] = bufferOf[pid]!;
        offsetOf[id] = offsetOf[pid]!;
        offsetSOf[id] = offsetSOf[pid]!;
        allocated[pid] = 0;
        return;
      }
    }
    bufferOf[id] = buffer;
    const al = allocs[buffer]!;
    offsetOf[id] = al.alloc(size[id]!, sizeStep[id]!);
    offsetSOf[id] = al.offsetS;
    trace?.("alloc", node, offsetOf[id]!, al.maxSize);
  };
  const free = (t: GTensor): void => {
    if (t.output) return;
    const id = t.id;
    allocs[bufferOf[id]!]!.free(offsetOf[id]!, offsetSOf[id]!, size[id]!, sizeStep[id]!);
    allocated[id] = 0;
    trace?.("free", t, offsetOf[id]!, allocs[bufferOf[id]!]!.maxSize);
  };

  for (const leaf of g.leafs) allocate(leaf, leaf.backend);
  for (const node of g.nodes) {
    if (isView(node)) nViews[node.viewSrc!.id]! += 1;
    if (node.input) allocate(node, node.backend);
    for (const s of node.src) {
      nChildren[s.id]! += 1;
      if (s.input) allocate(s, node.backend);
    }
  }
  for (const node of g.nodes) {
    for (const p of node.src) allocate(p, node.backend);
    allocate(node, node.backend);
    for (const p of node.src) {
      const pid = p.id;
      nChildren[pid]! -= 1;
      if (nChildren[pid] === 0 && nViews[pid] === 0) {
        if (isView(p)) {
          const vid = p.viewSrc!.id;
          nViews[vid]! -= 1;
          if (nViews[vid] === 0 && nChildren[vid] === 0 && allocated[vid] === 1) free(p.viewSrc!);
        } else if (allocated[pid] === 1) free(p);
      }
    }
  }
  return {
    sizes: allocs.map((a) => a.maxSize),
    slopes: allocs.map((a) => a.maxSizeS),
    lo: Math.min(0, w.lo),
    hi: Math.max(0, w.hi),
  };
}

export const isViewOp = (op: GgmlOp): boolean => VIEW_OPS.has(op);
