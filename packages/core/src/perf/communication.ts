/**
 * Time a step spends communicating between GPUs: the tensor-parallel all-reduces of every layer,
 * the pipeline-parallel sends between stages and the expert-parallel all-to-all of MoE layers,
 * from the link between the GPUs (the catalog's `interconnect`).
 *
 * The cost of one collective is NCCL's own tuning model (NVIDIA/nccl src/graph/tuning.cc @
 * b6475625fbcaa2c3c0e50eed2fa1255d7514d4a2, ncclTopoTuneModel and ncclTopoGetAlgoTime): a ring of
 * `n` ranks takes `nsteps` = 2(n−1) steps for an all-reduce, n−1 for an all-gather or
 * reduce-scatter; its time is baseLat + nsteps · hwLat + bytes / algBw, where algBw = busBw · n /
 * nsteps, for each protocol (LL moves data at a quarter of the bus bandwidth with the least latency;
 * Simple at the full rate with more), and NCCL runs the fastest. busBw is one direction of the
 * catalog's link (half its bidirectional figure) at the share of the raw rate NCCL's topology
 * assumes (`LINK_SHARE`). Nothing is fitted to a measured run.
 */
import type { GpuInterconnect } from "../catalog/gpu-types.js";
import type { ModelSpec } from "../models/model-spec.js";

/** What NCCL's tuning table distinguishes: NVLink or PCIe (anything else is costed as PCIe). */
export type LinkClass = "nvlink" | "pci";

/** A link as collectives see it (plain data: a Web Worker can receive it). */
export interface CollectiveLink {
  readonly linkClass: LinkClass;
  /** One direction of the link per GPU, bytes/s (half the catalog's bidirectional figure). */
  readonly busBytesPerSecond: number;
}

interface Protocol {
  /** baseLat, µs (tuning.cc, Ring row). */
  readonly baseMicroseconds: number;
  /** hwLat per ring step, µs, by link class (tuning.cc, Ring row). */
  readonly stepMicroseconds: Readonly<Record<LinkClass, number>>;
  /** Share of the bus bandwidth the protocol reaches (tuning.cc: LL busBw · 1/4, LL128 · 0.92). */
  readonly bandwidthShare: number;
  /** Link classes NCCL enables the protocol on by default (LL128 only over NVLink). */
  readonly on: readonly LinkClass[];
}

/** Ring protocols of NCCL's tuning model (tuning.cc @ b6475625: baseLat, hwLat, busBw refinements). */
const RING_PROTOCOLS: readonly Protocol[] = [
  {
    baseMicroseconds: 6.6,
    stepMicroseconds: { nvlink: 0.6, pci: 1.0 },
    bandwidthShare: 1 / 4,
    on: ["nvlink", "pci"],
  },
  {
    baseMicroseconds: 14.0,
    stepMicroseconds: { nvlink: 1.9, pci: 2.5 },
    bandwidthShare: 0.92,
    on: ["nvlink"],
  },
  {
    baseMicroseconds: 8.4,
    stepMicroseconds: { nvlink: 3.4, pci: 5.7 },
    bandwidthShare: 1,
    on: ["nvlink", "pci"],
  },
];

/**
 * Share of a link's raw one-direction rate NCCL's topology gives it. PCIe: width × speed / 80 GB/s
 * with speed in 100 Mbps per lane (NVIDIA/nccl src/graph/xml.cc kvDictPciGen: 32 GT/s → 240, and
 * topo.cc ncclTopoAddPci), 48 GB/s for Gen5 x16 against 64 raw: 0.75 for every generation.
 * NVLink: 22 GB/s per link for SM80 and later (src/graph/topo.h SM80_NVLINK_BW @
 * f3d51667838f7542df8ea32ea4e144d812b3ed7c) against 25 GB/s per link per direction (links.json:
 * A100's 12 links = 600 GB/s bidirectional): 0.88.
 */
const LINK_SHARE: Readonly<Record<LinkClass, number>> = { pci: 0.75, nvlink: 22 / 25 };

/** The link collectives run over between GPUs of one machine with this interconnect. */
export function collectiveLinkOf(interconnect: GpuInterconnect): CollectiveLink {
  const linkClass: LinkClass = interconnect.kind.startsWith("NVLink") ? "nvlink" : "pci";
  return { linkClass, busBytesPerSecond: (interconnect.bandwidthBytesPerSecond / 2) * LINK_SHARE[linkClass] };
}

/** Seconds of a ring collective of `steps` steps moving `bytes` per rank: the fastest protocol. */
function ringSeconds(bytes: number, ranks: number, steps: number, link: CollectiveLink): number {
  if (ranks <= 1 || bytes <= 0) return 0;
  let best = Number.POSITIVE_INFINITY;
  for (const p of RING_PROTOCOLS) {
    if (!p.on.includes(link.linkClass)) continue;
    const latency = (p.baseMicroseconds + steps * p.stepMicroseconds[link.linkClass]) * 1e-6;
    const algBandwidth = (link.busBytesPerSecond * p.bandwidthShare * ranks) / steps;
    best = Math.min(best, latency + bytes / algBandwidth);
  }
  return best;
}

/** One all-reduce of `bytes` (the buffer each rank holds) over a ring of `ranks` GPUs. */
export function allReduceSeconds(bytes: number, ranks: number, link: CollectiveLink): number {
  return ringSeconds(bytes, ranks, 2 * (ranks - 1), link);
}

/**
 * One all-to-all in which each of `ranks` GPUs holds `bytes` and sends all but its own share to the
 * others: costed as a ring all-gather's n−1 steps (NCCL has no all-to-all entry in its table; its
 * all-to-all is n−1 point-to-point exchanges of bytes/n each).
 */
export function allToAllSeconds(bytes: number, ranks: number, link: CollectiveLink): number {
  return ringSeconds(bytes, ranks, ranks - 1, link);
}

/** One point-to-point send of `bytes` between neighbouring pipeline stages (one ring step). */
export function sendSeconds(bytes: number, link: CollectiveLink): number {
  return ringSeconds(bytes, 2, 1, link);
}

/**
 * What one step communicates per token, by parallelism (plain data). Activations move in the
 * model's 16-bit compute dtype.
 */
export interface StepCommunication {
  readonly link: CollectiveLink;
  readonly tensorParallel: number;
  /** All-reduces per step across the TP group: two per layer (after attention and after the FFN). */
  readonly allReducesPerStep: number;
  /** Bytes per token of one all-reduce (hidden size × 2 bytes). */
  readonly allReduceBytesPerToken: number;
  readonly pipelineParallel: number;
  /** Bytes per token sent from one pipeline stage to the next (hidden size × 2 bytes). */
  readonly sendBytesPerToken: number;
  readonly expertParallel: number;
  /** All-to-alls per step across the EP group: dispatch and combine for every MoE layer. */
  readonly allToAllsPerStep: number;
  /** Bytes per token of one all-to-all: hidden × 2 bytes × experts each token is sent to. */
  readonly allToAllBytesPerToken: number;
}

/** Bytes per element of the activations that cross the link (bf16/fp16). */
const ACTIVATION_BYTES = 2;

/**
 * The communication of `spec` split `tensorParallel` × `pipelineParallel` ways (× `expertParallel`
 * for the MoE layers) over `link`. Megatron-style TP all-reduces the hidden state twice per layer
 * (Shoeybi et al. 2019, §3: one all-reduce after the attention block, one after the MLP, in the
 * forward pass); a pipeline sends the hidden state once per stage boundary; expert parallelism
 * dispatches each token to its top-k experts and combines them back.
 */
export function stepCommunication(
  spec: ModelSpec,
  link: CollectiveLink,
  tensorParallel: number,
  pipelineParallel = 1,
  expertParallel = 1,
): StepCommunication {
  const hiddenBytes = spec.hiddenSize * ACTIVATION_BYTES;
  let moeLayers = 0;
  let expertsPerToken = 0;
  for (const l of spec.layers)
    if (l.ffn.kind === "moe") {
      moeLayers++;
      expertsPerToken = l.ffn.expertsPerToken;
    }
  return {
    link,
    tensorParallel,
    allReducesPerStep: 2 * spec.numLayers,
    allReduceBytesPerToken: hiddenBytes,
    pipelineParallel,
    sendBytesPerToken: hiddenBytes,
    expertParallel,
    allToAllsPerStep: 2 * moeLayers,
    allToAllBytesPerToken: hiddenBytes * expertsPerToken,
  };
}

/**
 * Seconds one step of `tokens` tokens spends communicating. Under pipeline parallelism a step's
 * all-reduces are split across the stages, which run one after another for one micro-batch, so the
 * step pays all of them plus pp−1 sends.
 */
export function communicationSeconds(c: StepCommunication, tokens: number): number {
  if (tokens <= 0) return 0;
  let s = 0;
  if (c.tensorParallel > 1)
    s += c.allReducesPerStep * allReduceSeconds(c.allReduceBytesPerToken * tokens, c.tensorParallel, c.link);
  if (c.pipelineParallel > 1)
    s += (c.pipelineParallel - 1) * sendSeconds(c.sendBytesPerToken * tokens, c.link);
  if (c.expertParallel > 1 && c.allToAllsPerStep > 0)
    s += c.allToAllsPerStep * allToAllSeconds(c.allToAllBytesPerToken * tokens, c.expertParallel, c.link);
  return s;
}

/** The communication of a split over `interconnect`, or undefined when nothing is split (one GPU). */
export function parallelCommunication(
  spec: ModelSpec,
  interconnect: GpuInterconnect,
  parallel: { readonly tensor: number; readonly pipeline?: number; readonly expert?: number },
): StepCommunication | undefined {
  const pp = parallel.pipeline ?? 1;
  const ep = parallel.expert ?? 1;
  if (parallel.tensor <= 1 && pp <= 1 && ep <= 1) return undefined;
  return stepCommunication(spec, collectiveLinkOf(interconnect), parallel.tensor, pp, ep);
}
