/**
 * Hash routes: `#/` home, `#/t/<slug>` an article, `#/planner` the planner, `#/serving` the
 * serving-capacity simulator, `#/fits` what runs on a GPU; widget state follows
 * `?` as URL parameters (`#/t/kv-cache?model=…&kv.ctx=8192`). Hash routing works from any static
 * server and offline, and a copied URL reopens the same view.
 */
import { TOPIC_SLUGS, type TopicSlug } from "../content/topic-slugs.js";

export type Route =
  | { readonly kind: "home" }
  | { readonly kind: "topic"; readonly slug: TopicSlug }
  | { readonly kind: "planner" }
  | { readonly kind: "serving" }
  | { readonly kind: "fits" }
  | { readonly kind: "not-found"; readonly path: string };

export interface Location {
  readonly route: Route;
  readonly params: URLSearchParams;
}

const isSlug = (s: string): s is TopicSlug => (TOPIC_SLUGS as readonly string[]).includes(s);

/** Parses `location.hash` ("#/t/kv-cache?ctx=8192"); anything unknown is a not-found route. */
export function parseHash(hash: string): Location {
  const raw = hash.startsWith("#") ? hash.slice(1) : hash;
  const q = raw.indexOf("?");
  const path = (q === -1 ? raw : raw.slice(0, q)) || "/";
  const params = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0) return { route: { kind: "home" }, params };
  if (parts.length === 1 && parts[0] === "planner") return { route: { kind: "planner" }, params };
  if (parts.length === 1 && parts[0] === "serving") return { route: { kind: "serving" }, params };
  if (parts.length === 1 && parts[0] === "fits") return { route: { kind: "fits" }, params };
  if (parts.length === 2 && parts[0] === "t" && isSlug(parts[1]!))
    return { route: { kind: "topic", slug: parts[1] }, params };
  return { route: { kind: "not-found", path }, params };
}

export function routePath(route: Route): string {
  switch (route.kind) {
    case "home":
      return "/";
    case "topic":
      return `/t/${route.slug}`;
    case "planner":
      return "/planner";
    case "serving":
      return "/serving";
    case "fits":
      return "/fits";
    case "not-found":
      return route.path;
  }
}

/** The hash for a route and its parameters, parameters in a stable (sorted) order. */
export function buildHash(route: Route, params?: URLSearchParams): string {
  const entries = params ? [...params.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
  const qs = new URLSearchParams(entries).toString();
  return `#${routePath(route)}${qs ? `?${qs}` : ""}`;
}
