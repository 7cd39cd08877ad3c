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
