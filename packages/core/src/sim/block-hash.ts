/**
 * Chained full-block hashes for prefix caching, after vLLM v1 `vllm/v1/core/kv_cache_utils.py`
 * `hash_block_tokens`: BlockHash(i) = hash(parent_hash or NONE_HASH, tokens of block i). vLLM uses
 * sha256; the simulator uses two 32-bit MurmurHash3-style lanes (Appleby, MurmurHash3.cpp) folded to
 * a 52-bit integer, so a hash is a plain JS number usable as a Map key (birthday odds of any
 * collision among 10^6 distinct blocks ≈ 10^12 / 2^53 ≈ 10^-4; a collision merely fakes one hit).
 */

/** Parent hash of the first block (vLLM's NONE_HASH; any fixed value works inside one run). */
export const NONE_HASH = 0x51_7cc1_b727;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const TWO32 = 4294967296;

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

function mix(h: number, k0: number): number {
  let k = Math.imul(k0, C1);
  k = rotl(k, 15);
  k = Math.imul(k, C2);
  let x = h ^ k;
  x = rotl(x, 13);
  return (Math.imul(x, 5) + 0xe6546b64) | 0;
}

function fmix(h0: number, len: number): number {
  let h = h0 ^ len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hash of `keys[start, end)` chained on `parent`. Keys are integers (token ids, or any content key);
 * the result is a non-negative integer below 2^52.
 */
export function hashBlock(parent: number, keys: ArrayLike<number>, start: number, end: number): number {
  const pLo = (parent % TWO32) | 0;
  const pHi = Math.floor(parent / TWO32) | 0;
  let h1 = mix(mix(0x9747b28c, pLo), pHi);
  let h2 = mix(mix(0x5bd1e995, pHi), pLo);
  for (let i = start; i < end; i++) {
    const k = keys[i]! | 0;
    h1 = mix(h1, k);
    h2 = mix(h2, k ^ 0x2545f491);
  }
  const n = end - start;
  return (fmix(h2, n) & 0xfffff) * TWO32 + fmix(h1, n);
}

/** Hash of a short list of integer keys chained on `parent` (used for synthetic content keys). */
export function hashKeys(parent: number, a: number, b: number, c: number): number {
  const scratch = HASH_SCRATCH;
  scratch[0] = a;
  scratch[1] = b;
  scratch[2] = c;
  return hashBlock(parent, scratch, 0, 3);
}
const HASH_SCRATCH = new Int32Array(3);

/**
 * Hashes of every full block of a token-id sequence (vLLM `Request.block_hashes`).
 * @example blockHashesOfTokens(new Int32Array(40), 16).length // 2 (the last 8 tokens are not a full block)
 */
export function blockHashesOfTokens(tokens: ArrayLike<number>, blockSize: number): Float64Array {
  const n = Math.floor(tokens.length / blockSize);
  const out = new Float64Array(n);
  let parent = NONE_HASH;
  for (let i = 0; i < n; i++) {
    parent = hashBlock(parent, tokens, i * blockSize, (i + 1) * blockSize);
    out[i] = parent;
  }
  return out;
}

/**
 * Block hashes for a prompt described by Mooncake-style coarse block ids (FAST'25 traces: one
 * `hash_id` per `coarseBlockTokens` = 512 tokens, equal ids meaning reusable KV). A fine block of
 * `blockSize` tokens is identified by the coarse ids at its first and last token and its offset, then
 * chained like vLLM's hashes; exact when blockSize divides the coarse block size or is a multiple of it.
 */
export function blockHashesOfCoarseIds(
  coarseIds: ArrayLike<number>,
  coarseBlockTokens: number,
  promptTokens: number,
  blockSize: number,
): Float64Array {
  const n = Math.floor(promptTokens / blockSize);
  const out = new Float64Array(n);
  let parent = NONE_HASH;
  for (let i = 0; i < n; i++) {
    const first = i * blockSize;
    const last = first + blockSize - 1;
    const a = coarseIds[Math.floor(first / coarseBlockTokens)] ?? -1;
    const b = coarseIds[Math.floor(last / coarseBlockTokens)] ?? -1;
    parent = hashKeys(parent, a, first % coarseBlockTokens, b);
    out[i] = parent;
  }
  return out;
}
