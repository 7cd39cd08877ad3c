/**
 * Parses llama.cpp's info log (llama.cpp de3ff815 format strings: src/llama-model.cpp:1852 model
 * buffers, src/llama-context.cpp:308-319 cparams, :380 output buffer, :738 compute buffer, :752
 * graph; src/llama-kv-cache.cpp KV buffer + size lines; src/llama-kv-cache-iswa.cpp:83/100;
 * src/llama-memory-recurrent.cpp:124/133). Sizes are printed as "%8.2f MiB"; `bytes` is that
 * value times 2^20, rounded, so it is exact only to +-0.005 MiB. The printed text is kept.
 */
export interface PrintedSize {
  readonly printed: string;
  readonly mib: number;
  readonly bytes: number;
}

export interface BufferSize extends PrintedSize {
  readonly buffer: string;
}

export interface KvCacheLine {
  /** "kv" for a single cache; "non-SWA" / "SWA" under llama_kv_cache_iswa */
  readonly cache: string;
  readonly size: PrintedSize;
  readonly cells: number;
  readonly layers: number;
  readonly nSeqMax: number;
  readonly nStream: number;
  readonly typeK: string;
  readonly k: PrintedSize;
  readonly typeV: string;
  readonly v: PrintedSize;
}

export interface RecurrentLine {
  readonly size: PrintedSize;
  readonly cells: number;
  readonly layers: number;
  readonly nSeqMax: number;
  readonly nRsSeq: number;
  readonly typeR: string;
  readonly r: PrintedSize;
  readonly typeS: string;
  readonly s: PrintedSize;
}

export interface ParsedLog {
  readonly fileType: string | null;
  readonly fileSize: string | null;
  readonly modelParams: string | null;
  readonly modelBuffers: BufferSize[];
  readonly cparams: Record<string, string>;
  readonly outputBuffers: BufferSize[];
  readonly kvBuffers: BufferSize[];
  readonly kvCaches: KvCacheLine[];
  readonly iswaCells: Record<string, number>;
  readonly rsBuffers: BufferSize[];
  readonly recurrent: RecurrentLine[];
  /** every compute-buffer line in order (llama.cpp may reserve more than once) */
  readonly computeBuffers: BufferSize[];
  readonly graphs: Array<{ nodes: number; splits: number; line: string }>;
  readonly flashAttnResolved: string | null;
  readonly errors: string[];
  readonly warnings: string[];
}

const MIB = 1024 * 1024;

function size(printed: string): PrintedSize {
  const mib = Number(printed);
  return { printed, mib, bytes: Math.round(mib * MIB) };
}

type Rule = readonly [RegExp, (m: RegExpExecArray, out: Mutable<ParsedLog>) => void];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const g = (m: RegExpExecArray, i: number): string => m[i] ?? "";

const RULES: readonly Rule[] = [
  [/print_info: file type\s+=\s+(.+)$/, (m, o) => (o.fileType = g(m, 1).trim())],
  [/print_info: file size\s+=\s+(.+)$/, (m, o) => (o.fileSize = g(m, 1).trim())],
  [/print_info: model params\s+=\s+(.+)$/, (m, o) => (o.modelParams = g(m, 1).trim())],
  [
    /load_tensors:\s+(\S+) model buffer size =\s+([\d.]+) MiB/,
    (m, o) => o.modelBuffers.push({ buffer: g(m, 1), ...size(g(m, 2)) }),
  ],
  [
    /llama_context: (n_seq_max|n_ctx|n_ctx_seq|n_batch|n_ubatch|causal_attn|flash_attn|kv_unified|n_outputs_max|n_outputs_max_per_seq|n_rs_seq)\s+=\s+(\S+)/,
    (m, o) => {
      o.cparams[g(m, 1)] = g(m, 2);
    },
  ],
  [
    /llama_context:\s+(\S+)\s+output buffer size =\s+([\d.]+) MiB/,
    (m, o) => o.outputBuffers.push({ buffer: g(m, 1), ...size(g(m, 2)) }),
  ],
  [
    /llama_kv_cache_iswa: creating\s+(non-SWA|SWA) KV cache, size = (\d+) cells/,
    (m, o) => {
      o.iswaCells[g(m, 1)] = Number(g(m, 2));
    },
  ],
  [
    /llama_kv_cache:\s+(\S+) KV buffer size =\s+([\d.]+) MiB/,
    (m, o) => o.kvBuffers.push({ buffer: g(m, 1), ...size(g(m, 2)) }),
  ],
  [
    /llama_kv_cache: size =\s+([\d.]+) MiB \(\s*(\d+) cells,\s*(\d+) layers,\s*(\d+)\/(\d+) seqs\), K \((\w+)\):\s+([\d.]+) MiB, V \((\w+)\):\s+([\d.]+) MiB/,
    (m, o) =>
      o.kvCaches.push({
        cache: "kv",
        size: size(g(m, 1)),
        cells: Number(g(m, 2)),
        layers: Number(g(m, 3)),
        nSeqMax: Number(g(m, 4)),
        nStream: Number(g(m, 5)),
        typeK: g(m, 6),
        k: size(g(m, 7)),
        typeV: g(m, 8),
        v: size(g(m, 9)),
      }),
  ],
  [
    /llama_memory_recurrent:\s+(\S+) RS buffer size =\s+([\d.]+) MiB/,
    (m, o) => o.rsBuffers.push({ buffer: g(m, 1), ...size(g(m, 2)) }),
  ],
  [
    /llama_memory_recurrent: size =\s+([\d.]+) MiB \(\s*(\d+) cells,\s*(\d+) layers,\s*(\d+) seqs\s+(\d+) rs_seq\), R \((\w+)\):\s+([\d.]+) MiB, S \((\w+)\):\s+([\d.]+) MiB/,
    (m, o) =>
      o.recurrent.push({
        size: size(g(m, 1)),
        cells: Number(g(m, 2)),
        layers: Number(g(m, 3)),
        nSeqMax: Number(g(m, 4)),
        nRsSeq: Number(g(m, 5)),
        typeR: g(m, 6),
        r: size(g(m, 7)),
        typeS: g(m, 8),
        s: size(g(m, 9)),
      }),
  ],
  [
    /sched_reserve:\s+(\S+) compute buffer size =\s+([\d.]+) MiB/,
    (m, o) => o.computeBuffers.push({ buffer: g(m, 1), ...size(g(m, 2)) }),
  ],
  [
    /graph\S*: nodes = (\d+), splits = (\d+)/,
    (m, o) => o.graphs.push({ nodes: Number(g(m, 1)), splits: Number(g(m, 2)), line: m.input }),
  ],
  [/Flash Attention (enabled|disabled)/i, (m, o) => (o.flashAttnResolved = g(m, 1).toLowerCase())],
];

export function parseLlamaLog(lines: readonly string[]): ParsedLog {
  const out: Mutable<ParsedLog> = {
    fileType: null,
    fileSize: null,
    modelParams: null,
    modelBuffers: [],
    cparams: {},
    outputBuffers: [],
    kvBuffers: [],
    kvCaches: [],
    iswaCells: {},
    rsBuffers: [],
    recurrent: [],
    computeBuffers: [],
    graphs: [],
    flashAttnResolved: null,
    errors: [],
    warnings: [],
  };
  // under llama_kv_cache_iswa, the "creating non-SWA/SWA KV cache" line precedes that cache's lines
  let pendingCache = "kv";
  for (const line of lines) {
    const iswa = /llama_kv_cache_iswa: creating\s+(non-SWA|SWA) KV cache/.exec(line);
    if (iswa) pendingCache = g(iswa, 1);
    for (const [re, apply] of RULES) {
      const m = re.exec(line);
      if (m) {
        const nKv = out.kvCaches.length;
        apply(m, out);
        if (out.kvCaches.length > nKv) {
          out.kvCaches[nKv] = { ...out.kvCaches[nKv]!, cache: pendingCache };
          pendingCache = "kv";
        }
        break;
      }
    }
    if (/^\s*(error|failed)|: error|failed to|requires /i.test(line)) out.errors.push(line);
    if (/warn/i.test(line)) out.warnings.push(line);
  }
  return out;
}
