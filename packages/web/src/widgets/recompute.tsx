/**
 * Store or recompute: activation checkpointing for a training step of the page's model. A
 * checkpointed layer keeps only its input and re-runs its forward pass during backward.
 */
import { formatSeconds } from "@memlens/core";
import { useMemo } from "preact/hooks";
import { Note, Problem, RangeSlider, Stat, StepSlider, Widget } from "../components/controls.js";
import { attempt } from "../compute/scenario.js";
import {
  flopsSeconds,
  heldWithRecompute,
  recomputeFlops,
  recomputeProfile,
  stepFlops,
} from "../compute/training.js";
import { fmtBytes, fmtPercent, fmtTokens } from "../lib/format.js";
import { useGpu, useModel, useUnit } from "../state/selection.js";
import { useIntParam } from "../state/store.js";

export const RC_SEQS = [512, 1024, 2048, 4096, 8192, 16384, 32768];
export const RC_BATCHES = [1, 2, 4, 8, 16];

export function StoreVsRecompute() {
  const { choice } = useModel();
  const { gpu } = useGpu();
  const [unit] = useUnit();
  const spec = choice.spec;
  const layers = spec.numLayers;
  const [k, setK] = useIntParam("rc.k", 0, 0, 4096);
  const [seq, setSeq] = useIntParam("rc.s", 2048, 1, 1 << 20);
  const [mb, setMb] = useIntParam("rc.b", 1, 1, 256);
  const kk = Math.min(k, layers);

  const profile = useMemo(
    () => attempt(() => recomputeProfile(choice, gpu, seq, mb)),
    [choice, gpu, seq, mb],
  );
  if (!profile.ok)
    return (
      <Widget id="w-recompute" title="Spend memory or spend time?" sub={spec.id}>
        <Problem>{profile.message}</Problem>
      </Widget>
    );
  const p = profile.value;
  const stored = heldWithRecompute(p, 0);
  const now = heldWithRecompute(p, kk);
  const all = heldWithRecompute(p, layers);
  const tokens = seq * mb;
  const extra = recomputeFlops(spec, tokens, kk);
  const seconds = flopsSeconds(extra, gpu);
  const memShare = now / stored;
  const computeShare = extra / stepFlops(spec, tokens);
  return (
    <Widget
      id="w-recompute"
      title="Spend memory or spend time?"
      sub={`Activations one training step of ${spec.id} keeps for the backward pass (core's per-layer inventory, micro-batch ${mb} × ${fmtTokens(seq)} tokens). Checkpoint more layers and memory falls while the step re-runs their forward pass.`}
    >
      <div class="controls">
        <RangeSlider
          id="rc-layers"
          label="Layers recomputed"
          min={0}
          max={layers}
          value={kk}
          onChange={setK}
          format={(v) => `${v} of ${layers}`}
        />
        <StepSlider
          id="rc-seq"
          label="Sequence length"
          values={RC_SEQS}
          value={seq}
          onChange={setSeq}
          format={(v) => `${fmtTokens(v)} tokens`}
        />
        <StepSlider
          id="rc-mb"
          label="Micro-batch"
          values={RC_BATCHES}
          value={mb}
          onChange={setMb}
          format={String}
        />
      </div>
      <div class="ends" aria-hidden="true">
        <span>◀ store everything</span>
        <span>recompute everything ▶</span>
      </div>
      <div class="meters">
        <div class="meter">
          <div class="meter-label">
            <span>Activations kept for backward</span>
            <span data-testid="rc-mem" data-value={now}>
              {fmtBytes(now, unit)}
            </span>
          </div>
          <div class="track" role="presentation">
            <div class="fill" style={{ width: `${memShare * 100}%`, background: "#2bb673" }} />
          </div>
        </div>
        <div class="meter">
          <div class="meter-label">
            <span>Extra compute per step</span>
            <span data-testid="rc-time" data-value={seconds}>
              +{formatSeconds(seconds)} on {gpu.id} (+{fmtPercent(computeShare)})
            </span>
          </div>
          <div class="track" role="presentation">
            <div
              class="fill"
              style={{ width: `${Math.min(1, computeShare * 3) * 100}%`, background: "#f0a020" }}
            />
          </div>
        </div>
      </div>
      <div class="stats">
        <Stat label="Store every layer" value={stored} text={fmtBytes(stored, unit)} testid="rc-stored" />
        <Stat label="Recompute every layer" value={all} text={fmtBytes(all, unit)} testid="rc-all" />
        <Stat label="Memory kept" value={memShare} text={fmtPercent(memShare)} testid="rc-share" />
      </div>
      <Note>
        Memory: core's activation inventory (what autograd saves per layer; a checkpointed layer keeps its
        input, as in Korthikanti et al. 2022). Time: the recomputed layers' share of a forward pass, 2 FLOPs
        per parameter per token against a 6-FLOP training step (Kaplan et al. 2020), at core's default 70% of{" "}
        {gpu.id}'s bf16 peak.
      </Note>
    </Widget>
  );
}
