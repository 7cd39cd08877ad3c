/** Sizes of the fragmentation grid (kept apart from paging.ts so Node tests can read them). */
export const POOL_SLOTS = 320;
export const MAX_REQUESTS = 24;
/** Demo request lengths are uniform in [REQUEST_MIN_TOKENS, REQUEST_MAX_TOKENS]. */
export const REQUEST_MIN_TOKENS = 6;
export const REQUEST_MAX_TOKENS = 58;
