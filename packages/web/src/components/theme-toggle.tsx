/** Light / dark / follow-the-system theme, remembered in localStorage. */
import { useState } from "preact/hooks";

type Theme = "auto" | "light" | "dark";
const NEXT: Record<Theme, Theme> = { auto: "dark", dark: "light", light: "auto" };
const LABEL: Record<Theme, string> = { auto: "Theme: system", dark: "Theme: dark", light: "Theme: light" };

function current(): Theme {
  const t = document.documentElement.dataset.theme;
  return t === "light" || t === "dark" ? t : "auto";
}

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(current);
  function cycle() {
    const t = NEXT[theme];
    if (t === "auto") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
    try {
      if (t === "auto") localStorage.removeItem("memlens-theme");
      else localStorage.setItem("memlens-theme", t);
    } catch {
      // Storage disabled: the choice lasts for this page view.
    }
    setTheme(t);
  }
  return (
    <button
      type="button"
      class="theme-toggle"
      onClick={cycle}
      aria-label={`${LABEL[theme]}. Switch to ${NEXT[theme] === "auto" ? "system" : NEXT[theme]}.`}
      data-testid="theme-toggle"
    >
      <span aria-hidden="true">{theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐"}</span> {LABEL[theme]}
    </button>
  );
}
