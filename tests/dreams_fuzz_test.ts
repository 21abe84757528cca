import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DREAMS_RATES,
  parseDreamsExcerpt,
  parseDreamsHypnogram,
  readDreamsExcerpt,
  readDreamsHypnogram,
} from "../lib/data/dreams.ts";
import { DataFormatError, NotRegularFileError, SizeLimitError } from "../lib/errors.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
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

/** Generated values formatted like the DREAMS files, one block shared by all cases. */
const VALUES: string[] = (() => {
  const rng = makeRng(99);
  return Array.from(
    { length: 200 * 1800 * 1.35 }, // up to 30 % over 200 Hz
    () => ((rng.next() - 0.5) * 200).toFixed(4).padStart(10),
  );
})();

/** A valid excerpt: header + `n` values formatted like the DREAMS files. */
function excerptLines(rng: Rng, n: number): string[] {
  const start = rng.int(VALUES.length - n + 1);
  return [pick(rng, ["[C3-A1]", "[CZ-A1]", "[Fp1 - A2]"]), ...VALUES.slice(start, start + n)];
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
  for (let round = 0; round < 12; round++) {
    excerptRound(rng, cases);
    hypnogramRound(rng, cases);
  }
  return cases;
}

/** One round of malformed excerpts: header, values, counts, cuts and garbage. */
function excerptRound(rng: Rng, cases: Case[]): void {
  // The documented rates, 50 Hz most often to keep the files small.
  const rate = () => pick(rng, [50, 50, 50, 100, 200]);
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
}

/** One round of malformed hypnograms: header, codes, counts and cuts. */
function hypnogramRound(rng: Rng, cases: Case[]): void {
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
    for (const r of DREAMS_RATES) {
      const p = join(dir, `excerpt${r}.txt`);
      await Deno.writeTextFile(p, text(excerptLines(rng, 1800 * r)));
      const e = await readDreamsExcerpt(p);
      assert.equal(e.fs, r);
      assert.equal(e.data.length, 1800 * r);
    }
    // CRLF line endings are accepted.
    const crlf = join(dir, "excerpt_crlf.txt");
    await Deno.writeTextFile(crlf, excerptLines(rng, 90_000).join("\r\n") + "\r\n");
    assert.equal((await readDreamsExcerpt(crlf)).fs, 50);
    const h = join(dir, "Hypnogram_excerpt1.txt");
    await Deno.writeTextFile(h, text(hypnogramLines(rng)));
    assert.equal((await readDreamsHypnogram(h)).length, 360);
  });
});

/** Parses `text` as an excerpt and returns the DataFormatError it raises (or fails). */
function refusal(text: string, file: string, label: string): DataFormatError {
  let error: unknown = null;
  try {
    parseDreamsExcerpt(text, file);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof DataFormatError, `${label}: expected DataFormatError, got ${error}`);
  assert.equal(error.file, file, label);
  assert.match(error.field, /^line \d+/, label);
  return error;
}

Deno.test("rates: only 50, 100 and 200 Hz, never shorter than the hypnogram, at most 0.1 % longer", () => {
  const rng = makeRng(11);
  // 360 140 values at 200 Hz (excerpt 6, 0.039 % over) pass.
  const six = parseDreamsExcerpt(text(excerptLines(rng, 360_140)), "six.txt");
  assertAlmost(six.fs, 360_140 / 1800);
  for (
    const [n, why] of [
      [360_361, "0.1 % over 200 Hz"],
      [359_999, "one value short of 200 Hz"],
      [89_920, "excerpt 3 without its last 80 values (49.956 Hz)"],
      [23_403, "13.0017 Hz"],
      [18_007, "10.0039 Hz, a whole rate that is not documented"],
      [1800 * 150, "150 Hz, a whole rate that is not documented"],
    ] as const
  ) {
    const error = refusal(text(excerptLines(rng, n)), "rate.txt", why);
    assert.equal(error.field, `line ${n + 1} (end of data)`, why);
    assert.match(error.message, /50, 100, 200 Hz/);
  }
  // A valid count whose last line lacks its newline was cut.
  const cut = refusal(excerptLines(rng, 90_000).join("\n"), "cut.txt", "no final newline");
  assert.match(cut.message, /newline after the last value/);
});

const DREAMS = join(sharedDatasetsDir(), "dreams");

Deno.test("the real excerpts cut short are refused: 26 %, the last 80 values, 200 random truncations", async () => {
  const rng = makeRng(2026);
  // Read in place; the truncated texts stay in memory (the licence allows no derived files).
  const texts = new Map<number, string>();
  for (const n of [1, 2, 3]) texts.set(n, await Deno.readTextFile(join(DREAMS, `excerpt${n}.txt`)));
  const three = texts.get(3)!;
  refusal(three.slice(0, Math.floor(three.length * 0.26)), "excerpt3.txt", "excerpt 3 at 26 %");
  for (const [n, full] of texts) {
    const lines = full.split("\n");
    const shorter = lines.slice(0, lines.length - 1 - 80).join("\n") + "\n";
    refusal(shorter, `excerpt${n}.txt`, `excerpt ${n} without its last 80 values`);
  }
  // Random cuts at any byte of excerpts 1 (100 Hz), 2 (200 Hz) and 3 (50 Hz).
  for (let i = 0; i < 200; i++) {
    const n = [1, 2, 3][i % 3];
    const full = texts.get(n)!;
    const at = 1 + rng.int(full.length - 1);
    refusal(full.slice(0, at), `excerpt${n}.txt`, `excerpt ${n} cut at character ${at}`);
  }
});

Deno.test("a FIFO, a directory and links to devices in place of a DREAMS file are refused without blocking", async () => {
  await withTempDir("emargin-dreams-fuzz-", async (dir) => {
    const fifo = join(dir, "excerpt1.txt");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, "mkfifo failed");
    const folder = join(dir, "excerpt2.txt");
    await Deno.mkdir(folder);
    const zero = join(dir, "excerpt3.txt");
    await Deno.symlink("/dev/zero", zero);
    const nul = join(dir, "Hypnogram_excerpt1.txt");
    await Deno.symlink("/dev/null", nul);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [fifo, () => readDreamsExcerpt(fifo), /FIFO/],
      [folder, () => readDreamsExcerpt(folder), /directory/],
      [zero, () => readDreamsExcerpt(zero), /character device/],
      [nul, () => readDreamsHypnogram(nul), /character device/],
      [zero, () => readDreamsHypnogram(zero), /character device/],
    ];
    for (const [path, read, kind] of cases) {
      const error = await read().then(() => null, (e: unknown) => e);
      assert.ok(error instanceof NotRegularFileError, `${path}: got ${error}`);
      assert.equal(error.file, path);
      assert.match(error.message, kind);
    }
    // A file over the caller's limit is refused before it is read; the limit can be raised.
    const big = join(dir, "excerpt4.txt");
    await Deno.writeTextFile(big, text(excerptLines(makeRng(3), 90_000)));
    await assert.rejects(() => readDreamsExcerpt(big, { maxBytes: 1000 }), SizeLimitError);
    assert.equal((await readDreamsExcerpt(big, { maxBytes: 2 << 20 })).fs, 50);
  });
});

Deno.test("≥ 200 more malformed DREAMS hypnograms: cut, lengthened, bad codes, on real files too", async () => {
  const rng = makeRng(360);
  const real = await Deno.readTextFile(join(DREAMS, "Hypnogram_excerpt4.txt"));
  const realLines = real.split("\n").slice(0, 361);
  let raised = 0;
  for (let i = 0; i < 240; i++) {
    const lines = i % 2 === 0 ? [...realLines] : hypnogramLines(rng);
    const kind = i % 6;
    if (kind < 2) lines.splice(1 + rng.int(360), 1 + rng.int(40)); // codes removed
    else if (kind < 4) {
      lines.splice(1 + rng.int(360), 0, ...hypnogramLines(rng, 1 + rng.int(40)).slice(1));
    } else if (kind === 4) {
      lines[1 + rng.int(360)] = pick(rng, [...BAD_CODES, ...NON_INTEGER_CODES]);
    } else lines.length = 1 + rng.int(360); // cut after a random code
    const file = `Hypnogram_excerpt${i}.txt`;
    try {
      parseDreamsHypnogram(text(lines), file);
      assert.fail(`case ${i} kind ${kind} was accepted`);
    } catch (e) {
      assert.ok(e instanceof DataFormatError, `case ${i} kind ${kind}: ${e}`);
      assert.equal(e.file, file);
      assert.match(e.field, /^line \d+$/);
      raised++;
    }
  }
  assert.equal(raised, 240);
});

function assertAlmost(a: number, b: number): void {
  assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
}
