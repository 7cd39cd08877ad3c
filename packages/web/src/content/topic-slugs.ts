/** The nine topics' URL slugs, in the order the knowledge base lists them. */
export const TOPIC_SLUGS = [
  "fundamentals",
  "weights",
  "kv-cache",
  "attention",
  "inference",
  "training",
  "hardware",
  "agent-memory",
  "architectures",
] as const;
export type TopicSlug = (typeof TOPIC_SLUGS)[number];
