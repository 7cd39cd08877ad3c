import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// @memlens/core is aliased to its TypeScript source, not its dist: the site never depends on a
// stale core build, Rollup tree-shakes core's ES modules directly, and `vite` dev reloads on core
// edits. The root `npm run build` still builds core first (the CLI and the Node tests use dist).
const coreSource = fileURLToPath(new URL("../core/src/index.ts", import.meta.url));
// TODO(core): core's index does not export the serving simulator (src/sim/) yet; this alias
// reaches its public module until it does (only compute/paging.ts imports it).
const coreSim = fileURLToPath(new URL("../core/src/sim/index.ts", import.meta.url));

export default defineConfig({
  // Relative asset URLs: dist/ works from any static server path and from file-less hosting.
  base: "./",
  resolve: {
    alias: [
      { find: /^@memlens\/core\/sim$/, replacement: coreSim },
      { find: /^@memlens\/core$/, replacement: coreSource },
    ],
  },
  // Preact's automatic JSX runtime through esbuild (no framework plugin needed).
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", target: "es2022", emptyOutDir: true, chunkSizeWarningLimit: 900 },
  preview: { host: "127.0.0.1", port: 4173 },
  server: { host: "127.0.0.1", port: 5173 },
});
