/** The shell: header, the routed page, footer; focus and title follow navigation. */
import { useEffect } from "preact/hooks";
import { Link } from "./components/link.js";
import { ThemeToggle } from "./components/theme-toggle.js";
import { topicBySlug } from "./content/topics.js";
import { ArticlePage } from "./pages/article.js";
import { FitsPage } from "./pages/fits.js";
import { HomePage } from "./pages/home.js";
import { NotFoundPage } from "./pages/not-found.js";
import { PlannerPage } from "./pages/planner.js";
import { ServingPage } from "./pages/serving.js";
import type { Route } from "./state/route.js";
import { useRoute } from "./state/store.js";

function titleOf(r: Route): string {
  switch (r.kind) {
    case "home":
      return "Memory Management in LLMs · memlens";
    case "topic":
      return `${topicBySlug(r.slug).title} · Memory Management in LLMs`;
    case "planner":
      return "Planner · memlens";
    case "serving":
      return "Serving capacity · memlens";
    case "fits":
      return "What runs on my GPU · memlens";
    case "not-found":
      return "Not found · memlens";
  }
}

function Page({ route }: { route: Route }) {
  switch (route.kind) {
    case "home":
      return <HomePage />;
    case "topic":
      return <ArticlePage key={route.slug} slug={route.slug} />;
    case "planner":
      return <PlannerPage />;
    case "serving":
      return <ServingPage />;
    case "fits":
      return <FitsPage />;
    case "not-found":
      return <NotFoundPage path={route.path} />;
  }
}

let firstRender = true;

export function App() {
  const route = useRoute();
  const key = route.kind === "topic" ? `t/${route.slug}` : route.kind;
  useEffect(() => {
    document.title = titleOf(route);
    if (firstRender) {
      firstRender = false;
      return;
    }
    // A new page: start at its top and move focus to its heading (screen readers announce it).
    window.scrollTo(0, 0);
    document.querySelector<HTMLElement>("h1.page-title")?.focus({ preventScroll: true });
  }, [key]);
  return (
    <>
      <header class="site-header">
        <Link class="brand" to={{ kind: "home" }}>
          <span class="brand-mark" aria-hidden="true">
            ▦
          </span>{" "}
          memlens <span class="brand-sub">Memory Management in LLMs</span>
        </Link>
        <nav aria-label="Main">
          <Link to={{ kind: "home" }} aria-current={route.kind === "home" ? "page" : undefined}>
            Topics
          </Link>
          <Link to={{ kind: "planner" }} aria-current={route.kind === "planner" ? "page" : undefined}>
            Planner
          </Link>
          <Link to={{ kind: "serving" }} aria-current={route.kind === "serving" ? "page" : undefined}>
            Serving
          </Link>
          <Link to={{ kind: "fits" }} aria-current={route.kind === "fits" ? "page" : undefined}>
            What runs
          </Link>
          <ThemeToggle />
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
      <footer class="site-footer">
        <p>
          Every figure is computed in your browser by <code>@memlens/core</code>, the same engine as the{" "}
          <code>memlens</code> CLI. Works offline once loaded.
        </p>
      </footer>
    </>
  );
}
