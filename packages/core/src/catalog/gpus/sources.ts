import { gbPerSecond } from "../../units/units.js";

/*
 * GPU catalog (./gpus/*.ts, joined in ../gpus.ts). Every figure below was looked up in the source named in its row (URL, or
 * repository/path@commit); nothing is entered from memory. Conventions:
 *
 * - Memory: vendors' "GB" for HBM, GDDR and Apple LPDDR capacities is 2^30-sized in hardware
 *   (stacks/chips are 2^30 multiples), so rows use gib(n). Where the usable size differs from
 *   the marketed one (e.g. H200 "141GB" on 144 GiB of stacks) the marketed figure is kept.
 * - Bandwidth: decimal (1 TB/s = 1e12 B/s, 1 GB/s = 1e9 B/s), as vendors publish it.
 * - FLOP/s: dense (no 2:4 sparsity). Where a source gives only sparse figures they are halved and
 *   the row says so. `fp32` is non-tensor (CUDA-core / vector) FP32.
 * - GeForce (consumer) and RTX PRO Blackwell tensor cores run FP16/BF16 with FP32 accumulate at
 *   half the FP16-accumulate rate; `fp16`/`bf16` here are the FP32-accumulate figures (what
 *   PyTorch/cuBLAS use for half-precision GEMMs). Where no direct figure was found they are
 *   derived as 2 x the cited non-tensor FP32, the ratio the cited tables show for the same
 *   architectures (RTX 4090 82.58 -> 165.15 on waredb.com; RTX 3090 Ti 40 -> 80, RTX 4090 D
 *   73.54 -> 147.09 and RTX PRO 5000 Blackwell 73.69 -> 147.4 on hmc-tech.com). Such rows say so.
 * - Interconnect bandwidth is total bidirectional per device. PCIe figures: Gen4 x16 = 64 GB/s
 *   bidirectional (NVIDIA L40/L40S datasheet table), Gen5 x16 = 128 GB/s (NVIDIA H100 material),
 *   Gen3 x16 = 16 GB/s per direction (Alibaba Cloud topology doc) = 32 GB/s bidirectional.
 * - Rows added for issue 15 follow the same rules, plus: where a source gives cores and boost clock
 *   but no TFLOPS, FP32 = 2 x cores x boost clock (one FMA per core per clock) and the row says
 *   DERIVED; Apple GPU figures scale the cited per-core rate of the same generation by core count.
 * - Unified-memory machines (Apple, DGX Spark, Strix Halo): memoryBytes is the whole pool and the
 *   interconnect is the memory itself. CPU-only rows (kind "cpu"): memoryBytes is the system RAM of
 *   the named configuration, bandwidth = channels x 8 bytes x MT/s of the CPU's officially supported
 *   DDR5 speed (the JEDEC peak; sustained reads reach less), FLOP/s the cited FP32 figure only.
 * - reportedTotals: what CUDA / nvidia-smi / rocm-smi printed as total on a real device, each
 *   with the log or listing it came from; absent where none was found.
 */

export const PCIE3_X16 = gbPerSecond(32);
export const PCIE4_X16 = gbPerSecond(64);
export const PCIE5_X16 = gbPerSecond(128);

export const ML_ENG =
  "github.com/stas00/ml-engineering compute/accelerator/README.md@b9e29720eebd4aa946fa9678975385efbc90a777 (dense TFLOPS and memory tables)";
export const NVLINK_WIKI =
  "https://wikimili.com/en/NVLink (V100 6 links = 300 GB/s, A100 12 links = 600 GB/s, Hopper 18 links = 900 GB/s)";
export const PCIE4_SRC =
  "https://www.mullet.se/product.html?product_id=355414 (NVIDIA L40/L40S datasheet table: PCIe Gen4 x16 64GB/s bidirectional)";
export const PCIE5_SRC =
  "https://github.com/scaleway/docs-content/pull/5834.diff (H100 PCIe: PCIe Gen 5 theoretical maximum 128 GB/s)";
export const PCIE3_SRC =
  "https://www.alibabacloud.com/help/doc-detail/190482.htm (V100-era PCIe link 16 GB/s per direction)";
export const GEFORCE_RATIO =
  "fp16/bf16 = 2 x cited FP32 (FP32-accumulate tensor rate; ratio shown by https://waredb.com/processor/nvidia-geforce-rtx-4090 and https://hmc-tech.com/gpu/nvidia-geforce-rtx-4090-d-vs-nvidia-geforce-rtx-3090-ti); FP16-accumulate is 2x higher";

export const GLENN_B300 =
  "https://glennklockwood.com/garden/processors/B300 (B300: 288 GB HBM3e, 8 TB/s, 1400 W max; HGX B300 dense: FP32 75, TF32 1125, FP16/BF16 2250, FP8 4500, FP4 13125 TFLOPS; GB300 NVL72: 20 TB HBM at 576 TB/s, 360 PF FP8)";
export const VERDA_BLACKWELL =
  "https://verda.com/blog/gb300-nvl72-architecture (per-GPU, without sparsity: GB300 FP4 15, FP8 5, FP16/BF16 2.5, TF32 1.25, FP32 0.080 PFLOPS, 279 GB HBM3E, 8 TB/s, 1.4 kW; B300 270 GB; NVLink 5 1.8 TB/s per GPU)";
export const HF_HARDWARE_TS =
  "github.com/huggingface/huggingface.js packages/tasks/src/hardware.ts@033a6ee4ccf46001eb9dd5fbd56dfb8c51914dd0 (CPU TFLOPS from cpu-monkey.com, FP32)";
/** Derived FP32 = 2 x cores x boost clock; the row names its cores and clock source. */
export const CORES_X_CLOCK = "fp32 DERIVED = 2 x CUDA cores x boost clock (no TFLOPS figure found)";
