/**
 * The location store: the current route and parameters, read from `location.hash`. Widgets read
 * and write their state here, so every view is a shareable URL. Moving a control replaces the
 * history entry (no history spam); following a link pushes one.
 */
import { useEffect, useState } from "preact/hooks";
import { carriedParams, parseBoolParam, parseEnumParam, parseIntParam, withParam } from "./params.js";
import { buildHash, type Location, parseHash, type Route } from "./route.js";

let current: Location = parseHash(typeof location === "undefined" ? "" : location.hash);
const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

export function startLocationStore(): void {
  window.addEventListener("hashchange", () => {
    current = parseHash(location.hash);
    notify();
  });
}

export const getLocation = (): Location => current;

/** Hash of a link to `route`, carrying the global parameters (model, GPU, unit). */
export function hrefTo(route: Route): string {
  return buildHash(route, carriedParams(current.params));
}

/** Sets (or clears) one parameter without adding a history entry. */
export function setParam(key: string, value: string | null, defaultValue?: string): void {
  const params = withParam(current.params, key, value, defaultValue);
  current = { route: current.route, params };
  history.replaceState(history.state, "", buildHash(current.route, params));
  notify();
}

function useStore<T>(select: (l: Location) => T): T {
  const [value, setValue] = useState(() => select(current));
  useEffect(() => {
    const update = () => setValue(() => select(current));
    listeners.add(update);
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return value;
}

export const useRoute = (): Route => useStore((l) => l.route);

export function useParam(key: string): string | null {
  return useStore((l) => l.params.get(key));
}

type Setter<T> = (v: T) => void;

export function useIntParam(
  key: string,
  fallback: number,
  min: number,
  max: number,
): [number, Setter<number>] {
  const v = parseIntParam(useParam(key), fallback, min, max);
  return [v, (n) => setParam(key, String(n), String(fallback))];
}

export function useEnumParam<T extends string>(
  key: string,
  fallback: T,
  allowed: readonly T[],
): [T, Setter<T>] {
  const v = parseEnumParam(useParam(key), fallback, allowed);
  return [v, (x) => setParam(key, x, fallback)];
}

export function useBoolParam(key: string, fallback: boolean): [boolean, Setter<boolean>] {
  const v = parseBoolParam(useParam(key), fallback);
  return [v, (b) => setParam(key, b ? "1" : "0", fallback ? "1" : "0")];
}

export function useStringParam(key: string, fallback: string): [string, Setter<string>] {
  const v = useParam(key) ?? fallback;
  return [v, (s) => setParam(key, s, fallback)];
}
