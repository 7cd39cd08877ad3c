import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Whether a repository-relative path is a test or a test helper rather than shipped source. */
export const isTestFile = (path: string): boolean =>
  /\.test\.tsx?$/.test(path) || path.split("/").includes("testing");

/**
 * Every .ts/.tsx file under packages/<pkg>/src, as repository-relative paths with "/" separators,
 * sorted (declaration files excluded).
 */
export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && e.name !== "dist") walk(full);
      } else if (/\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts")) {
        out.push(relative(ROOT, full).split(sep).join("/"));
      }
    }
  };
  for (const pkg of readdirSync(join(ROOT, "packages"), { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const src = join(ROOT, "packages", pkg.name, "src");
    try {
      readdirSync(src);
    } catch {
      continue;
    }
    walk(src);
  }
  return out.sort();
}

/** A repository-relative file's text. */
export const readSource = (path: string): string => readFileSync(join(ROOT, path), "utf8");
