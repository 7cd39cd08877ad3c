/**
 * The model catalog (core's src/catalog/models.generated.ts, about a megabyte of config.json
 * rows) ships as a chunk of its own instead of inside the entry chunk: core's catalog module
 * imports `./models.generated.js`, which this plugin points at src/lib/catalog-slot.ts (empty
 * arrays of the same names); the page and the simulator worker await `loadCatalog()`, which
 * imports `assets/catalog-<hash>.js` and fills those arrays. The main build emits that file once;
 * the worker build refers to the same file name (both live in assets/), so it ships once.
 * In `vite` dev the loader imports the generated TypeScript module itself.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

const GENERATED = fileURLToPath(new URL("../core/src/catalog/models.generated.ts", import.meta.url));
const SLOT = fileURLToPath(new URL("./src/lib/catalog-slot.ts", import.meta.url));
const VIRTUAL = "virtual:memlens-catalog";
const RESOLVED = `\0${VIRTUAL}`;

/** The generated file's two arrays (the generator writes them as JSON) as an ES module. */
function catalogModuleSource(): string {
  const text = readFileSync(GENERATED, "utf8");
  const rows = /export const MODEL_ROWS: [^=]+= (\[.*\]);\n/.exec(text)?.[1];
  const aliases = /export const MODEL_ALIASES: [^=]+= (\[.*\]);\n/.exec(text)?.[1];
  if (!rows || !aliases) throw new Error(`${GENERATED}: MODEL_ROWS / MODEL_ALIASES not found`);
  return `export const MODEL_ROWS=${rows};\nexport const MODEL_ALIASES=${aliases};\n`;
}

/** `emit`: whether this build writes the chunk (the main build), or only refers to it (the worker's). */
export function catalogChunk({ emit }: { emit: boolean }): Plugin {
  let build = false;
  return {
    name: "memlens-catalog-chunk",
    enforce: "pre",
    configResolved(config) {
      build = config.command === "build";
    },
    resolveId(source, importer) {
      if (source === VIRTUAL) return RESOLVED;
      if (
        source === "./models.generated.js" &&
        importer?.replaceAll("\\", "/").endsWith("core/src/catalog/models.ts")
      )
        return SLOT;
      return null;
    },
    load(id) {
      if (id !== RESOLVED) return null;
      if (!build)
        return `export const loadCatalogModule = () => import(${JSON.stringify(`/@fs${GENERATED}`)});\n`;
      const source = catalogModuleSource();
      const fileName = `catalog-${createHash("sha256").update(source).digest("hex").slice(0, 10)}.js`;
      if (emit) this.emitFile({ type: "asset", fileName: `assets/${fileName}`, source });
      // A variable, not a literal: Vite would otherwise try to resolve the URL at build time.
      return `const file = ${JSON.stringify(`./${fileName}`)};\nexport const loadCatalogModule = () => import(/* @vite-ignore */ new URL(file, import.meta.url).href);\n`;
    },
  };
}
