import { render } from "preact";
import { App } from "./app.js";
import { loadCatalog } from "./lib/catalog-slot.js";
import { startLocationStore } from "./state/store.js";
import "./styles.css";

startLocationStore();

// The skip link targets #main, which hash routing would treat as a route: focus it instead.
document.querySelector(".skip-link")?.addEventListener("click", (e) => {
  e.preventDefault();
  document.getElementById("main")?.focus();
});

// Every page computes from a catalog model (the default one at least): the catalog chunk loads
// first, with a visible status, then the app renders.
const root = document.getElementById("app");
if (root) {
  render(
    <p class="catalog-loading" role="status">
      Loading the model catalog…
    </p>,
    root,
  );
  loadCatalog()
    .then(() => render(<App />, root))
    .catch((e: unknown) =>
      render(
        <p class="catalog-loading" role="alert">
          The model catalog did not load ({e instanceof Error ? e.message : String(e)}). Reload the page to
          try again.
        </p>,
        root,
      ),
    );
}
