import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { catalogChunk } from "./catalog-chunk.js";

// @memlens/core is aliased to its TypeScript source, not its dist: the site never depends on a
// stale core build, Rollup tree-shakes core's ES modules directly, and `vite` dev reloads on core
// edits. The root `npm run build` still builds core first (the CLI and the Node tests use dist).
const coreSource = fileURLToPath(new URL("../core/src/index.ts", import.meta.url));
// Core exports the serving simulator as the `@memlens/core/sim` subpath (package.json exports
// "./sim" → dist/sim/index.js); the alias points it at the source for the same reasons as above.
// compute/paging.ts, compute/serving.ts and the simulator worker (src/worker/) import it.
const coreSim = fileURLToPath(new URL("../core/src/sim/index.ts", import.meta.url));

export default defineConfig({
  // Relative asset URLs: dist/ works from any static server path and from file-less hosting.
  base: "./",
  // The model catalog loads as a chunk of its own, after the entry chunk (catalog-chunk.ts).
  plugins: [catalogChunk({ emit: true })],
  resolve: {
    alias: [
      { find: /^@memlens\/core\/sim$/, replacement: coreSim },
      { find: /^@memlens\/core$/, replacement: coreSource },
    ],
  },
  // Preact's automatic JSX runtime through esbuild (no framework plugin needed).
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  // The simulator worker (src/worker/sim-worker.ts) is its own ES-module chunk, loaded on demand.
  worker: { format: "es", plugins: () => [catalogChunk({ emit: false })] },
  build: { outDir: "dist", target: "es2022", emptyOutDir: true, chunkSizeWarningLimit: 900 },
  preview: { host: "127.0.0.1", port: 4173 },
  server: { host: "127.0.0.1", port: 5173 },
});
