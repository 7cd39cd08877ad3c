/** An in-app link that carries the global parameters (model, GPU, unit) as they are now. */
import type { ComponentChildren } from "preact";
import type { Route } from "../state/route.js";
import { hrefTo, useParam } from "../state/store.js";

export function Link(props: {
  to: Route;
  children: ComponentChildren;
  class?: string;
  rel?: string;
  "aria-current"?: "page" | undefined;
  "data-topic"?: string;
}) {
  // Subscribing re-renders the link when a carried parameter changes.
  useParam("model");
  useParam("gpu");
  useParam("u");
  const { to, children, ...rest } = props;
  return (
    <a href={hrefTo(to)} {...rest}>
      {children}
    </a>
  );
}
