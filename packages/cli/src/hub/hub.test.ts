/**
 * The model resolver against a loopback stand-in of the Hub (testing/hub-standin.ts): models not in
 * the catalog estimated from their Hub files equal the same files on disk and the catalog's own
 * entry, byte for byte; gated, missing, offline and hostile answers end in one clean line.
 */
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalogModelSpec, planLora, writeGgufHeader } from "@memlens/core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HubStandin, type StandinFile, startHubStandin, textFile } from "../testing/hub-standin.js";
import { runJson, runMain } from "../testing/run-main.js";

const FIX = "/work/shared/fixtures/hf-configs";
// meta-llama/Llama-3.1-8B's config.json, recorded in the shared fixtures (SOURCES.md there)
const LLAMA_8B_CONFIG = readFileSync(join(FIX, "meta-llama/Llama-3.1-8B/config.json"), "utf8");
const LLAMA_3B_CONFIG = readFileSync(join(FIX, "meta-llama/Llama-3.2-3B/config.json"), "utf8");
// nvidia/Qwen3-235B-A22B-NVFP4: a config.json whose quantization lives only in hf_quant_config.json
const NVFP4_DIR = "/work/shared/fixtures/hf-configs-2026/nvidia/Qwen3-235B-A22B-NVFP4";

/** A safetensors file (header + zeros) holding `tensors`, written by hand as the format says. */
function safetensors(
  tensors: readonly { name: string; dtype: string; shape: readonly number[] }[],
): StandinFile {
  let off = 0;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === "F32" ? 4 : 2);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length));
  json.copy(head, 8);
  return { head: new Uint8Array(head), size: head.length + off };
}

/** Llama-3.1-8B's real tensor list (from its config) as two BF16 shards and their index. */
function llamaShards(): Record<string, StandinFile> {
  const tensors = catalogModelSpec("meta-llama/Llama-3.1-8B").tensors.map((t) => ({
    name: t.name,
    dtype: "BF16",
    shape: t.shape,
  }));
  const half = Math.ceil(tensors.length / 2);
  const names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  const parts = [tensors.slice(0, half), tensors.slice(half)];
  const weightMap = Object.fromEntries(parts.flatMap((p, i) => p.map((t) => [t.name, names[i]!])));
  return {
    "config.json": textFile(LLAMA_8B_CONFIG),
    "model.safetensors.index.json": textFile(JSON.stringify({ metadata: {}, weight_map: weightMap })),
    [names[0]!]: safetensors(parts[0]!),
    [names[1]!]: safetensors(parts[1]!),
  };
}

const u32 = (value: number) => ({ type: "uint32" as const, value });
/** A tiny llama GGUF (core's writer), optionally split in two parts as llama-gguf-split does. */
function tinyGguf(fileType: number, split?: 0 | 1): StandinFile {
  const layers = 2;
  const hidden = 256;
  const tensors: { name: string; type: string; ne: number[] }[] = [
    { name: "token_embd.weight", type: "Q4_K", ne: [hidden, 1024] },
  ];
  for (let i = 0; i < layers; i++)
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, type: "F32", ne: [hidden] },
      { name: `blk.${i}.attn_q.weight`, type: "Q4_K", ne: [hidden, hidden] },
      { name: `blk.${i}.attn_k.weight`, type: "Q4_K", ne: [hidden, 128] },
      { name: `blk.${i}.attn_v.weight`, type: "Q6_K", ne: [hidden, 128] },
      { name: `blk.${i}.attn_output.weight`, type: "Q4_K", ne: [hidden, hidden] },
      { name: `blk.${i}.ffn_norm.weight`, type: "F32", ne: [hidden] },
      { name: `blk.${i}.ffn_gate.weight`, type: "Q4_K", ne: [hidden, 512] },
      { name: `blk.${i}.ffn_up.weight`, type: "Q4_K", ne: [hidden, 512] },
      { name: `blk.${i}.ffn_down.weight`, type: "Q6_K", ne: [512, hidden] },
    );
  tensors.push(
    { name: "output_norm.weight", type: "F32", ne: [hidden] },
    { name: "output.weight", type: "Q6_K", ne: [hidden, 1024] },
  );
  const cut = Math.ceil(tensors.length / 2);
  const mine = split === undefined ? tensors : split === 0 ? tensors.slice(0, cut) : tensors.slice(cut);
  const meta: [string, Parameters<typeof writeGgufHeader>[0]["metadata"][number][1]][] = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "tiny" }],
    ["general.file_type", u32(fileType)],
    ["llama.block_count", u32(layers)],
    ["llama.context_length", u32(4096)],
    ["llama.embedding_length", u32(hidden)],
    ["llama.feed_forward_length", u32(512)],
    ["llama.attention.head_count", u32(4)],
    ["llama.attention.head_count_kv", u32(2)],
    ["llama.attention.layer_norm_rms_epsilon", { type: "float32", value: 1e-5 }],
    ["llama.vocab_size", u32(1024)],
  ];
  if (split !== undefined)
    meta.push(["split.no", { type: "uint16", value: split }], ["split.count", { type: "uint16", value: 2 }]);
  const w = writeGgufHeader({
    metadata: split === 1 ? meta.filter(([k]) => k.startsWith("split.")) : meta,
    tensors: mine,
  });
  return { head: w.header, size: w.fileBytes };
}

/** A safetensors header whose length field claims 2^60 bytes. */
function hugeHeader(): StandinFile {
  const head = Buffer.alloc(16);
  head.writeBigUInt64LE(2n ** 60n);
  head.write("{}", 8);
  return { head: new Uint8Array(head), size: 1 << 20 };
}

let hub: HubStandin;
let cache: string;
let work: string;
const env = (extra: Record<string, string> = {}) => ({
  HF_ENDPOINT: hub.endpoint,
  MEMLENS_CACHE_DIR: cache,
  MEMLENS_HUB_TIMEOUT_MS: "2000",
  ...extra,
});
const GPU = ["--gpu", "RTX-4090", "--ctx", "8192"];

beforeAll(async () => {
  cache = mkdtempSync(join(tmpdir(), "memlens-hub-cache-"));
  work = mkdtempSync(join(tmpdir(), "memlens-hub-work-"));
  hub = await startHubStandin({
    "acme/Llama-3.1-8B-copy": { files: llamaShards() },
    "acme/Qwen3-235B-A22B-NVFP4-copy": {
      files: {
        "config.json": textFile(readFileSync(join(NVFP4_DIR, "config.json"), "utf8")),
        "hf_quant_config.json": textFile(readFileSync(join(NVFP4_DIR, "hf_quant_config.json"), "utf8")),
      },
    },
    "acme/tiny-GGUF": {
      files: {
        "README.md": textFile("# tiny"),
        "tiny-Q4_K_M.gguf": tinyGguf(15),
        "tiny-Q8_0.gguf": tinyGguf(7),
        "mmproj-tiny-F16.gguf": tinyGguf(1),
      },
    },
    "acme/tiny-split-GGUF": {
      files: {
        "Q4_K_M/tiny-Q4_K_M-00001-of-00002.gguf": tinyGguf(15, 0),
        "Q4_K_M/tiny-Q4_K_M-00002-of-00002.gguf": tinyGguf(15, 1),
      },
    },
    "gated/Llama-3.1-8B-licensed": {
      gatedToken: "hf_good",
      files: { "config.json": textFile(LLAMA_8B_CONFIG) },
    },
    "acme/llama-8b-finetune": {
      cardData: { base_model: "meta-llama/Llama-3.1-8B", license: "llama3.1" },
      files: { "README.md": textFile("# a fine-tune without its config") },
    },
    "acme/finetune-of-hub-model": {
      cardData: { base_model: ["acme/Llama-3.1-8B-copy"] },
      files: { "README.md": textFile("# fine-tune") },
    },
    "acme/llama-3b-lora": {
      files: {
        "adapter_config.json": textFile(
          JSON.stringify({
            peft_type: "LORA",
            base_model_name_or_path: "meta-llama/Llama-3.2-3B",
            r: 32,
            target_modules: ["q_proj", "v_proj"],
          }),
        ),
      },
    },
    "acme/llama-3b-hub-base-lora": {
      files: {
        "adapter_config.json": textFile(
          JSON.stringify({
            peft_type: "LORA",
            base_model_name_or_path: "acme/Llama-3.2-3B-copy",
            r: 32,
            target_modules: ["q_proj", "v_proj"],
          }),
        ),
      },
    },
    "acme/lora-trained-locally": {
      cardData: { base_model: "meta-llama/Llama-3.2-3B" },
      files: {
        // PEFT writes the trainer's local path when the base was loaded from disk
        "adapter_config.json": textFile(
          JSON.stringify({
            peft_type: "LORA",
            base_model_name_or_path: "/home/me/models/llama-3.2-3b",
            r: 32,
            target_modules: ["q_proj", "v_proj"],
          }),
        ),
        "adapter_model.safetensors": safetensors(
          planLora(catalogModelSpec("meta-llama/Llama-3.2-3B"), 32, ["q_proj", "v_proj"]).adapters.flatMap(
            (a) => [
              {
                name: `base_model.model.${a.module.module}.lora_A.weight`,
                dtype: "BF16",
                shape: [32, a.module.cols],
              },
              {
                name: `base_model.model.${a.module.module}.lora_B.weight`,
                dtype: "BF16",
                shape: [a.module.rows, 32],
              },
            ],
          ),
        ),
      },
    },
    "acme/Llama-3.2-3B-copy": { files: { "config.json": textFile(LLAMA_3B_CONFIG) } },
    "evil/truncated-json": { files: { "config.json": textFile(LLAMA_8B_CONFIG.slice(0, 200)) } },
    "evil/huge-header": {
      files: { "config.json": textFile(LLAMA_8B_CONFIG), "model.safetensors": hugeHeader() },
    },
    "evil/redirect-loop": { hostile: "redirect-loop", files: { "config.json": textFile(LLAMA_8B_CONFIG) } },
    "evil/stall": { hostile: "stall", files: {} },
  });
});

afterAll(async () => {
  await hub?.close();
  rmSync(cache, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** What two estimates must share to be the same answer (names and notes aside). */
const figures = (e: {
  devices: unknown;
  kvBytesPerToken: number;
  maxContextLength: number;
  maxConcurrentSequences: number;
  model: { parameters: number };
  fits: boolean;
  performance: unknown;
}) => ({
  devices: e.devices,
  kv: e.kvBytesPerToken,
  maxContext: e.maxContextLength,
  maxSeqs: e.maxConcurrentSequences,
  parameters: e.model.parameters,
  fits: e.fits,
  performance: e.performance,
});

describe("Hub ids", () => {
  test("a config.json + sharded safetensors repo equals the catalog model and the same files on disk", async () => {
    const viaHub = await runJson(["estimate", "--model", "acme/Llama-3.1-8B-copy", ...GPU, "--json"], {
      env: env(),
    });
    const viaCatalog = await runJson(["estimate", "--model", "meta-llama/Llama-3.1-8B", ...GPU, "--json"]);
    expect(figures(viaHub)).toEqual(figures(viaCatalog));
    // published count for Llama-3.1-8B (its catalog entry's source); BF16 bytes from the headers
    expect(viaHub.model.parameters).toBe(8_030_261_248);
    expect(viaHub.notes.join(" ")).toContain("16,060,522,496 bytes of tensors in 2 safetensors files");
    // only headers crossed the wire: a few hundred kB, not 16 GB
    expect(hub.bytesSent()).toBeLessThan(300_000);
    expect(hub.log.some((l) => l.includes("model-00002-of-00002.safetensors bytes=0-"))).toBe(true);

    const dir = join(work, "llama-copy");
    mkdirSync(dir, { recursive: true });
    for (const [name, f] of Object.entries(llamaShards())) {
      writeFileSync(join(dir, name), f.head);
      const fd = openSync(join(dir, name), "r+");
      ftruncateSync(fd, f.size);
      closeSync(fd);
    }
    const viaDisk = await runJson([
      "estimate",
      "--model",
      join(dir, "model.safetensors.index.json"),
      ...GPU,
      "--json",
    ]);
    expect(figures(viaHub)).toEqual(figures(viaDisk));
  });

  test("an NVFP4 repo whose quantization is in hf_quant_config.json equals the same two files on disk", async () => {
    const args = ["--engine", "vllm", "--gpu", "B200", "--gpus", "2", "--tp", "2", "--json"];
    const viaHub = await runJson(["estimate", "--model", "acme/Qwen3-235B-A22B-NVFP4-copy", ...args], {
      env: env(),
    });
    const viaDisk = await runJson(["estimate", "--model", NVFP4_DIR, ...args]);
    expect(figures(viaHub)).toEqual(figures(viaDisk));
    // the NVFP4 weights (test/quant: 134,101,505,504 bytes for this checkpoint), not BF16's ~470 GB
    expect(viaHub.notes.join(" ")).toContain("read from hf_quant_config.json");
  });

  test("a second run answers from the cache with the Hub unreachable, and --offline too", async () => {
    const first = await runJson(["estimate", "--model", "acme/Llama-3.1-8B-copy", ...GPU, "--json"], {
      env: env(),
    });
    const unreachable = { ...env(), HF_ENDPOINT: "http://127.0.0.1:9" };
    // same endpoint key is needed for the cache: use --offline with the stand-in's endpoint instead
    const offline = await runJson(
      ["estimate", "--model", "acme/Llama-3.1-8B-copy", ...GPU, "--offline", "--json"],
      { env: env() },
    );
    expect(offline).toEqual(first);
    const r = await runMain(["estimate", "--model", "acme/Llama-3.1-8B-copy", ...GPU], { env: unreachable });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^memlens: model\.id: acme\/Llama-3\.1-8B-copy: cannot reach http:\/\/127\.0\.0\.1:9.*, and it is not in the cache; .*pass a local config\.json/,
    );
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  test("other commands take Hub ids through the same resolver", async () => {
    const plan = await runMain(["plan", "--model", "acme/Llama-3.1-8B-copy", "--gpu", "RTX-4090", "--json"], {
      env: env(),
    });
    expect(plan.out.slice(0, 300)).not.toContain("error");
    expect(plan.code).toBe(0);
    const fit = await runJson(
      [
        "train-fit",
        "--model",
        "acme/Llama-3.1-8B-copy",
        "--gpu",
        "H100-SXM-80GB",
        "--method",
        "lora",
        "--json",
      ],
      { env: env() },
    );
    const fitCatalog = await runJson([
      "train-fit",
      "--model",
      "meta-llama/Llama-3.1-8B",
      "--gpu",
      "H100-SXM-80GB",
      "--method",
      "lora",
      "--json",
    ]);
    expect(fit.candidates).toEqual(fitCatalog.candidates);
  });
});

describe("GGUF repos", () => {
  test("without a tag the repo's Q4_K_M is read; it equals the same file on disk", async () => {
    const viaHub = await runJson(
      ["estimate", "--model", "acme/tiny-GGUF", "--engine", "llama.cpp", ...GPU, "--json"],
      { env: env() },
    );
    expect(viaHub.scenario.weights).toBe("Q4_K_M");
    expect(viaHub.notes.join(" ")).toMatch(/Quants in the repo: Q4_K_M \d[\d,]* bytes, Q8_0 /);
    const path = join(work, "tiny-Q4_K_M.gguf");
    const f = tinyGguf(15);
    writeFileSync(path, f.head);
    const fd = openSync(path, "r+");
    ftruncateSync(fd, f.size);
    closeSync(fd);
    const viaDisk = await runJson(["estimate", "--model", path, "--engine", "llama.cpp", ...GPU, "--json"]);
    expect(figures(viaHub)).toEqual(figures(viaDisk));
  });

  test(":Q8_0 picks that quant; an absent quant lists those there are", async () => {
    const q8 = await runJson(
      ["estimate", "--model", "acme/tiny-GGUF:q8_0", "--engine", "llama.cpp", ...GPU, "--json"],
      { env: env() },
    );
    expect(q8.scenario.weights).toBe("Q8_0");
    const r = await runMain(["estimate", "--model", "acme/tiny-GGUF:Q5_K_M", ...GPU], { env: env() });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^memlens: model.id: acme\/tiny-GGUF has no Q5_K_M GGUF; it has Q4_K_M \(0\.0 GB\), Q8_0 \(0\.0 GB\)\n$/,
    );
  });

  test("a split GGUF is read part by part and joined", async () => {
    const split = await runJson(
      ["estimate", "--model", "acme/tiny-split-GGUF:Q4_K_M", "--engine", "llama.cpp", ...GPU, "--json"],
      { env: env() },
    );
    const whole = await runJson(
      ["estimate", "--model", "acme/tiny-GGUF", "--engine", "llama.cpp", ...GPU, "--json"],
      { env: env() },
    );
    expect(split.model.parameters).toBe(whole.model.parameters);
    expect(split.devices[0].bytes.weights).toBe(whole.devices[0].bytes.weights);
  });
});

describe("inspect on a Hub id", () => {
  test("reads the same headers as the files on disk, by range requests", async () => {
    const st = await runJson(["inspect", "acme/Llama-3.1-8B-copy", "--json"], { env: env() });
    expect(st).toMatchObject({
      kind: "safetensors",
      tensorCount: 291,
      parameters: 8_030_261_248,
      tensorBytes: 16_060_522_496,
    });
    expect(st.files).toHaveLength(2);
    expect(st.model.parameters).toBe(8_030_261_248);
    const remote = await runJson(["inspect", "acme/tiny-GGUF:Q4_K_M", "--json"], { env: env() });
    const path = join(work, "inspect-tiny-Q4_K_M.gguf");
    const f = tinyGguf(15);
    writeFileSync(path, f.head);
    const fd = openSync(path, "r+");
    ftruncateSync(fd, f.size);
    closeSync(fd);
    const local = await runJson(["inspect", path, "--json"]);
    const strip = ({ path: _p, headerBytesRead: _h, ...rest }: Record<string, unknown>) => rest;
    expect(strip(remote)).toEqual(strip(local));
  });
});

describe("fine-tunes and adapters", () => {
  test("a repo without config.json follows base_model from its card (catalog or Hub)", async () => {
    const ft = await runJson(["estimate", "--model", "acme/llama-8b-finetune", ...GPU, "--json"], {
      env: env(),
    });
    const base = await runJson(["estimate", "--model", "meta-llama/Llama-3.1-8B", ...GPU, "--json"]);
    expect(figures(ft)).toEqual(figures(base));
    expect(ft.model.name).toBe("acme/llama-8b-finetune");
    expect(ft.notes.join(" ")).toContain("base_model meta-llama/Llama-3.1-8B");
    const ft2 = await runJson(["estimate", "--model", "acme/finetune-of-hub-model", ...GPU, "--json"], {
      env: env(),
    });
    expect(figures(ft2)).toEqual(figures(base));
  });

  test("a LoRA adapter repo is its base plus r·(in+out) per adapted matrix", async () => {
    const base = catalogModelSpec("meta-llama/Llama-3.2-3B").parameters;
    for (const id of ["acme/llama-3b-lora", "acme/llama-3b-hub-base-lora", "acme/lora-trained-locally"]) {
      const a = await runJson(["estimate", "--model", id, ...GPU, "--json"], { env: env() });
      // planLora(Llama-3.2-3B, 32, [q_proj, v_proj]) = 9,175,040 (lora.test.ts, PEFT's print_trainable_parameters)
      expect(a.model.parameters - base).toBe(9_175_040);
      expect(a.notes.join(" ")).toMatch(/LoRA adapter .*rank 32 on q_proj, v_proj .*9,175,040 parameters/);
    }
    // the adapter file's own header: 9,175,040 BF16 elements = 18,350,080 bytes
    const local = await runJson(["estimate", "--model", "acme/lora-trained-locally", ...GPU, "--json"], {
      env: env(),
    });
    expect(local.notes.join(" ")).toContain("adapter_model.safetensors holds 18,350,080 bytes of tensors");
  });
});

describe("errors are one line and say what to do", () => {
  const oneLine = async (argv: string[], extra: Record<string, string> = {}) => {
    const r = await runMain(argv, { env: env(extra) });
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.endsWith("\n") && r.err.trim().split("\n").length === 1).toBe(true);
    return r.err;
  };

  test("a gated repo names HF_TOKEN and the licence page; a token opens it", async () => {
    const err = await oneLine(["estimate", "--model", "gated/Llama-3.1-8B-licensed", ...GPU]);
    expect(err).toBe(
      `memlens: model.id: gated/Llama-3.1-8B-licensed is gated: accept its licence at ${hub.endpoint}/gated/Llama-3.1-8B-licensed, then set HF_TOKEN (or pass --hf-token) to a token of that account\n`,
    );
    const bad = await oneLine(["estimate", "--model", "gated/Llama-3.1-8B-licensed", ...GPU], {
      HF_TOKEN: "hf_wrong",
    });
    expect(bad).toMatch(/the token given has no access/);
    const ok = await runJson(
      ["estimate", "--model", "gated/Llama-3.1-8B-licensed", "--hf-token", "hf_good", ...GPU, "--json"],
      { env: env() },
    );
    expect(ok.model.parameters).toBe(8_030_261_248);
  });

  test("a missing repo lists the nearest known ids", async () => {
    const err = await oneLine(["estimate", "--model", "nobody/Llama-3.1-8B-Instrukt", ...GPU]);
    expect(err).toMatch(
      /^memlens: model\.id: nobody\/Llama-3\.1-8B-Instrukt is not on the Hub \(http:\/\/127\.0\.0\.1:\d+\); nearest known ids: .*meta-llama\/Llama-3\.1-8B/,
    );
  });

  test("offline with an empty cache says so and how to pass a config.json", async () => {
    const err = await oneLine(["estimate", "--model", "acme/never-fetched", ...GPU, "--offline"]);
    expect(err).toBe(
      "memlens: model.id: acme/never-fetched: offline (HF_HUB_OFFLINE=1 or --offline), and it is not in the cache; run once with network to cache it, or pass a local config.json (--model ./config.json or a directory holding one)\n",
    );
  });

  test("truncated JSON, a 2^60-byte header, a redirect loop and a stalled server are refused cleanly", async () => {
    expect(await oneLine(["estimate", "--model", "evil/truncated-json", ...GPU])).toMatch(
      /evil\/truncated-json\/config\.json: refused a malformed answer \(not valid JSON; truncated\?\)/,
    );
    expect(await oneLine(["estimate", "--model", "evil/huge-header", ...GPU])).toMatch(
      /the header claims 1152921504606846976 bytes, more than the/,
    );
    expect(await oneLine(["estimate", "--model", "evil/redirect-loop", ...GPU])).toMatch(
      /over 5 redirects \(a loop\?\)/,
    );
    const t0 = Date.now();
    expect(
      await oneLine(["estimate", "--model", "evil/stall", ...GPU], { MEMLENS_HUB_TIMEOUT_MS: "300" }),
    ).toMatch(/no answer within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
