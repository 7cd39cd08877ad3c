/**
 * Helpers for memoised answers: a bounded least-recently-used map, a deep freeze (a value shared
 * between callers, such as a model's weight breakdown, that none of them may change) and a deep
 * copy (an answer each caller gets its own copy of).
 */

/** A Map that keeps at most `capacity` entries, dropping the least recently read or written. */
export class BoundedLru<K, V> {
  readonly #entries = new Map<K, V>();
  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.#entries.get(key);
    if (v !== undefined) {
      // Map keeps insertion order: re-inserting makes the entry the most recent.
      this.#entries.delete(key);
      this.#entries.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Freezes a value and every plain object and array inside it (typed arrays, maps and class
 * instances are left as they are). Returns the value, now read-only.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) deepFreeze(v);
  return value;
}

/**
 * A deep copy of a JSON-like value (plain objects, arrays, primitives): what a memo stores and
 * hands out, so no caller's change to its answer reaches the memo or another caller.
 */
export function plainCopy<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(plainCopy) as T;
  // A spread copies the own fields in order (fast for objects of one shape); nested ones are copied in turn.
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const k in out) {
    const v = out[k];
    if (typeof v === "object" && v !== null) out[k] = plainCopy(v);
  }
  return out as T;
}

/**
 * Values memoised per owner object (a ModelSpec, an engine input) and a string key, at most
 * `perOwner` keys per owner (the owner's map is emptied when full). The owner is held weakly.
 */
export class OwnerMemo<O extends object, V> {
  readonly #owners = new WeakMap<O, Map<string, V>>();
  constructor(readonly perOwner: number) {}

  get(owner: O, key: string, compute: () => V): V {
    let m = this.#owners.get(owner);
    if (!m) {
      m = new Map();
      this.#owners.set(owner, m);
    }
    let v = m.get(key);
    if (v === undefined) {
      v = compute();
      if (m.size >= this.perOwner) m.clear();
      m.set(key, v);
    }
    return v;
  }
}
