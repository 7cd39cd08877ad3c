import { describe, expect, it } from "vitest";
import { median, type Row, rebuild, TRAINING_RECORDS } from "./records.js";

/**
 * Training peaks and max-context lengths from public sources (LitGPT config_hub README, torchtune
 * README "Optimization flags", PEFT MetaMathQA results, unsloth README), each rebuilt through
 * estimate() with the named framework (engine litgpt / torchtune / transformers / unsloth).
 * Target (issue 16): within 10% median over ≥ 40 measurements from ≥ 4 frameworks. Met for PEFT,
 * unsloth and torchtune; not for LitGPT nor overall (16.2%): the bounds below are the achieved
 * figures, kept as regression bounds; nothing here was fitted to these records.
 */

const table: readonly Row[] = TRAINING_RECORDS.map(rebuild);
const numeric = table.filter((r) => r.error !== null);
const abs = (rows: readonly Row[]) => rows.map((r) => Math.abs(r.error ?? 0));
const of = (framework: string) => numeric.filter((r) => r.framework === framework);

describe("public training measurements, rebuilt per framework", () => {
  it("covers at least 40 numeric measurements from at least four frameworks", () => {
    expect(numeric.length).toBe(54);
    expect(new Set(numeric.map((r) => r.framework)).size).toBeGreaterThanOrEqual(4);
    expect(of("litgpt").length).toBe(24);
    expect(of("torchtune").length).toBe(9);
    expect(of("transformers+peft").length).toBe(5);
    expect(of("unsloth").length).toBe(9);
    expect(of("transformers").length).toBe(7);
  });

  it("median |error| per framework (achieved figures as regression bounds)", () => {
    // PEFT + Trainer (transformers): 2.2%; unsloth: 2.8%; torchtune: 9.6%.
    expect(median(abs(of("transformers+peft")))).toBeLessThanOrEqual(0.03);
    expect(median(abs(of("unsloth")))).toBeLessThanOrEqual(0.03);
    expect(median(abs(of("torchtune")))).toBeLessThanOrEqual(0.1);
    // LitGPT 18.1% (all low; LoRA 7.1%, QLoRA 21.4%): a QLoRA-only term of 2–6 GB is not
    // modelled, nor the tied-head adapters. HF + FA2 max context 29.1% (long). All 54: 16.2%.
    expect(median(abs(of("litgpt")))).toBeLessThanOrEqual(0.19);
    expect(median(abs(of("transformers")))).toBeLessThanOrEqual(0.3);
    expect(median(abs(numeric))).toBeLessThanOrEqual(0.17);
  });

  it("outcomes: OOM where the record says OOM, except LitGPT gemma-7b LoRA (predicted to fit) and 70B at 48 GB (64 tokens fit)", () => {
    const outcomes = table
      .filter((r) => r.quantity === "outcome" || r.measured === "OOM")
      .map((r) => `${r.id}: ${r.predicted === "OOM" ? "OOM" : "fits"}`);
    expect(outcomes).toEqual([
      "litgpt-confighub-gemma-7b-lora-1xa10g: fits",
      "litgpt-confighub-gemma2-9b-lora-1xa10g: OOM",
      "unsloth-readme-llama3.1-8b-qlora-maxctx-8gb-hf-fa2: OOM",
      "unsloth-readme-llama3.3-70b-qlora-maxctx-48gb-hf-fa2: fits",
    ]);
  });

  it("the README table", () => {
    const fmt = (v: number | "OOM") => (v === "OOM" ? "OOM" : v.toLocaleString("en-US"));
    const err = (r: Row) =>
      r.error === null
        ? r.measured === r.predicted
          ? "match"
          : "mismatch"
        : `${r.error >= 0 ? "+" : ""}${(r.error * 100).toFixed(1)}%`;
    const lines = table.map(
      (r) =>
        `| ${r.framework} | ${r.id} | ${r.quantity} | ${fmt(r.measured)} | ${fmt(r.predicted)} | ${err(r)} |`,
    );
    expect(lines.join("\n")).toMatchInlineSnapshot(`
      "| litgpt | litgpt-confighub-gemma-2b-lora-1xa10g | peak bytes | 12,620,000,000 | 10,414,690,304 | -17.5% |
      | litgpt | litgpt-confighub-gemma-2b-qlora-1xa10g | peak bytes | 11,580,000,000 | 8,457,211,904 | -27.0% |
      | litgpt | litgpt-confighub-gemma-7b-lora-1xa10g | outcome | OOM | 23,237,115,706 | mismatch |
      | litgpt | litgpt-confighub-gemma-7b-qlora-1xa10g | peak bytes | 17,180,000,000 | 12,462,741,504 | -27.5% |
      | litgpt | litgpt-confighub-gemma2-2b-lora-1xa10g | peak bytes | 14,310,000,000 | 11,370,988,032 | -20.5% |
      | litgpt | litgpt-confighub-gemma2-2b-qlora-1xa10g | peak bytes | 13,520,000,000 | 9,371,525,632 | -30.7% |
      | litgpt | litgpt-confighub-gemma2-9b-lora-1xa10g | outcome | OOM | OOM | match |
      | litgpt | litgpt-confighub-gemma2-9b-qlora-1xa10g | peak bytes | 20,920,000,000 | 15,162,375,168 | -27.5% |
      | litgpt | litgpt-confighub-llama-2-7b-lora-1xa10g | peak bytes | 19,770,000,000 | 18,465,038,336 | -6.6% |
      | litgpt | litgpt-confighub-llama-2-7b-qlora-1xa10g | peak bytes | 13,680,000,000 | 10,756,235,264 | -21.4% |
      | litgpt | litgpt-confighub-llama-3-8b-lora-1xa10g | peak bytes | 19,730,000,000 | 19,167,584,256 | -2.9% |
      | litgpt | litgpt-confighub-llama-3-8b-qlora-1xa10g | peak bytes | 17,410,000,000 | 14,135,271,424 | -18.8% |
      | litgpt | litgpt-confighub-llama-3.1-8b-lora-1xa10g | peak bytes | 19,730,000,000 | 19,167,584,256 | -2.9% |
      | litgpt | litgpt-confighub-llama-3.1-8b-qlora-1xa10g | peak bytes | 17,410,000,000 | 14,135,271,424 | -18.8% |
      | litgpt | litgpt-confighub-llama-3.2-1B-lora-1xa10g | peak bytes | 4,490,000,000 | 3,548,123,136 | -21.0% |
      | litgpt | litgpt-confighub-llama-3.2-1B-qlora-1xa10g | peak bytes | 5,530,000,000 | 3,609,989,120 | -34.7% |
      | litgpt | litgpt-confighub-llama-3.2-3B-lora-1xa10g | peak bytes | 9,670,000,000 | 8,359,794,688 | -13.5% |
      | litgpt | litgpt-confighub-llama-3.2-3B-qlora-1xa10g | peak bytes | 10,300,000,000 | 7,120,443,392 | -30.9% |
      | litgpt | litgpt-confighub-mistral-7b-lora-1xa10g | peak bytes | 20,660,000,000 | 20,107,108,352 | -2.7% |
      | litgpt | litgpt-confighub-mistral-7b-qlora-1xa10g | peak bytes | 14,290,000,000 | 11,892,891,648 | -16.8% |
      | litgpt | litgpt-confighub-phi-2-lora-1xa10g | peak bytes | 13,980,000,000 | 12,993,730,560 | -7.1% |
      | litgpt | litgpt-confighub-phi-2-qlora-1xa10g | peak bytes | 14,270,000,000 | 11,798,681,600 | -17.3% |
      | litgpt | litgpt-confighub-phi-3-lora-1xa10g | peak bytes | 19,750,000,000 | 17,902,228,480 | -9.4% |
      | litgpt | litgpt-confighub-phi-3-qlora-1xa10g | peak bytes | 19,130,000,000 | 15,030,010,880 | -21.4% |
      | litgpt | litgpt-confighub-tiny-llama-lora-1xa10g | peak bytes | 13,500,000,000 | 12,721,229,824 | -5.8% |
      | litgpt | litgpt-confighub-tiny-llama-qlora-1xa10g | peak bytes | 16,240,000,000 | 13,487,640,576 | -16.9% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-packed | peak bytes | 64,424,509,440 | 65,410,697,216 | +1.5% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-compile | peak bytes | 54,760,833,024 | 48,004,368,384 | -12.3% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-chunked-ce | peak bytes | 46,063,524,250 | 42,488,334,336 | -7.8% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-activation-checkpointing | peak bytes | 26,736,171,418 | 32,127,498,240 | +20.2% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-optimizer-in-bwd | peak bytes | 24,803,436,134 | 23,675,832,320 | -4.5% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-activation-offloading | peak bytes | 23,407,571,763 | 22,367,209,472 | -4.4% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-adamw-8bit | peak bytes | 18,897,856,102 | 15,955,309,568 | -15.6% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-lora | peak bytes | 9,126,805,504 | 10,005,370,880 | +9.6% |
      | torchtune | torchtune-readme-optflags-llama3.2-3b-qlora | peak bytes | 4,939,212,390 | 5,952,964,256 | +20.5% |
      | transformers+peft | peft-methodcomparison-full-finetuning--llama-3_2-3B-lr_0_00001 | peak bytes | 38,868,615,168 | 36,579,182,592 | -5.9% |
      | transformers+peft | peft-methodcomparison-lora--llama-3_2-3B-rank32 | peak bytes | 22,292,725,760 | 21,903,661,056 | -1.7% |
      | transformers+peft | peft-methodcomparison-lora--llama-3_2-3B-rank64 | peak bytes | 22,552,772,608 | 22,035,781,632 | -2.3% |
      | transformers+peft | peft-methodcomparison-lora--llama-3_2-3B-rank10-target-mlp | peak bytes | 24,698,159,104 | 24,713,975,808 | +0.1% |
      | transformers+peft | peft-methodcomparison-lora--llama-3_2-3B-rank64-rslora | peak bytes | 22,538,092,544 | 22,035,781,632 | -2.2% |
      | unsloth | unsloth-readme-llama3.1-8b-qlora-maxctx-8gb-unsloth | max context | 2,972 | 5,888 | +98.1% |
      | transformers | unsloth-readme-llama3.1-8b-qlora-maxctx-8gb-hf-fa2 | max context | OOM | OOM | match |
      | unsloth | unsloth-readme-llama3.1-8b-qlora-maxctx-12gb-unsloth | max context | 21,848 | 24,576 | +12.5% |
      | transformers | unsloth-readme-llama3.1-8b-qlora-maxctx-12gb-hf-fa2 | max context | 932 | 1,353 | +45.2% |
      | unsloth | unsloth-readme-llama3.1-8b-qlora-maxctx-16gb-unsloth | max context | 40,724 | 43,227 | +6.1% |
      | transformers | unsloth-readme-llama3.1-8b-qlora-maxctx-16gb-hf-fa2 | max context | 2,551 | 3,437 | +34.7% |
      | unsloth | unsloth-readme-llama3.1-8b-qlora-maxctx-24gb-unsloth | max context | 78,475 | 80,640 | +2.8% |
      | transformers | unsloth-readme-llama3.1-8b-qlora-maxctx-24gb-hf-fa2 | max context | 5,789 | 7,552 | +30.5% |
      | unsloth | unsloth-readme-llama3.1-8b-qlora-maxctx-40gb-unsloth | max context | 153,977 | 155,392 | +0.9% |
      | transformers | unsloth-readme-llama3.1-8b-qlora-maxctx-40gb-hf-fa2 | max context | 12,264 | 15,835 | +29.1% |
      | unsloth | unsloth-readme-llama3.1-8b-qlora-maxctx-48gb-unsloth | max context | 191,728 | 192,768 | +0.5% |
      | transformers | unsloth-readme-llama3.1-8b-qlora-maxctx-48gb-hf-fa2 | max context | 15,502 | 19,968 | +28.8% |
      | unsloth | unsloth-readme-llama3.1-8b-qlora-maxctx-80gb-unsloth | max context | 342,733 | 342,089 | -0.2% |
      | transformers | unsloth-readme-llama3.1-8b-qlora-maxctx-80gb-hf-fa2 | max context | 28,454 | 36,425 | +28.0% |
      | unsloth | unsloth-readme-llama3.3-70b-qlora-maxctx-48gb-unsloth | max context | 12,106 | 14,208 | +17.4% |
      | transformers | unsloth-readme-llama3.3-70b-qlora-maxctx-48gb-hf-fa2 | max context | OOM | 128 | mismatch |
      | unsloth | unsloth-readme-llama3.3-70b-qlora-maxctx-80gb-unsloth | max context | 89,389 | 89,636 | +0.3% |
      | transformers | unsloth-readme-llama3.3-70b-qlora-maxctx-80gb-hf-fa2 | max context | 6,916 | 8,704 | +25.9% |"
    `);
  });
});
