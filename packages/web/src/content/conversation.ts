/**
 * A demo conversation for the context-window widget: a person planning to serve a model, and an
 * assistant answering. Written for this knowledge base; turn lengths vary so compaction policies
 * behave differently. Content words (GPU names, numbers of users, deadlines) let the widget show
 * which facts a policy lost.
 */
import type { Turn } from "@memlens/core";

const SYSTEM =
  "You are a careful infrastructure assistant. Answer with concrete steps, name every assumption, and keep earlier decisions consistent unless the user changes them.";

const USER = [
  "We want to serve an eight billion parameter chat model for our support team. Budget is two rented GPUs for the first quarter.",
  "The support team has about forty agents, and peak hours are Monday mornings in Lisbon.",
  "Prompts include the last ten tickets of a customer, so they can reach six thousand tokens.",
  "Legal says transcripts cannot leave the Frankfurt region. Does that change the hardware?",
  "What happens to latency if everyone sends a long prompt at nine o'clock?",
  "Can we quantize the weights? Marketing wants answers that sound exactly like the current model.",
  "Our finance contact, Priya, needs a monthly cost estimate before Friday.",
  "If we add a retrieval step over the product manuals, how much longer do prompts get?",
  "Remind me which GPU we picked and why.",
  "Could we share one system prompt across all requests to save prefill time?",
  "The pilot starts on the third of March. What should we measure in the first week?",
  "One agent reports the assistant forgot a refund it promised earlier in the same chat. Why?",
];

const ASSISTANT = [
  "For an eight billion parameter model, a single modern GPU with twenty-four gigabytes holds the weights at sixteen bits with room left for the cache. Two GPUs let you run two replicas, which doubles throughput and gives you a spare during maintenance. I would start with two identical cards and one replica on each.",
  "Forty agents at peak is a small serving load if answers are short. The real constraint is context: long prompts hold more cache per request, so concurrency is limited by memory, not by compute. Plan for ten to fifteen simultaneous long requests per replica and queue the rest.",
  "Six thousand token prompts are fine for this model, but each one occupies cache for its whole lifetime. Keep the generation limit modest, enable paged cache allocation in the serving engine, and watch the number of waiting requests rather than GPU utilisation.",
  "It changes where you rent, not what you rent. Choose a provider with GPUs in the Frankfurt region, keep logs there too, and make sure the retrieval index lives in the same region, because it contains transcript text as well.",
  "A burst of long prompts makes time to first token grow, because prefill is compute bound and every prompt waits for the ones ahead of it. Chunked prefill and a cap on concurrent prefills keep decoding smooth for the requests already running.",
  "Eight bit weights usually change answers very little; four bit formats save more memory but can shift wording. Run your evaluation set on both and compare with the current model before deciding. Keep the cache at sixteen bits at first.",
  "For Priya: two GPUs for a month, plus storage and egress within the Frankfurt region. I can fill in a table once you confirm the provider and whether the replicas run around the clock or only in office hours.",
  "Retrieval usually adds three to five passages of a few hundred tokens each, so prompts grow by one to two thousand tokens. That reduces the number of long requests each replica can hold at once by roughly a quarter.",
  "We picked two identical twenty-four gigabyte GPUs, one replica each, because the eight billion parameter model fits on one card with cache to spare, and two replicas give both throughput and redundancy in the Frankfurt region.",
  "Yes. With prefix caching, the engine keeps the cache of the shared system prompt and reuses it, so only the new part of each prompt is prefilled. Put the fixed instructions first and the customer tickets after them.",
  "Measure time to first token at the ninety-fifth percentile, tokens per second per request, queue length at Monday peak, memory headroom, and how often agents edit the answers. Compare quantized and unquantized replicas if you run both.",
  "The chat probably grew past the context budget and the oldest turns, including the refund promise, were dropped or summarised without that detail. Store commitments like refunds in a separate memory the assistant retrieves, or pin them so compaction never removes them.",
];

/** The first `count` turns: the system prompt, then user and assistant alternating. */
export function demoConversation(count: number): Turn[] {
  const turns: Turn[] = [{ id: "t0", role: "system", text: SYSTEM }];
  for (let i = 0; turns.length < count; i++) {
    const k = Math.floor(i / 2) % USER.length;
    const round = Math.floor(i / 2 / USER.length);
    const suffix = round > 0 ? ` (follow-up ${round})` : "";
    const role = i % 2 === 0 ? "user" : "assistant";
    turns.push({ id: `t${i + 1}`, role, text: (role === "user" ? USER[k]! : ASSISTANT[k]!) + suffix });
  }
  return turns.slice(0, count);
}

export const MAX_DEMO_TURNS = 48;
