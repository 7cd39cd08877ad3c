import { findGpu } from "../catalog/gpu-lookup.js";
import { findModelRow } from "../catalog/models.js";
import { MemlensError } from "../errors/memlens-error.js";
import type { ModelSpec } from "../models/model-spec.js";
import {
  type Scenario,
  scenarioToJson,
  type TrainingEngine,
  type TrainingOptions,
} from "../scenario/scenario.js";
import { stageOfLayers } from "./devices.js";
import { CUDA_CONTEXT_BYTES } from "./engines/cuda-context.js";
import { type DeviceBytes, type DeviceEstimate, type Estimate, estimateModel } from "./estimate-types.js";
import { largestFitting } from "./largest-fitting.js";
import { fullTensors, type LoraPlan, loraTensors, planLora, type TrainableTensor } from "./lora.js";
import {
  type ActivationDtypes,
  type AttentionImpl,
  heldBytes,
  type LayerActivations,
  layerActivations,
  lossActivations,
  type TrainingActivationInput,
} from "./training-activations.js";
import {
  checkOffload,
  compiledProfile,
  headDequantBytes,
  type Sharding,
  shardingOf,
  type TrainingProfile,
  trainingProfile,
} from "./training-profile.js";
import {
  type DeviceModelStates,
  type DevicePlacement,
  deviceModelStates,
  GPUS_PER_NODE,
} from "./training-states.js";
import { describeWeightFormat, parseWeightFormat, type WeightFormat, weightFormatName } from "./weights.js";

/** Knobs a caller can force on top of what the scenario implies (calibration of other frameworks). */
export interface TrainingOverrides {
  readonly profile?: Partial<TrainingProfile>;
  readonly attention?: AttentionImpl;
  readonly expandKv?: boolean;
}

/** Everything about a training run that does not depend on micro-batch or sequence length. */
export interface TrainingSetup {
  readonly spec: ModelSpec;
  readonly engine: TrainingEngine;
  readonly training: TrainingOptions;
  readonly profile: TrainingProfile;
  readonly sharding: Sharding;
  readonly frozenFormat: WeightFormat | null;
  readonly lora: LoraPlan | null;
  readonly trainable: readonly TrainableTensor[];
  readonly dataParallel: number;
  readonly tensorParallel: number;
  readonly pipelineParallel: number;
  readonly deviceCount: number;
  readonly capacityBytes: number;
  readonly attention: AttentionImpl;
  readonly expandKvOverride: boolean | undefined;
  readonly attentionDropout: number;
  readonly hiddenDropout: number;
  readonly dtypes: ActivationDtypes;
  /** Model states per pipeline stage. */
  readonly stageStates: readonly DeviceModelStates[];
  readonly stageLayers: readonly (readonly number[])[];
  readonly notes: readonly string[];
}

/** The moment of the training step whose memory is the peak. */
export type PeakMoment = "forward" | "loss-backward" | "backward" | "optimizer-step";

export interface TrainingMemory {
  /** One entry per GPU of one data-parallel replica (tensor × pipeline ranks). */
  readonly devices: readonly DeviceBytes[];
  readonly peakMoments: readonly PeakMoment[];
  /** Per device: the peak as torch.cuda.max_memory_allocated would report it (no context, no block slack). */
  readonly allocatedPeakBytes: readonly number[];
  readonly forwardBytes: readonly number[];
  readonly backwardBytes: readonly number[];
  readonly optimizerStepBytes: readonly number[];
  readonly activationHostBytesPerGpu: number;
  readonly logitsBytes: number;
  readonly notes: readonly string[];
}

const DROPOUT_KEYS = {
  attention: ["attention_dropout", "attn_pdrop", "attention_probs_dropout_prob", "attn_dropout"],
  hidden: ["hidden_dropout", "resid_pdrop", "hidden_dropout_prob", "dropout"],
} as const;

function readDropout(config: Readonly<Record<string, unknown>> | undefined, keys: readonly string[]): number {
  if (!config) return 0;
  const text = (config.text_config ?? config) as Record<string, unknown>;
  for (const k of keys) {
    const v = text[k];
    if (typeof v === "number" && v > 0 && v < 1) return v;
  }
  return 0;
}

/** The config.json a scenario names, when core has it (catalog id or inline). */
function rawConfigOf(scenario: Scenario): Readonly<Record<string, unknown>> | undefined {
  const m = scenario.model;
  if ("id" in m) return findModelRow(m.id)?.config as Readonly<Record<string, unknown>> | undefined;
  if ("hfConfig" in m) return m.hfConfig;
  return undefined;
}

/** The frozen base format for LoRA / QLoRA, or null for full fine-tuning. */
function frozenFormatOf(
  scenario: Scenario,
  spec: ModelSpec,
  t: TrainingOptions,
  profile: TrainingProfile,
): WeightFormat | null {
  const given = scenario.weights;
  if (t.method === "full") {
    if (given !== undefined) {
      const f = parseWeightFormat(given, spec);
      if (f.kind !== "dense")
        throw new MemlensError(
          "invalid-value",
          `weights: full fine-tuning trains dense weights, not "${given}"; use training.method "qlora" or "lora" for a quantized base`,
          "weights",
          ["fp32", "bf16", "fp16"],
        );
    }
    return null;
  }
  // A bitsandbytes checkpoint (unsloth's *-bnb-4bit) is the frozen base as it ships, LoRA or QLoRA.
  const bnb =
    spec.nativeQuantization?.source !== undefined && /^(nf4|int8)$/.test(spec.nativeQuantization.method);
  if (given === undefined && bnb) return parseWeightFormat(undefined, spec);
  if (t.method === "qlora") {
    // QLoRA (Dettmers et al. 2023): NF4 base with double quantization of the absmax constants.
    if (given === undefined) return { kind: "nf4", doubleQuant: profile.nf4DoubleQuant };
    const f = parseWeightFormat(given, spec);
    if (f.kind === "dense")
      throw new MemlensError(
        "invalid-value",
        `weights: QLoRA needs a quantized base (nf4, int8, gptq, awq...), not "${given}"; use training.method "lora" for a ${given} base`,
        "weights",
        ["nf4", "int8", "gptq", "awq", "fp8"],
      );
    return f.kind === "nf4" ? { kind: "nf4", doubleQuant: profile.nf4DoubleQuant } : f;
  }
  if (given === undefined)
    return {
      kind: "dense",
      dtype: profile.frozenBytes === 4 ? "fp32" : t.precision === "fp16-mixed" ? "fp16" : "bf16",
    };
  return parseWeightFormat(given, spec);
}

/**
 * Resolves a training scenario into a setup: framework profile, sharding, trainable tensors, the
 * frozen base, parallel layout and per-stage model states.
 */
export function resolveTrainingSetup(
  scenario: Scenario,
  spec: ModelSpec,
  overrides: TrainingOverrides = {},
): TrainingSetup {
  const t = scenario.training;
  if (!t) throw new MemlensError("missing-field", 'training: required with "task": "training"', "training");
  const engine = scenario.engine as TrainingEngine;
  const notes: string[] = [];
  const sharding = shardingOf(engine, t);
  checkOffload(t, sharding);
  const baseProfile = trainingProfile(engine, t, sharding);
  const compiled = scenario.engineOptions.compile === true ? compiledProfile(baseProfile) : baseProfile;
  const profile: TrainingProfile = { ...compiled, ...overrides.profile };
  notes.push(...profile.notes);
  if (compiled !== baseProfile)
    notes.push(
      "torch.compile: Inductor fuses RMSNorm, SiLU·mul and the cross-entropy, and AOTAutograd's min-cut partitioner saves their 16-bit inputs instead of FP32 copies and intermediate products (recomputed in backward).",
    );

  const hw = scenario.hardware;
  const capacityBytes = "gpu" in hw ? findGpu(hw.gpu).memoryBytes : hw.memoryBytes;
  const { tensor: tp, pipeline: pp, data } = scenario.parallel;
  if (tp * pp > hw.count)
    throw new MemlensError(
      "invalid-value",
      `parallel.tensor × parallel.pipeline = ${tp * pp} needs that many GPUs but hardware.count is ${hw.count}`,
      "hardware.count",
    );
  if (data > 1 && tp * pp * data > hw.count)
    throw new MemlensError(
      "invalid-value",
      `parallel.tensor × pipeline × data = ${tp * pp * data} needs that many GPUs but hardware.count is ${hw.count}`,
      "hardware.count",
    );
  const dp = data > 1 ? data : Math.max(1, Math.floor(hw.count / (tp * pp)));
  if (sharding.kind !== "none" && dp === 1)
    notes.push("ZeRO / FSDP over a single data-parallel rank shards nothing (N_d = 1).");

  const lora = t.method === "full" ? null : planLora(spec, t.lora.rank, t.lora.targets);
  const trainable = lora ? loraTensors(lora) : fullTensors(spec);
  const frozenFormat = frozenFormatOf(scenario, spec, t, profile);
  if (frozenFormat) notes.push(`Frozen base weights stored as ${describeWeightFormat(frozenFormat)}.`);
  if (lora)
    notes.push(
      `LoRA rank ${lora.rank} on ${[...new Set(lora.adapters.map((a) => a.module.leaf))].join(", ")}: ${lora.parameters.toLocaleString("en-US")} trainable parameters (r·(in+out) per adapted matrix); adapter dropout assumed 0.`,
    );

  let attention: AttentionImpl = overrides.attention ?? scenario.engineOptions.attention ?? "sdpa";
  if (attention === "flash" && profile.computeBytes === 4) {
    attention = "sdpa";
    notes.push("FlashAttention has no FP32 kernel: FP32 training uses SDPA's memory-efficient kernel.");
  }
  const raw = rawConfigOf(scenario);
  const attentionDropout = readDropout(raw, DROPOUT_KEYS.attention);
  const hiddenDropout = readDropout(raw, DROPOUT_KEYS.hidden);
  if (!raw) notes.push("Dropout probabilities unknown (model given as a file): assumed 0.");
  else if (attentionDropout > 0 || hiddenDropout > 0)
    notes.push(
      `Dropout from config.json (attention ${attentionDropout}, hidden ${hiddenDropout}) saves a 1-byte mask per dropped element.`,
    );

  const residualBytes =
    t.method === "full"
      ? profile.paramBytes
      : t.method === "qlora"
        ? profile.unquantizedBytes
        : profile.frozenBytes;
  const dtypes: ActivationDtypes = {
    residualBytes: frozenFormat?.kind === "dense" ? (frozenFormat.dtype === "fp32" ? 4 : 2) : residualBytes,
    computeBytes: profile.computeBytes,
    autocast: profile.autocast,
    normUpcast: profile.normUpcast,
    adapterBytes: profile.adapterBytes,
    adapterCastsInput: profile.adapterCastsInput,
    fusedSwiGlu: profile.fusedSwiGlu,
    quantizedSavesInput: profile.quantizedSavesInput,
    adapterDropout: profile.adapterDropout,
  };

  const stages = stageOfLayers(spec.numLayers, pp);
  const stageLayers: number[][] = Array.from({ length: pp }, () => []);
  stages.forEach((s, l) => {
    stageLayers[s]?.push(l);
  });
  const gpusPerNode = Math.min(hw.count, GPUS_PER_NODE);
  const nodes = Math.ceil(hw.count / GPUS_PER_NODE);
  const stageStates = stageLayers.map((layers, stage) => {
    const placement: DevicePlacement = {
      dataParallel: dp,
      tensorParallel: tp,
      pipelineParallel: pp,
      stage,
      layers: new Set(layers),
      gpusPerNode,
      nodes,
    };
    return deviceModelStates({ spec, training: t, profile, sharding, trainable, frozenFormat, placement });
  });
  for (const n of stageStates[0]?.notes ?? []) notes.push(n);

  return {
    spec,
    engine,
    training: t,
    profile,
    sharding,
    frozenFormat,
    lora,
    trainable,
    dataParallel: dp,
    tensorParallel: tp,
    pipelineParallel: pp,
    deviceCount: hw.count,
    capacityBytes,
    attention,
    expandKvOverride: overrides.expandKv,
    attentionDropout,
    hiddenDropout,
    dtypes,
    stageStates,
    stageLayers,
    notes,
  };
}

/** Attention mask kept for the whole step: HF builds a 4-D [b, 1, s, s] mask for eager (model dtype)
 * and for SDPA when the batch is padded (boolean); flash attention unpads instead. */
function maskBytes(setup: TrainingSetup, micro: number, seq: number): number {
  if (setup.training.packed && setup.attention !== "eager") return 0;
  if (setup.attention === "eager") return micro * seq * seq * setup.profile.computeBytes;
  if (setup.attention === "sdpa" && micro > 1) return micro * seq * seq;
  return 0;
}

function activationInput(setup: TrainingSetup, micro: number, seq: number): TrainingActivationInput {
  const t = setup.training;
  const tp = setup.tensorParallel;
  // transformers' SDPA path repeats K/V heads unless it can pass no mask (torch ≥ 2.5, no padding);
  // eager always repeats (repeat_kv); flash attention handles GQA natively; torchtune expands.
  const expandKv =
    setup.expandKvOverride ??
    (setup.attention === "eager" ||
      (setup.attention === "sdpa" && ((micro > 1 && !t.packed) || setup.profile.sdpaExpandsKv)));
  return {
    spec: setup.spec,
    dtypes: setup.dtypes,
    fullTraining: t.method === "full",
    adaptedModules: setup.lora?.adaptedModules ?? new Set(),
    loraRank: setup.lora?.rank ?? 0,
    quantizedBase: setup.frozenFormat !== null && setup.frozenFormat.kind !== "dense",
    microBatch: micro,
    sequenceLength: seq,
    packed: t.packed,
    attention: setup.attention,
    expandKv,
    attentionDropout: setup.attentionDropout,
    hiddenDropout: setup.hiddenDropout,
    softmaxFp32: setup.spec.architecture !== "gpt2",
    tensorParallel: tp,
    sequenceParallel: tp > 1,
  };
}

/**
 * Peak memory per GPU of one training step at a micro-batch and sequence length: the largest of
 * the forward pass's end, every point of the backward pass (activations freed layer by layer while
 * gradients accumulate) and the optimizer step. Not a sum of everything.
 */
export function trainingMemory(
  setup: TrainingSetup,
  microBatch: number,
  sequenceLength: number,
): TrainingMemory {
  const t = setup.training;
  const tp = setup.tensorParallel;
  const pp = setup.pipelineParallel;
  const ax = activationInput(setup, microBatch, sequenceLength);
  const recompute = t.activationCheckpointing;
  const ga = t.gradientAccumulation;
  const layerActs = new Map<string, LayerActivations>();
  // Layers with identical specs have identical inventories: compute each shape once.
  const actOf = (l: number): LayerActivations => {
    const layer = setup.spec.layers[l];
    if (!layer) throw new MemlensError("internal", `no layer ${l}`);
    const key = JSON.stringify([
      layer.mixer,
      layer.ffn,
      setup.spec.tensors.filter((x) => x.layer === l).length,
    ]);
    let a = layerActs.get(key);
    if (!a) {
      a = layerActivations(ax, layer);
      layerActs.set(key, a);
    }
    return a;
  };
  const loss = lossActivations({
    spec: setup.spec,
    dtypes: setup.dtypes,
    fullTraining: t.method === "full",
    tokens: microBatch * sequenceLength,
    lossChunks: t.lossChunks,
    lossChunkTokens: setup.profile.lossChunkTokens,
    fused: setup.profile.loss === "fused",
    compiled: setup.profile.loss === "compiled",
    upcast: setup.profile.lossUpcast,
    headDequantBytes: headDequantBytes(setup.profile, setup.frozenFormat, setup.spec, setup.tensorParallel),
    tensorParallel: tp,
    sequenceParallel: tp > 1,
  });
  const mask = maskBytes(setup, microBatch, sequenceLength);

  const devices: DeviceBytes[] = [];
  const moments: PeakMoment[] = [];
  const allocated: number[] = [];
  const fwdAll: number[] = [];
  const bwdAll: number[] = [];
  const stepAll: number[] = [];
  let hostActivations = 0;
  for (let stage = 0; stage < pp; stage++) {
    const ms = setup.stageStates[stage] as DeviceModelStates;
    const layers = setup.stageLayers[stage] ?? [];
    const last = stage === pp - 1;
    // 1F1B keeps min(stages ahead, micro-batches) micro-batches in flight (Narayanan et al. 2021).
    const inflight = Math.min(pp - stage, ga);
    const acts = layers.map(actOf);
    const held = acts.map((a) => heldBytes(a, recompute));
    const heldSum = held.reduce((s, x) => s + x, 0);
    const maxHeld = Math.max(0, ...held);
    const offloadActs =
      t.activationOffloading || (setup.profile.checkpointsOffloaded && recompute === "full");
    if (offloadActs) hostActivations = Math.max(hostActivations, heldSum * inflight);
    // With activation offloading only the layer in flight and one prefetched layer stay on the GPU.
    const heldOnGpu = (upTo: number) =>
      offloadActs
        ? Math.min(
            2 * maxHeld,
            held.slice(0, upTo).reduce((s, x) => s + x, 0),
          )
        : held.slice(0, upTo).reduce((s, x) => s + x, 0);
    const gradsResident = ga > 1 && !t.optimizerInBackward ? ms.gradientBytes : 0;
    const states =
      ms.frozenWeightBytes +
      ms.trainableParamBytes +
      ms.optimizerBytes +
      ms.masterBytes +
      ms.bufferBytes +
      ms.gatheredBytes +
      ms.autocastCopyBytes +
      gradsResident;
    const lossSaved = last ? loss.savedBytes : 0;
    const otherInflight = offloadActs ? 0 : (inflight - 1) * heldSum;

    // Forward: each layer's transient on top of what earlier layers saved; then the loss.
    let fwd = 0;
    let fwdAct = 0;
    acts.forEach((a, i) => {
      const act = otherInflight + heldOnGpu(i) + a.forwardWorkspaceBytes + mask;
      if (states + act > fwd) {
        fwd = states + act;
        fwdAct = act;
      }
    });
    if (last) {
      const act = otherInflight + heldOnGpu(acts.length) + mask + lossSaved + loss.forwardPeakBytes;
      if (states + act > fwd) {
        fwd = states + act;
        fwdAct = act;
      }
    }
    // Backward: the loss, then layers last to first; gradients appear as each layer finishes.
    let bwd = 0;
    let bwdAct = 0;
    let bwdGrad = 0;
    let lossBwd = false;
    const gradOf = (l: number) => (t.optimizerInBackward ? 0 : (ms.gradientBytesByLayer.get(l) ?? 0));
    let grads = 0;
    if (last) {
      const act = otherInflight + heldOnGpu(acts.length) + mask + lossSaved + loss.backwardPeakBytes;
      bwd = states + act;
      bwdAct = act;
      lossBwd = true;
      grads += t.optimizerInBackward ? 0 : ms.headGradientBytes;
    }
    for (let i = acts.length - 1; i >= 0; i--) {
      const a = acts[i] as LayerActivations;
      const cur = recompute === "full" ? a.savedBytes : (held[i] ?? 0);
      const core = recompute === "selective" ? a.recomputedCoreBytes : 0;
      const act = otherInflight + heldOnGpu(i) + cur + a.backwardWorkspaceBytes + core + mask;
      const g =
        ga > 1
          ? 0
          : grads + (t.optimizerInBackward ? (ms.gradientBytesByLayer.get(layers[i] as number) ?? 0) : 0);
      if (states + g + act > bwd) {
        bwd = states + g + act;
        bwdAct = act;
        bwdGrad = g;
        lossBwd = false;
      }
      grads += gradOf(layers[i] as number);
    }
    if (stage === 0 && ga === 1 && !t.optimizerInBackward) {
      const g = grads + ms.embeddingGradientBytes;
      if (states + g > bwd) {
        bwd = states + g;
        bwdAct = 0;
        bwdGrad = g;
        lossBwd = false;
      }
    }
    // Optimizer step: no activations; parameters, gradients, states and the step's temporaries.
    const stepGrads = t.optimizerInBackward ? 0 : ms.gradientBytes;
    const step =
      ms.frozenWeightBytes +
      ms.trainableParamStepBytes +
      stepGrads +
      ms.optimizerBytes +
      ms.masterBytes +
      ms.stepTransientBytes +
      ms.bufferBytes;

    let moment: PeakMoment;
    let weights: number;
    let gradients: number;
    let optimizer = ms.optimizerBytes + ms.masterBytes;
    let activations: number;
    if (step >= fwd && step >= bwd) {
      moment = "optimizer-step";
      weights = ms.frozenWeightBytes + ms.trainableParamStepBytes;
      gradients = stepGrads;
      optimizer += ms.stepTransientBytes;
      activations = 0;
    } else {
      const useFwd = fwd >= bwd;
      moment = useFwd ? "forward" : lossBwd ? "loss-backward" : "backward";
      weights = ms.frozenWeightBytes + ms.trainableParamBytes + ms.gatheredBytes + ms.autocastCopyBytes;
      gradients = gradsResident + (useFwd ? 0 : bwdGrad);
      activations = useFwd ? fwdAct : bwdAct;
    }
    const allocatedPeak = weights + gradients + optimizer + activations + ms.bufferBytes;
    // Caching-allocator block slack of the activations alive at the peak, at the saved tensors'
    // rounding ratio (blocks over 1 MiB round up to 2 MiB).
    const slackRatio =
      acts.reduce((s, a) => s + a.savedSlackBytes, 0) /
      Math.max(
        1,
        acts.reduce((s, a) => s + a.savedBytes, 0),
      );
    const actSlack = Math.ceil(activations * slackRatio);
    const overhead = CUDA_CONTEXT_BYTES + ms.bufferBytes + ms.allocatorSlackBytes + actSlack;
    const total = weights + gradients + optimizer + activations + overhead;
    for (let r = 0; r < tp; r++) {
      devices.push({
        weights,
        kvCache: 0,
        activations,
        gradients,
        optimizerStates: optimizer,
        overhead,
        total,
      });
      moments.push(moment);
      allocated.push(allocatedPeak);
      fwdAll.push(fwd);
      bwdAll.push(bwd);
      stepAll.push(step);
    }
  }
  return {
    devices,
    peakMoments: moments,
    allocatedPeakBytes: allocated,
    forwardBytes: fwdAll,
    backwardBytes: bwdAll,
    optimizerStepBytes: stepAll,
    activationHostBytesPerGpu: hostActivations,
    logitsBytes: Math.max(loss.forwardPeakBytes, loss.backwardPeakBytes),
    notes: [],
  };
}

const fitsAll = (m: TrainingMemory, capacity: number) => m.devices.every((d) => d.total <= capacity);

/** Largest sequence length (tokens per sequence) that fits at a micro-batch; null if none. */
export function maxTrainingSequenceLength(
  setup: TrainingSetup,
  microBatch: number,
  hi = 1 << 24,
): number | null {
  return largestFitting(1, hi, (s) => fitsAll(trainingMemory(setup, microBatch, s), setup.capacityBytes));
}

/** Largest micro-batch that fits at a sequence length; 0 if one sequence does not. */
export function maxTrainingMicroBatch(setup: TrainingSetup, sequenceLength: number, hi = 1 << 16): number {
  return (
    largestFitting(1, hi, (b) => fitsAll(trainingMemory(setup, b, sequenceLength), setup.capacityBytes)) ?? 0
  );
}

const MOMENT_TEXT: Record<PeakMoment, string> = {
  forward: "the end of the forward pass (every layer's saved activations plus the loss)",
  "loss-backward":
    "the start of the backward pass (all saved activations plus the FP32 log-probabilities and their gradient)",
  backward: "the backward pass (activations not yet freed plus the gradients produced so far)",
  "optimizer-step":
    "the optimizer step (parameters, full gradients, optimizer states and the step's temporaries)",
};

/**
 * Answers a `task: "training"` scenario: memory per GPU at the step's peak, whether it fits, the
 * largest sequence length and micro-batch that fit. `version` is the memlens version to echo.
 */
export function estimateTraining(
  scenario: Scenario,
  spec: ModelSpec,
  version: string,
  overrides: TrainingOverrides = {},
): Estimate {
  const setup = resolveTrainingSetup(scenario, spec, overrides);
  const t = setup.training;
  const mem = trainingMemory(setup, t.microBatch, t.sequenceLength);
  const capacityBytes = setup.capacityBytes;
  // Every data-parallel replica holds the same bytes: list each GPU of the job.
  const replicaSize = mem.devices.length;
  const count = Math.max(replicaSize, Math.min(setup.deviceCount, replicaSize * setup.dataParallel));
  const devices: DeviceEstimate[] = Array.from({ length: count }, (_, i) => {
    const b = mem.devices[i % replicaSize] as DeviceBytes;
    return { name: `GPU${i}`, capacityBytes, bytes: b, fits: b.total <= capacityBytes };
  });
  const fits = devices.every((d) => d.fits);
  const worst = mem.devices.reduce((w, d, i) => (d.total > (mem.devices[w]?.total ?? 0) ? i : w), 0);
  const states = setup.stageStates[Math.floor(worst / setup.tensorParallel)] as DeviceModelStates;
  const moment = mem.peakMoments[worst] ?? "forward";
  const notes: string[] = [...spec.notes];
  notes.push(
    `${setup.profile.framework}, ${t.precision}, ${t.optimizer}: ${states.optimizerDescription}${t.optimizer === "adamw" && t.precision.endsWith("mixed") ? "; mixed precision with an FP32 master copy is 16 bytes per trainable parameter with Adam (2 + 2 + 12, ZeRO paper §3.1)" : ""}.`,
  );
  const sh = setup.sharding;
  notes.push(
    sh.kind === "none"
      ? setup.dataParallel > 1
        ? `Data parallel over ${setup.dataParallel} replicas with no sharding: every GPU holds full model states.`
        : "One data-parallel replica: nothing is sharded."
      : sh.kind === "zero"
        ? `ZeRO stage ${sh.stage} over ${setup.dataParallel} data-parallel ranks shards ${sh.stage === 1 ? "optimizer states" : sh.stage === 2 ? "optimizer states and gradients" : "optimizer states, gradients and parameters"} (Rajbhandari et al. 2020).`
        : `FSDP ${sh.strategy === "full-shard" ? "FULL_SHARD" : "SHARD_GRAD_OP"} over ${setup.dataParallel} ranks.`,
  );
  notes.push(...setup.notes);
  notes.push(`The peak is ${MOMENT_TEXT[moment]}.`);
  notes.push(
    t.activationCheckpointing === "full"
      ? "Full activation checkpointing keeps each layer's input (Korthikanti et al. 2022: 2·s·b·h bytes per layer) and recomputes one layer at a time in backward."
      : t.activationCheckpointing === "selective"
        ? "Selective recomputation drops the attention-score tensors and recomputes the attention core (Korthikanti et al. 2022); with SDPA/flash there are none to drop."
        : `No activation checkpointing: every layer keeps what autograd saves (${setup.attention} attention).`,
  );
  if (t.activationOffloading || mem.activationHostBytesPerGpu > 0)
    notes.push(
      `Activation offloading keeps saved activations in host memory (${Math.round(mem.activationHostBytesPerGpu / 2 ** 20).toLocaleString("en-US")} MiB per GPU) with one layer in flight and one prefetched on the GPU.`,
    );
  if (setup.profile.loss === "materialized")
    notes.push(
      `Logits: ${t.microBatch * t.sequenceLength} tokens × ${spec.vocabSize.toLocaleString("en-US")} vocabulary; the cross-entropy peak is ${Math.round(mem.logitsBytes / 2 ** 20).toLocaleString("en-US")} MiB${t.lossChunks > 1 ? ` with ${t.lossChunks} loss chunks` : " (lossChunks splits the FP32 upcast)"}.`,
    );
  notes.push(
    "Sequences are padded to sequenceLength; tensor parallelism assumes sequence parallelism (Megatron-style) and splits projections, experts and the vocabulary.",
  );
  notes.push(
    "Overhead: 457 MiB CUDA context outside PyTorch's allocator (Ollama's per-GPU figure), communication buckets, and the caching allocator's block rounding (blocks over 1 MiB round up to 2 MiB); fragmentation beyond that is not modelled.",
  );
  if (states.hostBytesPerNode > 0)
    notes.push(
      `Host memory needed per node: ${(states.hostBytesPerNode / 2 ** 30).toFixed(1)} GiB${setup.profile.masterBytes > 0 ? " (DeepSpeed's estimator, additional_buffer_factor 1.5)" : ""}.`,
    );
  if (states.nvmeBytes > 0) notes.push(`NVMe per GPU: ${(states.nvmeBytes / 2 ** 30).toFixed(1)} GiB.`);
  notes.push("Speed is not estimated for training.");

  const maxSeq = maxTrainingSequenceLength(setup, t.microBatch);
  const maxMicro = maxTrainingMicroBatch(setup, t.sequenceLength);
  const engine: Record<string, number | string | boolean> = {
    peakBytes: mem.devices[worst]?.total ?? 0,
    peakMoment: moment,
    torchAllocatedPeakBytes: mem.allocatedPeakBytes[worst] ?? 0,
    forwardPeakBytes: mem.forwardBytes[worst] ?? 0,
    backwardPeakBytes: mem.backwardBytes[worst] ?? 0,
    optimizerStepBytes: mem.optimizerStepBytes[worst] ?? 0,
    trainableParameters: states.trainableParameters,
    frozenParameters: states.frozenParameters,
    dataParallel: setup.dataParallel,
    sharding: sh.kind === "none" ? "none" : sh.kind === "zero" ? `zero-${sh.stage}` : `fsdp-${sh.strategy}`,
    framework: setup.profile.framework,
    attention: setup.attention,
    hostBytesPerNode: states.hostBytesPerNode,
    activationHostBytesPerGpu: mem.activationHostBytesPerGpu,
    nvmeBytesPerGpu: states.nvmeBytes,
  };
  return {
    memlensVersion: version,
    scenario: {
      ...scenarioToJson(scenario),
      // In training the tokens per sequence and the sequences per step are the training block's.
      contextLength: t.sequenceLength,
      batch: t.microBatch,
      weights: setup.frozenFormat
        ? weightFormatName(setup.frozenFormat)
        : setup.profile.paramBytes === 4
          ? "fp32"
          : t.precision.startsWith("fp16")
            ? "fp16"
            : "bf16",
    },
    model: estimateModel(spec),
    devices,
    engine,
    performance: {
      prefillTokensPerSecond: 0,
      decodeTokensPerSecond: 0,
      timeToFirstTokenSeconds: 0,
      bound: "compute",
    },
    fits,
    maxContextLength: maxSeq,
    maxConcurrentSequences: maxMicro,
    kvBytesPerToken: 0,
    notes,
  };
}
