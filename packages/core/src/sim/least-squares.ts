import { MemlensError } from "../errors/memlens-error.js";

/**
 * Weighted linear least squares by Householder QR (Golub & Van Loan, "Matrix Computations", §5.3),
 * which stays accurate when features differ by many orders of magnitude (1 vs 10^5 KV tokens); the
 * columns are scaled to unit norm first. Returns β minimising Σ wᵢ (xᵢ·β − yᵢ)².
 */
export function solveLeastSquares(
  x: readonly number[][],
  y: readonly number[],
  w?: readonly number[],
): number[] {
  const m = x.length;
  const n = x[0]?.length ?? 0;
  if (m < n) throw new MemlensError("invalid-value", `least squares needs at least ${n} rows, got ${m}`);
  // A = diag(√w)·X with unit-norm columns; b = diag(√w)·y.
  const a: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < m; i++) {
    const s = Math.sqrt(w?.[i] ?? 1);
    a.push(x[i]!.map((v) => v * s));
    b.push(y[i]! * s);
  }
  const scale = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += a[i]![j]! ** 2;
    scale[j] = ss > 0 ? Math.sqrt(ss) : 1;
    for (let i = 0; i < m; i++) a[i]![j] = a[i]![j]! / scale[j]!;
  }
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = a[k]![k]! > 0 ? -norm : norm;
    const v = new Array<number>(m).fill(0);
    for (let i = k; i < m; i++) v[i] = a[i]![k]!;
    v[k] = v[k]! - alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i]! ** 2;
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i]! * a[i]![j]!;
      const f = (2 * d) / vv;
      for (let i = k; i < m; i++) a[i]![j] = a[i]![j]! - f * v[i]!;
    }
    let d = 0;
    for (let i = k; i < m; i++) d += v[i]! * b[i]!;
    const f = (2 * d) / vv;
    for (let i = k; i < m; i++) b[i] = b[i]! - f * v[i]!;
  }
  // Back substitution on the upper triangle R β = Qᵀ b.
  const beta = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = b[k]!;
    for (let j = k + 1; j < n; j++) s -= a[k]![j]! * beta[j]!;
    const r = a[k]![k]!;
    beta[k] = Math.abs(r) < 1e-12 ? 0 : s / r;
  }
  return beta.map((v, j) => v / scale[j]!);
}
