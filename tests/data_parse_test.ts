import assert from "node:assert/strict";
import { join } from "node:path";
import { sha256, sha256File, sha256Hex } from "../lib/data/hash.ts";
import {
  DECIMAL,
  FINITE_DECIMAL,
  FIXED_POINT,
  parseNumber,
  SAFE_COUNT,
  SAFE_INTEGER,
  SIGNED_FIXED_POINT,
  SIGNED_INTEGER,
  splitLines,
  UNSIGNED_INTEGER,
} from "../lib/data/parse.ts";
import { DataFormatError } from "../lib/errors.ts";
import { withTempDir } from "./_util.ts";

const accepts = (re: RegExp, good: string[], bad: string[]) => {
  for (const s of good) assert.ok(re.test(s), `${re} accepts ${JSON.stringify(s)}`);
  for (const s of bad) assert.ok(!re.test(s), `${re} refuses ${JSON.stringify(s)}`);
};

Deno.test("the shared number grammars accept and refuse the same spellings everywhere", () => {
  accepts(DECIMAL, ["1", "-1.5e3", "+.5", "7.", "0.25E-2"], [
    "",
    ".",
    "1e",
    "NaN",
    "0x1",
    " 1",
    "1,5",
  ]);
  accepts(SIGNED_INTEGER, ["0", "-12", "+3"], ["", "1.0", "1e3", "--1"]);
  accepts(UNSIGNED_INTEGER, ["0", "12"], ["-1", "+1", "1.0", ""]);
  accepts(FIXED_POINT, ["30", "0.5", ".5", "7."], ["+30", "-1", "1e3", ""]);
  accepts(SIGNED_FIXED_POINT, ["+30", "-0.5", "+.5"], ["30", "+1e3", "+", ""]);
});

Deno.test("splitLines: LF and CRLF, one final newline ends the last line", () => {
  assert.deepEqual(splitLines("a\r\nb\n"), ["a", "b"]);
  assert.deepEqual(splitLines("a\nb"), ["a", "b"]);
  assert.deepEqual(splitLines("a\n\n"), ["a", ""]);
  assert.deepEqual(splitLines(""), [""]);
});

Deno.test("SHA-256 of text, bytes, chunks and a streamed file agree with the standard vector", async () => {
  const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assert.equal(sha256Hex("abc"), abc);
  assert.equal(sha256Hex(new TextEncoder().encode("abc")), abc);
  assert.equal(sha256().update("a").update("bc").digest("hex"), abc);
  await withTempDir("emargin-hash-", async (dir) => {
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    await Deno.writeFile(join(dir, "f.bin"), big);
    assert.equal(await sha256File(join(dir, "f.bin")), sha256Hex(big));
  });
});

Deno.test("parseNumber: each kind's grammar and range; the error names the field or line and column", () => {
  assert.equal(parseNumber("-1.5e3", FINITE_DECIMAL, "a.csv", 2, "x"), -1500);
  assert.equal(parseNumber("-12", SAFE_INTEGER, "r.hea", "gain"), -12);
  assert.equal(parseNumber("7", SAFE_COUNT, "labels.txt", 3, "user"), 7);
  const fails = (f: () => number, field: string, expected: string, got: string) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof DataFormatError);
      assert.equal(e.field, field);
      assert.equal(e.expected, expected);
      assert.ok(e.message.endsWith(got), e.message);
      return;
    }
    assert.fail("no error");
  };
  fails(
    () => parseNumber("1e400", FINITE_DECIMAL, "a.csv", 2, "x"),
    "line 2 x",
    "a finite decimal number",
    '"1e400"',
  );
  fails(
    () => parseNumber("0x1f", FINITE_DECIMAL, "r.hea", "gain"),
    "gain",
    "a finite decimal number",
    '"0x1f"',
  );
  fails(
    () => parseNumber("9007199254740993", SAFE_INTEGER, "r.hea", "n"),
    "n",
    "an integer",
    '"9007199254740993"',
  );
  fails(
    () => parseNumber("-1", SAFE_COUNT, "l.txt", 4, "start"),
    "line 4 start",
    "a non-negative integer",
    '"-1"',
  );
});
