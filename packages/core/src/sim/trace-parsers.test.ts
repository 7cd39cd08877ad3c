import { describe, expect, it } from "vitest";
import azureCodeText from "../../../../../shared/fixtures/traces/AzureLLMInferenceTrace_code.csv?raw";
import azureConvText from "../../../../../shared/fixtures/traces/AzureLLMInferenceTrace_conv.csv?raw";
import apexText from "../../../../../shared/fixtures/traces/apex_plus/lmsys_05.jsonl?raw";
import mooncakeText from "../../../../../shared/fixtures/traces/conversation_trace.jsonl?raw";
import sharegptText from "../../../../../shared/fixtures/traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv?raw";
import measuredText from "../../../../../shared/fixtures/traces/vllm-runs/RTX4090/Llama-3.1-8B/vllm/requests.jsonl?raw";
import tokenText from "../../../../../shared/fixtures/traces/vllm-runs/workloads/sharegpt-llama-3.1-8b-300-sps10.jsonl?raw";
import { summarize } from "./metrics.js";
import {
  detectTraceFormat,
  parseApexTrace,
  parseAzureTrace,
  parseLengthCsv,
  parseMeasuredRequests,
  parseMooncakeTrace,
  parseTokenTrace,
  parseTrace,
} from "./trace-parsers.js";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("trace parsers on the public traces (fixtures/traces)", () => {
  it("Azure conv 2023: 19,366 requests, mean in/out 1155/211, 58 minutes (serving.md §1.8)", () => {
    const w = parseAzureTrace(azureConvText);
    expect(w.length).toBe(19366);
    expect(Math.round(mean(w.map((r) => r.promptTokens)))).toBe(1155);
    expect(Math.round(mean(w.map((r) => r.outputTokens)))).toBe(211);
    expect(w[0]!.arrivalSeconds).toBe(0);
    expect(w[w.length - 1]!.arrivalSeconds / 60).toBeCloseTo(58.4, 0);
    expect(parseAzureTrace(azureCodeText).length).toBe(8819);
  });

  it("Mooncake conversation: 12,031 requests with 512-token prefix ids", () => {
    const w = parseMooncakeTrace(mooncakeText);
    expect(w.length).toBe(12031);
    const c = w[0]!.content;
    expect(c?.kind).toBe("coarse-blocks");
    if (c?.kind === "coarse-blocks") expect(c.ids.length).toBe(Math.ceil(w[0]!.promptTokens / 512));
    expect(w[w.length - 1]!.arrivalSeconds).toBeCloseTo(3536.999, 3);
  });

  it("length-only CSV (Etalon ShareGPT): no timestamps", () => {
    const { requests, hasArrivals } = parseLengthCsv(sharegptText);
    expect(requests.length).toBe(30731);
    expect(hasArrivals).toBe(false);
    expect(requests[0]).toEqual({ arrivalSeconds: 0, promptTokens: 74, outputTokens: 918 });
  });

  it("token-id JSONL of the recorded vLLM run: 300 requests at ~10 req/s with ids", () => {
    const w = parseTokenTrace(tokenText);
    expect(w.length).toBe(300);
    expect(w[299]!.arrivalSeconds).toBeLessThan(31);
    const c = w[0]!.content;
    expect(c?.kind === "tokens" && c.promptIds.length).toBe(w[0]!.promptTokens);
    expect(c?.kind === "tokens" && c.outputIds?.length).toBe(w[0]!.outputTokens);
  });

  it("APEX+ JSONL and the measured per-request timings", () => {
    expect(parseApexTrace(apexText).length).toBe(1024);
    const m = parseMeasuredRequests(measuredText);
    expect(m.length).toBe(300);
    // validation/summary.txt: vLLM TTFT median 60110.9 ms, TPOT median 30.8 ms.
    expect(summarize(m.map((r) => r.ttftSeconds)).p50 * 1000).toBeCloseTo(60110.9, 0);
    expect(summarize(m.map((r) => r.tpotSeconds)).p50 * 1000).toBeCloseTo(30.8, 1);
  });

  it("detects formats from the first line", () => {
    expect(detectTraceFormat(azureConvText)).toBe("azure-csv");
    expect(detectTraceFormat(mooncakeText)).toBe("mooncake-jsonl");
    expect(detectTraceFormat(sharegptText)).toBe("length-csv");
    expect(detectTraceFormat(tokenText)).toBe("token-jsonl");
    expect(detectTraceFormat(apexText)).toBe("apex-jsonl");
    expect(parseTrace(sharegptText).hasArrivals).toBe(false);
    expect(() => parseTrace("hello\n")).toThrow(/azure-csv, mooncake-jsonl/);
  });
});

describe("bad rows name the line and the field", () => {
  it.each([
    [
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,12,4\n2023-11-16 18:15:47,-3,4\n",
      /line 3: field "ContextTokens"/,
    ],
    [
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,12,99999999999\n",
      /line 2: field "GeneratedTokens" must be an integer in \[1, 10000000\]/,
    ],
    ["TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,12,4\n", /line 2: field "TIMESTAMP"/],
    ["TIMESTAMP,ContextTokens\n", /field "GeneratedTokens" missing from the header/],
  ])("Azure %#", (text, re) => {
    expect(() => parseAzureTrace(text)).toThrow(re);
  });

  it.each([
    [
      '{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [1]}\n',
      /line 1: field "hash_ids" has 1 ids but input_length 1000 needs 2/,
    ],
    [
      '{"timestamp": 0, "input_length": 10, "output_length": 5.5, "hash_ids": [1]}\n',
      /line 1: field "output_length"/,
    ],
    ['\n{"timestamp": 0, "input_length": 10\n', /line 2: field "\(json\)" is not valid JSON/],
    [
      '{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1, "x"]}\n',
      /field "hash_ids\[1\]"/,
    ],
  ])("Mooncake %#", (text, re) => {
    expect(() => parseMooncakeTrace(text)).toThrow(re);
  });

  it("token JSONL: ids must match the lengths", () => {
    expect(() =>
      parseTokenTrace('{"input_toks": 3, "output_toks": 1, "arrival_time_ns": 0, "input_tok_ids": [1, 2]}'),
    ).toThrow(/line 1: field "input_tok_ids" has 2 ids but the length field says 3/);
  });

  it("length CSV and APEX", () => {
    expect(() => parseLengthCsv("num_prefill_tokens,num_decode_tokens\n5,x\n")).toThrow(
      /line 2: field "num_decode_tokens"/,
    );
    expect(() => parseApexTrace('{"ContextTokens": 5, "GeneratedTokens": 3}')).toThrow(
      /field "StartTimeOffset"/,
    );
  });
});
