/** Home: the nine topic cards in two domains, tagged by phase, with a legend. */

import { Link } from "../components/link.js";
import { DOMAIN_INFO, type Domain, PHASE_INFO, PHASES, TOPICS, type Topic } from "../content/topics.js";

function Card({ t }: { t: Topic }) {
  return (
    <li class="card">
      <Link to={{ kind: "topic", slug: t.slug }} class="card-link" data-topic={t.slug}>
        <span class="card-num" aria-hidden="true">
          {t.num}
        </span>
        <span class={`badge phase-${t.phase}`}>{PHASE_INFO[t.phase].label}</span>
        <span class="card-title">{t.title}</span>
        <span class="card-summary">{t.summary}</span>
        <span class="chips">
          {t.chips.map((c) => (
            <span key={c} class="chip">
              {c}
            </span>
          ))}
        </span>
        <span class="card-open" aria-hidden="true">
          Open article →
        </span>
      </Link>
    </li>
  );
}

function DomainSection({ domain }: { domain: Domain }) {
  const info = DOMAIN_INFO[domain];
  return (
    <section class="domain" aria-labelledby={`domain-${domain}`}>
      <div class="domain-head">
        <span class={`dot dot-${domain}`} aria-hidden="true" />
        <h2 id={`domain-${domain}`}>{info.title}</h2>
        <span class="domain-tag">{info.tag}</span>
      </div>
      <ul class="cards">
        {TOPICS.filter((t) => t.domain === domain).map((t) => (
          <Card key={t.slug} t={t} />
        ))}
      </ul>
    </section>
  );
}

export function HomePage() {
  return (
    <div class="home">
      <h1 tabIndex={-1} class="page-title">
        Memory Management in LLMs
      </h1>
      <p class="intro">
        Where the bytes go when a language model runs, trains and remembers: from the weights on a GPU to the
        conversation an agent keeps. Every figure on these pages is computed in your browser by the memlens
        engine for a real model and a real GPU that you choose. Each topic is tagged by <em>when</em> its
        memory is spent.
      </p>
      <ul class="legend" aria-label="Phase legend">
        {PHASES.map((p) => (
          <li key={p}>
            <span class={`badge phase-${p}`}>{PHASE_INFO[p].label}</span> {PHASE_INFO[p].legend}
          </li>
        ))}
      </ul>
      <DomainSection domain="system" />
      <DomainSection domain="agent" />
      <section class="domain" aria-labelledby="planner-head">
        <div class="domain-head">
          <span class="dot dot-planner" aria-hidden="true" />
          <h2 id="planner-head">Plan a deployment</h2>
        </div>
        <p>
          The <Link to={{ kind: "planner" }}>planner</Link> takes a whole scenario (model, engine, weight and
          KV formats, context, batch, GPUs, tensor parallelism) and answers: does it fit, how far can context
          and concurrency go, how fast is it, and what to change.
        </p>
        <p>
          <Link to={{ kind: "serving" }}>Serving capacity</Link> simulates a vLLM server request by request,
          in a background thread: time to first token and per-token latency at p50, p90 and p99, KV cache use
          over time, preemptions, prefix-cache hits, and how latency grows with the arrival rate.
        </p>
      </section>
    </div>
  );
}
