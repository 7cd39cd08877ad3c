/** Largest n in [lo, hi] with ok(n), assuming ok is monotone (true then false); null if ok(lo) fails. */
export function largestFitting(lo: number, hi: number, ok: (n: number) => boolean): number | null {
  if (!ok(lo)) return null;
  if (ok(hi)) return hi;
  let good = lo;
  let badN = hi;
  while (badN - good > 1) {
    const mid = Math.floor((good + badN) / 2);
    if (ok(mid)) good = mid;
    else badN = mid;
  }
  return good;
}

/** An exact probe of a guided search: whether n fits, and each device's total at n. */
export interface FitProbe {
  readonly ok: boolean;
  readonly totals: readonly number[];
}

/**
 * largestFitting for totals that are a cheap lower bound plus a remainder that does not grow as n
 * falls (llama.cpp: every buffer but the compute graph's, then the graph's). The bound caps the
 * answer; each exact probe that does not fit measures its remainder, and the largest n whose bound
 * plus that remainder fits `capacityBytes` is the next guess; a guess that fits is confirmed by
 * probing n + 1. Bisection takes over where a guess misses. The answer is largestFitting's
 * whenever `probe(n).ok` is monotone; exact probes drop from ~log2(hi - lo) to two or three.
 */
export function largestFittingGuided(
  lo: number,
  hi: number,
  probe: (n: number) => FitProbe,
  bound: (n: number) => readonly number[],
  capacityBytes: number,
): number | null {
  const ok = (n: number) => probe(n).ok;
  const under = (xs: readonly number[], extra: readonly number[]) =>
    xs.every((b, i) => b + (extra[i] ?? 0) <= capacityBytes);
  const top = largestFitting(lo, hi, (n) => under(bound(n), []));
  if (top === null) return null;
  let bad = top + 1; // smallest n known not to fit (hi + 1: none known)
  let cand = top;
  for (let i = 0; i < 6; i++) {
    const p = probe(cand);
    if (p.ok) {
      if (cand + 1 >= bad || !ok(cand + 1)) return cand;
      return largestFitting(cand + 1, bad - 1, ok);
    }
    bad = cand;
    if (cand <= lo) return null;
    const b = bound(cand);
    const extra = p.totals.map((t, d) => t - (b[d] ?? 0));
    const guess = largestFitting(lo, cand - 1, (n) => under(bound(n), extra));
    if (guess === null) return largestFitting(lo, cand - 1, ok);
    cand = guess;
  }
  return largestFitting(lo, bad - 1, ok);
}
