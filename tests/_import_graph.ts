/**
 * The import graph of the project's TypeScript sources and the checks of
 * `tests/architecture_test.ts` on it: imports between `lib/` folders go
 * through the folder's `mod.ts`, follow the layers of `lib/architecture.ts`,
 * and form no cycle.
 *
 * The specifiers are read with a small scanner rather than the TypeScript
 * compiler: the project has no `typescript` dependency (Deno type-checks
 * without one), and static `import`/`export … from` specifiers only need
 * comments and template literals skipped, which the scanner does.
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";

/** One import: the importing file, the imported file, both relative to the repository root. */
export interface ImportEdge {
  from: string;
  to: string;
}

/** A broken rule, with the import that breaks it. */
export interface Violation {
  rule: "through-mod" | "direction" | "cycle" | "unknown-module";
  edge: ImportEdge;
  message: string;
}

/** Blanks comments and the contents of template literals, keeping offsets and line breaks. */
export function stripComments(source: string): string {
  const out = source.split("");
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < source.length) {
    const c = source[i];
    if (c === "/" && source[i + 1] === "/") {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let k = i + 1;
      while (k < source.length && source[k] !== c && (c === "`" || source[k] !== "\n")) {
        k += source[k] === "\\" ? 2 : 1;
      }
      if (c === "`") blank(i + 1, k);
      i = k + 1;
    } else {
      i++;
    }
  }
  return out.join("");
}

const STATIC = /^\s*(?:import|export)\b(?:[^;"'`]*?\bfrom)?\s*["']([^"'\n]+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g;

/** The relative specifiers (`./…`, `../…`) of a module's static and dynamic imports and re-exports. */
export function importSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const found = [...code.matchAll(STATIC), ...code.matchAll(DYNAMIC)].map((m) => m[1]);
  return found.filter((s) => s.startsWith("./") || s.startsWith("../"));
}

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* tsFiles(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

/** Every relative import of the `.ts` files under `dirs` (relative to `root`). */
export async function importGraph(root: string, dirs: readonly string[]): Promise<ImportEdge[]> {
  const edges: ImportEdge[] = [];
  for (const dir of dirs) {
    for await (const path of tsFiles(join(root, dir))) {
      const from = relative(root, path);
      const source = await Deno.readTextFile(path);
      for (const spec of importSpecifiers(source)) {
        edges.push({ from, to: normalize(join(dirname(from), spec)) });
      }
    }
  }
  return edges;
}

/**
 * The module a `lib/` file belongs to: its folder (`lib/data/wfdb/x.ts` → `data`)
 * or, for a file directly in `lib/`, its name (`lib/errors.ts` → `errors`);
 * `null` outside `lib/`.
 */
export function moduleOf(path: string): string | null {
  const parts = path.split("/");
  if (parts[0] !== "lib" || parts.length < 2) return null;
  return parts.length === 2 ? parts[1].replace(/\.ts$/, "") : parts[1];
}

/** Whether `path` is the entry point of its module: `lib/<folder>/mod.ts` or a file in `lib/`. */
export function isEntry(path: string): boolean {
  const parts = path.split("/");
  return parts.length === 2 || (parts.length === 3 && parts[2] === "mod.ts");
}

/** The index of the layer that holds `module`, or -1. */
function layerOf(layers: readonly (readonly string[])[], module: string): number {
  return layers.findIndex((layer) => layer.includes(module));
}

/**
 * The imports that break the rules: (a) an import from another `lib/` module
 * not through its entry point (`mod.ts`, a file of `lib/`, or one of `entryPoints`); (b) a `lib/` module importing one of its own
 * layer or above, or one the table does not name; (c) see {@linkcode findCycles}.
 */
export function checkImports(
  edges: readonly ImportEdge[],
  layers: readonly (readonly string[])[],
  entryPoints: readonly string[] = [],
): Violation[] {
  const violations: Violation[] = [];
  for (const edge of edges) {
    const from = moduleOf(edge.from);
    const to = moduleOf(edge.to);
    if (from !== null && to === null) {
      violations.push({
        rule: "direction",
        edge,
        message: `${edge.from} imports ${edge.to}, outside lib/`,
      });
      continue;
    }
    if (to === null || from === to) continue;
    if (!isEntry(edge.to) && !entryPoints.includes(edge.to)) {
      violations.push({
        rule: "through-mod",
        edge,
        message: `${edge.from} imports ${edge.to}: import lib/${to}/ through lib/${to}/mod.ts`,
      });
    }
    if (from === null) continue;
    const a = layerOf(layers, from);
    const b = layerOf(layers, to);
    if (a < 0 || b < 0) {
      const missing = a < 0 ? from : to;
      violations.push({
        rule: "unknown-module",
        edge,
        message:
          `${edge.from} imports ${edge.to}: module "${missing}" is in no layer of lib/architecture.ts`,
      });
    } else if (b >= a) {
      violations.push({
        rule: "direction",
        edge,
        message:
          `${edge.from} imports ${edge.to}: "${from}" (layer ${a}) may not import "${to}" (layer ${b})`,
      });
    }
  }
  return violations;
}

/** The cycles between `lib/` modules, each as the list of modules around it. */
export function findCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = moduleOf(from);
    const b = moduleOf(to);
    if (a === null || b === null || a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, path: string[]) => {
    state.set(node, "open");
    for (const n of next.get(node) ?? []) {
      if (state.get(n) === "open") cycles.push([...path.slice(path.indexOf(n)), node, n]);
      else if (!state.has(n)) visit(n, [...path, node]);
    }
    state.set(node, "done");
  };
  for (const node of [...next.keys()].sort()) if (!state.has(node)) visit(node, []);
  return cycles;
}
