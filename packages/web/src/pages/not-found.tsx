import { Link } from "../components/link.js";

export function NotFoundPage({ path }: { path: string }) {
  return (
    <div>
      <h1 tabIndex={-1} class="page-title">
        Not found
      </h1>
      <p>
        There is no page at <code>{path}</code>. <Link to={{ kind: "home" }}>Back to all topics</Link>.
      </p>
    </div>
  );
}
