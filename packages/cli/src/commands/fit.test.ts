import { describe, expect, test } from "vitest";
import { runJson, runMain } from "../testing/run-main.js";

// llama.cpp's --fit fits into the free memory the driver reports: on a catalog GPU with a sourced
// reported total (T4: 14.75 GiB, a TensorFlow device log's cudaDeviceProp.totalGlobalMem), that
// total less the 457 MiB CUDA context, not the 16 GiB marketed size (issue 15 item 4).
const GIB = 2 ** 30;
const MIB = 2 ** 20;

describe("fit on a T4", () => {
  test("the capacity is the reported total less the CUDA context", async () => {
    const f = await runJson([
      "fit",
      "--model",
      "meta-llama/Llama-3.1-8B",
      "--weights",
      "Q8_0",
      "--gpu",
      "T4",
      "--json",
    ]);
    expect(f.capacityBytes).toBe(Math.floor(14.75 * GIB) - 457 * MIB);
    const t = await runMain([
      "fit",
      "--model",
      "meta-llama/Llama-3.1-8B",
      "--weights",
      "Q8_0",
      "--gpu",
      "T4",
    ]);
    expect(t.out).toMatch(
      /the driver reports as total on the T4-16GB \(not its 16(\.0+)? GiB marketed size\)/,
    );
  });

  test("a GPU without a reported total keeps its marketed size", async () => {
    const f = await runJson([
      "fit",
      "--model",
      "meta-llama/Llama-3.1-8B",
      "--weights",
      "Q8_0",
      "--gpu",
      "RTX-3060",
      "--json",
    ]);
    expect(f.capacityBytes).toBe(12 * GIB);
  });
});
