import { gbPerSecond, gib, tflops } from "../../units/units.js";
import type { GpuSpec } from "../gpu-types.js";
import { GEFORCE_RATIO, HF_HARDWARE_TS } from "./sources.js";

const M3_ULTRA_SRC =
  "https://techpowerup.com/news-tags/Mac%20Studio (Mac Studio: M3 Ultra with 32 CPU cores and 80 GPU cores, up to 512 GB of unified memory at 819 GB/s); https://inforeader.com/i/?a=reader&rid=67c916097fa95&search=%23m3%2Bultra (Ars Technica table: M3 Ultra (high) 24/8 CPU, 80 GPU cores, 128GB/256GB/512GB, 819.2GB/s); https://hmc-tech.com/gpu/apple-60-core-m3-ultra-vs-nvidia-geforce-rtx-3060 (60-Core M3 Ultra: 7680 shaders @ 1398 MHz, FP32 = FP16 = 21.47 TFLOPS)";
const M3_ULTRA_NOTES =
  "fp32/fp16 DERIVED: the cited 60-core figure x 80/60 (same clock) = 28.63. Apple's 819 GB/s (819.2). Memory type LPDDR5 as the M3 Max row. GB taken as GiB.";
const I9_SRC =
  "https://zaro.info/processor-memory-support/what-is-the-max-ram-speed-for-intel-core-i9-13900k (Intel ARK figures: up to DDR5 5600 MT/s, 2 memory channels, max 192 GB, max memory bandwidth 89.6 GB/s); https://askit.ro/solutii/review-intel-core-i9-13900k-processor (8P+16E cores)";
const CPU_NOTE =
  "CPU-only machine: memory is system RAM (the OS and other programs use part of it), bandwidth is the JEDEC peak of the CPU's officially supported DDR5 speed on its 2 channels (sustained reads reach less), FLOP/s the cited FP32 only (no 16-bit figure: estimates use FP32 as the compute roof).";

/** Unified-memory machines (Apple silicon, DGX Spark, Strix Halo) and CPU-only machines with system RAM. Conventions: ./sources.ts. */
export const UNIFIED_AND_CPU = [
  // ───────────────────────────── Apple (unified memory) ─────────────────────────────
  {
    id: "M2-Max-96GB",
    name: "Apple M2 Max (12-core CPU, 38-core GPU, 96GB)",
    vendor: "apple",
    aliases: ["M2-Max", "M2 Max", "M2Max"],
    memoryBytes: gib(96),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(400),
    flopsPerSecond: { fp32: tflops(13.6), fp16: tflops(13.6) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(400) },
    source:
      "https://blog.patti.tech/2023/06/05/as-rumored-the-mac-studio-gets-an-m2-refresh-including-fused-together-m2-ultra (Ars Technica: M2 Max 12-core CPU, 38-core GPU, up to 96 GB unified memory, 400 GB/s); https://hmc-tech.com/gpu/apple-9-core-m3-fl-vs-apple-38-core-m2-max (38-Core M2 Max: 4864 shaders @ 1398 MHz, FP32 13.6 TFLOPS, FP16 13.6 TFLOPS); https://roastidio.us/topic/17487330 (M2 family uses LPDDR5, M4 family LPDDR5X)",
    notes:
      "GPU FLOPS are estimates (shader count x clock x 2) from the cited third-party database; Apple publishes none for M2 Max. No device-to-device link: interconnect bandwidth is set to the memory bandwidth. 96 GB taken as GiB.",
  },
  {
    id: "M2-Ultra-192GB",
    name: "Apple M2 Ultra (24-core CPU, 76-core GPU, 192GB)",
    vendor: "apple",
    aliases: ["M2-Ultra", "M2 Ultra", "M2Ultra"],
    memoryBytes: gib(192),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(800),
    flopsPerSecond: { fp32: tflops(27.2), fp16: tflops(27.2) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(800) },
    source:
      "https://nakenako.serv00.net/https-www.apple.com/pl/mac-pro (mirror of apple.com/pl/mac-pro: M2 Ultra GPU with up to 76 cores reaches 27.2 TFLOPS, up to 192 GB); https://propakistani.pk/2023/06/06/apple-m2-ultra-chip-unveiled-for-mac-pro-and-mac-studio/ (24-core CPU, 76-core GPU, up to 192 GB, 800GB/s); https://hmc-tech.com/gpu/apple-32-core-m4-max-vs-apple-60-core-m2-ultra (FP16 = FP32 on Apple GPUs); https://roastidio.us/topic/17487330 (M2 family uses LPDDR5, M4 family LPDDR5X)",
    notes:
      "FP32 is Apple's own 27.2 TFLOPS; fp16 set equal (Apple GPUs run FP16 at the FP32 rate per the cited database) - an estimate. Two M2 Max dies joined by 2.5 TB/s UltraFusion; no external link, interconnect = memory bandwidth. 192 GB taken as GiB.",
  },
  {
    id: "M3-Max-128GB",
    name: "Apple M3 Max (16-core CPU, 40-core GPU, 128GB)",
    vendor: "apple",
    aliases: ["M3-Max", "M3 Max", "M3Max"],
    memoryBytes: gib(128),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(400),
    flopsPerSecond: { fp32: tflops(14.32), fp16: tflops(14.32) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(400) },
    source:
      "https://wikizero.net/wiki/de/Apple_M3_Max (German Wikipedia: max memory raised from 96 to 128 GB, only with the 16-core CPU / 40-core GPU); https://macmegasite.com/2024/10/30/m4-max-chip-has-16-core-cpu-40-core-gpu-and-35-increase-in-memory-bandwidth (M3 Max 40-core GPU, 400 GB/s); https://hmc-tech.com/gpu/apple-32-core-m4-max-vs-apple-40-core-m3-max (40-Core M3 Max: 5120 shaders @ 1398 MHz, FP32/FP16 14.32 TFLOPS); https://notebookcheck.com/Apple-M3-Max-30-Core-GPU-Grafikkarte-Benchmarks-und-Spezifikationen.775459.0.html (M3 Max memory LPDDR5-6400, 512-bit bus)",
    notes:
      "GPU FLOPS are third-party estimates (another database, radargit.com, lists 16.4 TFLOPS at 1.6 GHz). The 14-core/30-core M3 Max has 300 GB/s and up to 96 GB (not catalogued). No external link; interconnect = memory bandwidth. 128 GB taken as GiB.",
  },
  {
    id: "M4-Max-128GB",
    name: "Apple M4 Max (16-core CPU, 40-core GPU, 128GB)",
    vendor: "apple",
    aliases: ["M4-Max", "M4 Max", "M4Max"],
    memoryBytes: gib(128),
    memoryType: "LPDDR5X",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(546),
    flopsPerSecond: { fp32: tflops(17.18), fp16: tflops(17.18) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(546) },
    source:
      "http://www.notebookcheck.net/Apple-M4-Max-official-with-incremental-upgrades-over-the-M3-Max.911098.0.html (16-core CPU + 40-core GPU variant, up to 128 GB, 546 GB/s); https://goodnewsapodcast.com/apples-m4-m4-pro-and-m4-max-compared-to-past-generations-and-to-each-other (low-end M4 Max 410GB/s, full 546GB/s); https://hmc-tech.com/gpu/apple-32-core-m4-max-vs-apple-40-core-m3-max (32-Core M4 Max: 4096 shaders @ 1678 MHz, FP32/FP16 13.74 TFLOPS); https://roastidio.us/topic/17487330 (M2 family uses LPDDR5, M4 family LPDDR5X)",
    notes:
      "GPU FLOPS DERIVED and estimated: 13.74 TFLOPS for the 32-core part scaled by 40/32 at the same 1678 MHz clock = 17.18. No external link (Thunderbolt 5 for multi-Mac); interconnect = memory bandwidth. 128 GB taken as GiB.",
  },
  {
    id: "M4-Pro-64GB",
    name: "Apple M4 Pro (14-core CPU, 20-core GPU, 64GB)",
    vendor: "apple",
    aliases: ["M4-Pro", "M4 Pro", "M4Pro"],
    memoryBytes: gib(64),
    memoryType: "LPDDR5X",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(273),
    flopsPerSecond: { fp32: tflops(7.53), fp16: tflops(7.53) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(273) },
    source:
      "https://techmoran.com/2024/10/31/apple-unveils-its-most-powerful-chips-the-m4-pro-and-m4-max/ (M4 Pro: up to 14-core CPU, 20-core GPU, up to 64GB unified memory at 273GB/s); https://hmc-tech.com/gpu/apple-20-core-m4-pro-vs-intel-hd-620-1000mhz (20-Core M4 Pro: 2560 shaders @ 1470 MHz, FP32/FP16 7.53 TFLOPS); https://roastidio.us/topic/17487330 (M2 family uses LPDDR5, M4 family LPDDR5X)",
    notes:
      "GPU FLOPS are third-party estimates. No external link (Thunderbolt 5 up to 120 Gb/s for multi-Mac); interconnect = memory bandwidth. 64 GB taken as GiB.",
  },
  {
    id: "M1-Pro-32GB",
    name: "Apple M1 Pro (10-core CPU, 16-core GPU, 32GB)",
    vendor: "apple",
    aliases: ["M1-Pro", "M1 Pro", "M1Pro"],
    memoryBytes: gib(32),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(200),
    flopsPerSecond: { fp32: tflops(5.2), fp16: tflops(5.2) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(200) },
    source:
      "https://9breakingnews.com/m1-pro-and-m1-max-apples-new-processors-are-beasts-with-up-to-32-gpu-cores-and-finally-supporting-64-gb-of-ram/ (M1 Pro: 10 CPU cores, 16 GPU cores rated at 5.2 teraflops, up to 32 GB, 200 GB/s); https://www.somagnews.com/from-the-m1-to-the-m1-ultra-see-the-specifications-of-apples-chips/ (M1 Pro: 14 or 16 GPU cores, 32GB, 200 Gbps [GB/s])",
    notes:
      "fp16 = fp32 (Apple GPUs run FP16 at the FP32 rate, as in the other Apple rows). LPDDR5 as the M1 Max/Ultra rows cite. 32 GB taken as GiB.",
  },
  {
    id: "M1-Max-64GB",
    name: "Apple M1 Max (10-core CPU, 32-core GPU, 64GB)",
    vendor: "apple",
    aliases: ["M1-Max", "M1 Max", "M1Max"],
    memoryBytes: gib(64),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(400),
    flopsPerSecond: { fp32: tflops(10.4), fp16: tflops(10.4) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(400) },
    source:
      "https://calendar-uk.co.uk/frequently-asked-questions/how-many-cores-does-apple-gpu-have (M1 Max 32-core GPU: 4,096 ALUs, up to 10.4 TFLOPS, LPDDR5-6400, 512-bit, 64GB unified memory (M1 Max)); https://wikicomplete.info/mac-studio-apple/ (Apple: M1 Max up to 64GB unified memory, up to 400GB/s)",
    notes: "fp16 = fp32 (Apple GPU). 64 GB taken as GiB.",
  },
  {
    id: "M1-Ultra-128GB",
    name: "Apple M1 Ultra (20-core CPU, 64-core GPU, 128GB)",
    vendor: "apple",
    aliases: ["M1-Ultra", "M1 Ultra", "M1Ultra"],
    memoryBytes: gib(128),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(800),
    flopsPerSecond: { fp32: tflops(21.2), fp16: tflops(21.2) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(800) },
    source:
      "https://www.cpu-monkey.com/en/cpu-apple_m1_ultra_64_gpu (M1 Ultra 64 GPU cores: FP32 21.2 TFLOP/s, LPDDR5-6400, up to 128 GB); https://wikicomplete.info/mac-studio-apple/ (Apple: M1 Ultra up to 128GB unified memory, up to 800GB/s)",
    notes:
      "fp16 = fp32 (Apple GPU). Apple's 800 GB/s is used (cpu-monkey computes ~820 from LPDDR5-6400). 128 GB taken as GiB.",
  },
  {
    id: "M3-Pro-36GB",
    name: "Apple M3 Pro (12-core CPU, 18-core GPU, 36GB)",
    vendor: "apple",
    aliases: ["M3-Pro", "M3 Pro", "M3Pro"],
    memoryBytes: gib(36),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(150),
    flopsPerSecond: { fp32: tflops(6.44), fp16: tflops(6.44) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(150) },
    source:
      "https://gigazine.net/gsc_news/en/20231101-apple-m3-pro-memory-bandwidth (Apple's MacBook Pro spec page: M3 Pro 11-core CPU/14-core GPU and 12-core CPU/18-core GPU, both 150GB/s); https://www.macrumors.com/2023/05/14/m3-pro-chip-potential-specs/ (12-core CPU, 18-core GPU, 36GB); https://hmc-tech.com/gpu/apple_10_core_m3 (10-Core M3: 1280 shaders @ 1398 MHz, FP32 = FP16 = 3.58 TFLOPS)",
    notes:
      "fp32/fp16 DERIVED: the cited M3 rate per GPU core (3.58 / 10) x 18 cores = 6.44, assuming the M3's 1398 MHz GPU clock. LPDDR5 as the M3 Max row. 36 GB taken as GiB.",
  },
  {
    id: "M3-Ultra-256GB",
    name: "Apple M3 Ultra (32-core CPU, 80-core GPU, 256GB)",
    vendor: "apple",
    aliases: ["M3 Ultra 256GB", "M3Ultra-256GB"],
    memoryBytes: gib(256),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(819),
    flopsPerSecond: { fp32: tflops(28.63), fp16: tflops(28.63) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(819) },
    source: M3_ULTRA_SRC,
    notes: M3_ULTRA_NOTES,
  },
  {
    id: "M3-Ultra-512GB",
    name: "Apple M3 Ultra (32-core CPU, 80-core GPU, 512GB)",
    vendor: "apple",
    aliases: ["M3-Ultra", "M3 Ultra", "M3Ultra", "Mac Studio M3 Ultra"],
    memoryBytes: gib(512),
    memoryType: "LPDDR5",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(819),
    flopsPerSecond: { fp32: tflops(28.63), fp16: tflops(28.63) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(819) },
    source: M3_ULTRA_SRC,
    notes: M3_ULTRA_NOTES,
  },
  // ───────────────────────────── other unified-memory machines ─────────────────────────────
  {
    id: "DGX-Spark",
    name: "NVIDIA DGX Spark (GB10 Grace Blackwell, 128GB)",
    vendor: "nvidia",
    aliases: ["GB10", "NVIDIA GB10", "DGX Spark", "Project DIGITS"],
    memoryBytes: gib(128),
    memoryType: "LPDDR5X",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(273),
    flopsPerSecond: { fp32: tflops(31), fp16: tflops(62), bf16: tflops(62), fp4: tflops(500) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(273) },
    tdpWatts: 140,
    source: `https://ai-infrastructure.net/dgx-spark/ (from NVIDIA's DGX Spark page and hardware guide: GB10, 20 Arm cores, Blackwell GPU with 6,144 CUDA cores, 128 GB LPDDR5x unified at 273 GB/s, up to 1 PFLOP FP4 with sparsity, ~140 W TDP); https://meterpreter.org/a-supercomputer-on-your-desk-nvidia-unveils-the-dgx-spark-ai-superchip (Hot Chips: 1 petaFLOP FP4 with sparsity or roughly 31 TFLOPS FP32, on par with an RTX 5070; 140W TDP)`,
    notes: `fp16/bf16 DERIVED as 2 x 31 FP32 (${GEFORCE_RATIO}; NVIDIA places it with the RTX 5070). fp4 = 1 PFLOP sparse / 2. The whole 128 GiB is shared with the CPU and OS.`,
  },
  {
    id: "Ryzen-AI-Max-395-128GB",
    name: "AMD Ryzen AI Max+ 395 (Strix Halo, Radeon 8060S, 128GB)",
    vendor: "amd",
    aliases: ["Strix Halo", "Strix-Halo", "Ryzen AI Max+ 395", "Radeon 8060S", "AI Max+ 395"],
    memoryBytes: gib(128),
    memoryType: "LPDDR5X",
    unifiedMemory: true,
    bandwidthBytesPerSecond: gbPerSecond(256),
    flopsPerSecond: { fp32: tflops(14.85), fp16: tflops(29.7) },
    interconnect: { kind: "none (unified memory SoC)", bandwidthBytesPerSecond: gbPerSecond(256) },
    source:
      "https://spawningpoint.com/article/amd-strix-halo-review-2026-is-the-ryzen-ai-max-395-the-ai-inference-answer (16 Zen 5 cores, 40 RDNA 3.5 CUs (Radeon 8060S), up to 128 GB LPDDR5X-8000 on a 256-bit bus); https://modelfit.io/blog/amd-strix-halo-local-ai-128gb/ (128GB unified memory, 256 GB/s, ~108GB exposed to the GPU on Linux); https://fpsbench.com/compare/gpu/amd-radeon-8060s-vs-amd-radeon-r7-graphics (Radeon 8060S: 2,560 shaders, boost 2900 MHz, FP32 14.85, FP16 29.70 TFLOPS)",
    notes:
      "256 GB/s = 8000 MT/s x 256 bit / 8, matching the cited figure. The GPU's share of the 128 GiB is set in firmware/driver (~108 GB on Linux per the source). No BF16 figure.",
  },
  // ───────────────────────────── CPU only (system RAM) ─────────────────────────────
  {
    id: "CPU-i9-13900K-DDR5-64GB",
    name: "Intel Core i9-13900K desktop, 64GB DDR5-5600 (2 channels), CPU only",
    vendor: "intel",
    kind: "cpu",
    aliases: ["i9-13900K", "Core i9-13900K", "13900K"],
    memoryBytes: gib(64),
    memoryType: "DDR5-5600",
    unifiedMemory: false,
    bandwidthBytesPerSecond: gbPerSecond(89.6),
    flopsPerSecond: { fp32: tflops(0.85) },
    interconnect: { kind: "none (CPU only)", bandwidthBytesPerSecond: gbPerSecond(89.6) },
    source: `${I9_SRC}; ${HF_HARDWARE_TS} (Intel Core 13th Generation (i9): 0.85 TFLOPS)`,
    notes: `${CPU_NOTE} 64 GB = 2 x 32 GB DIMMs.`,
  },
  {
    id: "CPU-i9-13900K-DDR5-128GB",
    name: "Intel Core i9-13900K desktop, 128GB DDR5-5600 (2 channels), CPU only",
    vendor: "intel",
    kind: "cpu",
    aliases: ["i9-13900K-128GB"],
    memoryBytes: gib(128),
    memoryType: "DDR5-5600",
    unifiedMemory: false,
    bandwidthBytesPerSecond: gbPerSecond(89.6),
    flopsPerSecond: { fp32: tflops(0.85) },
    interconnect: { kind: "none (CPU only)", bandwidthBytesPerSecond: gbPerSecond(89.6) },
    source: `${I9_SRC}; ${HF_HARDWARE_TS} (Intel Core 13th Generation (i9): 0.85 TFLOPS)`,
    notes: `${CPU_NOTE} 128 GB needs 4 DIMMs, which often run below DDR5-5600; the 89.6 GB/s is the ceiling.`,
  },
  {
    id: "CPU-Ryzen7-7800X3D-DDR5-64GB",
    name: "AMD Ryzen 7 7800X3D desktop, 64GB DDR5-5200 (2 channels), CPU only",
    vendor: "amd",
    kind: "cpu",
    aliases: ["Ryzen 7 7800X3D", "7800X3D"],
    memoryBytes: gib(64),
    memoryType: "DDR5-5200",
    unifiedMemory: false,
    bandwidthBytesPerSecond: gbPerSecond(83.2),
    flopsPerSecond: { fp32: tflops(0.56) },
    interconnect: { kind: "none (CPU only)", bandwidthBytesPerSecond: gbPerSecond(83.2) },
    source: `https://zaro.info/ryzen-memory-support/how-much-ram-can-a-ryzen-7-7800x3d-handle (Ryzen 7 7800X3D: up to DDR5 5200 MT/s, 2 memory channels, max 128 GB); https://www.hardwaretimes.com/amd-ryzen-7000-cpus-to-support-ddr5-5200-memory-out-of-the-box-2-channels-per-dimm/ (Ryzen 7000: DDR5-5200 out of the box); ${HF_HARDWARE_TS} (Ryzen Zen4 7000 (Ryzen 7): 0.56 TFLOPS)`,
    notes: `${CPU_NOTE} Bandwidth = 2 channels x 8 bytes x 5200 MT/s = 83.2 GB/s. 64 GB = 2 x 32 GB DIMMs.`,
  },
] as const satisfies readonly GpuSpec[];
