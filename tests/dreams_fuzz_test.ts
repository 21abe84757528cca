import assert from "node:assert/strict";
import { join } from "node:path";
import { readDreamsExcerpt, readDreamsHypnogram } from "../lib/data/dreams.ts";
import { DataFormatError } from "../lib/errors.ts";
import { makeRng, type Rng } from "../lib/random.ts";
import { withTempDir } from "./_util.ts";

/** A generated file and the line its defect is on (`null`: any line). */
interface Case {
  label: string;
  kind: "excerpt" | "hypnogram";
  text: string | Uint8Array;
  line: number | null;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** A valid excerpt: header + `n` values formatted like the DREAMS files. */
function excerptLines(rng: Rng, n: number): string[] {
  const lines = [pick(rng, ["[C3-A1]", "[CZ-A1]", "[Fp1 - A2]"])];
  for (let i = 0; i < n; i++) lines.push(((rng.next() - 0.5) * 200).toFixed(4).padStart(10));
  return lines;
}

function hypnogramLines(rng: Rng, n = 360): string[] {
  const lines = ["[Hypnogram]"];
  for (let i = 0; i < n; i++) lines.push(String(rng.int(9) - 3));
  return lines;
}

const text = (lines: string[]) => lines.join("\n") + "\n";

/** A valid file's bytes cut at a random byte within its first `fraction`. */
function truncated(rng: Rng, kind: Case["kind"], valid: string, fraction: number): Case {
  const full = new TextEncoder().encode(valid);
  const cut = rng.int(Math.floor(full.length * fraction));
  return { label: `${kind} cut at byte ${cut}`, kind, text: full.slice(0, cut), line: null };
}

const BAD_VALUES = [
  "abc",
  "1.2.3",
  "--1",
  "0x1F",
  "1e",
  "+-2",
  "1,5",
  "12 34",
  "",
  "   ",
  "NaN",
  "nan",
  "Infinity",
  "-Infinity",
  "inf",
  "1e999",
  "-1e400",
  "-",
  ".",
  "e5",
];
const BAD_HEADERS = ["C3-A1", "[C3-A1", "C3-A1]", "[]", "[ ]", "[[C3]]", "# C3-A1", "", "12.5"];
const BAD_CODES = ["6", "7", "-4", "10", "127", "-128", "255", "99"];
const NON_INTEGER_CODES = ["1.5", "W", "", "2e0", "NaN", "+", "3 4", "0x2", "2.", "R"];
const BAD_HYPNOGRAM_HEADERS = ["[Hypnogramm]", "[hypno]", "Hypnogram", "[C3-A1]", "", "5"];

function generateCases(seed: number): Case[] {
  const rng = makeRng(seed);
  const cases: Case[] = [];
  const rate = () => 1 + rng.int(3);
  for (let round = 0; round < 12; round++) {
    // Excerpts.
    {
      const lines = excerptLines(rng, 1800 * rate());
      lines.shift();
      cases.push({ label: "excerpt without header", kind: "excerpt", text: text(lines), line: 1 });
    }
    {
      const lines = excerptLines(rng, 1800 * rate());
      lines[0] = pick(rng, BAD_HEADERS);
      cases.push({
        label: `header ${JSON.stringify(lines[0])}`,
        kind: "excerpt",
        text: text(lines),
        line: 1,
      });
    }
    for (let k = 0; k < 3; k++) {
      const lines = excerptLines(rng, 1800 * rate());
      const at = 1 + rng.int(lines.length - 1);
      lines[at] = pick(rng, BAD_VALUES);
      cases.push({
        label: `value ${JSON.stringify(lines[at])}`,
        kind: "excerpt",
        text: text(lines),
        line: at + 1,
      });
    }
    cases.push({ label: "empty excerpt", kind: "excerpt", text: "", line: 1 });
    cases.push({ label: "header only", kind: "excerpt", text: "[C3-A1]\n", line: 1 });
    cases.push(truncated(rng, "excerpt", text(excerptLines(rng, 1800 * rate())), 0.99));
    {
      const r = rate();
      const delta = (0.002 + rng.next() * 0.3) * (rng.next() < 0.5 ? -1 : 1);
      const n = Math.round(1800 * r * (1 + delta));
      cases.push({
        label: `${n} values (${(n / 1800).toFixed(4)} Hz)`,
        kind: "excerpt",
        text: text(excerptLines(rng, n)),
        line: n + 1,
      });
    }
    {
      const n = 1 + rng.int(1500);
      cases.push({
        label: `${n} values (< 1 Hz)`,
        kind: "excerpt",
        text: text(excerptLines(rng, n)),
        line: n + 1,
      });
    }
    {
      const bytes = new Uint8Array(64 + rng.int(512));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      cases.push({ label: "random bytes", kind: "excerpt", text: bytes, line: null });
    }

    // Hypnograms.
    {
      const lines = hypnogramLines(rng);
      lines.shift();
      cases.push({
        label: "hypnogram without header",
        kind: "hypnogram",
        text: text(lines),
        line: 1,
      });
    }
    {
      const lines = hypnogramLines(rng);
      lines[0] = pick(rng, BAD_HYPNOGRAM_HEADERS);
      cases.push({
        label: `hypnogram header ${JSON.stringify(lines[0])}`,
        kind: "hypnogram",
        text: text(lines),
        line: 1,
      });
    }
    for (let k = 0; k < 2; k++) {
      const lines = hypnogramLines(rng);
      const at = 1 + rng.int(360);
      lines[at] = pick(rng, k === 0 ? BAD_CODES : NON_INTEGER_CODES);
      cases.push({
        label: `code ${JSON.stringify(lines[at])}`,
        kind: "hypnogram",
        text: text(lines),
        line: at + 1,
      });
    }
    {
      const n = pick(rng, [0, 1, 180, 359]);
      cases.push({
        label: `${n} codes`,
        kind: "hypnogram",
        text: text(hypnogramLines(rng, n)),
        line: n + 2,
      });
    }
    {
      const n = pick(rng, [361, 362, 720]);
      cases.push({
        label: `${n} codes`,
        kind: "hypnogram",
        text: text(hypnogramLines(rng, n)),
        line: 362,
      });
    }
    cases.push({ label: "empty hypnogram", kind: "hypnogram", text: "", line: 1 });
    cases.push(truncated(rng, "hypnogram", text(hypnogramLines(rng)), 0.95));
  }
  return cases;
}

async function writeCase(dir: string, i: number, c: Case): Promise<string> {
  const path = join(dir, c.kind === "excerpt" ? `excerpt${i}.txt` : `Hypnogram_excerpt${i}.txt`);
  if (typeof c.text === "string") await Deno.writeTextFile(path, c.text);
  else await Deno.writeFile(path, c.text);
  return path;
}

const read = (c: Case, path: string) =>
  c.kind === "excerpt" ? readDreamsExcerpt(path) : readDreamsHypnogram(path);

Deno.test("≥ 200 seeded malformed DREAMS files raise DataFormatError naming file, line and expectation", async () => {
  const cases = generateCases(20_260);
  assert.ok(cases.length >= 200, `only ${cases.length} cases`);
  await withTempDir("emargin-dreams-fuzz-", async (dir) => {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const path = await writeCase(dir, i, c);
      const err = await read(c, path).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof DataFormatError, `${c.label}: expected DataFormatError, got ${err}`);
      assert.equal(err.file, path, c.label);
      const m = /^line (\d+)/.exec(err.field);
      assert.ok(m, `${c.label}: field ${err.field} names no line`);
      if (c.line !== null) assert.equal(Number(m[1]), c.line, `${c.label}: ${err.message}`);
      assert.ok(err.expected.length > 0);
      assert.ok(err.message.includes(path) && err.message.includes("expected"), err.message);
    }
  });
});

Deno.test("the fuzz generator's valid files parse, so the defects alone cause the errors", async () => {
  const rng = makeRng(7);
  await withTempDir("emargin-dreams-fuzz-", async (dir) => {
    for (let r = 1; r <= 3; r++) {
      const p = join(dir, `excerpt${r}.txt`);
      await Deno.writeTextFile(p, text(excerptLines(rng, 1800 * r)));
      const e = await readDreamsExcerpt(p);
      assert.equal(e.fs, r);
      assert.equal(e.data.length, 1800 * r);
    }
    // CRLF line endings and a missing final newline are accepted.
    const crlf = join(dir, "excerpt_crlf.txt");
    await Deno.writeTextFile(crlf, excerptLines(rng, 3600).join("\r\n"));
    assert.equal((await readDreamsExcerpt(crlf)).fs, 2);
    const h = join(dir, "Hypnogram_excerpt1.txt");
    await Deno.writeTextFile(h, text(hypnogramLines(rng)));
    assert.equal((await readDreamsHypnogram(h)).length, 360);
  });
});

Deno.test("rate tolerance: 0.039 % off a whole rate passes (as excerpt 6), 0.2 % fails", async () => {
  const rng = makeRng(11);
  await withTempDir("emargin-dreams-fuzz-", async (dir) => {
    const near = join(dir, "near.txt");
    // 18 007 values over 1800 s = 10.0039 Hz: the same relative offset as 360 140 at 200 Hz.
    await Deno.writeTextFile(near, text(excerptLines(rng, 18_007)));
    assertAlmost((await readDreamsExcerpt(near)).fs, 18_007 / 1800);
    const far = join(dir, "far.txt");
    await Deno.writeTextFile(far, text(excerptLines(rng, 18_036)));
    await assert.rejects(() => readDreamsExcerpt(far), DataFormatError);
  });
});

function assertAlmost(a: number, b: number): void {
  assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
}
