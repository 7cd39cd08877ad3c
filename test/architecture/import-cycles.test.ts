import { dirname, join, normalize } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { readSource, sourceFiles } from "./source-files.js";

// No import cycle among the packages' source files: a cycle makes load order matter, hides a
// missing layer, and lets a change in one file reach the other through the back door. Counted:
// `import` (type-only included), side-effect `import "…"`, `export … from`; not dynamic `import()`.

/** Static import and re-export specifiers of one file. */
function specifiersOf(path: string): string[] {
  const sf = ts.createSourceFile(path, readSource(path), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (
      (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) &&
      st.moduleSpecifier &&
      ts.isStringLiteral(st.moduleSpecifier)
    )
      out.push(st.moduleSpecifier.text);
  }
  return out;
}

/**
 * The repository-relative file a specifier names, or null for an outside package. Relative ".js"
 * specifiers name the .ts/.tsx file; "@memlens/<pkg>[/<sub>]" names packages/<pkg>/src[/<sub>]/index.ts.
 */
function resolve(from: string, spec: string, files: ReadonlySet<string>): string | null {
  const bare = spec.replace(/\?.*$/, "");
  let base: string;
  if (bare.startsWith("."))
    base = normalize(join(dirname(from), bare))
      .split("\\")
      .join("/");
  else {
    const m = /^@memlens\/([^/]+)(?:\/(.+))?$/.exec(bare);
    if (!m) return null;
    base = `packages/${m[1]}/src${m[2] ? `/${m[2]}` : ""}/index`;
  }
  const stem = base.replace(/\.(js|jsx|ts|tsx|mjs)$/, "");
  for (const c of [`${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, `${stem}/index.tsx`, base])
    if (files.has(c)) return c;
  return null; // CSS, JSON, raw assets, outside packages
}

/** Strongly connected components with more than one file (or a file importing itself), Tarjan's algorithm. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** One concrete loop through a component: the shortest path from its first file back to it. */
function loopIn(scc: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const inScc = new Set(scc);
  const start = scc[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inScc.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = prev.get(x)!) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...scc];
}

describe("architecture: imports", () => {
  it("has no import cycle among packages/*/src files", () => {
    const files = sourceFiles();
    const set = new Set(files);
    const graph = new Map<string, string[]>();
    for (const f of files) {
      const deps = specifiersOf(f)
        .map((s) => resolve(f, s, set))
        .filter((x): x is string => x !== null);
      graph.set(f, [...new Set(deps)]);
    }
    const found = cycles(graph).map((scc) => {
      const loop = loopIn(scc, graph).join(" → ");
      return scc.length > 2 ? `${loop}  (component of ${scc.length} files: ${scc.join(", ")})` : loop;
    });
    expect(found, `import cycles:\n${found.join("\n")}`).toEqual([]);
  });
});
