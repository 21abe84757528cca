/**
 * Fuzz tests of the HAPT, HARTH and npz/npy readers: hundreds of generated
 * malformed inputs per reader (truncated, wrong columns, bad numbers,
 * NaN/Inf, empty, odd byte lengths, garbage) must each raise a
 * DataFormatError naming the file and the field or line; inputs that stay
 * valid must decode to the intended values. Arrays and archives declaring
 * more than the size cap raise a SizeLimitError before anything is inflated.
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { parseHaptLabels, parseNumberColumns } from "../lib/data/hapt.ts";
import { parseHarthCsv } from "../lib/data/harth.ts";
import { parseNpy, readNpz } from "../lib/data/npz.ts";
import { DataFormatError, SizeLimitError } from "../lib/errors.ts";
import { makeRng, type Rng } from "../lib/random.ts";

const CASES = 240;
const BAD_NUMBERS = [
  "abc",
  "1.2.3",
  "0x1F",
  "1e",
  "--1",
  "1,5",
  "+",
  ".",
  "e5",
  "1e5e",
  "٣",
  "1_000",
  "½",
];
const NON_FINITE = ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e999", "-1e400"];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** Runs `parse` and checks it throws a DataFormatError for `file` whose field matches `field`. */
function expectFormatError(parse: () => unknown, file: string, field: RegExp, what: string): void {
  let error: unknown;
  try {
    parse();
  } catch (e) {
    error = e;
  }
  assert.ok(
    error instanceof DataFormatError,
    `${what}: expected a DataFormatError, got ${String(error)}`,
  );
  assert.equal(error.file, file, `${what}: file`);
  assert.match(error.field, field, `${what}: field ${error.field}`);
  assert.ok(error.message.includes(file), `${what}: message names the file`);
}

function validRaw(rng: Rng, n: number): { text: string; rows: string[][] } {
  const rows = Array.from(
    { length: n },
    () => [0, 1, 2].map(() => (rng.normal() * 2).toFixed(1 + rng.int(15))),
  );
  return { text: rows.map((r) => r.join(" ")).join("\n") + "\n", rows };
}

Deno.test("fuzz HAPT raw signal files: malformed → DataFormatError with file and line", () => {
  const rng = makeRng(101);
  const file = "acc_exp01_user01.txt";
  for (let i = 0; i < CASES; i++) {
    const n = 1 + rng.int(30);
    const { rows } = validRaw(rng, n);
    const r = rng.int(n);
    const kind = i % 8;
    const mutated = rows.map((row) => [...row]);
    let text: string;
    let field = new RegExp(`^line ${r + 1}( |$)`);
    if (kind === 0) { // truncated inside line r: fewer than three fields remain
      mutated[r] = mutated[r].slice(0, 1 + rng.int(2));
      text = mutated.slice(0, r + 1).map((x) => x.join(" ")).join("\n");
    } else if (kind === 1) { // wrong number of columns
      if (rng.next() < 0.5) mutated[r].push("0.5");
      else mutated[r].pop();
      text = mutated.map((x) => x.join(" ")).join("\n");
    } else if (kind === 2 || kind === 3) { // bad number or non-finite value
      const c = rng.int(3);
      mutated[r][c] = pick(rng, kind === 2 ? BAD_NUMBERS : NON_FINITE);
      field = new RegExp(`^line ${r + 1} column ${c + 1}$`);
      text = mutated.map((x) => x.join(" ")).join("\n");
    } else if (kind === 4) { // empty file or blank lines only
      text = pick(rng, ["", "\n", "   \n", "\n\n", "\t"]);
      field = /^line 1$/;
    } else if (kind === 5) { // blank line in the middle
      const lines = mutated.map((x) => x.join(" "));
      lines.splice(r, 0, "");
      text = lines.join("\n") + "\nx";
      field = new RegExp(`^line ${r + 1}$`);
    } else if (kind === 6) { // separators glued: "1.0-2.0 3.0"
      mutated[r] = [mutated[r][0] + mutated[r][1], mutated[r][2]];
      text = mutated.map((x) => x.join(" ")).join("\n");
    } else { // binary garbage from line r on
      const garbage = String.fromCharCode(
        ...Array.from({ length: 1 + rng.int(20) }, () => 0x80 + rng.int(0x7f)),
      );
      const lines = mutated.map((x) => x.join(" "));
      lines[r] = garbage;
      text = lines.join("\n");
    }
    expectFormatError(
      () => parseNumberColumns(text, file, 3),
      file,
      field,
      `case ${i} kind ${kind}`,
    );
  }
});

Deno.test("fuzz HAPT raw signal files: valid variants (CRLF, tabs, signs) decode exactly", () => {
  const rng = makeRng(102);
  for (let i = 0; i < 60; i++) {
    const { rows } = validRaw(rng, 1 + rng.int(20));
    const sep = pick(rng, [" ", "\t", "  "]);
    const eol = pick(rng, ["\n", "\r\n"]);
    const text = rows.map((x) => x.join(sep)).join(eol) + (rng.next() < 0.5 ? eol : "");
    const columns = parseNumberColumns(text, "f.txt", 3);
    for (let c = 0; c < 3; c++) assert.deepEqual([...columns[c]], rows.map((x) => Number(x[c])));
  }
});

Deno.test("fuzz HAPT labels.txt: malformed rows → DataFormatError naming the line and field", () => {
  const rng = makeRng(103);
  const file = "labels.txt";
  for (let i = 0; i < CASES; i++) {
    const n = 1 + rng.int(20);
    const rows = Array.from({ length: n }, () => {
      const start = 1 + rng.int(1000);
      return [1 + rng.int(61), 1 + rng.int(30), 1 + rng.int(12), start, start + rng.int(500)].map(
        String,
      );
    });
    const r = rng.int(n);
    const kind = i % 6;
    let field = new RegExp(`^line ${r + 1}( |$)`);
    let text: string;
    if (kind === 0) { // wrong column count
      if (rng.next() < 0.5) rows[r].push("7");
      else rows[r].splice(rng.int(5), 1);
    } else if (kind === 1) { // not a non-negative integer
      const c = rng.int(5);
      rows[r][c] = pick(rng, [
        ...BAD_NUMBERS,
        ...NON_FINITE,
        "1.5",
        "-3",
        "2e3",
        "99999999999999999999",
      ]);
      field = new RegExp(
        `^line ${r + 1} ${["experiment", "user", "activity", "start", "end"][c]}$`,
      );
    } else if (kind === 2) { // activity out of range
      rows[r][2] = pick(rng, ["0", "13", "120"]);
      field = new RegExp(`^line ${r + 1} activity$`);
    } else if (kind === 3) { // start after end or zero
      if (rng.next() < 0.5) rows[r][3] = "0";
      else [rows[r][3], rows[r][4]] = [String(Number(rows[r][4]) + 1), rows[r][3]];
      field = new RegExp(`^line ${r + 1} start/end$`);
    } else if (kind === 4) { // truncated: the file ends inside line r
      rows[r] = rows[r].slice(0, 1 + rng.int(4));
    }
    if (kind === 5) {
      text = pick(rng, ["", "\n", " \n"]);
      field = /^line 1$/;
    } else {
      text = rows.slice(0, kind === 4 ? r + 1 : n).map((x) => x.join(" ")).join("\n");
    }
    expectFormatError(() => parseHaptLabels(text, file), file, field, `case ${i} kind ${kind}`);
  }
});

const HEADER = "timestamp,back_x,back_y,back_z,thigh_x,thigh_y,thigh_z,label";

function harthRows(rng: Rng, n: number): string[][] {
  return Array.from({ length: n }, (_, k) => [
    `2019-01-12 00:00:${k}`,
    ...Array.from({ length: 6 }, () => rng.normal().toFixed(6)),
    pick(rng, ["1", "2", "6", "7", "8", "13", "14", "130", "140"]),
  ]);
}

Deno.test("fuzz HARTH CSV: malformed → DataFormatError with file and line; NaN rows dropped", () => {
  const rng = makeRng(104);
  const file = "S006.csv";
  for (let i = 0; i < CASES; i++) {
    const n = 1 + rng.int(20);
    const rows = harthRows(rng, n);
    const r = rng.int(n);
    const kind = i % 7;
    let header = HEADER;
    let field = new RegExp(`^line ${r + 2}( |$)`);
    if (kind === 0) { // a required column missing from the header
      const columns = header.split(",");
      columns.splice(1 + rng.int(7), 1);
      header = columns.join(",");
      field = /^header \(line 1\)$/;
    } else if (kind === 1) { // truncated / long row
      if (rng.next() < 0.5) rows[r] = rows[r].slice(0, 1 + rng.int(7));
      else rows[r].push("extra");
    } else if (kind === 2) { // bad number
      const c = 1 + rng.int(6);
      rows[r][c] = pick(rng, BAD_NUMBERS.filter((b) => !b.includes(",")));
      field = new RegExp(`^line ${r + 2} ${HEADER.split(",")[c]}$`);
    } else if (kind === 3) { // infinite value
      const c = 1 + rng.int(6);
      rows[r][c] = pick(rng, ["Infinity", "-Infinity", "inf", "1e999"]);
      field = new RegExp(`^line ${r + 2} ${HEADER.split(",")[c]}$`);
    } else if (kind === 4) { // unknown or non-integer label code
      rows[r][7] = pick(rng, ["0", "9", "12", "15", "131", "1.5", "-1"]);
      field = new RegExp(`^line ${r + 2} label$`);
    } else if (kind === 5) { // no complete row at all
      for (const row of rows) row[1 + rng.int(7)] = pick(rng, ["", "NaN", "nan"]);
      field = /^rows$/;
    }
    const text = kind === 6
      ? pick(rng, ["", "\n", "a,b\n1,2\n"])
      : [header, ...rows.map((x) => x.join(","))].join("\n") + "\n";
    if (kind === 6) field = /^header \(line 1\)$/;
    expectFormatError(() => parseHarthCsv(text, file), file, field, `case ${i} kind ${kind}`);
  }
  // NaN or empty values drop exactly their rows
  for (let i = 0; i < 40; i++) {
    const rows = harthRows(rng, 2 + rng.int(20));
    const dropped = new Set<number>();
    for (let k = 0; k < rows.length - 1; k++) {
      if (rng.next() < 0.3) {
        rows[k][1 + rng.int(7)] = pick(rng, ["", "NaN", "nan"]);
        dropped.add(k);
      }
    }
    const rec = parseHarthCsv([HEADER, ...rows.map((x) => x.join(","))].join("\n"), "S.csv");
    const kept = rows.filter((_, k) => !dropped.has(k));
    assert.equal(rec.droppedRows, dropped.size);
    assert.deepEqual([...rec.channels[0]], kept.map((x) => Number(x[1])));
  }
});

function npy(descr: string, shape: number[], payload: Uint8Array, dict?: string): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = dict ?? `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const out = new Uint8Array(10 + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(payload, 10 + header.length);
  return out;
}

Deno.test("fuzz npy/npz: truncated, odd lengths, bad headers and archives → DataFormatError", () => {
  const rng = makeRng(105);
  const descrs: [string, number][] = [["<f4", 4], [">f8", 8], ["<i4", 4], ["<i8", 8], ["|u1", 1]];
  for (let i = 0; i < CASES; i++) {
    const [descr, size] = pick(rng, descrs);
    const shape = Array.from({ length: 1 + rng.int(3) }, () => 1 + rng.int(5));
    const count = shape.reduce((a, b) => a * b, 1);
    const payload = Uint8Array.from({ length: count * size }, () => rng.int(256));
    const good = npy(descr, shape, payload);
    const kind = i % 8;
    const file = `m${i}.npy`;
    let bytes: Uint8Array;
    let field: RegExp;
    if (kind === 0) { // truncated anywhere
      bytes = good.subarray(0, rng.int(good.length));
      field = /^(magic|header|data|header length)$/;
    } else if (kind === 1) { // odd length: extra bytes at the end
      bytes = Uint8Array.from([...good, ...Array.from({ length: 1 + rng.int(size + 2) }, () => 7)]);
      field = /^data$/;
    } else if (kind === 2) { // bad magic or version
      bytes = good.slice();
      if (rng.next() < 0.5) bytes[rng.int(6)] ^= 1 + rng.int(255);
      else bytes[6] = pick(rng, [0, 4, 9, 255]);
      field = /^(magic|version)$/;
    } else if (kind === 3) { // unsupported dtype
      bytes = npy(
        pick(rng, ["<c8", "|O", "<U5", "<f2", "S3", "<M8", "f4", "<f16"]),
        shape,
        payload,
      );
      field = /^header descr$/;
    } else if (kind === 4) { // Fortran order
      const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
      bytes = npy(
        descr,
        shape,
        payload,
        `{'descr': '${descr}', 'fortran_order': True, 'shape': (${dims}), }`,
      );
      field = /^header fortran_order$/;
    } else if (kind === 5) { // malformed shape or missing keys
      const dict = pick(rng, [
        `{'descr': '${descr}', 'fortran_order': False, 'shape': (a, 2), }`,
        `{'descr': '${descr}', 'fortran_order': False, 'shape': (-1,), }`,
        `{'descr': '${descr}', 'fortran_order': False, 'shape': (2.5,), }`,
        `{'descr': '${descr}', 'fortran_order': False}`,
        `{'fortran_order': False, 'shape': (3,), }`,
        `{'descr': '${descr}', 'fortran_order': maybe, 'shape': (3,), }`,
      ]);
      bytes = npy(descr, shape, payload, dict);
      field = /^header (shape|descr|fortran_order)$/;
    } else if (kind === 6) { // header length pointing past the end
      bytes = good.slice();
      new DataView(bytes.buffer).setUint16(8, good.length + rng.int(1000), true);
      field = /^header$/;
    } else { // shape disagreeing with the data length
      const wrong = [...shape];
      wrong[rng.int(wrong.length)] += 1 + rng.int(3);
      bytes = npy(descr, wrong, payload);
      field = /^data$/;
    }
    expectFormatError(() => parseNpy(bytes, file), file, field, `npy case ${i} kind ${kind}`);
  }
  for (let i = 0; i < CASES; i++) {
    const member = npy("<f4", [3], new Uint8Array(12));
    const zip = zipSync({ "x.npy": member, "y.npy": member }, { level: i % 2 === 0 ? 0 : 6 });
    const kind = i % 4;
    let bytes: Uint8Array;
    let file = "<npz bytes>";
    let field: RegExp = /^zip archive$/;
    if (kind === 0) { // truncated archive
      bytes = zip.subarray(0, rng.int(zip.length - 22));
    } else if (kind === 1) { // garbage
      bytes = Uint8Array.from({ length: rng.int(200) }, () => rng.int(256));
    } else if (kind === 2) { // a member that is not .npy
      bytes = zipSync({ "x.npy": member, "notes.txt": new Uint8Array(3) });
      field = /^member notes\.txt$/;
    } else { // a truncated member
      bytes = zipSync({ "x.npy": member.subarray(0, 10 + rng.int(member.length - 10)) });
      file = "<npz bytes>:x.npy";
      field = /^(data|header|magic)$/;
    }
    expectFormatError(() => readNpz(bytes), file, field, `npz case ${i} kind ${kind}`);
  }
});

/** Sets the uncompressed size every central-directory entry of `zip` declares. */
function declareSize(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  for (let i = 0; i + 46 <= out.length; i++) {
    if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, size, true);
  }
  return out;
}

Deno.test("fuzz npy/npz size caps: declared sizes over maxBytes → SizeLimitError before inflating", () => {
  const rng = makeRng(106);
  const rss0 = Deno.memoryUsage().rss;
  let raised = 0;
  for (let i = 0; i < CASES; i++) {
    const kind = i % 5;
    const n = 16 + rng.int(200);
    const member = npy("<f4", [n], new Uint8Array(4 * n));
    let run: () => unknown;
    let file = "<npz bytes>";
    let field: RegExp;
    if (kind === 0) { // an .npy header declaring a huge shape over a few bytes of data
      const dims = [1e5 + rng.int(1e5), 1e4 + rng.int(1e5)];
      const bytes = npy(pick(rng, ["<f8", "<f4", "|u1"]), dims, new Uint8Array(8));
      file = `big${i}.npy`;
      run = () => parseNpy(bytes, file);
      field = /^header shape$/;
    } else if (kind === 1) { // a real array just over the caller's cap
      file = `cap${i}.npy`;
      run = () => parseNpy(member, file, { maxBytes: 4 * n - 1 - rng.int(4) });
      field = /^header shape$/;
    } else if (kind === 2) { // an archive whose directory declares ≈ 1.5–4 GB
      const zip = declareSize(zipSync({ "x.npy": member }, { level: 6 }), 1.5e9 + rng.int(2.7e9));
      run = () => readNpz(zip);
      field = /^member x\.npy$/;
    } else if (kind === 3) { // two members together over the cap
      const zip = zipSync({ "x.npy": member, "y.npy": member }, { level: i % 2 ? 0 : 6 });
      run = () => readNpz(zip, { maxBytes: member.length + rng.int(member.length) });
      field = /^member y\.npy$/;
    } else { // the directory understates the size, the array header overstates it
      const zip = zipSync({ "x.npy": npy("<f8", [1e6, 1e4 + rng.int(1e4)], new Uint8Array(64)) });
      run = () => readNpz(zip);
      file = "<npz bytes>:x.npy";
      field = /^header shape$/;
    }
    expectFormatError(run, file, field, `size case ${i} kind ${kind}`);
    try {
      run();
    } catch (e) {
      if (e instanceof SizeLimitError && /maxBytes/.test(e.message)) raised++;
    }
  }
  assert.equal(raised, CASES);
  // Nothing was inflated to the declared sizes (≥ 1.5 GB each for kind 2).
  const grown = (Deno.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(grown < 256, `RSS grew by ${grown.toFixed(0)} MiB`);
});
