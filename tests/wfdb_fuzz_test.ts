/**
 * Seeded fuzzing of the WFDB formats and layouts added to the readers: every
 * format's signal file, FLAC streams, headers with samples per frame, skew
 * and offsets, multi-segment headers and non-ASCII header text. Each damaged
 * input must raise a DataFormatError naming the file and a field, or read
 * exactly as the undamaged input — never another array, a hang or a bare
 * RangeError.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as FlacApi from "libflacjs/dist/libflac.js";
import {
  loadWfdbFlacDecoder,
  readWfdbRecord,
  WFDB_INVALID_SAMPLE,
  type WfdbRecord,
} from "../lib/data/wfdb/mod.ts";
import { makeRng, type Rng } from "../lib/random.ts";
import { type SignalToWrite, writeMultiSegment, writeRecord } from "./_wfdb_writer.ts";
import { checkDamaged, pick } from "./_fuzz.ts";

const CASES = 200;

/** A damaged copy of `bytes` (`length`: its length changed): truncated, extended, bytes cut, one byte changed, or garbage. */
function damage(bytes: Uint8Array, rng: Rng): { bytes: Uint8Array; length: boolean } {
  const kind = rng.int(5);
  if (kind === 0) return { bytes: bytes.slice(0, rng.int(bytes.length)), length: true };
  if (kind === 1) {
    const extra = Array.from({ length: 1 + rng.int(7) }, () => rng.int(256));
    return { bytes: Uint8Array.from([...bytes, ...extra]), length: true };
  }
  if (kind === 2) {
    const at = rng.int(bytes.length), n = 1 + rng.int(3);
    return {
      bytes: Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + n)]),
      length: true,
    };
  }
  if (kind === 3) {
    const out = bytes.slice();
    const at = rng.int(out.length);
    out[at] = (out[at] + 1 + rng.int(255)) & 0xff;
    return { bytes: out, length: false };
  }
  return { bytes: Uint8Array.from(bytes, () => rng.int(256)), length: false };
}

/** A typed error naming a file (true), or a record of `n` frames (false). */
function readOrRaise(
  label: string,
  files: string[],
  run: () => { nSamples: number },
  n: number,
): boolean {
  try {
    assert.equal(run().nSamples, n, label);
    return false;
  } catch (e) {
    return checkDamaged(label, files, () => {
      throw e;
    }, null);
  }
}

function series(rng: Rng, n: number, bits: number): number[] {
  let v = 0;
  const max = 2 ** (bits - 1) - 1;
  return Array.from(
    { length: n },
    () => (v = Math.max(-max, Math.min(max, v + rng.int(101) - 50))),
  );
}

const FORMATS: [number, number][] = [
  [8, 8],
  [24, 24],
  [32, 32],
  [160, 16],
  [310, 10],
  [311, 10],
  [80, 8],
  [61, 16],
  [516, 16],
  [524, 24],
  [508, 8],
];

for (const [format, bits] of FORMATS) {
  Deno.test(`wfdb fuzz: ${CASES} damaged format-${format} signal files`, async () => {
    const flac = format > 500 ? await loadFlac() : undefined;
    const rng = makeRng(format);
    const dir = Deno.makeTempDirSync();
    try {
      const n = format > 500 ? 300 : 40;
      const signals: SignalToWrite[] = [
        { name: "A", format, values: series(rng, n, bits) },
        { name: "B", format, values: series(rng, 2 * n, bits), samplesPerFrame: 2, skew: 1 },
      ];
      writeRecord(dir, "z", 200, n, signals, flac);
      const path = join(dir, "z.dat");
      const original = Deno.readFileSync(path);
      const reference = readWfdbRecord(dir, "z");
      let raised = 0;
      for (let i = 0; i < CASES; i++) {
        const { bytes, length } = damage(original, rng);
        Deno.writeFileSync(path, bytes);
        const run = () => shortOfSkew(readWfdbRecord(dir, "z"), reference);
        if (length || format > 500) {
          if (checkDamaged(`fmt ${format} case ${i}`, [path], run, reference)) raised++;
        } else {
          // A changed byte the 16-bit checksum cannot see (the high bytes of 24- and
          // 32-bit samples, frames read past the header length for skew) is as
          // undetectable here as in WFDB: it must still raise or read a whole record.
          raised += readOrRaise(`fmt ${format} case ${i}`, [path], run, n) ? 1 : 0;
        }
      }
      assert.ok(raised >= 0.6 * CASES, `only ${raised} of ${CASES} raised`);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

/**
 * A file cut to between the header's length and the skew read-ahead reads
 * leniently, with a warning: the samples it holds as before, the skewed
 * signal's missing tail invalid. Such a read counts as the reference.
 */
function shortOfSkew(r: WfdbRecord, reference: WfdbRecord): WfdbRecord {
  if (!r.warnings.some((w) => /skewed samples past the end are invalid/.test(w))) return r;
  assert.deepEqual(r.signals[0].adc, reference.signals[0].adc);
  const skewed = r.signals[1].adc, before = reference.signals[1].adc;
  assert.ok(skewed.every((v, i) => v === before[i] || v === WFDB_INVALID_SAMPLE));
  return reference;
}

async function loadFlac(): Promise<typeof FlacApi> {
  await loadWfdbFlacDecoder();
  return (FlacApi as unknown as { default: typeof FlacApi }).default;
}

const HEADER_TOKENS = [
  "212x0",
  "212x",
  "16:-1",
  "16x99999999",
  "16+-1",
  "310x2:1+3",
  "311:1",
  "8x3",
  "24+4",
  "32x2",
  "160:99999999999999999999",
  "525",
  "0",
  "516x2",
  "16x2:2x2",
  "212+",
  "61:",
  "x2",
  "80x1:0+0",
];

Deno.test(`wfdb fuzz: ${CASES} damaged headers with samples per frame, skew and offsets`, () => {
  const rng = makeRng(23);
  const dir = Deno.makeTempDirSync();
  try {
    const header = writeRecord(dir, "h", 100, 12, [
      { name: "A", format: 310, values: series(rng, 24, 10), samplesPerFrame: 2 },
      { name: "B", format: 310, values: series(rng, 12, 10), skew: 2 },
      { name: "C", format: 24, values: series(rng, 12, 24), fileName: "h_2.dat", byteOffset: 3 },
    ]);
    const reference = readWfdbRecord(dir, "h");
    const files = ["h.hea", "h.dat", "h_2.dat"].map((f) => join(dir, f));
    let raised = 0;
    for (let i = 0; i < CASES; i++) {
      const lines = header.split("\n");
      const line = 1 + rng.int(3);
      const fields = lines[line].split(" ");
      const field = pick(rng, [1, 1, 1, 2, 5, 6]);
      fields[field] = field === 1 ? pick(rng, HEADER_TOKENS) : pick(
        rng,
        field === 2 ? ["1e999", "-0x1", "2(", "abc", "-5"] : ["1e999", "abc", "1.5", "99999"],
      );
      lines[line] = fields.join(" ");
      Deno.writeTextFileSync(files[0], lines.join("\n"));
      if (
        checkDamaged(
          `header case ${i}: ${lines[line]}`,
          files,
          () => readWfdbRecord(dir, "h"),
          reference,
        )
      ) raised++;
    }
    assert.ok(raised >= 0.9 * CASES, `only ${raised} of ${CASES} raised`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(`wfdb fuzz: ${CASES} damaged multi-segment and layout headers`, () => {
  const rng = makeRng(2323);
  const dir = Deno.makeTempDirSync();
  try {
    writeMultiSegment(dir, "ms", 125, [
      {
        name: "ms_1",
        nFrames: 6,
        signals: [{ name: "II", format: 16, values: series(rng, 6, 16) }],
      },
      { gap: 4 },
      {
        name: "ms_2",
        nFrames: 5,
        signals: [{ name: "II", format: 212, values: series(rng, 5, 12) }],
      },
    ], [{ name: "II", gain: 200, baseline: 0, units: "mV" }, {
      name: "V",
      gain: 100,
      baseline: 0,
      units: "mV",
    }]);
    const master = Deno.readTextFileSync(join(dir, "ms.hea"));
    const layout = Deno.readTextFileSync(join(dir, "ms_layout.hea"));
    const reference = readWfdbRecord(dir, "ms");
    const files = ["ms.hea", "ms_layout.hea", "ms_1.hea", "ms_2.hea", "ms_1.dat", "ms_2.dat"].map((
      f,
    ) => join(dir, f));
    let raised = 0;
    for (let i = 0; i < CASES; i++) {
      const onLayout = rng.int(3) === 0;
      const lines = (onLayout ? layout : master).trimEnd().split("\n");
      const line = rng.int(lines.length);
      const fields = lines[line].split(" ");
      // Layout signal lines: the file, format and gain fields (the others may take any value).
      const at = onLayout && line > 0 ? 1 + rng.int(2) : rng.int(fields.length);
      const bad = ["-1", "1.5", "abc", "99999999999999999999", ""];
      fields[at] = at === 0 && line === 0 && !onLayout
        ? pick(rng, ["ms/0", "ms/x", "ms/3/1", "ms/9", "ms/-1"])
        : at === 0 && !onLayout
        ? pick(rng, ["ms_1/2", "a\\b"])
        : onLayout && line > 0
        ? pick(rng, at === 1 ? ["-1", "1.5", "abc", "7"] : ["-1", "abc", "1e999", "2(", "2/"])
        : pick(rng, bad);
      lines[line] = fields.join(" ");
      Deno.writeTextFileSync(files[onLayout ? 1 : 0], lines.join("\n") + "\n");
      Deno.writeTextFileSync(files[onLayout ? 0 : 1], onLayout ? master : layout);
      const run = () => readWfdbRecord(dir, "ms");
      if (checkDamaged(`segment case ${i}: ${lines[line]}`, files, run, reference)) raised++;
    }
    Deno.writeTextFileSync(files[0], master);
    assert.ok(raised >= 0.75 * CASES, `only ${raised} of ${CASES} raised`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(`wfdb fuzz: ${CASES} headers with non-ASCII or control bytes`, () => {
  const rng = makeRng(2324);
  const dir = Deno.makeTempDirSync();
  try {
    const header = writeRecord(dir, "u", 250, 5, [{
      name: "T",
      format: 16,
      values: [1, 2, 3, 4, 5],
      units: "C",
    }]);
    const bytes = new TextEncoder().encode(header);
    const reference = readWfdbRecord(dir, "u");
    const path = join(dir, "u.hea");
    let outcomes = 0;
    for (let i = 0; i < CASES; i++) {
      const at = rng.int(bytes.length + 1);
      const insert = pick(rng, [[0xb0], [0xb5], [0xc2, 0xb0], [0xff], [0x01], [0x7f], [0x00], [
        0xe9,
        0x41,
      ]]);
      Deno.writeFileSync(
        path,
        Uint8Array.from([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at)]),
      );
      try {
        const r = readWfdbRecord(dir, "u");
        // Read leniently: the same samples; only names, units or warnings may differ.
        assert.deepEqual(
          r.signals.map((s) => Array.from(s.adc)),
          reference.signals.map((s) => Array.from(s.adc)),
        );
        outcomes++;
      } catch (e) {
        // A renamed signal file is missing data; anything else must be a DataFormatError naming the file.
        if (e instanceof Error && e.name === "MissingDataError") continue;
        checkDamaged(`text case ${i}`, [path, join(dir, "u.dat")], () => {
          throw e;
        }, null);
        outcomes++;
      }
    }
    assert.ok(outcomes >= 0.5 * CASES, `only ${outcomes} of ${CASES} cases read or raised`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
