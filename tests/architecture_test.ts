/**
 * The layering of `lib/` holds: imports between its modules go through the
 * module's `mod.ts` (in `lib/`, `scripts/` and `bench/`; tests may import any
 * file), follow the layers of `lib/architecture.ts` and form no cycle — and
 * the checks catch a forbidden import when one is added.
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
    { from: "lib/data/datasets.ts", to: "lib/features/stft.ts" }, // bypasses mod.ts
    { from: "bench/data.ts", to: "lib/data/datasets.ts" }, // bypasses mod.ts
    { from: "lib/extra/x.ts", to: "lib/errors.ts" }, // module in no layer
    { from: "lib/io.ts", to: "scripts/_cli.ts" }, // out of lib/
    { from: "lib/report/build.ts", to: "lib/notebook/nbformat.ts" }, // a listed entry point
    { from: "lib/report/x.ts", to: "lib/notebook/run_notebook.ts" }, // bypasses mod.ts
  ];
  const found = checkImports(edges, LAYERS, ENTRY_POINTS).map((v) => [v.rule, v.edge.from]);
  assert.deepEqual(found, [
    ["direction", "lib/experiments/views.ts"],
    ["direction", "lib/train/pretrain.ts"],
    ["through-mod", "lib/data/datasets.ts"],
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
