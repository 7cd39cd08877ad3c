import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf as hfGguf } from "@huggingface/gguf";
import {
  catalogModelSpec,
  type GgufWriteValue,
  ggufSpecFromSpec,
  llamaCppMemory,
  llamaCppModelFromGguf,
  readGgufHeader,
  writeGgufHeader,
} from "@memlens/core";
import { afterAll, describe, expect, test } from "vitest";
import { readGgufFile } from "../files/model-files.js";
import { runJson, runMain } from "../testing/run-main.js";

const dir = mkdtempSync(join(tmpdir(), "memlens-inspect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const u32 = (value: number): GgufWriteValue => ({ type: "uint32", value });
const str = (value: string): GgufWriteValue => ({ type: "string", value });

/**
 * A real GGUF file for a catalog model at a file type: the tensors memlens' converter and
 * quantizer produce, the metadata llama.cpp reads, a tokenizer of the model's vocabulary size,
 * and a sparse data section of the exact size.
 */
function writeModelGguf(id: string, fileType: string, ftypeId: number, name: string): string {
  const spec = ggufSpecFromSpec(catalogModelSpec(id), fileType);
  const h = spec.gguf.hparams;
  const a = h.arch;
  const metadata: [string, GgufWriteValue][] = [
    ["general.architecture", str(a)],
    ["general.name", str(id)],
    ["general.file_type", u32(ftypeId)],
    [`${a}.context_length`, u32(h.nCtxTrain)],
    [`${a}.embedding_length`, u32(h.nEmbd)],
    [`${a}.block_count`, u32(h.nLayer)],
    [`${a}.feed_forward_length`, u32(h.nFf[0] ?? 0)],
    [`${a}.attention.head_count`, u32(h.nHead[0] ?? 0)],
    [`${a}.attention.head_count_kv`, u32(h.nHeadKv[0] ?? 0)],
    [`${a}.attention.key_length`, u32(h.nEmbdHeadK)],
    [`${a}.attention.value_length`, u32(h.nEmbdHeadV)],
    [`${a}.rope.freq_base`, { type: "float32", value: 1e6 }],
    ["tokenizer.ggml.model", str("gpt2")],
    [
      "tokenizer.ggml.tokens",
      { type: "array", elementType: "string", values: Array.from({ length: h.nVocab }, (_, i) => `tok${i}`) },
    ],
    [
      "tokenizer.ggml.merges",
      {
        type: "array",
        elementType: "string",
        values: Array.from({ length: 50_000 }, (_, i) => `a${i} b${i}`),
      },
    ],
  ];
  if (h.nExpert > 0)
    metadata.push(
      [`${a}.expert_count`, u32(h.nExpert)],
      [`${a}.expert_used_count`, u32(h.nExpertUsed)],
      [`${a}.expert_feed_forward_length`, u32(h.nFfExp)],
    );
  const w = writeGgufHeader({
    metadata,
    tensors: spec.gguf.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne })),
  });
  const path = join(dir, name);
  writeFileSync(path, w.header);
  const fd = openSync(path, "r+");
  ftruncateSync(fd, w.fileBytes);
  closeSync(fd);
  return path;
}

function prefix(path: string, n: number): Uint8Array {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(n);
  const got = readSync(fd, buf, 0, n, 0);
  closeSync(fd);
  return buf.subarray(0, got);
}

const run = (argv: string[]) => runMain(argv);

const qwen = writeModelGguf("Qwen/Qwen3-8B", "Q4_K_M", 15, "qwen3-8b-q4_k_m.gguf");

describe("GGUF files", () => {
  test("memlens' parser agrees with @huggingface/gguf on a real file", async () => {
    const mine = readGgufFile(qwen);
    const theirs = await hfGguf(qwen, { allowLocalFile: true });
    expect(mine.header.dataOffset).toBe(Number(theirs.tensorDataOffset));
    expect(mine.header.tensors.length).toBe(theirs.tensorInfos.length);
    for (let i = 0; i < theirs.tensorInfos.length; i++) {
      const t = theirs.tensorInfos[i]!;
      const m = mine.header.tensors[i]!;
      expect(m.name).toBe(t.name);
      expect(m.ne).toEqual(t.shape.map(Number));
      expect(m.typeId).toBe(t.dtype);
      expect(m.offset).toBe(Number(t.offset));
    }
    for (const [k, v] of Object.entries(theirs.metadata)) {
      if (k === "version" || k === "tensor_count" || k === "kv_count") continue;
      const m = mine.header.metadata.get(k);
      if (m !== null && typeof m === "object" && "kind" in m) expect(m.length).toBe((v as unknown[]).length);
      else if (typeof v === "bigint") expect(BigInt(m as number)).toBe(v);
      else expect(m).toEqual(v);
    }
  });

  test("weights and KV are exact against the file: 0 bytes off", () => {
    const f = readGgufFile(qwen);
    const model = llamaCppModelFromGguf(f.header);
    const sum = f.header.tensors.reduce((a, t) => a + t.bytes, 0);
    // every tensor's bytes from its own type and shape = the file's data section
    expect(f.header.dataOffset + f.header.dataBytes).toBe(f.fileBytes);
    expect(model.tensors.reduce((a, t) => a + t.bytes, 0)).toBe(sum);
    const m = llamaCppMemory(f.spec.gguf, {
      contextLength: 8192,
      nSeq: 1,
      nBatch: 2048,
      nUbatch: 512,
      flashAttn: true,
      typeK: "F16",
      typeV: "Q8_0",
      gpuCount: 0,
      gpuLayers: 0,
      tensorSplit: null,
      overrides: [],
      mmap: false,
      swaFull: false,
      kvUnified: false,
      kvOffload: true,
      opOffload: true,
      noHost: false,
      cpuFeatures: "none",
    });
    // without mmap or repacking, llama.cpp's CPU buffer is every tensor padded to 32 bytes
    const padded = f.header.tensors.reduce((a, t) => a + Math.ceil(t.bytes / 32) * 32, 0);
    expect(m.modelBuffers).toEqual([{ name: "CPU", device: "host", bytes: padded }]);
    // KV: 36 layers × 8192 cells × 8 heads × 128 × (2 bytes K + 34/32 bytes V)
    expect(m.kvBuffers[0]!.bytes).toBe(36 * 8192 * 8 * 128 * 2 + (36 * 8192 * 8 * 128 * 34) / 32);
  });

  test("inspect prints exact types and bytes; --json has every tensor", async () => {
    const r = await run(["inspect", qwen]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/GGUF v3 · qwen3 · .* · Q4_K_M/);
    expect(r.out).toMatch(/Q6_K/);
    const j = await run(["inspect", qwen, "--json", "--tensors"]);
    const data = JSON.parse(j.out);
    expect(data.kind).toBe("gguf");
    expect(data.tensorCount).toBe(data.tensors.length);
    expect(data.fileType).toBe("Q4_K_M");
    expect(data.llamaCpp.nLayer).toBe(36);
    expect(data.metadata["tokenizer.ggml.tokens"]).toEqual({
      kind: "array-summary",
      elementType: "string",
      length: 151936,
    });
  });

  test("a 2 GB GGUF header is inspected in under a second", async () => {
    const big = writeModelGguf("meta-llama/Llama-3.2-1B", "F16", 1, "llama-3.2-1b-f16.gguf");
    const size = readGgufHeader(prefix(big, 64 << 20)).dataBytes;
    expect(size).toBeGreaterThan(2e9);
    const t0 = performance.now();
    const r = await run(["inspect", big, "--json"]);
    const ms = performance.now() - t0;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).fileBytes).toBeGreaterThan(2e9);
    expect(ms).toBeLessThan(1000);
  });

  test("estimate reads {gguf: path} and uses the file's own types", async () => {
    const e = await runJson([
      "estimate",
      "--model",
      qwen,
      "--engine",
      "llama.cpp",
      "--ctx",
      "4096",
      "--gpu",
      "RTX-4090",
      "--json",
    ]);
    expect(e.scenario.weights).toBe("Q4_K_M");
    expect(e.engine.kvBufferBytes).toBe(36 * 4096 * 8 * 128 * 2 * 2);
    expect(e.fits).toBe(true);
  });

  test("fit answers the largest context and the most layers within the 1 GiB margin", async () => {
    const f = await runJson(["fit", "--model", qwen, "--gpu", "RTX-3060", "--ctx", "32768", "--json"]);
    expect(f.fitTargetBytes).toBe(1024 * 1024 * 1024);
    expect(f.maxContextLength % 256).toBe(0);
    expect(f.gpuLayers).toBeGreaterThan(0);
    expect(f.gpuLayers).toBeLessThanOrEqual(37);
  });

  test("broken files exit 2 with one line naming the problem", async () => {
    const bad = join(dir, "bad.gguf");
    const b = prefix(qwen, 4096);
    writeFileSync(bad, b);
    const r = await run(["inspect", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/truncated file|header needs/);
    const junk = join(dir, "junk.bin");
    writeFileSync(junk, "hello world, not a model");
    const j = await run(["inspect", junk, "--json"]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.out).error.code).toBe("malformed-file");
  });
});

describe("safetensors", () => {
  test("index.json shards are read header by header, with config.json beside them", async () => {
    const sub = mkdtempSync(join(dir, "st-"));
    const shard = (name: string, tensors: Record<string, [string, number[]]>) => {
      let off = 0;
      const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
      for (const [k, [dtype, shape]] of Object.entries(tensors)) {
        const n = shape.reduce((a, b) => a * b, 1) * (dtype === "F32" ? 4 : 2);
        header[k] = { dtype, shape, data_offsets: [off, off + n] };
        off += n;
      }
      const json = Buffer.from(JSON.stringify(header));
      const buf = Buffer.alloc(8 + json.length);
      buf.writeBigUInt64LE(BigInt(json.length));
      json.copy(buf, 8);
      const p = join(sub, name);
      writeFileSync(p, buf);
      const fd = openSync(p, "r+");
      ftruncateSync(fd, buf.length + off);
      closeSync(fd);
    };
    shard("model-00001-of-00002.safetensors", { "model.embed_tokens.weight": ["BF16", [1000, 64]] });
    shard("model-00002-of-00002.safetensors", { "model.norm.weight": ["F32", [64]] });
    writeFileSync(
      join(sub, "model.safetensors.index.json"),
      JSON.stringify({
        metadata: { total_size: 128256 },
        weight_map: {
          "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
          "model.norm.weight": "model-00002-of-00002.safetensors",
        },
      }),
    );
    const d = await runJson(["inspect", join(sub, "model.safetensors.index.json"), "--json"]);
    expect(d.files).toHaveLength(2);
    expect(d.tensorBytes).toBe(128000 + 256);
    expect(d.bytesByDtype).toEqual({ BF16: 128000, F32: 256 });
    expect(d.model).toBeNull();
    // with a config.json beside the shards, the checkpoint is a model memlens can estimate
    writeFileSync(
      join(sub, "config.json"),
      JSON.stringify({
        model_type: "llama",
        hidden_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        intermediate_size: 128,
        vocab_size: 1000,
        max_position_embeddings: 2048,
        torch_dtype: "bfloat16",
      }),
    );
    const est = await runJson([
      "estimate",
      "--model",
      join(sub, "model.safetensors.index.json"),
      "--ctx",
      "1024",
      "--json",
    ]);
    expect(est.model.architecture).toBe("llama");
    expect(est.notes.join(" ")).toMatch(/128,256 bytes of tensors in 2 safetensors files/);
  });
});

describe("memlens compare (built binary)", () => {
  test("a llama.cpp log, line by line", () => {
    const log = join(dir, "q235.log");
    writeFileSync(
      log,
      [
        "print_info: file type = Q8_0",
        "load_tensors: CUDA_Host model buffer size = 630.59 MiB",
        "load_tensors: CUDA0 model buffer size = 39273.87 MiB",
        "load_tensors: CPU model buffer size = 198451.27 MiB",
        "init: CUDA0 KV buffer size = 6016.00 MiB",
        "llama_context: KV self size = 6016.00 MiB, K (f16): 3008.00 MiB, V (f16): 3008.00 MiB",
        "llama_context: CUDA0 compute buffer size = 1024.00 MiB",
        "llama_context: CUDA_Host compute buffer size = 72.01 MiB",
      ].join("\n"),
    );
    const bin = join(import.meta.dirname, "../../bin/memlens.js");
    const p = spawnSync(
      process.execPath,
      [
        bin,
        "compare",
        log,
        "--model",
        "Qwen/Qwen3-235B-A22B",
        "--ctx",
        "32768",
        "--fa",
        "on",
        "--override-tensor",
        "blk\\.(1[3-9]|[2-9][0-9])\\.ffn_.*=CPU",
        "--json",
      ],
      { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(p.status).toBe(0);
    const rep = JSON.parse(p.stdout);
    const row = (q: string) => rep.rows.find((x: { quantity: string }) => x.quantity === q);
    expect(Math.abs(row("model buffer CUDA0").error)).toBeLessThan(0.001);
    expect(Math.abs(row("KV cache total").error)).toBeLessThan(0.001);
    expect(Math.abs(row("compute buffer CUDA0").error)).toBeLessThan(0.15);
  });
});
