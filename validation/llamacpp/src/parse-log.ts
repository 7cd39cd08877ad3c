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

export function parseLlamaLog(lines: readonly string[]): ParsedLog {
  const out: ParsedLog = {
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
  let mutable = out as {
    -readonly [K in keyof ParsedLog]: ParsedLog[K];
  };
  let pendingCache = "kv";
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = /print_info: file type\s+=\s+(.+)$/.exec(line))) mutable.fileType = m[1]!.trim();
    else if ((m = /print_info: file size\s+=\s+(.+)$/.exec(line))) mutable.fileSize = m[1]!.trim();
    else if ((m = /print_info: model params\s+=\s+(.+)$/.exec(line))) mutable.modelParams = m[1]!.trim();
    else if ((m = /load_tensors:\s+(\S+) model buffer size =\s+([\d.]+) MiB/.exec(line)))
      out.modelBuffers.push({ buffer: m[1]!, ...size(m[2]!) });
    else if (
      (m =
        /llama_context: (n_seq_max|n_ctx|n_ctx_seq|n_batch|n_ubatch|causal_attn|flash_attn|kv_unified|n_outputs_max|n_outputs_max_per_seq|n_rs_seq)\s+=\s+(\S+)/.exec(
          line,
        ))
    )
      out.cparams[m[1]!] = m[2]!;
    else if ((m = /llama_context:\s+(\S+)\s+output buffer size =\s+([\d.]+) MiB/.exec(line)))
      out.outputBuffers.push({ buffer: m[1]!, ...size(m[2]!) });
    else if ((m = /llama_kv_cache_iswa: creating\s+(non-SWA|SWA) KV cache, size = (\d+) cells/.exec(line))) {
      pendingCache = m[1]!;
      out.iswaCells[m[1]!] = Number(m[2]);
    } else if ((m = /llama_kv_cache:\s+(\S+) KV buffer size =\s+([\d.]+) MiB/.exec(line)))
      out.kvBuffers.push({ buffer: m[1]!, ...size(m[2]!) });
    else if (
      (m =
        /llama_kv_cache: size =\s+([\d.]+) MiB \(\s*(\d+) cells,\s*(\d+) layers,\s*(\d+)\/(\d+) seqs\), K \((\w+)\):\s+([\d.]+) MiB, V \((\w+)\):\s+([\d.]+) MiB/.exec(
          line,
        ))
    ) {
      out.kvCaches.push({
        cache: pendingCache,
        size: size(m[1]!),
        cells: Number(m[2]),
        layers: Number(m[3]),
        nSeqMax: Number(m[4]),
        nStream: Number(m[5]),
        typeK: m[6]!,
        k: size(m[7]!),
        typeV: m[8]!,
        v: size(m[9]!),
      });
      pendingCache = "kv";
    } else if ((m = /llama_memory_recurrent:\s+(\S+) RS buffer size =\s+([\d.]+) MiB/.exec(line)))
      out.rsBuffers.push({ buffer: m[1]!, ...size(m[2]!) });
    else if (
      (m =
        /llama_memory_recurrent: size =\s+([\d.]+) MiB \(\s*(\d+) cells,\s*(\d+) layers,\s*(\d+) seqs\s+(\d+) rs_seq\), R \((\w+)\):\s+([\d.]+) MiB, S \((\w+)\):\s+([\d.]+) MiB/.exec(
          line,
        ))
    )
      out.recurrent.push({
        size: size(m[1]!),
        cells: Number(m[2]),
        layers: Number(m[3]),
        nSeqMax: Number(m[4]),
        nRsSeq: Number(m[5]),
        typeR: m[6]!,
        r: size(m[7]!),
        typeS: m[8]!,
        s: size(m[9]!),
      });
    else if ((m = /sched_reserve:\s+(\S+) compute buffer size =\s+([\d.]+) MiB/.exec(line)))
      out.computeBuffers.push({ buffer: m[1]!, ...size(m[2]!) });
    else if ((m = /graph\S*: nodes = (\d+), splits = (\d+)/.exec(line)))
      out.graphs.push({ nodes: Number(m[1]), splits: Number(m[2]), line });
    else if ((m = /Flash Attention (enabled|disabled)/i.exec(line))) mutable.flashAttnResolved = m[1]!.toLowerCase();
    if (/^\s*(error|failed)|: error|failed to|requires /i.test(line)) out.errors.push(line);
    if (/warn/i.test(line)) out.warnings.push(line);
  }
  mutable = out;
  return mutable;
}
