import {
  CUDA_CONTEXT_BYTES,
  findGpu,
  fitLlamaCpp,
  formatBinaryBytes,
  LLAMACPP_FIT_TARGET_BYTES,
  llamaCppModelOf,
  llamaCppSettings,
  MemlensError,
  ollamaEngine,
  ollamaLlamaServer,
  parseScenario,
  parseWeightFormat,
  reportedTotalBytes,
  resolveEngineInput,
  resolveModelSpec,
} from "@memlens/core";
import { intFlag } from "../args.js";
import { type CliIo, styler } from "../io.js";
import { scenarioFromArgs } from "./estimate.js";
import { resolveScenarioModel } from "./model-ref.js";

const HELP = `memlens fit: what llama.cpp's --fit would choose — the largest context and the most GPU layers
that leave --fit-target MiB free on every GPU (llama.cpp's default margin is 1024 MiB)

  memlens fit --model ID|FILE.gguf [--weights Q4_K_M] [--gpu RTX-4090] [--gpus 1] [--ctx 8192]
              [--batch 1] [--kv-cache f16|q8_0|q4_0] [--fit-target 1024] [--scenario FILE] [--json]
              [--engine llama.cpp|ollama]

With --engine ollama (the default for an ollama tag such as llama3.1:8b), the llama-server that
ollama starts: its num_ctx (by VRAM when --ctx is not given), batch and cache type.
`;

/** Splits off fit's own flag, leaving estimate's flags for scenarioFromArgs. */
function takeFitTarget(argv: readonly string[]): { rest: string[]; targetMib: number | undefined } {
  const rest: string[] = [];
  let target: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--fit-target") target = argv[++i] ?? "";
    else if (a.startsWith("--fit-target=")) target = a.slice("--fit-target=".length);
    else rest.push(a);
  }
  return { rest, targetMib: intFlag(target, "--fit-target", 0, 1 << 20) };
}

export async function runFit(argv: readonly string[], io: CliIo): Promise<number> {
  const { rest, targetMib } = takeFitTarget(argv);
  const { scenario: raw, json, help } = await scenarioFromArgs(rest, io);
  if (help) {
    io.stdout.write(HELP);
    return 0;
  }
  const ollama = raw.engine === "ollama";
  if (!ollama) raw.engine = "llama.cpp";
  const spec0 = await resolveScenarioModel(raw, io);
  let scenario = parseScenario(raw);
  const spec = resolveModelSpec(scenario, spec0);
  if (ollama) {
    // the llama-server ollama starts: num_ctx (by VRAM when none is named), batch, cache type
    const input = resolveEngineInput(scenario, spec);
    const ctx =
      raw.contextLength === undefined
        ? (ollamaEngine.defaultContextLength?.(input) ?? scenario.contextLength)
        : scenario.contextLength;
    scenario = ollamaLlamaServer(input, ctx, scenario.batch).input.scenario;
  }
  const format = parseWeightFormat(scenario.weights, spec);
  const model = llamaCppModelOf({ spec, format });
  const hw = scenario.hardware;
  const gpu = "gpu" in hw ? findGpu(hw.gpu) : undefined;
  // llama.cpp's --fit fits into the free memory the driver reports once its CUDA context exists:
  // the reported total (catalog, sourced) less that context, where the catalog has the total.
  const reported = gpu && !ollama ? reportedTotalBytes(gpu) : null;
  const capacity =
    reported !== null
      ? reported - CUDA_CONTEXT_BYTES
      : gpu
        ? gpu.memoryBytes
        : (hw as { memoryBytes: number }).memoryBytes;
  const gpuCount = scenario.engineOptions.backend === "cpu" ? 0 : hw.count;
  const settings = llamaCppSettings(scenario, model.hparams.nLayer, gpuCount);
  const engineLabel = ollama ? "ollama (llama-server)" : "llama.cpp";
  const margin = targetMib === undefined ? LLAMACPP_FIT_TARGET_BYTES : targetMib * 1024 * 1024;
  if (margin >= capacity)
    throw new MemlensError(
      "invalid-value",
      `--fit-target ${margin / 2 ** 20} MiB leaves nothing of the ${formatBinaryBytes(capacity)} device`,
      "--fit-target",
    );
  const r = fitLlamaCpp(model, settings, capacity, margin);
  const out = {
    model: spec.id,
    weights: model.fileType,
    devices: Math.max(1, gpuCount),
    capacityBytes: capacity,
    fitTargetBytes: margin,
    contextLength: settings.contextLength,
    batch: settings.nSeq,
    maxContextLength: r.maxContextLength,
    gpuLayers: r.gpuLayers,
    totalLayers: model.hparams.nLayer + 1,
    deviceBytesAtRequest: r.deviceBytes,
    fitsAsRequested: r.deviceBytes.every((b) => b <= capacity - margin),
  };
  if (json) {
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const st = styler(io);
  const lines = [
    st.bold(
      `${spec.id} · ${engineLabel} · ${model.fileType ?? "?"} · ${out.devices} × ${formatBinaryBytes(capacity)} · margin ${formatBinaryBytes(margin)}`,
    ),
    `At ${settings.contextLength.toLocaleString("en-US")} tokens × ${settings.nSeq}: ${r.deviceBytes.map((b) => formatBinaryBytes(b, 2)).join(" + ")} used per device — ${out.fitsAsRequested ? st.green("fits") : st.red("does not fit")}`,
    gpuCount > 0
      ? `Most GPU layers at this context: ${r.gpuLayers} of ${out.totalLayers} (n_gpu_layers, output layer included)`
      : "CPU-only build: no GPU layers to choose.",
    `Largest context with every layer on the GPU${gpuCount > 1 ? "s" : ""}: ${r.maxContextLength === null ? "none fits" : `${r.maxContextLength.toLocaleString("en-US")} tokens per sequence`}`,
  ];
  if (reported !== null && gpu)
    lines.push(
      `Device memory: the ${formatBinaryBytes(reported, 2)} the driver reports as total on the ${gpu.id} (not its ${formatBinaryBytes(gpu.memoryBytes)} marketed size), less the ${formatBinaryBytes(CUDA_CONTEXT_BYTES)} CUDA context: what llama.cpp sees free.`,
    );
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
