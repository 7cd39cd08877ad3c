/**
 * Seeded pseudo-random numbers for the simulator: xoshiro128** (Blackman & Vigna 2018,
 * "Scrambled linear pseudorandom number generators", reference C at
 * https://prng.di.unimi.it/xoshiro128starstar.c), 32-bit state words so it runs on JS integers
 * (Math.imul) without BigInt. Same seed, same stream, on every engine.
 */
export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform double in [0, 1) (53 random bits). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number;
  /** Standard normal (Marsaglia polar method). */
  normal(): number;
  /** Gamma(shape, scale) (Marsaglia & Tsang 2000, "A simple method for generating gamma variables"). */
  gamma(shape: number, scale: number): number;
  /** A new generator whose stream is independent of this one's (for sub-streams). */
  fork(): Rng;
}

// MurmurHash3 fmix32 finaliser (Appleby, MurmurHash3.cpp) to spread a seed over the state words.
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/**
 * A seeded generator. The seed is any finite number (its integer part and fraction both count).
 * @example const rng = createRng(42); rng.next(); // 0.x, identical for every run with seed 42
 */
export function createRng(seed: number): Rng {
  const lo = (seed >>> 0) ^ 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  // SplitMix-style golden-ratio increments (Steele et al. 2014) fed through fmix32.
  let s0 = fmix32(lo + 0x9e3779b9);
  let s1 = fmix32(hi + 0x3c6ef372 + lo);
  let s2 = fmix32(lo + 0xdaa66d2b);
  let s3 = fmix32(hi + 0x78dde6e4 + 1);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // xoshiro: the all-zero state is forbidden
  let spareNormal: number | null = null;

  const nextUint32 = (): number => {
    // xoshiro128**: result = rotl(s1 * 5, 7) * 9
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  const next = (): number => {
    const a = nextUint32() >>> 5; // 27 bits
    const b = nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  };

  const normal = (): number => {
    if (spareNormal !== null) {
      const v = spareNormal;
      spareNormal = null;
      return v;
    }
    // Marsaglia polar method (Marsaglia & Bray 1964).
    for (;;) {
      const u = 2 * next() - 1;
      const v = 2 * next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        spareNormal = v * m;
        return u * m;
      }
    }
  };

  const gamma = (shape: number, scale: number): number => {
    if (shape < 1) {
      // Marsaglia & Tsang §6: G(a) = G(a+1) · U^(1/a) for a < 1.
      const u = next();
      return gamma(shape + 1, scale) * (u > 0 ? u : Number.MIN_VALUE) ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  };

  return {
    nextUint32,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    exponential: (rate) => -Math.log(1 - next()) / rate,
    normal,
    gamma,
    fork: () => createRng(nextUint32() * 4294967296 + nextUint32()),
  };
}
