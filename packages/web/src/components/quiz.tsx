/** A short quiz: each question a radio group with immediate, announced feedback. */
import { useState } from "preact/hooks";
import type { QuizQuestion } from "../content/quizzes.js";

function Question({ q, index }: { q: QuizQuestion; index: number }) {
  const [picked, setPicked] = useState<number | null>(null);
  const right = picked === q.answer;
  return (
    <fieldset class="quiz-q" data-quiz={q.id}>
      <legend>
        {index + 1}. {q.question}
      </legend>
      {q.options.map((o, i) => (
        <label key={o} class={`quiz-option ${picked === i ? (right ? "right" : "wrong") : ""}`}>
          <input
            type="radio"
            name={`quiz-${q.id}`}
            value={i}
            checked={picked === i}
            onChange={() => setPicked(i)}
          />
          <span>{o}</span>
        </label>
      ))}
      <p
        class={`quiz-feedback ${picked === null ? "" : right ? "right" : "wrong"}`}
        aria-live="polite"
        data-testid={`quiz-${q.id}-feedback`}
      >
        {picked === null ? "" : right ? `Correct. ${q.explanation}` : "Not quite; try another answer."}
      </p>
    </fieldset>
  );
}

export function Quiz({ questions, topicId }: { questions: readonly QuizQuestion[]; topicId: string }) {
  return (
    <section class="quiz" aria-labelledby={`quiz-${topicId}`}>
      <h2 id={`quiz-${topicId}`}>Check yourself</h2>
      {questions.map((q, i) => (
        <Question key={q.id} q={q} index={i} />
      ))}
    </section>
  );
}
