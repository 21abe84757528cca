/**
 * Seeded fuzzing of the WFDB, EDF and hypnogram readers: each case damages a
 * valid input (truncation, bad numbers, NaN/Inf, wrong counts, stray bytes,
 * broken annotation structure). Every case must either raise a
 * DataFormatError whose message names the file and the offending field, or
 * (for the few damages that leave the content intact) return exactly what
 * the undamaged input gives — never a different array.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readEdf } from "../lib/data/edf.ts";
import { readSleepEdfHypnogram, sleepStagesFromHypnogram } from "../lib/data/hypnogram.ts";
import { readWfdbAnnotations, readWfdbRecord, wfdbChecksum } from "../lib/data/wfdb/mod.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
import { makeRng, type Rng } from "../lib/random.ts";
import { type EdfSpec, writeEdf } from "./_edf_writer.ts";
import { checkDamaged, pick } from "./_fuzz.ts";

const CASES = 240;
const encoder = new TextEncoder();

function splice(
  bytes: Uint8Array,
  at: number,
  remove: number,
  insert: ArrayLike<number> = [],
): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** Fixed-width ASCII field overwrite (EDF header). */
function setField(bytes: Uint8Array, offset: number, width: number, text: string): Uint8Array {
  const out = bytes.slice();
  out.set(encoder.encode(text.padEnd(width, " ").slice(0, width)), offset);
  return out;
}

const BAD_NUMBERS = [
  "NaN",
  "Infinity",
  "-Infinity",
  "1e999",
  "abc",
  "0x1F",
  "--3",
  "+-1",
  "1..5",
  "",
  "1,5",
  "3e",
];

// ---------------------------------------------------------------------------
// WFDB

function encode212(samples: number[]): Uint8Array {
  const out = new Uint8Array(1.5 * samples.length);
  for (let i = 0, b = 0; i < samples.length; i += 2, b += 3) {
    const s0 = samples[i] & 0xfff, s1 = samples[i + 1] & 0xfff;
    out[b] = s0 & 0xff;
    out[b + 1] = (s0 >> 8) | ((s1 >> 8) << 4);
    out[b + 2] = s1 & 0xff;
  }
  return out;
}

/** A two-signal format-212 record and a one-signal format-16 record in `dir`. */
function writeWfdbFixtures(dir: string, rng: Rng) {
  const n = 500;
  const a = Array.from({ length: n }, () => rng.int(4095) - 2047);
  const b = Array.from({ length: n }, () => rng.int(4095) - 2047);
  const interleaved = a.flatMap((v, t) => [v, b[t]]);
  Deno.writeFileSync(join(dir, "fz.dat"), encode212(interleaved));
  const sum = (xs: number[]) => wfdbChecksum(Int16Array.from(xs));
  const header212 = `fz 2 360 ${n}\n` +
    `fz.dat 212 200 11 1024 ${a[0]} ${sum(a)} 0 MLII\n` +
    `fz.dat 212 200 11 1024 ${b[0]} ${sum(b)} 0 V5\n`;
  Deno.writeTextFileSync(join(dir, "fz.hea"), header212);
  const c = Array.from({ length: 300 }, () => rng.int(65535) - 32767);
  const bytes16 = new Uint8Array(2 * c.length);
  c.forEach((v, t) => new DataView(bytes16.buffer).setInt16(2 * t, v, true));
  Deno.writeFileSync(join(dir, "g.dat"), bytes16);
  const header16 = `g 1 250 300\r\ng.dat 16 100(5)/uV 16 0 ${c[0]} ${sum(c)} 0 EEG\r\n`;
  Deno.writeTextFileSync(join(dir, "g.hea"), header16);
  return { header212, header16, dat212: encode212(interleaved), dat16: bytes16 };
}

function damageHeader(text: string, rng: Rng): string {
  const lines = text.split(/(?<=\n)/);
  const kind = rng.int(8);
  if (kind === 0) return pick(rng, ["", "   \n", "# only a comment\n", "\n\n"]);
  if (kind === 1) {
    // A numeric field replaced by a bad token or an inconsistent value.
    const line = rng.int(lines.length);
    const fields = lines[line].trimEnd().split(" ");
    const index = line === 0 ? 1 + rng.int(3) : 1 + rng.int(7);
    const original = Number(fields[index].split(/[(/]/)[0]);
    const semantic = line === 0
      ? [["0", "-1", "3", "9"], ["0", "-360"], [
        String(original + 1),
        String(original - 1),
        "-5",
      ]][index - 1]
      : [
        ["311", "8", "212x2", "212:-3", "999", "16"],
        ["-5", "200(1.5)", "200/"],
        ["1.5"],
        ["1.5", "2e3"],
        [
          String(original + 1),
          "1.5",
        ],
        [String(original + 1), "99999"],
        ["512", "1.5"],
      ][index - 1];
    const tokens = [...BAD_NUMBERS, ...semantic].filter((t) =>
      t !== "" || index !== fields.length - 1
    );
    fields[index] = pick(rng, tokens);
    lines[line] = fields.join(" ") + (lines[line].endsWith("\r\n") ? "\r\n" : "\n");
    return lines.join("");
  }
  if (kind === 2) return lines.filter((_, i) => i !== 1 + rng.int(lines.length - 1)).join(""); // Drop a signal line.
  if (kind === 3) return [...lines, lines[1 + rng.int(lines.length - 1)]].join(""); // Duplicate one.
  if (kind === 4) {
    const [first, ...rest] = lines;
    const name = first.split(" ")[0];
    return [
      first.replace(name, pick(rng, [`${name}/2`, `x${name}`, `${name}/0`, `${name}?`])),
      ...rest,
    ].join("");
  }
  if (kind === 5) {
    const at = rng.int(text.length + 1);
    // Control characters only: non-ASCII text is read (UTF-8 or Latin-1), see wfdb_fuzz_test.ts.
    return text.slice(0, at) + pick(rng, ["\0", "\x01", "\x7f", "\x1b"]) + text.slice(at);
  }
  if (kind === 6) return text.slice(0, rng.int(text.length - lines.at(-1)!.length)); // Truncated.
  return text +
    Array.from({ length: 1 + rng.int(20) }, () => String.fromCharCode(33 + rng.int(90))).join("") +
    "\n";
}

Deno.test("fuzz: damaged WFDB headers raise DataFormatError naming file and field", () => {
  const rng = makeRng(101);
  const dir = Deno.makeTempDirSync();
  try {
    const { header212, header16 } = writeWfdbFixtures(dir, rng);
    const reference = { fz: readWfdbRecord(dir, "fz"), g: readWfdbRecord(dir, "g") };
    let raised = 0;
    for (let i = 0; i < CASES; i++) {
      const record = i % 2 === 0 ? "fz" : "g";
      const text = damageHeader(record === "fz" ? header212 : header16, rng);
      const path = join(dir, `${record}.hea`);
      Deno.writeFileSync(path, encoder.encode(text));
      // The header's own errors name the .hea; length, checksum and initial-value errors the .dat.
      const run = () => readWfdbRecord(dir, record);
      const files = [path, join(dir, `${record}.dat`)];
      if (checkDamaged(`header case ${i} ${JSON.stringify(text)}`, files, run, reference[record])) {
        raised++;
      }
    }
    assert.ok(raised >= 200, `only ${raised} of ${CASES} cases raised`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("fuzz: damaged WFDB signal files raise DataFormatError naming file and field", () => {
  const rng = makeRng(202);
  const dir = Deno.makeTempDirSync();
  try {
    const { dat212, dat16 } = writeWfdbFixtures(dir, rng);
    let raised = 0;
    for (let i = 0; i < CASES; i++) {
      const record = i % 2 === 0 ? "fz" : "g";
      const original = record === "fz" ? dat212 : dat16;
      const kind = rng.int(5);
      let bytes: Uint8Array;
      if (kind === 0) bytes = original.subarray(0, rng.int(original.length)); // Truncated (maybe empty).
      else if (kind === 1) {
        bytes = splice(
          original,
          original.length,
          0,
          Array.from({ length: 1 + rng.int(6) }, () => rng.int(256)),
        );
      } else if (kind === 2) {
        bytes = original.slice();
        const at = rng.int(bytes.length);
        bytes[at] = (bytes[at] + 1 + rng.int(255)) & 0xff; // One byte changed.
      } else if (kind === 3) bytes = Uint8Array.from(original, () => rng.int(256)); // Garbage of the right length.
      else bytes = splice(original, rng.int(original.length), 1 + rng.int(3)); // Bytes cut out.
      const path = join(dir, `${record}.dat`);
      Deno.writeFileSync(path, bytes);
      if (
        checkDamaged(`dat case ${i} kind ${kind}`, path, () => readWfdbRecord(dir, record), null)
      ) {
        raised++;
      }
    }
    assert.equal(raised, CASES);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function word(a: number, i: number): number[] {
  const w = (a << 10) | (i & 0x3ff);
  return [w & 0xff, w >> 8];
}

Deno.test("fuzz: damaged annotation files raise DataFormatError naming file and field", () => {
  const rng = makeRng(303);
  const dir = Deno.makeTempDirSync();
  try {
    const mitdb = join(sharedDatasetsDir(), "mitdb");
    const originals = ["100", "201"].map((r) => Deno.readFileSync(join(mitdb, `${r}.atr`)));
    let raised = 0;
    for (let i = 0; i < CASES; i++) {
      const original = originals[i % 2];
      const eof = original.length - 2; // The end-of-file word.
      const kind = rng.int(9);
      let bytes: Uint8Array;
      if (kind === 0) {
        bytes = rng.int(2) === 0
          ? original.subarray(0, original.length - 1)
          : splice(original, eof, 0, [rng.int(256)]);
      } else if (kind === 1) bytes = original.subarray(0, 2 * rng.int(original.length / 2)); // Even truncation.
      else if (kind === 2) {
        bytes = splice(original, original.length, 0, word(1 + rng.int(49), rng.int(1024))); // After EOF.
      } else if (kind === 3) {
        bytes = splice(original, pick(rng, [0, eof]), 0, word(50 + rng.int(9), rng.int(1024))); // Bad code.
      } else if (kind === 4) {
        bytes = splice(original, 0, 0, word(pick(rng, [61, 63]), 1 + rng.int(8))); // Modifier first.
      } else if (kind === 5) bytes = splice(original, eof, 0, word(63, 3 + rng.int(1021))); // AUX past the end.
      else if (kind === 6) {
        bytes = splice(original, eof, 2, [...word(59, 0), rng.int(256), rng.int(256)]); // Cut SKIP.
      } else if (kind === 7) {
        // A negative SKIP is legal; one in place of the end-of-file word leaves the file unended.
        bytes = splice(original, eof, 2, [...word(59, 0), rng.int(256), 0x80 | rng.int(64), 0, 0]);
      } else bytes = new Uint8Array(0);
      Deno.writeFileSync(join(dir, "m.atr"), bytes);
      if (
        checkDamaged(
          `atr case ${i} kind ${kind}`,
          join(dir, "m.atr"),
          () => readWfdbAnnotations(dir, "m"),
          null,
        )
      ) raised++;
    }
    assert.equal(raised, CASES);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// EDF

const MAIN_FIELDS: [string, number, number][] = [
  ["version", 0, 8],
  ["start date", 168, 8],
  ["start time", 176, 8],
  ["header bytes", 184, 8],
  ["reserved", 192, 44],
  ["number of data records", 236, 8],
  ["data record duration", 244, 8],
  ["number of signals", 252, 4],
];
/** Signal-column offsets (in units of nSignals) and widths after the main header. */
const COLUMNS: [string, number, number][] = [
  ["label", 0, 16],
  ["physical minimum", 104, 8],
  ["physical maximum", 112, 8],
  ["digital minimum", 120, 8],
  ["digital maximum", 128, 8],
  ["samples per record", 216, 8],
];

function fuzzSpec(): EdfSpec {
  const rng = makeRng(9);
  const n = 3;
  return {
    patient: "X F X Fuzz",
    recording: "Startdate 01-JAN-1990 X X X",
    startDate: "01.01.90",
    startTime: "23.00.00",
    reserved: "EDF+C",
    recordDuration: 1,
    nRecords: n,
    signals: [{
      label: "EEG Fpz-Cz",
      transducer: "",
      physicalDimension: "uV",
      physicalMin: -100,
      physicalMax: 100,
      digitalMin: -2048,
      digitalMax: 2047,
      prefiltering: "",
      samplesPerRecord: 50,
      data: Float64Array.from({ length: 50 * n }, () => 30 * rng.normal()),
    }],
    annotations: [[{ onset: 0, duration: 30, text: "Sleep stage W" }], [], [{
      onset: 2.5,
      text: "Arousal",
    }]],
  };
}

/** Byte positions of TAL structure (`+`, 0x14, 0x15, terminators), text letters and padding. */
function talLayout(bytes: Uint8Array, start: number, length: number) {
  const structure: number[] = [],
    letters: number[] = [],
    digits: number[] = [],
    padding: number[] = [];
  let last = start;
  for (let p = start; p < start + length; p++) if (bytes[p] !== 0) last = p;
  for (let p = start; p < start + length; p++) {
    const b = bytes[p];
    if (p > last + 1) padding.push(p);
    else if (b === 0x2b || b === 0x14 || b === 0x15 || b === 0) structure.push(p);
    else if (b >= 0x30 && b <= 0x39) digits.push(p);
    else letters.push(p);
  }
  return { structure, letters, digits, padding };
}

function damageEdf(
  original: Uint8Array,
  rng: Rng,
  tal: { start: number; length: number }[],
): Uint8Array {
  const ns = Number(new TextDecoder().decode(original.subarray(252, 256)));
  const kind = rng.int(8);
  if (kind === 0) {
    const [name, offset, width] = pick(rng, MAIN_FIELDS);
    const semantic: Record<string, string[]> = {
      "version": ["1", "0.0", "EDF"],
      "start date": ["1.1.90", "aa.bb.cc", "01/01/90"],
      "start time": ["23:00:00", "23.00"],
      "header bytes": [String(256 * ns), String(256 * (ns + 2))],
      "reserved": ["EDF+D"],
      "number of data records": ["0", "-2", "99", String(tal.length + 1)],
      "data record duration": ["-1", "0"],
      "number of signals": ["0", String(ns + 1), String(ns - 1), "5000"],
    };
    const tokens = name === "reserved" ? semantic[name] : [...BAD_NUMBERS, ...semantic[name]];
    return setField(original, offset, width, pick(rng, tokens));
  }
  if (kind === 1) {
    const [name, offset, width] = pick(rng, COLUMNS);
    const signal = rng.int(ns);
    const semantic: Record<string, string[]> = {
      "label": ["\x01bad", "EEG\x7f"], // (0x80–0xff is Latin-1 text, see edf_test.ts)
      "physical minimum": ["100"],
      "physical maximum": ["-100"],
      "digital minimum": ["2047", "-40000", "5000"],
      "digital maximum": ["-2048", "40000", "-3000"],
      "samples per record": ["0", "-3", "51", "1e2"],
    };
    const at = 256 + ns * offset + signal * width;
    const tokens = name === "label" ? semantic[name] : [...BAD_NUMBERS, ...semantic[name]];
    const token = pick(rng, tokens);
    const out = original.slice();
    const text = token.padEnd(width, " ").slice(0, width);
    for (let k = 0; k < width; k++) out[at + k] = text.charCodeAt(k) & 0xff;
    return out;
  }
  if (kind === 2) return original.subarray(0, rng.int(original.length)); // Truncated (maybe empty).
  if (kind === 3) {
    return splice(
      original,
      original.length,
      0,
      Array.from({ length: 1 + rng.int(9) }, () => rng.int(256)),
    );
  }
  if (kind === 4) {
    // A control byte in a header text field (bytes above 0x7f are read as Latin-1, see edf_test.ts).
    const out = original.slice();
    out[pick(rng, [8 + rng.int(80), 88 + rng.int(80), 256 + rng.int(16 * ns)])] = pick(rng, [
      0,
      1,
      0x7f,
      0x1b,
    ]);
    return out;
  }
  // Broken TAL structure in one data record.
  const record = pick(rng, tal);
  const layout = talLayout(original, record.start, record.length);
  const out = original.slice();
  if (kind === 5) out[pick(rng, layout.structure)] = pick(rng, [0x01, 0x15, 0xff, 0x7f]);
  else if (kind === 6) out[pick(rng, layout.digits)] = pick(rng, [0x41, 0x78, 0x20, 0x2b]);
  else out[pick(rng, [...layout.letters, ...layout.padding])] = pick(rng, [0x01, 0x0a, 0xff, 0xc3]);
  return out;
}

/** Where each data record's annotation signal lies in an EDF+ file. */
function talRegions(bytes: Uint8Array): { start: number; length: number }[] {
  const { header } = readEdf(bytes);
  const sizes = header.signals.map((s) => 2 * s.samplesPerRecord);
  const recordBytes = sizes.reduce((a, b) => a + b, 0);
  const index = header.signals.findIndex((s) => s.label === "EDF Annotations");
  const before = sizes.slice(0, index).reduce((a, b) => a + b, 0);
  return Array.from({ length: header.nRecords }, (_, r) => ({
    start: header.headerBytes + r * recordBytes + before,
    length: sizes[index],
  }));
}

Deno.test("fuzz: damaged EDF files raise DataFormatError naming file and field", () => {
  const rng = makeRng(404);
  const original = writeEdf(fuzzSpec());
  // Arrays compared: a damage the reader accepts (e.g. the unused physical range
  // of the annotation signal) must leave every signal and annotation as it was.
  const arrays = (bytes: Uint8Array) => {
    const { signals, annotations } = readEdf(bytes, { file: "fuzz.edf" });
    return { signals, annotations };
  };
  const reference = arrays(original);
  const tal = talRegions(original);
  let raised = 0;
  for (let i = 0; i < CASES; i++) {
    const bytes = damageEdf(original, rng, tal);
    if (checkDamaged(`edf case ${i}`, "fuzz.edf", () => arrays(bytes), reference)) raised++;
  }
  assert.ok(raised >= 200, `only ${raised} of ${CASES} cases raised`);
});

Deno.test("fuzz: damaged Sleep-EDF hypnograms raise DataFormatError naming file and field", () => {
  const rng = makeRng(505);
  const dir = Deno.makeTempDirSync();
  try {
    const source = join(sharedDatasetsDir(), "sleep-edf");
    const names = [...Deno.readDirSync(source)].map((e) => e.name).filter((n) => n.endsWith(".edf"))
      .sort();
    let raised = 0;
    for (let i = 0; i < CASES; i++) {
      const name = names[i % names.length];
      const original = Deno.readFileSync(join(source, name));
      const reference = readSleepEdfHypnogram(join(source, name));
      const text = new TextDecoder("latin1").decode(original);
      const kind = rng.int(6);
      let bytes: Uint8Array;
      if (kind === 0) {
        // A stage letter that is no stage.
        const stages = [...text.matchAll(/Sleep stage (.)/g)].map((m) => m.index! + 12);
        bytes = original.slice();
        bytes[pick(rng, stages)] = pick(
          rng,
          [...encoder.encode("05wrZx?")].filter((c) => c !== 0x3f),
        );
      } else if (kind === 1) {
        // An onset moved off the 30-s grid (onsets are multiples of 30, so end in 0).
        // An onset followed by its duration: `+<digits>` then 0x15.
        const onsetThenDuration = new RegExp("\\+\\d+(?=\x15)", "g");
        const onsets = [...text.matchAll(onsetThenDuration)].map((m) => m.index! + m[0].length - 1);
        bytes = original.slice();
        bytes[pick(rng, onsets)] = 0x31 + rng.int(9);
      } else if (kind === 2) {
        const texts = [...text.matchAll(/Movement time|Sleep stage/g)].map((m) => m.index! + 2);
        bytes = original.slice();
        bytes[pick(rng, texts)] = pick(rng, [0x01, 0x59, 0xff]);
      } else if (kind === 3) {
        bytes = damageEdf(original, rng, talRegions(original));
      } else if (kind === 4) {
        bytes = original.subarray(0, rng.int(original.length));
      } else {
        bytes = splice(original, original.length, 0, [rng.int(256), rng.int(256)]);
      }
      const path = join(dir, name);
      Deno.writeFileSync(path, bytes);
      if (
        checkDamaged(
          `hypnogram case ${i} kind ${kind}`,
          path,
          () => readSleepEdfHypnogram(path),
          reference,
        )
      ) raised++;
    }
    // Stage lists handed over directly.
    const stageTexts = ["Sleep stage W", "Sleep stage 2", "Sleep stage R"];
    for (let i = 0; i < 60; i++) {
      const annotations = Array.from({ length: 3 + rng.int(5) }, (_, k) => ({
        onset: 30 * k,
        duration: 30,
        text: pick(rng, stageTexts),
      }));
      const k = rng.int(annotations.length);
      const damage = rng.int(4);
      if (damage === 0) {
        annotations[k].onset = pick(rng, [NaN, Infinity, -Infinity, -30, 30 * k + 7]);
      } else if (damage === 1) annotations[k].duration = pick(rng, [NaN, Infinity, -30]);
      else if (damage === 2) {
        annotations[k].text = pick(rng, ["Sleep stage 5", "", "W", "sleep stage w"]);
      } else annotations[k].onset = k === 0 ? -60 : 30 * (k - 1) - 30 * rng.int(2);
      const run = () => sleepStagesFromHypnogram(annotations, { file: "list.edf" });
      if (checkDamaged(`annotation list ${i} damage ${damage}`, "list.edf", run, null)) raised++;
    }
    assert.ok(raised >= 200, `only ${raised} cases raised`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
