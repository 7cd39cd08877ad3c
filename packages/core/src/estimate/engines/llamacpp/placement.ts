/**
 * Where llama.cpp puts each weight (llama_model_base::load_tensors, src/llama-model.cpp:1480-1546):
 * the input layer on the CPU, layers from i_gpu_start = n_layer + 1 - n_gpu_layers split by
 * tensor_split, the output layer counted in n_gpu_layers; tensor overrides; the CPU buffer-type
 * list (make_cpu_buft_list :1061: the GPU's pinned host buffer, then the CPU repack buffer, then
 * plain CPU); mmap ranges (llama_model_loader::get_mapping_range). Gives the model buffers.
 */
import { lookupGgmlType } from "../../../catalog/dtypes.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import type { LlamaCppModel, LlamaCppTensor } from "../../../models/gguf-model.js";
import type { CpuFeatures, LlamaCppSettings } from "./settings.js";

/** One buffer llama.cpp logs, named as it names it ("CUDA0", "CPU_Mapped", "CUDA_Host"). */
export interface LlamaCppBuffer {
  readonly name: string;
  /** GPU index, or "host" for buffers in system memory. */
  readonly device: number | "host";
  readonly bytes: number;
}

export const pad = (n: number, a: number) => Math.ceil(n / a) * a;
export const CPU_ALIGN = 32; // ggml-impl.h TENSOR_ALIGNMENT
export const CUDA_ALIGN = 128; // ggml-cuda.cu ggml_backend_cuda_buffer_type_get_alignment
const MATRIX_ROW_PADDING = 512; // ggml-cuda/common.cuh

export const gpuName = (i: number) => `CUDA${i}`;
/** ggml-cuda.cu ggml_backend_cuda_host_buffer_type: pinned host memory, named "CUDA_Host". */
export const HOST_BUFFER = "CUDA_Host";

/** CUDA allocation size: quantized tensors get one padded row (ggml-cuda.cu [TAG_ALLOC_SIZE_EXPAND]). */
function cudaAllocBytes(t: LlamaCppTensor): number {
  const type = lookupGgmlType(t.type);
  const ne0 = t.ne[0]!;
  let size = t.bytes;
  if (type.isQuantized && ne0 % MATRIX_ROW_PADDING !== 0)
    size += ((MATRIX_ROW_PADDING - (ne0 % MATRIX_ROW_PADDING)) / type.blockSize) * type.typeSizeBytes;
  return size;
}

/**
 * AMX's packed (VNNI) layout adds per block: 4 bytes of s8s8 compensation for Q8_0, 4 bytes for
 * Q4_K/Q5_K, 2 for IQ4_XS (ggml-cpu/amx/mmq.cpp get_row_size, ggml_backend_amx_get_alloc_size).
 */
function amxAllocBytes(t: LlamaCppTensor): number {
  const type = lookupGgmlType(t.type);
  const extra = ({ Q8_0: 4, Q4_K: 4, Q5_K: 4, IQ4_XS: 2 } as Record<string, number>)[t.type] ?? 0;
  const rows = t.ne.slice(1).reduce((a, b) => a * b, 1);
  return (t.ne[0]! / type.blockSize) * (type.typeSizeBytes + extra) * rows;
}

type Layer = "input" | "output" | number;

function layerOfTensor(name: string, nLayer: number): Layer {
  const layer = cached(layerByName, name, layerOfName);
  return typeof layer === "number" && layer >= nLayer ? "output" : layer;
}

/** A name's block number, or "input" / "output" for a tensor outside the blocks. */
function layerOfName(name: string): Layer {
  const m = /^blk\.(\d+)\./.exec(name);
  if (m) return Number(m[1]);
  if (/^(token_embd|per_layer_token_embd|position_embd|token_types|token_embd_norm)/.test(name))
    return "input";
  return "output";
}

// What a tensor's name alone decides, by name: every quantization and setting of a model asks again.
const layerByName = new Map<string, Layer>();
const opByName = new Map<string, ReturnType<typeof weightOp>>();
function cached<V>(memo: Map<string, V>, name: string, f: (name: string) => V): V {
  let v = memo.get(name);
  if (v === undefined) {
    if (memo.size >= 1 << 18) memo.clear(); // bounded for a long-lived process
    v = f(name);
    memo.set(name, v);
  }
  return v;
}

/** The ggml op llama.cpp uses each weight with (llama-arch.cpp LLM_TENSOR_INFOS). */
function weightOp(name: string, ne: readonly number[]): "get_rows" | "mul_mat" | "mul_mat_id" | "other" {
  const op = cached(opByName, name, weightOpOfName);
  if (op === "get_rows" || op === "other") return op;
  let dims = 0;
  for (const x of ne) if (x > 1) dims++;
  return dims < 2 ? "other" : op;
}

/** weightOp as far as the name decides it (a matmul weight of fewer than 2 dimensions is "other"). */
function weightOpOfName(name: string): "get_rows" | "mul_mat" | "mul_mat_id" | "other" {
  if (/^(token_embd|per_layer_token_embd|position_embd|token_types)\./.test(name)) return "get_rows";
  if (!name.endsWith(".weight") || /norm/.test(name)) return "other";
  if (/_(ch|)exps\.weight$/.test(name)) return "mul_mat_id";
  return "mul_mat";
}

/** Whether ggml-cpu's extra buffer types take this weight (repack.cpp get_optimal_repack_type, amx). */
function cpuExtraBuffer(t: LlamaCppTensor, op: ReturnType<typeof weightOp>, f: CpuFeatures): string | null {
  const dims = t.ne.reduce((n, x, i) => (x > 1 ? i + 1 : n), 1);
  const ne1 = t.ne[1] ?? 1;
  // ggml-cpu/amx/amx.cpp supports_op: MUL_MAT, 32 | output rows, row length a multiple of the tile
  if (f === "amx" && op === "mul_mat" && dims === 2 && ne1 % 32 === 0) {
    const align = /^(Q4_0|Q4_1|Q8_0)$/.test(t.type) ? 32 : /^(Q4_K|Q5_K|Q6_K|IQ4_XS)$/.test(t.type) ? 256 : 0;
    if (align > 0 && t.ne[0]! % align === 0) return "AMX";
  }
  const repack =
    (op === "mul_mat" && dims === 2) || (op === "mul_mat_id" && dims === 3)
      ? f === "neon"
        ? { Q4_0: 4, Q4_K: 8, Q5_K: 8, Q6_K: 8, IQ4_NL: 4, MXFP4: 4, Q8_0: 4 }[t.type]
        : f === "none"
          ? undefined
          : { Q4_0: 8, Q4_K: 8, IQ4_NL: 8, MXFP4: 8, ...(f !== "avx2" ? { Q2_K: 8 } : {}) }[t.type]
      : undefined;
  return repack !== undefined && ne1 % repack === 0 ? "CPU_REPACK" : null;
}

interface Placement {
  /** Buffer type name. */
  readonly buft: string;
  readonly device: number | "host";
}

/** Per-layer device: the split points of load_tensors (src/llama-model.cpp:1489-1530). */
export function layerDevices(
  nLayer: number,
  s: Pick<LlamaCppSettings, "gpuCount" | "gpuLayers" | "tensorSplit" | "gpuFreeBytes">,
): { layers: (number | "host")[]; output: number | "host" } {
  const nDev = s.gpuCount;
  const weights = s.tensorSplit?.some((x) => x > 0)
    ? Array.from({ length: nDev }, (_, i) => s.tensorSplit![i] ?? 0)
    : (s.gpuFreeBytes ?? Array.from({ length: nDev }, () => 1));
  const splits: number[] = [];
  let sum = 0;
  for (let i = 0; i < nDev; i++) {
    sum += weights[i] ?? 0;
    splits.push(sum);
  }
  for (let i = 0; i < nDev; i++) splits[i] = splits[i]! / sum;
  const iGpuStart = Math.max(nLayer + 1 - s.gpuLayers, 0);
  const act = nDev === 0 ? 0 : Math.min(s.gpuLayers, nLayer + 1);
  const devOf = (il: number): number | "host" => {
    if (il < iGpuStart || il - iGpuStart >= act) return "host";
    // std::upper_bound over the cumulative split points
    const x = (il - iGpuStart) / act;
    let d = 0;
    while (d < nDev && splits[d]! <= x) d++;
    return Math.min(d, nDev - 1);
  };
  return { layers: Array.from({ length: nLayer }, (_, il) => devOf(il)), output: devOf(nLayer) };
}

/** Where the weights go: a function of the model and of the settings but context and sequences. */
export interface ModelPlacement {
  readonly devs: readonly (number | "host")[];
  readonly outDev: number | "host";
  readonly modelBuffers: readonly LlamaCppBuffer[];
  /** Backend of each weight by tensor name (the CPU is backend gpuCount). */
  readonly weightBackend: ReadonlyMap<string, number>;
}

// Each tensor's layer and op, once per model (every placement of a gpuLayers search reads them).
const namedMemo = new WeakMap<
  LlamaCppModel,
  { readonly layers: readonly Layer[]; readonly ops: readonly ReturnType<typeof weightOp>[] }
>();
function namedOf(model: LlamaCppModel) {
  let named = namedMemo.get(model);
  if (!named) {
    const nLayer = model.hparams.nLayer;
    named = {
      layers: model.tensors.map((t) => layerOfTensor(t.name, nLayer)),
      ops: model.tensors.map((t) => weightOp(t.name, t.ne)),
    };
    namedMemo.set(model, named);
  }
  return named;
}

/** Model buffers and the device of every layer and weight (llama_model_base::load_tensors). */
export function placeModel(model: LlamaCppModel, s: LlamaCppSettings): ModelPlacement {
  const h = model.hparams;
  const { layers: devs, output: outDev } = layerDevices(h.nLayer, s);
  const hostBuftFor = (op: ReturnType<typeof weightOp>, t: LlamaCppTensor): string => {
    // make_cpu_buft_list: the first GPU's pinned host buffer comes before the repack buffers.
    if (s.gpuCount > 0 && !s.noHost) return HOST_BUFFER;
    return cpuExtraBuffer(t, op, s.cpuFeatures) ?? (s.mmap ? "CPU_Mapped" : "CPU");
  };
  const overrideFor = (name: string) => s.overrides.find((o) => new RegExp(o.pattern).test(name));

  const place = (t: LlamaCppTensor, layer: Layer, opName?: ReturnType<typeof weightOp>): Placement => {
    const op = opName ?? weightOp(t.name, t.ne);
    const ov = overrideFor(t.name);
    if (ov) {
      if (ov.device === "CPU") return { buft: s.mmap ? "CPU_Mapped" : "CPU", device: "host" };
      if (ov.device >= s.gpuCount)
        throw new MemlensError(
          "invalid-value",
          `engineOptions.overrideTensors names GPU ${ov.device} but there are ${s.gpuCount}`,
          "engineOptions.overrideTensors",
        );
      return { buft: gpuName(ov.device), device: ov.device };
    }
    const dev = layer === "input" ? "host" : layer === "output" ? outDev : (devs[layer] ?? "host");
    if (dev === "host") return { buft: hostBuftFor(op, t), device: "host" };
    return { buft: gpuName(dev), device: dev };
  };

  // --- model buffers ---
  interface Placed {
    readonly t: LlamaCppTensor;
    readonly p: Placement;
    readonly offset: number;
  }
  const placed: Placed[] = [];
  let offset = 0;
  const named = namedOf(model);
  for (let i = 0; i < model.tensors.length; i++) {
    const t = model.tensors[i]!;
    const o = (t as LlamaCppTensor & { offset?: number }).offset ?? offset;
    placed.push({ t, p: place(t, named.layers[i]!, named.ops[i]!), offset: o });
    offset = pad(o + t.bytes, 32);
  }
  // Tied embeddings: the output matmul gets its own copy of token_embd when its buffer type
  // differs from the input layer's (llama_model_loader::create_tensor with TENSOR_DUPLICATED).
  const embd = placed.find((x) => x.t.name === "token_embd.weight");
  if (!model.tensors.some((t) => t.name === "output.weight") && embd) {
    const dup = place({ ...embd.t, name: "output.weight" }, "output", "mul_mat");
    if (dup.buft !== embd.p.buft) placed.push({ t: embd.t, p: dup, offset: -1 });
  }
  const buffers = new Map<string, LlamaCppBuffer>();
  const mapped: Placed[] = [];
  for (const x of placed) {
    if (x.p.buft === "CPU_Mapped") {
      mapped.push(x);
      continue;
    }
    const size =
      x.p.buft === "AMX"
        ? pad(amxAllocBytes(x.t), CPU_ALIGN)
        : x.p.device === "host"
          ? pad(x.t.bytes, CPU_ALIGN)
          : pad(cudaAllocBytes(x.t), CUDA_ALIGN);
    const prev = buffers.get(x.p.buft);
    buffers.set(x.p.buft, { name: x.p.buft, device: x.p.device, bytes: (prev?.bytes ?? 0) + size });
  }
  if (mapped.length) {
    // get_mapping_range: the mapped buffer spans the first to the last byte of its tensors.
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const x of mapped) {
      if (x.offset < 0) continue;
      first = Math.min(first, x.offset);
      last = Math.max(last, x.offset + x.t.bytes);
    }
    buffers.set("CPU_Mapped", { name: "CPU_Mapped", device: "host", bytes: Math.max(0, last - first) });
  }
  const order = (b: LlamaCppBuffer) =>
    b.device === "host" ? (b.name === "CPU_Mapped" ? 100 : b.name.endsWith("_Host") ? 101 : 102) : b.device;
  const modelBuffers = [...buffers.values()].sort((a, b) => order(a) - order(b));
  const cpuBackend = s.gpuCount; // the CPU is the last backend
  const weightBackend = new Map<string, number>();
  for (const x of placed) weightBackend.set(x.t.name, x.p.device === "host" ? cpuBackend : x.p.device);
  return { devs, outDev, modelBuffers, weightBackend };
}
