/**
 * `stringifyToDepth` and `writeJsonAtomic({ depth })`: the committed
 * `results.json` keeps one record per line, and what it writes parses back
 * to exactly what `JSON.stringify` would have written.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { stringifyToDepth, writeJsonAtomic } from "../lib/io.ts";

const sample = {
  profile: "paper",
  empty: { list: [], object: {} },
  records: [
    { key: "a", values: [1, 2.5, NaN, null], nested: { deep: [{ x: -0 }] }, skip: undefined },
    { key: 'b\n"q"', when: new Date(0) },
  ],
};

Deno.test("stringifyToDepth indents the outer levels and writes the rest compactly", () => {
  const text = stringifyToDepth(sample, 2);
  const lines = text.split("\n");
  assert.equal(lines[0], "{");
  assert.equal(lines[1], '  "profile": "paper",');
  // an empty container stays on its line
  assert.deepEqual(lines.slice(2, 6), [
    '  "empty": {',
    '    "list": [],',
    '    "object": {}',
    "  },",
  ]);
  assert.equal(lines[6], '  "records": [');
  // each record is one line, at the second level's indent
  assert.equal(
    lines[7],
    '    {"key":"a","values":[1,2.5,null,null],"nested":{"deep":[{"x":0}]}},',
  );
  assert.equal(lines[8], '    {"key":"b\\n\\"q\\"","when":"1970-01-01T00:00:00.000Z"}');
  assert.equal(lines[9], "  ]");
  assert.equal(lines[10], "}");
  assert.equal(lines.length, 11);
});

Deno.test("stringifyToDepth parses back to JSON.stringify's value at every depth", () => {
  const expected = JSON.parse(JSON.stringify(sample));
  for (const depth of [0, 1, 2, 3, 6]) {
    assert.deepEqual(JSON.parse(stringifyToDepth(sample, depth)), expected, `depth ${depth}`);
  }
  assert.equal(stringifyToDepth(sample, 0), JSON.stringify(sample));
  assert.equal(stringifyToDepth([], 2), "[]");
  assert.equal(stringifyToDepth("x", 2), '"x"');
});

Deno.test("writeJsonAtomic writes pretty JSON by default and the depth layout on request", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pretty = join(dir, "pretty.json");
    const shallow = join(dir, "shallow.json");
    await writeJsonAtomic(pretty, sample);
    await writeJsonAtomic(shallow, sample, { depth: 2 });
    assert.equal(await Deno.readTextFile(pretty), JSON.stringify(sample, null, 2) + "\n");
    assert.equal(await Deno.readTextFile(shallow), stringifyToDepth(sample, 2) + "\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "pretty.json",
      "shallow.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
