/** An article: back link, phase and domain tags, the model/GPU bar, prose with widgets, quiz, reading. */

import { Link } from "../components/link.js";
import { SelectionBar } from "../components/pickers.js";
import { Quiz } from "../components/quiz.js";
import { Reading } from "../components/reading.js";
import { ARTICLES } from "../content/articles/index.js";
import { QUIZZES } from "../content/quizzes.js";
import { READING } from "../content/reading.js";
import { TOPIC_SLUGS, type TopicSlug } from "../content/topic-slugs.js";
import { DOMAIN_INFO, PHASE_INFO, topicBySlug } from "../content/topics.js";

export function ArticlePage({ slug }: { slug: TopicSlug }) {
  const t = topicBySlug(slug);
  const Body = ARTICLES[slug];
  const i = TOPIC_SLUGS.indexOf(slug);
  const prev = i > 0 ? topicBySlug(TOPIC_SLUGS[i - 1]!) : null;
  const next = i < TOPIC_SLUGS.length - 1 ? topicBySlug(TOPIC_SLUGS[i + 1]!) : null;
  return (
    <article class="article" data-article={slug}>
      <Link class="back" to={{ kind: "home" }}>
        ← All topics
      </Link>
      <div class="tags">
        <span class={`badge phase-${t.phase}`}>{PHASE_INFO[t.phase].label}</span>
        <span class="chip">{DOMAIN_INFO[t.domain].title}</span>
      </div>
      <h1 tabIndex={-1} class="page-title">
        <span class="title-num">{t.num}</span> {t.title}
      </h1>
      <p class="lead">{t.lead}</p>
      <SelectionBar />
      <div class="prose">
        <Body />
      </div>
      <Quiz questions={QUIZZES[slug]} topicId={slug} />
      <Reading papers={READING[slug]} topicId={slug} />
      <nav class="pager" aria-label="Other topics">
        {prev ? (
          <Link to={{ kind: "topic", slug: prev.slug }} rel="prev">
            ← {prev.num} {prev.title}
          </Link>
        ) : (
          <span />
        )}
        {next ? (
          <Link to={{ kind: "topic", slug: next.slug }} rel="next">
            {next.num} {next.title} →
          </Link>
        ) : (
          <Link to={{ kind: "planner" }}>The planner →</Link>
        )}
      </nav>
    </article>
  );
}
