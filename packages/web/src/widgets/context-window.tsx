/** Agent memory: the context window filling turn by turn, and a compaction policy keeping it under budget. */

import type { TokenCounter } from "@memlens/core";
import { formatSeconds } from "@memlens/core";
import { useEffect, useMemo, useState } from "preact/hooks";
import { contextTurnsChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Field, Note, RangeSlider, Select, Stat, Widget } from "../components/controls.js";
import {
  BROWSER_COUNTER,
  POLICY_KINDS,
  POLICY_LABEL,
  type PolicyKind,
  runContextWindow,
  SAMPLE_MESSAGE,
  TYPED_ENCODING_LABEL,
  TYPED_ENCODINGS,
  type TypedEncoding,
  textCost,
} from "../compute/context-window.js";
import { kvPerToken } from "../compute/kv.js";
import { runInference } from "../compute/scenario.js";
import { MAX_DEMO_TURNS } from "../content/conversation.js";
import { bytesIn, fmtBytes, fmtInt } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";

type CounterState =
  | { readonly kind: "loading"; readonly encoding: TypedEncoding }
  | { readonly kind: "ready"; readonly encoding: TypedEncoding; readonly counter: TokenCounter }
  | { readonly kind: "failed"; readonly encoding: TypedEncoding; readonly message: string };

/** An OpenAI encoding, loaded on demand (the encoder and its vocabulary are not in the first download). */
function useTokenCounter(encoding: TypedEncoding): CounterState {
  const [state, setState] = useState<CounterState>({ kind: "loading", encoding });
  useEffect(() => {
    let live = true;
    setState({ kind: "loading", encoding });
    import("../compute/tokenizer.js")
      .then((m) => m.loadTokenCounter(encoding))
      .then(
        (counter) => live && setState({ kind: "ready", encoding, counter }),
        (e: unknown) => live && setState({ kind: "failed", encoding, message: String(e) }),
      );
    return () => {
      live = false;
    };
  }, [encoding]);
  return state;
}

const ROLE_COLOR = {
  system: "#8a94a6",
  user: "#5b8cff",
  assistant: "#7c5cff",
  tool: "#14a3a3",
  summary: "#f0a020",
} as const;

export function ContextWindow() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const [turns, setTurns] = useIntParam("cw.n", 6, 1, MAX_DEMO_TURNS);
  const [policy, setPolicy] = useEnumParam<PolicyKind>("cw.p", "summarize-at-threshold", POLICY_KINDS);
  const [budget, setBudget] = useIntParam("cw.bud", 600, 100, 8000);

  const perToken = useMemo(() => kvPerToken(choice.spec, "bf16"), [choice]);
  const prefill = useMemo(() => {
    const r = runInference({ model: choice, gpuId: gpu.id, contextLength: budget, batch: 1 });
    return r.ok && r.value.performance.prefillTokensPerSecond > 0
      ? r.value.performance.prefillTokensPerSecond
      : null;
  }, [choice, gpu, budget]);
  const sim = useMemo(
    () =>
      runContextWindow({
        turns,
        policy,
        budgetTokens: budget,
        kvBytesPerToken: perToken,
        prefillTokensPerSecond: prefill ?? 1,
      }),
    [turns, policy, budget, perToken, prefill],
  );
  const last = sim.steps[sim.steps.length - 1]!;
  const [encoding, setEncoding] = useEnumParam<TypedEncoding>("cw.tok", "o200k_base", TYPED_ENCODINGS);
  const [typed, setTyped] = useState(SAMPLE_MESSAGE);
  const tokenizer = useTokenCounter(encoding);
  const typedCost = useMemo(
    () =>
      tokenizer.kind === "ready" && tokenizer.encoding === encoding
        ? textCost(typed, tokenizer.counter, perToken, prefill ?? 1)
        : null,
    [tokenizer, encoding, typed, perToken, prefill],
  );
  const chart = useMemo(
    () =>
      contextTurnsChart({
        steps: sim.steps.map((s) => ({
          turn: s.turnIndex + 1,
          turnTokens: s.tokensInContext - s.summaryTokens,
          summaryTokens: s.summaryTokens,
        })),
        budgetTokens: sim.budgetTokens ?? null,
      }),
    [sim],
  );
  const full = sim.budgetTokens !== undefined && last.tokensInContext > 0.8 * sim.budgetTokens;
  const lostTerms = [...new Set(sim.steps.flatMap((s) => s.lost.terms))].slice(0, 12);
  return (
    <Widget
      id="w-context"
      title="Working memory fills up: manage it"
      sub={`A ${MAX_DEMO_TURNS}-turn planning conversation replayed by core's context simulator. Tokens are counted as ${BROWSER_COUNTER.name}; KV and time to first token are ${choice.spec.id}'s on ${gpu.id}.`}
    >
      <div class="controls">
        <div class="buttons">
          <button
            type="button"
            class="btn"
            onClick={() => setTurns(Math.min(MAX_DEMO_TURNS, turns + 1))}
            disabled={turns >= MAX_DEMO_TURNS}
          >
            + Add a turn
          </button>
          <button type="button" class="btn" onClick={() => setTurns(1)}>
            Reset
          </button>
        </div>
        <RangeSlider
          id="cw-turns"
          label="Turns so far"
          min={1}
          max={MAX_DEMO_TURNS}
          value={turns}
          onChange={setTurns}
          format={String}
        />
        <Select<PolicyKind>
          id="cw-policy"
          label="When the window fills"
          value={policy}
          options={POLICY_KINDS.map((p) => ({ value: p, label: POLICY_LABEL[p] }))}
          onChange={setPolicy}
        />
        <RangeSlider
          id="cw-budget"
          label="Context budget"
          min={100}
          max={4000}
          step={100}
          value={budget}
          onChange={setBudget}
          format={(v) => `${fmtInt(v)} tokens`}
        />
      </div>
      <div
        class="ctx-strip"
        role="img"
        aria-label={`Context after turn ${turns}: ${last.blocks.map((b) => `${b.role} ${b.tokens} tokens`).join(", ")}.`}
      >
        {last.blocks.map((b) => (
          <span
            key={b.id}
            class="ctx-block"
            style={{
              width: `${(100 * b.tokens) / Math.max(budget, last.tokensInContext)}%`,
              background: ROLE_COLOR[b.role],
            }}
            title={`${b.role}: ${b.tokens} tokens`}
          />
        ))}
      </div>
      <ul class="legend-list inline">
        {(["system", "user", "assistant", "summary"] as const).map((r) => (
          <li key={r}>
            <i style={{ background: ROLE_COLOR[r] }} /> {r}
          </li>
        ))}
      </ul>
      <div class="stats">
        <Stat
          label="Tokens in context"
          value={last.tokensInContext}
          text={fmtInt}
          testid="cw-tokens"
          tone={full ? "bad" : "neutral"}
        />
        <Stat
          label="Summarized so far"
          value={sim.totals.tokensSummarized}
          text={fmtInt}
          testid="cw-summarized"
        />
        <Stat label="Evicted so far" value={sim.totals.tokensEvicted} text={fmtInt} testid="cw-evicted" />
        <Stat
          label="KV cache of this context"
          value={last.cost?.kvBytes ?? null}
          text={bytesIn(unit, 2)}
          testid="cw-kv"
        />
        {prefill !== null && last.cost ? (
          <>
            <Stat
              label="Time to first token, prefix cached"
              value={last.cost.timeToFirstTokenSeconds}
              text={formatSeconds}
              testid="cw-ttft"
            />
            <Stat
              label="…without prefix caching"
              value={last.cost.timeToFirstTokenWithoutPrefixCacheSeconds}
              text={formatSeconds}
              testid="cw-ttft-nocache"
            />
          </>
        ) : null}
      </div>
      <Chart spec={chart} />
      <p class="detail" aria-live="polite" data-testid="cw-lost">
        {lostTerms.length > 0
          ? `Terms no longer anywhere in the context: ${lostTerms.join(", ")}.`
          : "Nothing has left the context yet."}
      </p>
      <div data-testid="cw-typed">
        <h4>Count your own message</h4>
        <div class="controls cw-typed">
          <Field id="cw-text" label="Your message">
            <textarea
              id="cw-text"
              class="cw-text"
              rows={3}
              value={typed}
              onInput={(e) => setTyped((e.currentTarget as HTMLTextAreaElement).value)}
            />
          </Field>
          <Select<TypedEncoding>
            id="cw-tok"
            label="Tokenizer"
            value={encoding}
            options={TYPED_ENCODINGS.map((k) => ({ value: k, label: TYPED_ENCODING_LABEL[k] }))}
            onChange={setEncoding}
          />
        </div>
        <p
          class="hint"
          aria-live="polite"
          data-testid="cw-tokenizer"
          data-encoding={tokenizer.kind === "ready" ? tokenizer.encoding : ""}
        >
          {tokenizer.kind === "ready"
            ? `Counted with ${tokenizer.encoding} (OpenAI's encoding, through gpt-tokenizer), not ${choice.spec.id}'s own tokenizer; KV and prefill are ${choice.spec.id}'s on ${gpu.id}.`
            : tokenizer.kind === "loading"
              ? `Loading the ${encoding} vocabulary (${encoding === "o200k_base" ? "1.7" : "0.8"} MB)…`
              : `The ${encoding} vocabulary did not load (${tokenizer.message}).`}
        </p>
        <div class="stats">
          <Stat
            label={`Tokens (${encoding})`}
            value={typedCost?.tokens ?? null}
            text={typedCost ? fmtInt(typedCost.tokens) : "…"}
            testid="cw-typed-tokens"
          />
          <Stat
            label="Words (the replay's approximation)"
            value={typedCost?.words ?? null}
            text={typedCost ? fmtInt(typedCost.words) : "…"}
            testid="cw-typed-words"
          />
          <Stat
            label="KV cache of it"
            value={typedCost?.kvBytes ?? null}
            text={typedCost ? fmtBytes(typedCost.kvBytes, unit, 2) : "…"}
            testid="cw-typed-kv"
          />
          <Stat
            label="Prefill time"
            value={prefill !== null ? (typedCost?.prefillSeconds ?? null) : null}
            text={formatSeconds}
            testid="cw-typed-prefill"
          />
        </div>
      </div>
      <Note>
        The replayed conversation counts words, so it needs no download; the message you type is counted with
        a real tokenizer, whose vocabulary loads on first use. The memlens CLI counts conversations with real
        tokenizers too. A chat template's few tokens per message are included in the replay.
      </Note>
    </Widget>
  );
}
