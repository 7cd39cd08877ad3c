/**
 * Inference: contiguous per-request reservation vs paged KV blocks, drawn by core's allocators on
 * the same requests and the same pool. Slot bytes are the page model's (core's KV per token).
 */
import type { PagingPicture } from "@memlens/core/sim";
import { useMemo } from "preact/hooks";
import { useRenderVersion } from "../components/chart.js";
import { RangeSlider, Segmented, Stat, Widget } from "../components/controls.js";
import { kvPerToken } from "../compute/kv.js";
import { MAX_REQUESTS, POOL_SLOTS, pagingPictures } from "../compute/paging.js";
import { bytesIn, fmtInt, fmtPercent } from "../lib/format.js";
import { useModel, useUnit } from "../state/selection.js";
import { useEnumParam, useIntParam } from "../state/store.js";

export const RESERVATIONS = ["32", "64", "128"] as const;
export const BLOCK_SIZES = ["1", "4", "8", "16"] as const;
const COLORS = ["#5b8cff", "#2bb673", "#f0a020", "#7c5cff", "#e0556b", "#14a3a3", "#c77dff", "#8ab833"];

function Pool({
  pic,
  title,
  id,
  requests,
}: {
  pic: PagingPicture;
  title: string;
  id: string;
  requests: number;
}) {
  const held = pic.usedSlots + pic.reservedSlots;
  const waste = held === 0 ? 0 : pic.reservedSlots / held;
  const rejected = requests - pic.admitted.length;
  const grid = useRenderVersion<HTMLDivElement>();
  return (
    <div class="pool" data-pool={id}>
      <h4>{title}</h4>
      <div
        ref={grid}
        data-chart-host={`paging-${id}`}
        class="mem-grid"
        role="img"
        aria-label={`${title}: ${pic.admitted.length} of ${requests} requests admitted; ${pic.usedSlots} slots hold tokens, ${pic.reservedSlots} are reserved but empty, ${pic.freeSlots} free.`}
      >
        {pic.cells.map((c, i) => (
          <span
            key={i}
            class={`mcell ${c.state}`}
            style={c.owner === null ? undefined : { "--c": COLORS[c.owner % COLORS.length] }}
          />
        ))}
      </div>
      <div class="stats compact">
        <Stat
          label="Admitted"
          value={pic.admitted.length}
          text={`${pic.admitted.length} of ${requests}`}
          testid={`pg-${id}-admitted`}
          tone={rejected > 0 ? "bad" : "good"}
        />
        <Stat label="Slots holding tokens" value={pic.usedSlots} text={fmtInt} testid={`pg-${id}-used`} />
        <Stat
          label="Reserved, empty"
          value={pic.reservedSlots}
          text={`${fmtInt(pic.reservedSlots)} (${fmtPercent(waste)})`}
          testid={`pg-${id}-reserved`}
          tone={waste > 0.2 ? "bad" : "good"}
        />
        <Stat label="Free" value={pic.freeSlots} text={fmtInt(pic.freeSlots)} testid={`pg-${id}-free`} />
        <Stat label="Room for one more" value={pic.probeFits} testid={`pg-${id}-probe`} />
      </div>
    </div>
  );
}

export function PagingGrid() {
  const { choice } = useModel();
  const [unit] = useUnit();
  const [requests, setRequests] = useIntParam("pg.n", 8, 1, MAX_REQUESTS);
  const [reserve, setReserve] = useEnumParam("pg.r", "64", RESERVATIONS);
  const [bs, setBs] = useEnumParam("pg.bs", "8", BLOCK_SIZES);
  const [seed, setSeed] = useIntParam("pg.seed", 7, 1, 1_000_000);
  const r = useMemo(
    () => pagingPictures({ requests, reservationTokens: Number(reserve), blockSize: Number(bs), seed }),
    [requests, reserve, bs, seed],
  );
  const perToken = kvPerToken(choice.spec, "bf16");
  return (
    <Widget
      id="w-paging"
      data={{ tokens: r.tokens.join(",") }}
      title="PagedAttention: stop reserving memory you never use"
      sub={`${requests} requests of ${r.tokens.join(", ")} tokens arrive at a KV pool of ${POOL_SLOTS} token slots. Each square is one token slot, each colour one request; a faint square is reserved but empty. Drawn by memlens core's allocators.`}
    >
      <div class="controls">
        <RangeSlider
          id="pg-requests"
          label="Requests arrived"
          min={1}
          max={MAX_REQUESTS}
          value={requests}
          onChange={setRequests}
          format={String}
        />
        <Segmented
          name="pg-reserve"
          legend="Contiguous: slots reserved per request"
          value={reserve}
          options={RESERVATIONS.map((x) => ({ value: x, label: x }))}
          onChange={setReserve}
        />
        <Segmented
          name="pg-block"
          legend="Paged: block size (tokens)"
          value={bs}
          options={BLOCK_SIZES.map((x) => ({ value: x, label: x }))}
          onChange={setBs}
        />
        <div class="buttons">
          <button type="button" class="btn" onClick={() => setSeed((seed % 997) + 1)}>
            New request lengths
          </button>
        </div>
      </div>
      <div class="pools">
        <Pool pic={r.contiguous} title="Contiguous reservation" id="contiguous" requests={requests} />
        <Pool pic={r.paged} title="Paged blocks on demand" id="paged" requests={requests} />
      </div>
      <div class="stats">
        <Stat
          label={`One slot of ${choice.spec.id} (bf16)`}
          value={perToken}
          text={bytesIn(unit, 2)}
          testid="pg-slot-bytes"
        />
        <Stat
          label="This pool"
          value={perToken * POOL_SLOTS}
          text={bytesIn(unit, 2)}
          testid="pg-pool-bytes"
        />
        <Stat
          label="Tokens cut by the reservation"
          value={r.contiguous.truncatedTokens}
          text={fmtInt}
          testid="pg-truncated"
        />
      </div>
    </Widget>
  );
}
