/**
 * llama.cpp / llama-server / ik_llama.cpp / llama-cpp-python / ollama start-up logs: the lines that
 * report memory (format strings of llama.cpp@de3ff815 src/llama-model.cpp:1852 "model buffer size",
 * src/llama-kv-cache.cpp "KV buffer size" and "size = … cells …", src/llama-context.cpp "compute
 * buffer size" / "output buffer size", and the older llm_load_tensors / llama_kv_cache_init /
 * llama_new_context_with_model / "KV self size" spellings), parsed, turned back into a scenario,
 * and compared with memlens' llama.cpp engine.
 */
import {
  GGUF_FILE_TYPES,
  hasGguf,
  type LlamaCppMemory,
  type LlamaCppModel,
  type LlamaCppSettings,
  llamaCppCacheType,
  llamaCppMemory,
  llamaCppModelFromSpec,
  MemlensError,
  type ModelSpec,
  modelSpecFromHfConfig,
  parseOverride,
} from "@memlens/core";
import type { CompareReport, CompareRow, LogComparer } from "./types.js";

const MIB = 1024 * 1024;
const UNIT: Record<string, number> = { KiB: 1024, MiB: MIB, GiB: 1024 * MIB, MB: MIB, GB: 1024 * MIB, B: 1 };

interface SizeLine {
  readonly name: string;
  readonly bytes: number;
  readonly line: string;
}

export interface LlamaLog {
  /** print_info / llm_load_print_meta key = value pairs (arch, n_embd, file type, ...). */
  readonly info: Map<string, string>;
  readonly modelBuffers: SizeLine[];
  readonly kvBuffers: SizeLine[];
  /** "KV self size = … K (type): …, V (type): …" and "llama_kv_cache: size = … (cells …)". */
  readonly kvTotals: {
    total: number;
    k: number;
    v: number;
    typeK: string;
    typeV: string;
    cells: number | null;
    seqs: number | null;
    line: string;
  }[];
  readonly computeBuffers: SizeLine[];
  readonly outputBuffers: SizeLine[];
  readonly cparams: Map<string, string>;
  offloaded: { n: number; of: number } | null;
  vramUsed: SizeLine | null;
  memRequired: SizeLine | null;
}

const num = (s: string, unit: string) => Math.round(Number(s) * (UNIT[unit] ?? MIB));

/** Parses every memory-related line of a llama.cpp-family start-up log. */
export function parseLlamaCppLog(lines: readonly string[]): LlamaLog {
  const log: LlamaLog = {
    info: new Map(),
    modelBuffers: [],
    kvBuffers: [],
    kvTotals: [],
    computeBuffers: [],
    outputBuffers: [],
    cparams: new Map(),
    offloaded: null,
    vramUsed: null,
    memRequired: null,
  };
  const RE = {
    info: /(?:print_info|llm_load_print_meta|llama_model_loader):\s+([\w .()-]+?)\s*=\s*(.+)$/,
    model: /(?:load_tensors|llm_load_tensors):\s+(\S+?)(?: model)? buffer size\s*=\s*([\d.]+)\s*(MiB|MB|GiB)/,
    vram: /VRAM used:\s*([\d.]+)\s*(MiB|MB)/,
    memRequired: /mem required\s*=\s*([\d.]+)\s*(MiB|MB)/,
    offloaded: /offloaded (\d+)\/(\d+) layers to GPU/,
    kv: /:\s+(\S+) KV buffer size\s*=\s*([\d.]+)\s*(MiB|MB)/,
    kvVram: /VRAM kv self\s*=\s*([\d.]+)\s*(MiB|MB)/,
    kvSelf:
      /KV self size\s*=\s*([\d.]+)\s*MiB(?:,\s*K \((\w+)\):\s*([\d.]+)\s*MiB,\s*V \((\w+)\):\s*([\d.]+)\s*MiB)?/,
    kvCells:
      /size\s*=\s*([\d.]+)\s*MiB\s*\(\s*(\d+) cells,\s*(\d+) layers,\s*(\d+)(?:\/(\d+))? seqs\),\s*K \((\w+)\):\s*([\d.]+)\s*MiB,\s*V \((\w+)\):\s*([\d.]+)\s*MiB/,
    compute: /:\s+(\S+) compute buffer size\s*=\s*([\d.]+)\s*(MiB|MB)/,
    output: /:\s+(\S+)\s+output buffer size\s*=\s*([\d.]+)\s*(MiB|MB)/,
    cparam:
      /(?:llama_context|llama_new_context_with_model|llama_init_from_model):\s+(n_ctx|n_ctx_seq|n_ctx_per_seq|n_seq_max|n_batch|n_ubatch|flash_attn|kv_unified|type_k|type_v)\s*=\s*(\S+)/,
  };
  for (const raw of lines) {
    const line = raw.trim();
    const info = RE.info.exec(line);
    if (info && !log.info.has(info[1]!.trim())) log.info.set(info[1]!.trim(), info[2]!.trim());
    const model = RE.model.exec(line);
    const vram = RE.vram.exec(line);
    const memRequired = RE.memRequired.exec(line);
    if (model) log.modelBuffers.push({ name: model[1]!, bytes: num(model[2]!, model[3]!), line });
    else if (vram) log.vramUsed = { name: "VRAM", bytes: num(vram[1]!, vram[2]!), line };
    else if (memRequired)
      log.memRequired = { name: "host", bytes: num(memRequired[1]!, memRequired[2]!), line };
    const off = RE.offloaded.exec(line);
    if (off) log.offloaded = { n: Number(off[1]), of: Number(off[2]) };
    const kv = RE.kv.exec(line);
    const kvVram = RE.kvVram.exec(line);
    if (kv) log.kvBuffers.push({ name: kv[1]!, bytes: num(kv[2]!, kv[3]!), line });
    else if (kvVram) log.kvBuffers.push({ name: "VRAM", bytes: num(kvVram[1]!, kvVram[2]!), line });
    const self = RE.kvSelf.exec(line);
    const cells = RE.kvCells.exec(line);
    if (self)
      log.kvTotals.push({
        total: num(self[1]!, "MiB"),
        k: self[3] ? num(self[3], "MiB") : Number.NaN,
        v: self[5] ? num(self[5], "MiB") : Number.NaN,
        typeK: self[2] ?? "",
        typeV: self[4] ?? "",
        cells: null,
        seqs: null,
        line,
      });
    else if (cells)
      log.kvTotals.push({
        total: num(cells[1]!, "MiB"),
        k: num(cells[7]!, "MiB"),
        v: num(cells[9]!, "MiB"),
        typeK: cells[6]!,
        typeV: cells[8]!,
        cells: Number(cells[2]),
        seqs: Number(cells[4]),
        line,
      });
    const compute = RE.compute.exec(line);
    if (compute) log.computeBuffers.push({ name: compute[1]!, bytes: num(compute[2]!, compute[3]!), line });
    const output = RE.output.exec(line);
    if (output) log.outputBuffers.push({ name: output[1]!, bytes: num(output[2]!, output[3]!), line });
    const cp = RE.cparam.exec(line);
    if (cp) log.cparams.set(cp[1]!, cp[2]!);
    if (/Flash Attention enabled/i.test(line)) log.cparams.set("flash_attn", "enabled");
  }
  return log;
}

/** llama_model_ftype_name spellings → GGUF file type names. */
export function fileTypeFromLog(s: string | undefined): string | null {
  if (!s) return null;
  const t = s
    .replace(/^mostly\s+/i, "")
    .replace(/\s*\(guessed\)\s*$/i, "")
    .trim();
  const size: Record<string, string> = { Small: "S", Medium: "M", Large: "L" };
  let m = /^(Q\d_K)\s*-\s*(Small|Medium|Large)$/.exec(t);
  if (m) return m[1] === "Q2_K" && m[2] === "Medium" ? "Q2_K" : `${m[1]}_${size[m[2]!]}`;
  m = /^(I?Q\w+?)(?:_R\d+)?\s*-\s*[\d.]+ bpw$/.exec(t);
  if (m) return m[1]!;
  if (/^all F32$/i.test(t)) return "F32";
  if (/^MXFP4/i.test(t)) return "MXFP4_MOE";
  const direct = GGUF_FILE_TYPES.find((f) => f.name.toLowerCase() === t.toLowerCase());
  return direct?.name ?? null;
}

const int = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s.replace(/^\[|\]$/g, "").split(",")[0]);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * A model rebuilt from print_info hyper-parameters: the config.json that would produce them, then
 * memlens' GGUF conversion of it. `params` (printed "model params") picks tied vs untied output.
 */
export function modelFromPrintInfo(info: ReadonlyMap<string, string>): ModelSpec {
  const arch = info.get("arch");
  if (!arch)
    throw new MemlensError(
      "missing-field",
      "the log has no print_info hyper-parameters (arch, n_embd, ...); give --model ID|FILE",
      "--model",
    );
  const g = (k: string) => int(info.get(k));
  const nHead = g("n_head") ?? 0;
  const nKv = g("n_head_kv") ?? nHead;
  const base: Record<string, unknown> = {
    hidden_size: g("n_embd"),
    num_hidden_layers: g("n_layer"),
    num_attention_heads: nHead,
    num_key_value_heads: nKv,
    head_dim: g("n_embd_head_k"),
    intermediate_size: g("n_ff"),
    vocab_size: g("n_vocab"),
    max_position_embeddings: g("n_ctx_train"),
    torch_dtype: "bfloat16",
  };
  const nExpert = g("n_expert") ?? 0;
  let cfg: Record<string, unknown>;
  switch (arch) {
    case "llama":
      cfg =
        nExpert > 0
          ? {
              ...base,
              model_type: "mixtral",
              num_local_experts: nExpert,
              num_experts_per_tok: g("n_expert_used"),
            }
          : { ...base, model_type: "llama" };
      break;
    case "qwen2":
    case "qwen3":
      cfg = { ...base, model_type: arch };
      break;
    case "qwen3moe":
      cfg = {
        ...base,
        model_type: "qwen3_moe",
        num_experts: nExpert,
        num_experts_per_tok: g("n_expert_used"),
        moe_intermediate_size: g("n_ff_exp"),
      };
      break;
    case "gemma2":
      cfg = { ...base, model_type: "gemma2", sliding_window: g("n_swa") };
      break;
    case "gemma3":
      cfg = {
        model_type: "gemma3",
        text_config: {
          ...base,
          model_type: "gemma3_text",
          sliding_window: g("n_swa"),
          sliding_window_pattern: 6,
        },
      };
      break;
    case "phi3":
      cfg = { ...base, model_type: "phi3" };
      break;
    case "deepseek2": {
      const nope = (g("n_embd_head_k_mla") ?? g("n_embd_head_k") ?? 192) - (g("n_rot") ?? 64);
      cfg = {
        ...base,
        model_type: "deepseek_v3",
        kv_lora_rank: g("n_lora_kv"),
        q_lora_rank: g("n_lora_q") || null,
        qk_rope_head_dim: g("n_rot") ?? 64,
        qk_nope_head_dim: nope,
        v_head_dim: g("n_embd_head_v_mla") ?? g("n_embd_head_v"),
        n_routed_experts: nExpert,
        num_experts_per_tok: g("n_expert_used"),
        n_shared_experts: g("n_expert_shared") ?? 1,
        moe_intermediate_size: g("n_ff_exp"),
        first_k_dense_replace: g("n_layer_dense_lead") ?? 0,
        num_key_value_heads: nHead,
      };
      break;
    }
    case "gpt-oss":
      cfg = {
        ...base,
        model_type: "gpt_oss",
        num_local_experts: nExpert,
        experts_per_token: g("n_expert_used"),
        sliding_window: g("n_swa"),
        intermediate_size: g("n_ff_exp") ?? g("n_ff"),
      };
      break;
    default:
      throw new MemlensError(
        "unsupported-architecture",
        `compare: rebuilding a "${arch}" model from its log is not supported; give --model ID|FILE`,
        "--model",
      );
  }
  const build = (tied: boolean) => {
    const c = cfg.text_config
      ? { ...cfg, text_config: { ...(cfg.text_config as object), tie_word_embeddings: tied } }
      : { ...cfg, tie_word_embeddings: tied };
    return modelSpecFromHfConfig(c, `${arch} (from log)`);
  };
  // Pick tied or untied embeddings by the printed parameter count.
  const printed = /([\d.]+)\s*([KMBT])/.exec(info.get("model params") ?? "");
  const untied = build(false);
  if (!printed) return untied;
  const scale = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[printed[2] as "K" | "M" | "B" | "T"];
  const target = Number(printed[1]) * scale;
  const tied = build(true);
  return Math.abs(tied.parameters - target) < Math.abs(untied.parameters - target) ? tied : untied;
}

/**
 * A DeepSeek GGUF converted before llama.cpp's MLA cache (pre-2025 conversions, ik_llama with
 * mla=0): MHA K/V of n_head × (nope + rope) and n_head × v per token, one attn_kv_b tensor.
 */
function legacyDeepseek(model: LlamaCppModel, nHeadKv: number, headK: number, headV: number): LlamaCppModel {
  const h = model.hparams;
  const tensors = [];
  for (const t of model.tensors) {
    const kb = /^blk\.(\d+)\.attn_k_b\.weight$/.exec(t.name);
    if (kb) {
      const v = model.tensors.find((x) => x.name === `blk.${kb[1]}.attn_v_b.weight`);
      const nope = t.ne[0]!;
      const lora = t.ne[1]!;
      const heads = t.ne[2]!;
      const vDim = v?.ne[1] ?? headV;
      const ne = [lora, heads * (nope + vDim)];
      tensors.push({
        name: `blk.${kb[1]}.attn_kv_b.weight`,
        type: t.type,
        ne,
        bytes: (t.bytes * (nope + vDim)) / nope,
      });
      continue;
    }
    if (/attn_v_b\.weight$/.test(t.name)) continue;
    tensors.push(t);
  }
  return {
    ...model,
    tensors,
    hparams: {
      ...h,
      mla: null,
      nHeadKv: h.nHeadKv.map(() => nHeadKv),
      nEmbdHeadK: headK,
      nEmbdHeadV: headV,
    },
  };
}

function sumBy(xs: readonly SizeLine[]): Map<string, { bytes: number; lines: string[] }> {
  const out = new Map<string, { bytes: number; lines: string[] }>();
  for (const x of xs) {
    const prev = out.get(x.name) ?? { bytes: 0, lines: [] };
    out.set(x.name, { bytes: prev.bytes + x.bytes, lines: [...prev.lines, x.line] });
  }
  return out;
}

const GPU_NAME = /^(CUDA|ROCm|Vulkan|MTL|SYCL|CANN|Metal)(\d+)$/;

export const llamaCppComparer: LogComparer = {
  engine: "llama.cpp",
  detect(lines) {
    return lines.some((l) =>
      /load_tensors:|llm_load_tensors:|KV self size|llama_kv_cache|llama_new_context_with_model|print_info:|llm_load_print_meta:|compute buffer size/.test(
        l,
      ),
    );
  },
  compare(lines, options) {
    const log = parseLlamaCppLog(lines);
    const assumptions: string[] = [];
    const o = options.overrides ?? {};
    const eo = (o.engineOptions ?? {}) as Record<string, unknown>;
    // model
    const fileType =
      (typeof o.weights === "string" ? o.weights : null) ??
      fileTypeFromLog(log.info.get("file type") ?? log.info.get("model ftype") ?? log.info.get("ftype"));
    let spec: ModelSpec;
    let source: string;
    if (options.modelSpec) {
      spec = options.modelSpec;
      source = options.modelSource ?? spec.id;
    } else {
      if (!fileType)
        throw new MemlensError(
          "missing-field",
          "compare: the log does not say the file type; give --weights",
          "--weights",
        );
      spec = modelFromPrintInfo(log.info);
      source = "print_info hyper-parameters in the log";
    }
    if (!fileType && !hasGguf(spec))
      throw new MemlensError(
        "missing-field",
        "compare: the log does not say the file type; give --weights",
        "--weights",
      );
    let model = llamaCppModelFromSpec(spec, fileType ?? "F16");
    const ftRaw = log.info.get("file type") ?? log.info.get("model ftype") ?? "";
    if (/_R\d+/.test(ftRaw))
      assumptions.push(
        `"${ftRaw}" is ik_llama.cpp's row-interleaved type; sized as ${fileType}, which has the same bytes per weight.`,
      );
    // pre-MLA DeepSeek conversions (or ik_llama with mla=0) cache full K/V per head
    const nKvPrinted = int(log.info.get("n_head_kv"));
    const logHasV = log.kvTotals.some((k) => !Number.isNaN(k.v) && k.v > 0);
    if (model.hparams.arch === "deepseek2" && model.hparams.mla && ((nKvPrinted ?? 1) > 1 || logHasV)) {
      const mla = model.hparams.mla;
      model = legacyDeepseek(model, model.hparams.nHead[0] ?? 128, mla.nEmbdHeadKMla, mla.nEmbdHeadVMla);
      assumptions.push(
        "DeepSeek GGUF without the MLA cache (the log shows a V cache): classic per-head K/V.",
      );
    }
    // devices
    const gpuNames = new Set<number>();
    for (const b of [...log.modelBuffers, ...log.kvBuffers, ...log.computeBuffers]) {
      const m = GPU_NAME.exec(b.name);
      if (m) gpuNames.add(Number(m[2]));
    }
    const hasVram = log.vramUsed !== null || log.kvBuffers.some((b) => b.name === "VRAM");
    const gpuCount =
      typeof o.gpuCount === "number"
        ? o.gpuCount
        : gpuNames.size > 0
          ? Math.max(...gpuNames) + 1
          : hasVram
            ? 1
            : 0;
    // context and batch
    const kvt = log.kvTotals.find((k) => k.cells !== null);
    const nSeq =
      typeof o.batch === "number" ? o.batch : (int(log.cparams.get("n_seq_max")) ?? kvt?.seqs ?? 1);
    let nCtx = int(log.cparams.get("n_ctx"));
    if (typeof o.contextLength === "number") nCtx = o.contextLength * nSeq;
    if (nCtx === undefined && kvt?.cells) nCtx = kvt.cells * (kvt.seqs ?? 1);
    const loggedType = (t: string | undefined) => (t ? t : undefined);
    const typeK = llamaCppCacheType(
      String(eo.typeK ?? loggedType(log.kvTotals[0]?.typeK) ?? log.cparams.get("type_k") ?? "f16"),
      "typeK",
    );
    const typeV = llamaCppCacheType(
      String(eo.typeV ?? loggedType(log.kvTotals[0]?.typeV) ?? log.cparams.get("type_v") ?? "f16"),
      "typeV",
    );
    const faLog = log.cparams.get("flash_attn");
    let flashAttn: boolean;
    if (typeof eo.flashAttention === "boolean") flashAttn = eo.flashAttention;
    else if (faLog !== undefined) flashAttn = /^(1|true|enabled|on)$/i.test(faLog);
    else {
      flashAttn = typeV !== "F16" && typeV !== "F32" && typeV !== "BF16";
      assumptions.push(
        `flash attention ${flashAttn ? "on (quantized V needs it)" : "off (the log does not say)"}; override with --fa.`,
      );
    }
    // Log formats before llama.cpp's 2026 context rework: one unified KV stream, older graph inputs.
    const legacy = lines.some((l) =>
      /llama_kv_cache_unified|llama_new_context_with_model|llama_kv_cache_init|KV self size|^\s*init: /.test(
        l,
      ),
    );
    if (legacy)
      assumptions.push(
        "older llama.cpp log format: unified KV cache and the older reserve graph (F32 mask cast to F16).",
      );
    // invert the KV size when the log gives no context length
    const probe = (ctx: number): LlamaCppMemory => llamaCppMemory(model, settingsWith(ctx));
    function settingsWith(ctxPerSeq: number): LlamaCppSettings {
      const overridesList = ((eo.overrideTensors as string[] | undefined) ?? []).map(parseOverride);
      return {
        contextLength: ctxPerSeq,
        nSeq,
        nBatch: Number(eo.nBatch ?? int(log.cparams.get("n_batch")) ?? 2048),
        nUbatch: Number(eo.nUbatch ?? int(log.cparams.get("n_ubatch")) ?? 512),
        flashAttn,
        typeK,
        typeV,
        gpuCount,
        gpuLayers:
          typeof eo.gpuLayers === "number"
            ? eo.gpuLayers
            : log.offloaded
              ? log.offloaded.n
              : gpuCount > 0
                ? model.hparams.nLayer + 1
                : 0,
        tensorSplit: (eo.tensorSplit as number[] | undefined) ?? null,
        overrides: overridesList,
        mmap:
          typeof eo.mmap === "boolean"
            ? eo.mmap
            : log.modelBuffers.some((b) => b.name === "CPU_Mapped") ||
              (gpuCount === 0 && !log.modelBuffers.some((b) => b.name === "CPU")),
        swaFull: eo.swaFull === true,
        kvUnified:
          log.cparams.get("kv_unified") === "true" || (legacy && log.cparams.get("kv_unified") === undefined),
        legacyGraph: legacy,
        kvOffload: eo.kvOffload !== false,
        opOffload: eo.opOffload !== false,
        noHost: eo.noHost === true,
        cpuFeatures: log.modelBuffers.some((b) => b.name === "AMX")
          ? "amx"
          : ((eo.cpuFeatures as LlamaCppSettings["cpuFeatures"] | undefined) ?? "avx2"),
      };
    }
    let ctxPerSeq: number;
    if (nCtx !== undefined) ctxPerSeq = Math.ceil(nCtx / nSeq);
    else if (log.kvTotals[0]) {
      const target = log.kvTotals.reduce((a, k) => a + k.total, 0);
      const perCell = probe(256).kvCaches.reduce((a, c) => a + c.kBytes + c.vBytes, 0) / 256;
      ctxPerSeq = Math.max(256, Math.round(target / perCell / nSeq / 256) * 256);
      assumptions.push(
        `context length ${ctxPerSeq} per sequence inferred from the KV size (the log does not print n_ctx).`,
      );
    } else {
      ctxPerSeq = 4096;
      assumptions.push("context length unknown; assumed 4096 (give --ctx).");
    }
    const mem = llamaCppMemory(model, settingsWith(ctxPerSeq));

    // rows
    const rows: CompareRow[] = [];
    const row = (quantity: string, line: string, measured: number, estimated: number | null) =>
      rows.push({
        quantity,
        line,
        measuredBytes: measured,
        estimatedBytes: estimated,
        error: estimated === null || measured === 0 ? null : (estimated - measured) / measured,
      });
    const estModel = new Map(mem.modelBuffers.map((b) => [b.name, b.bytes]));
    const hostModel = mem.modelBuffers.filter((b) => b.device === "host").reduce((a, b) => a + b.bytes, 0);
    const gpuModel = mem.modelBuffers.filter((b) => b.device !== "host").reduce((a, b) => a + b.bytes, 0);
    const loggedHost = [...sumBy(log.modelBuffers)].filter(([n]) => !GPU_NAME.test(n));
    for (const [name, x] of sumBy(log.modelBuffers)) {
      let est = estModel.get(name) ?? null;
      // one host buffer in the log: compare with all host weights (older logs say "CPU" for all of them)
      if (est === null && !GPU_NAME.test(name) && loggedHost.length === 1) est = hostModel;
      row(
        `model buffer ${name}${x.lines.length > 1 ? ` (${x.lines.length} lines)` : ""}`,
        x.lines.join("\n"),
        x.bytes,
        est,
      );
    }
    if (log.vramUsed) row("model buffers on GPU", log.vramUsed.line, log.vramUsed.bytes, gpuModel);
    if (log.memRequired)
      row("model buffers in host memory", log.memRequired.line, log.memRequired.bytes, hostModel);
    const estKv = new Map<string, number>();
    for (const b of mem.kvBuffers) estKv.set(b.name, (estKv.get(b.name) ?? 0) + b.bytes);
    const kvAll = mem.kvBuffers.reduce((a, b) => a + b.bytes, 0);
    for (const [name, x] of sumBy(log.kvBuffers)) {
      const est = name === "VRAM" ? kvAll : (estKv.get(name) ?? (estKv.size === 1 ? kvAll : null));
      row(`KV buffer ${name}`, x.lines.join("\n"), x.bytes, est);
    }
    if (log.kvTotals.length) {
      const k = log.kvTotals.reduce((a, t) => a + t.k, 0);
      const v = log.kvTotals.reduce((a, t) => a + t.v, 0);
      const total = log.kvTotals.reduce((a, t) => a + t.total, 0);
      const ek = mem.kvCaches.filter((c) => c.cache !== "recurrent").reduce((a, c) => a + c.kBytes, 0);
      const ev = mem.kvCaches.filter((c) => c.cache !== "recurrent").reduce((a, c) => a + c.vBytes, 0);
      const lines2 = log.kvTotals.map((t) => t.line).join("\n");
      row("KV cache total", lines2, total, ek + ev);
      if (!Number.isNaN(k)) row("KV cache K", lines2, k, ek);
      if (!Number.isNaN(v) && v > 0) row("KV cache V", lines2, v, ev);
    }
    const estCompute = new Map(mem.computeBuffers.map((b) => [b.name, b.bytes]));
    const lastCompute = new Map<string, SizeLine>();
    for (const c of log.computeBuffers) lastCompute.set(c.name, c);
    for (const [name, c] of lastCompute)
      row(`compute buffer ${name}`, c.line, c.bytes, estCompute.get(name) ?? null);
    const out = log.outputBuffers[log.outputBuffers.length - 1];
    if (out) row(`output buffer ${out.name}`, out.line, out.bytes, mem.outputBuffer.bytes);

    return {
      engine: "llama.cpp",
      scenario: {
        model: { name: spec.id },
        engine: "llama.cpp",
        weights: model.fileType,
        kvCache: typeK === typeV ? typeK.toLowerCase() : `${typeK.toLowerCase()}/${typeV.toLowerCase()}`,
        contextLength: ctxPerSeq,
        batch: nSeq,
        gpus: gpuCount,
        engineOptions: {
          nBatch: mem.settings.nBatch,
          nUbatch: mem.settings.nUbatch,
          flashAttention: flashAttn,
          gpuLayers: mem.settings.gpuLayers,
          mmap: mem.settings.mmap,
          ...(mem.settings.overrides.length
            ? {
                overrideTensors: mem.settings.overrides.map(
                  (x) => `${x.pattern}=${x.device === "CPU" ? "CPU" : `CUDA${x.device}`}`,
                ),
              }
            : {}),
        },
      },
      model: { name: spec.id, source },
      rows,
      assumptions,
    } satisfies CompareReport;
  },
};
