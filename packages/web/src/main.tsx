import { render } from "preact";
import { App } from "./app.js";
import { startLocationStore } from "./state/store.js";
import "./styles.css";

startLocationStore();

// The skip link targets #main, which hash routing would treat as a route: focus it instead.
document.querySelector(".skip-link")?.addEventListener("click", (e) => {
  e.preventDefault();
  document.getElementById("main")?.focus();
});

const root = document.getElementById("app");
if (root) render(<App />, root);
