/**
 * The layering of `lib/` holds: imports between its modules go through the
 * module's `mod.ts` (in `lib/`, `scripts/` and `bench/`; tests may import any
 * file), follow the layers of `lib/architecture.ts` and form no cycle — and
 * the checks catch a forbidden import when one is added. And the sources stay
 * readable: no file in `lib/` over {@linkcode MAX_FILE_LINES} lines, no
 * function over {@linkcode MAX_FUNCTION_LINES} (measured with the TypeScript
 * parser, `_code_size.ts`) except those listed in
 * {@linkcode KNOWN_LONG_FUNCTIONS}.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ENTRY_POINTS, LAYERS } from "../lib/architecture.ts";
import {
  checkImports,
  findCycles,
  type ImportEdge,
  importGraph,
  importSpecifiers,
} from "./_import_graph.ts";
import {
  againstKnown,
  lineCount,
  type LongFunction,
  longFunctions,
  sourceFiles,
} from "./_code_size.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("every lib/ module is in exactly one layer", async () => {
  const modules = new Set<string>();
  for await (const entry of Deno.readDir(`${ROOT}/lib`)) {
    if (entry.isDirectory) modules.add(entry.name);
    else if (entry.name.endsWith(".ts")) modules.add(entry.name.replace(/\.ts$/, ""));
  }
  const listed = LAYERS.flat();
  assert.deepEqual([...listed].sort(), [...new Set(listed)].sort(), "a module listed twice");
  assert.deepEqual([...modules].sort(), [...listed].sort());
});

Deno.test("imports in lib/, scripts/ and bench/ follow lib/architecture.ts", async () => {
  const edges = await importGraph(ROOT, ["lib", "scripts", "bench"]);
  assert.ok(edges.length > 300, `only ${edges.length} imports found`);
  assert.deepEqual(checkImports(edges, LAYERS, ENTRY_POINTS).map((v) => v.message), []);
  assert.deepEqual(findCycles(edges), []);
});

Deno.test("lib/experiments imports nothing from lib/report or lib/views", async () => {
  const edges = await importGraph(ROOT, ["lib/experiments"]);
  const display = edges.filter((e) => /^lib\/(report|views)\//.test(e.to));
  assert.deepEqual(display, []);
});

Deno.test("a forbidden import is reported", () => {
  const edges: ImportEdge[] = [
    { from: "lib/losses/margin.ts", to: "lib/tf.ts" }, // allowed
    { from: "lib/experiments/grid.ts", to: "lib/data/mod.ts" }, // allowed
    { from: "lib/experiments/views.ts", to: "lib/report/mod.ts" }, // same layer
    { from: "lib/train/pretrain.ts", to: "lib/experiments/mod.ts" }, // upwards
    { from: "lib/data/datasets/build.ts", to: "lib/features/stft.ts" }, // bypasses mod.ts
    { from: "bench/data.ts", to: "lib/data/datasets/mod.ts" }, // bypasses lib/data/mod.ts
    { from: "lib/extra/x.ts", to: "lib/errors.ts" }, // module in no layer
    { from: "lib/io.ts", to: "scripts/_cli.ts" }, // out of lib/
    { from: "lib/report/build.ts", to: "lib/notebook/nbformat.ts" }, // a listed entry point
    { from: "lib/report/x.ts", to: "lib/notebook/run_notebook.ts" }, // bypasses mod.ts
  ];
  const found = checkImports(edges, LAYERS, ENTRY_POINTS).map((v) => [v.rule, v.edge.from]);
  assert.deepEqual(found, [
    ["direction", "lib/experiments/views.ts"],
    ["direction", "lib/train/pretrain.ts"],
    ["through-mod", "lib/data/datasets/build.ts"],
    ["through-mod", "bench/data.ts"],
    ["unknown-module", "lib/extra/x.ts"],
    ["direction", "lib/io.ts"],
    ["through-mod", "lib/report/x.ts"],
  ]);
});

Deno.test("a forbidden import written into a file is reported", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/lib/train`, { recursive: true });
    await Deno.mkdir(`${root}/lib/experiments`, { recursive: true });
    await Deno.writeTextFile(`${root}/lib/experiments/mod.ts`, 'export * from "./grid.ts";\n');
    await Deno.writeTextFile(
      `${root}/lib/train/pretrain.ts`,
      'import type {\n  Study,\n} from "../experiments/grid.ts";\n',
    );
    const edges = await importGraph(root, ["lib"]);
    const rules = checkImports(edges, LAYERS).map((v) => v.rule).sort();
    assert.deepEqual(rules, ["direction", "through-mod"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a cycle between folders is reported", () => {
  const edges: ImportEdge[] = [
    { from: "lib/data/a.ts", to: "lib/features/mod.ts" },
    { from: "lib/features/b.ts", to: "lib/stats/mod.ts" },
    { from: "lib/stats/c.ts", to: "lib/data/mod.ts" },
    { from: "lib/stats/d.ts", to: "lib/errors.ts" },
  ];
  assert.deepEqual(findCycles(edges), [["data", "features", "stats", "data"]]);
  assert.deepEqual(findCycles(edges.slice(0, 2)), []);
});

Deno.test("import specifiers: static, type-only, re-exports, dynamic; not comments or strings", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b/mod.ts";',
    'export * from "./c.ts";',
    "export {",
    "  d,",
    '} from "./d.ts";',
    'import "./side_effect.ts";',
    'const e = await import("./e.ts");',
    '/** import { x } from "./in_comment.ts"; */',
    '// export * from "./line_comment.ts";',
    'const code = `import { y } from "./in_template.ts";`;',
    'export const f = (s = "./not_an_import.ts") => s;',
    'import { g } from "npm:some-package";',
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), [
    "./a.ts",
    "../b/mod.ts",
    "./c.ts",
    "./d.ts",
    "./side_effect.ts",
    "./e.ts",
  ]);
});

// ---------------------------------------------------------------------------
// Size limits
// ---------------------------------------------------------------------------

/** Largest file in `lib/` (lines). */
const MAX_FILE_LINES = 400;
/** Largest function in `lib/` (lines, JSDoc and literal tables excluded). */
const MAX_FUNCTION_LINES = 80;

/**
 * KNOWN_LONG_FUNCTIONS: the functions of `lib/` over {@linkcode MAX_FUNCTION_LINES}
 * lines today, each with what makes it long. The list is exact: a function
 * that grows past the limit fails the test until it is split or listed, and an
 * entry whose function is gone or back under the limit fails it until removed.
 */
const KNOWN_LONG_FUNCTIONS: readonly { file: string; name: string; reason: string }[] = [];

async function lib(): Promise<{ file: string; source: string }[]> {
  const files = await sourceFiles(ROOT, "lib");
  return await Promise.all(
    files.map(async (file) => ({ file, source: await Deno.readTextFile(`${ROOT}/${file}`) })),
  );
}

Deno.test(`no file in lib/ is over ${MAX_FILE_LINES} lines`, async () => {
  const sources = await lib();
  assert.ok(sources.length > 100, `only ${sources.length} files found`);
  const long = sources
    .map(({ file, source }) => ({ file, lines: lineCount(source) }))
    .filter((f) => f.lines > MAX_FILE_LINES);
  assert.deepEqual(long, []);
});

Deno.test(`no function in lib/ is over ${MAX_FUNCTION_LINES} lines but the known ones`, async () => {
  const found: LongFunction[] = (await lib())
    .flatMap(({ file, source }) => longFunctions(source, file, MAX_FUNCTION_LINES));
  const { unlisted, stale } = againstKnown(found, KNOWN_LONG_FUNCTIONS);
  assert.deepEqual(unlisted, [], "split these functions (or, if owned elsewhere, list them)");
  assert.deepEqual(stale, [], "KNOWN_LONG_FUNCTIONS entries that are gone or now short");
});

Deno.test("the allow-list comparison reports unlisted long functions and stale entries", () => {
  const found: LongFunction[] = [
    { file: "lib/a.ts", name: "listed", line: 1, lines: 90 },
    { file: "lib/a.ts", name: "new", line: 100, lines: 81 },
  ];
  const known = [
    { file: "lib/a.ts", name: "listed" },
    { file: "lib/a.ts", name: "split since" },
  ];
  assert.deepEqual(againstKnown(found, known), {
    unlisted: ["lib/a.ts: new (line 100, 81 lines)"],
    stale: ["lib/a.ts: split since"],
  });
  assert.deepEqual(againstKnown(found.slice(0, 1), known.slice(0, 1)), { unlisted: [], stale: [] });
});

Deno.test("the size check measures declarations, arrows, methods and callbacks, not tables", () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  x += ${i};`).join("\n");
  const table = Array.from({ length: 30 }, (_, i) => `    k${i}: ${i},`).join("\n");
  const source = [
    `export function declared(): number {\n  let x = 0;\n${body(77)}\n  return x;\n}`, // 81 lines
    `export function fits(): number {\n  let x = 0;\n${body(76)}\n  return x;\n}`, // 80 lines
    `const arrow = () => {\n  let x = 0;\n${body(80)}\n  return x;\n};`,
    `class C {\n  method(): number {\n    let x = 0;\n${body(80)}\n    return x;\n  }\n}`,
    `run("x", async () => {\n  let x = 0;\n${body(80)}\n});`,
    `export function tabled(): Record<string, number> {\n  const t = {\n${table}\n  };\n` +
    `  let x = 0;\n${body(60)}\n  return t;\n}`, // 96 lines, 33 of them a table
    `function outer(): void {\n  const inner = function (): number {\n    let x = 0;\n` +
    `${body(80)}\n    return x;\n  };\n  inner();\n}`,
  ].join("\n\n");
  const found = longFunctions(source, "lib/x.ts", MAX_FUNCTION_LINES);
  assert.deepEqual(found.map((f) => [f.name, f.lines]), [
    ["declared", 81],
    ["arrow", 84],
    ["C > method", 84],
    ["<callback of run>", 83],
    ["outer", 87],
    ["outer > inner", 84],
  ]);
  assert.equal(lineCount("a\nb\n"), 2);
  assert.equal(lineCount("a\nb"), 2);
  assert.equal(lineCount(`${"x\n".repeat(MAX_FILE_LINES + 1)}`), MAX_FILE_LINES + 1);
});
