import { ContextWindow } from "../../widgets/context-window.js";

export function AgentMemoryArticle() {
  return (
    <>
      <section>
        <h2>The context window as working memory</h2>
        <p>
          For an application, memory means what the model can take into account when it answers. The simplest
          form is the context window: everything in the prompt is visible, nothing else is. It is immediate
          and exact, but bounded, billed per token, and not uniformly reliable: facts in the middle of a long
          prompt are recalled less well than those at its ends. Every token in it also costs KV cache and
          prefill time on the serving side.
        </p>
        <ContextWindow />
      </section>
      <section>
        <h2>External / long-term memory</h2>
        <p>
          What must outlive the window is written somewhere else and fetched back when relevant, usually by
          retrieval over an index (embeddings in a vector store, or plain keyword search). It helps to
          separate episodic memory (what happened in past sessions), semantic memory (facts about the user or
          the domain) and procedural memory (how to do a task). The design questions are what to write, when,
          and how to find it again.
        </p>
      </section>
      <section>
        <h2>Managing growing memory</h2>
        <p>
          A conversation only grows. Applications keep it inside the budget by dropping the oldest turns, by
          folding old turns into a summary, or by evicting what is least related to the current question. Each
          loses something: the widget lists the terms that vanished from the context entirely. Commitments
          such as a promised refund belong in a pinned note or a long-term store, not in the scrolling
          transcript.
        </p>
      </section>
      <section>
        <h2>Multimodal memory</h2>
        <p>
          Images and audio can be remembered the same way: embedded into a shared vector space, stored, and
          retrieved by a text or image query. They are expensive in context, since one image can take as many
          tokens as several pages of text.
        </p>
      </section>
    </>
  );
}
