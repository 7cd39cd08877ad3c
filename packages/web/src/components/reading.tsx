/** Further reading: seed 003's papers with their headline numbers. */
import type { Paper } from "../content/reading.js";

export function Reading({ papers, topicId }: { papers: readonly Paper[]; topicId: string }) {
  return (
    <section class="reading" aria-labelledby={`reading-${topicId}`}>
      <h2 id={`reading-${topicId}`}>Further reading</h2>
      <ul>
        {papers.map((p) => (
          <li key={p.title}>
            <cite>{p.title}</cite>
            <span class="headline">{p.headline}</span>
            {p.code ? (
              <a href={p.code} rel="noopener noreferrer" target="_blank">
                code<span class="visually-hidden"> for {p.title} (opens in a new tab)</span>
              </a>
            ) : null}
          </li>
        ))}
      </ul>
      <p class="source-note">
        Papers and figures from their abstracts (a Hugging Face daily-papers listing).
      </p>
    </section>
  );
}
