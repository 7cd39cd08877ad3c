import {
  catalogModelSpec,
  formatBinaryBytes,
  MemlensError,
  type ModelSpec,
  modelSpecFromHfConfig,
  searchTrainingSettings,
  TRAIN_FIT_COST,
  type TrainFitResult,
} from "@memlens/core";
import { intFlag, parseFlags } from "../args.js";
import { modelSpecFromConfigFile } from "../files/model-files.js";
import { type CliIo, styler } from "../io.js";
import {
  HARDWARE_FLAGS,
  hardwareWithFlags,
  OUTPUT_FLAGS,
  readScenarioFlag,
  SOURCE_FLAGS,
} from "./estimate.js";
import { modelFieldOf, resolveScenarioModel } from "./model-ref.js";

const HELP = `memlens train-fit: the largest micro-batch and sequence length that fit, and the cheapest
training settings (method × sharding × checkpointing × offload) that fit the GPUs

  memlens train-fit --scenario FILE|- [--json]
  memlens train-fit --model ID|CONFIG.json --gpu H100-SXM-80GB [--gpus 8] [--engine transformers|torchtune|deepspeed|litgpt|unsloth|trl|axolotl]
                    [--method full|lora|qlora] [--methods full,lora,qlora] [--optimizer adamw|adamw-8bit|adafactor|sgd]
                    [--precision bf16-mixed|fp16-mixed|bf16|fp32] [--seq 2048] [--micro-batch 1]
                    [--grad-accum 1] [--checkpointing none|selective|full] [--zero 0|1|2|3] [--fsdp]
                    [--offload none|optimizer-cpu|all-cpu|nvme] [--lora-rank 16] [--lora-targets q_proj,v_proj]
                    [--attention sdpa|flash|eager] [--top 10] [--json]

Flags override the scenario's "training" block. Settings are ranked by an explicit cost (lower is
better): method full 0 · lora 1 · qlora 2; checkpointing none 0 · selective 0.5 · full 2; sharding
none 0 · ZeRO-1 0.25 · ZeRO-2/SHARD_GRAD_OP 0.5 · ZeRO-3/FULL_SHARD 1.5; offload none 0 ·
optimizer-cpu 3 · all-cpu 5 · nvme 8. --methods widens the search beyond --method.
`;

const FLAGS = {
  ...SOURCE_FLAGS,
  ...HARDWARE_FLAGS,
  weights: { type: "string" },
  method: { type: "string" },
  methods: { type: "string" },
  optimizer: { type: "string" },
  precision: { type: "string" },
  seq: { type: "string" },
  "micro-batch": { type: "string" },
  "grad-accum": { type: "string" },
  checkpointing: { type: "string" },
  zero: { type: "string" },
  fsdp: { type: "boolean" },
  offload: { type: "string" },
  "lora-rank": { type: "string" },
  "lora-targets": { type: "string" },
  attention: { type: "string" },
  top: { type: "string" },
  ...OUTPUT_FLAGS,
} as const;

const METHODS = ["full", "lora", "qlora"] as const;
type Method = (typeof METHODS)[number];

export async function runTrainFit(argv: readonly string[], io: CliIo): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const s = await readScenarioFlag(v.scenario, io);
  s.task = "training";
  if (v.model !== undefined) {
    s.model = modelFieldOf(v.model);
  }
  if (s.model === undefined)
    throw new MemlensError(
      "missing-field",
      "model: give --model ID (see `memlens models`) or --scenario FILE",
      "model",
    );
  if (v.engine !== undefined) s.engine = v.engine;
  if (v.weights !== undefined) s.weights = v.weights;
  const mem = intFlag(v["memory-bytes"], "--memory-bytes", 1, Number.MAX_SAFE_INTEGER);
  const count = intFlag(v.gpus, "--gpus", 1, 65536);
  const hw = hardwareWithFlags(s.hardware, { gpu: v.gpu, memoryBytes: mem, count });
  if (hw.count === undefined && Object.keys(hw).length > 0) hw.count = 1;
  if (Object.keys(hw).length > 0) s.hardware = hw;
  if (v.attention !== undefined)
    s.engineOptions = { ...((s.engineOptions as object | undefined) ?? {}), attention: v.attention };

  const t: Record<string, unknown> = { ...((s.training as Record<string, unknown> | undefined) ?? {}) };
  if (v.method !== undefined) t.method = v.method;
  if (v.optimizer !== undefined) t.optimizer = v.optimizer;
  if (v.precision !== undefined) t.precision = v.precision;
  const seq = intFlag(v.seq, "--seq", 1, 1 << 24);
  if (seq !== undefined) t.sequenceLength = seq;
  const micro = intFlag(v["micro-batch"], "--micro-batch", 1, 1 << 16);
  if (micro !== undefined) t.microBatch = micro;
  const ga = intFlag(v["grad-accum"], "--grad-accum", 1, 1 << 16);
  if (ga !== undefined) t.gradientAccumulation = ga;
  if (v.checkpointing !== undefined) t.activationCheckpointing = v.checkpointing;
  const zero = intFlag(v.zero, "--zero", 0, 3);
  if (zero !== undefined) t.zeroStage = zero;
  if (v.fsdp !== undefined) t.fsdp = v.fsdp;
  if (v.offload !== undefined) t.offload = v.offload;
  const rank = intFlag(v["lora-rank"], "--lora-rank", 1, 65536);
  if (rank !== undefined || v["lora-targets"] !== undefined) {
    const lora = { ...((t.lora as Record<string, unknown> | undefined) ?? {}) };
    if (rank !== undefined) lora.rank = rank;
    if (v["lora-targets"] !== undefined) lora.targets = v["lora-targets"].split(",").map((x) => x.trim());
    t.lora = lora;
  }
  s.training = t;

  let methods: Method[] | undefined;
  if (v.methods !== undefined) {
    methods = v.methods.split(",").map((x) => x.trim()) as Method[];
    const badMethod = methods.find((m) => !(METHODS as readonly string[]).includes(m));
    if (badMethod !== undefined || methods.length === 0)
      throw new MemlensError(
        "invalid-value",
        `--methods: "${badMethod ?? ""}" is not a training method; allowed: ${METHODS.join(", ")}`,
        "--methods",
        METHODS,
      );
  }
  const top = intFlag(v.top, "--top", 1, 1000) ?? 10;

  const spec = (await resolveScenarioModel(s, io)) ?? specOf(s);
  const result = searchTrainingSettings(s, spec, methods ? { methods } : {});
  if (v.json) {
    io.stdout.write(
      `${JSON.stringify({ scenario: s, ...result, candidates: result.candidates.slice(0, top), cost: TRAIN_FIT_COST }, null, 2)}\n`,
    );
    return 0;
  }
  io.stdout.write(render(result, s, spec, top, io));
  return 0;
}

function specOf(s: Record<string, unknown>): ModelSpec {
  const m = s.model as Record<string, unknown>;
  if (typeof m.config === "string") return modelSpecFromConfigFile(m.config, "model.config");
  if (typeof m.id === "string") return catalogModelSpec(m.id);
  if (m.hfConfig && typeof m.hfConfig === "object") return modelSpecFromHfConfig(m.hfConfig, "inline config");
  throw new MemlensError("unsupported", "model: train-fit reads catalog ids and config.json files", "model");
}

function render(
  r: TrainFitResult,
  s: Record<string, unknown>,
  spec: ModelSpec,
  top: number,
  io: CliIo,
): string {
  const st = styler(io);
  const t = s.training as Record<string, unknown>;
  const hw = s.hardware as Record<string, unknown> | undefined;
  const seq = Number(t.sequenceLength ?? 2048);
  const micro = Number(t.microBatch ?? 1);
  const gpus = `${hw?.count ?? 1} × ${typeof hw?.gpu === "string" ? hw.gpu : formatBinaryBytes(r.capacityBytes)}`;
  const lines: string[] = [];
  lines.push(
    st.bold(
      `${spec.id} · ${r.engine} · ${String(t.method ?? "full")} · ${String(t.precision ?? "bf16-mixed")} · ${String(t.optimizer ?? "adamw")} · ${gpus}`,
    ),
  );
  lines.push(
    `As given (${seq.toLocaleString("en-US")} tokens × micro-batch ${micro}): peak ${formatBinaryBytes(r.given.peakBytes, 2)} per GPU at the ${r.given.peakMoment} of ${formatBinaryBytes(r.capacityBytes, 2)}: ${r.given.fits ? st.green("fits") : st.red("does not fit")}`,
  );
  lines.push(
    `Largest micro-batch at ${seq.toLocaleString("en-US")} tokens: ${r.given.maxMicroBatch || "none"} · largest sequence length at micro-batch ${micro}: ${r.given.maxSequenceLength === null ? "none" : r.given.maxSequenceLength.toLocaleString("en-US")}`,
  );
  lines.push("");
  if (r.candidates.length === 0) {
    lines.push(
      st.red(
        `No setting fits (${r.evaluated} evaluated): add GPUs, shorten sequences or try --methods lora,qlora.`,
      ),
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(`Cheapest settings that fit (${r.candidates.length} of ${r.evaluated}; lower cost is better):`);
  const head = `  ${"#".padEnd(3)}${"method".padEnd(8)}${"sharding".padEnd(20)}${"checkpointing".padEnd(15)}${"offload".padEnd(15)}${"peak/GPU".padStart(12)}${"max micro-batch".padStart(17)}${"cost".padStart(7)}`;
  lines.push(head);
  // With one GPU there is one data-parallel rank: ZeRO shards nothing, yet its rows differ from
  // "none" because the HF Trainer then hands the model to DeepSpeed, which runs it in 16 bit.
  const oneRank = (hw?.count ?? 1) === 1;
  const label = (sharding: string) => (oneRank && sharding.startsWith("zero") ? `${sharding}*` : sharding);
  const shown = r.candidates.slice(0, top);
  shown.forEach((c, i) => {
    lines.push(
      `  ${String(i + 1).padEnd(3)}${c.method.padEnd(8)}${label(c.sharding).padEnd(20)}${c.activationCheckpointing.padEnd(15)}${c.offload.padEnd(15)}${formatBinaryBytes(c.peakBytes, 2).padStart(12)}${String(c.maxMicroBatch).padStart(17)}${String(c.cost).padStart(7)}`,
    );
  });
  if (shown.some((c) => label(c.sharding) !== c.sharding))
    lines.push(
      st.dim(
        '* One GPU: ZeRO shards nothing here. The row differs from "none" because the HF Trainer hands the model to DeepSpeed, which runs every non-quantized weight in 16 bit where PEFT keeps norms, embeddings, lm_head and adapters in FP32.',
      ),
    );
  lines.push(
    st.dim(
      "Cost: method full 0 · lora 1 · qlora 2; checkpointing none 0 · selective 0.5 · full 2; sharding none 0 · zero-1 0.25 · zero-2/grad-op 0.5 · zero-3/full-shard 1.5; offload none 0 · optimizer-cpu 3 · all-cpu 5 · nvme 8.",
    ),
  );
  return `${lines.join("\n")}\n`;
}
