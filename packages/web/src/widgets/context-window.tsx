/** Agent memory: the context window filling turn by turn, and a compaction policy keeping it under budget. */
import { formatSeconds } from "@memlens/core";
import { useMemo } from "preact/hooks";
import { contextTurnsChart } from "../charts/charts.js";
import { Chart } from "../components/chart.js";
import { Note, RangeSlider, Select, Stat, Widget } from "../components/controls.js";
import {
  BROWSER_COUNTER,
  POLICY_KINDS,
  POLICY_LABEL,
  type PolicyKind,
  runContextWindow,
} from "../compute/context-window.js";
import { kvPerToken } from "../compute/kv.js";
import { runInference } from "../compute/scenario.js";
import { MAX_DEMO_TURNS } from "../content/conversation.js";
import { fmtBytes, fmtInt } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";

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
          text={fmtInt(last.tokensInContext)}
          testid="cw-tokens"
          tone={full ? "bad" : "neutral"}
        />
        <Stat
          label="Summarized so far"
          value={sim.totals.tokensSummarized}
          text={fmtInt(sim.totals.tokensSummarized)}
          testid="cw-summarized"
        />
        <Stat
          label="Evicted so far"
          value={sim.totals.tokensEvicted}
          text={fmtInt(sim.totals.tokensEvicted)}
          testid="cw-evicted"
        />
        <Stat
          label="KV cache of this context"
          value={last.cost?.kvBytes ?? null}
          text={last.cost ? fmtBytes(last.cost.kvBytes, unit, 2) : "—"}
          testid="cw-kv"
        />
        {prefill !== null && last.cost ? (
          <>
            <Stat
              label="Time to first token, prefix cached"
              value={last.cost.timeToFirstTokenSeconds}
              text={formatSeconds(last.cost.timeToFirstTokenSeconds)}
              testid="cw-ttft"
            />
            <Stat
              label="…without prefix caching"
              value={last.cost.timeToFirstTokenWithoutPrefixCacheSeconds}
              text={formatSeconds(last.cost.timeToFirstTokenWithoutPrefixCacheSeconds)}
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
      <Note>
        The browser counts words instead of tokens to stay small; the memlens CLI counts with real tokenizers.
        A chat template's few tokens per message are included.
      </Note>
    </Widget>
  );
}
