import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeWfdbAnnotations,
  parseWfdbHeader,
  readWfdbAnnotations,
  readWfdbRecord,
  rhythmIntervals,
  wfdbChecksum,
} from "../lib/data/wfdb/mod.ts";
import { DataFormatError, MissingDataError } from "../lib/errors.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
import { assertClose, readGolden } from "./_util.ts";

const MITDB = join(sharedDatasetsDir(), "mitdb");

interface GoldenRecord {
  header: {
    fs: number;
    n_samples: number;
    n_signals: number;
    signal_names: string[];
    units: string[];
    gain: number[];
    baseline: number[];
    format: number[];
    initial_value: number[];
    checksum: number[];
  };
  n_samples_decoded: number;
  checksum_ok: boolean[];
  first_initial_ok: boolean[];
  first_samples_physical: number[][];
  first_samples_adc: number[][];
  annotations: {
    count: number;
    symbol_counts: Record<string, number>;
    sample: number[];
    symbol: string[];
    aux: string[];
    aux_count: number;
  };
  rhythm_intervals: [number, number, string][];
}

const golden = readGolden<{ mitdb: Record<string, GoldenRecord> }>("data.json").mitdb;

for (const record of ["100", "201"]) {
  Deno.test(`wfdb: record ${record} header and samples match the golden`, () => {
    const g = golden[record];
    const r = readWfdbRecord(MITDB, record);
    assert.equal(r.name, record);
    assert.equal(r.fs, g.header.fs);
    assert.equal(r.nSamples, g.header.n_samples);
    assert.equal(r.signals.length, g.header.n_signals);
    assert.deepEqual(r.signals.map((s) => s.name), g.header.signal_names);
    assert.deepEqual(r.signals.map((s) => s.units), g.header.units);
    assert.deepEqual(r.signals.map((s) => s.gain), g.header.gain);
    assert.deepEqual(r.signals.map((s) => s.baseline), g.header.baseline);
    assert.deepEqual(r.signals.map((s) => s.format), g.header.format);
    assert.deepEqual(r.signals.map((s) => s.initialValue), g.header.initial_value);
    assert.deepEqual(r.signals.map((s) => s.checksum), g.header.checksum);
    r.signals.forEach((s, c) => {
      assert.equal(s.data.length, g.n_samples_decoded);
      assert.equal(wfdbChecksum(s.adc) === g.header.checksum[c], g.checksum_ok[c]);
      assert.equal(s.adc[0] === g.header.initial_value[c], g.first_initial_ok[c]);
      const n = g.first_samples_adc[c].length;
      assert.deepEqual(Array.from(s.adc.subarray(0, n)), g.first_samples_adc[c]);
      // Float32 storage: within half an ulp of the float64 golden.
      assertClose(s.data.subarray(0, n), g.first_samples_physical[c], {
        rtol: 1e-7,
        atol: 1e-7,
        label: `${record} signal ${c} physical`,
      });
    });
  });

  Deno.test(`wfdb: record ${record} annotations and rhythms match the golden`, () => {
    const g = golden[record];
    const a = readWfdbAnnotations(MITDB, record);
    assert.equal(a.sample.length, g.annotations.count);
    for (const field of ["code", "symbol", "aux", "subtype", "chan", "num"] as const) {
      assert.equal(a[field].length, g.annotations.count, field);
    }
    const counts: Record<string, number> = {};
    for (const s of a.symbol) counts[s] = (counts[s] ?? 0) + 1;
    assert.deepEqual(counts, g.annotations.symbol_counts);
    const n = g.annotations.sample.length;
    assert.deepEqual(Array.from(a.sample.subarray(0, n)), g.annotations.sample);
    assert.deepEqual(a.symbol.slice(0, n), g.annotations.symbol);
    assert.deepEqual(a.aux.slice(0, n), g.annotations.aux);
    assert.equal(a.aux.filter((s) => s !== "").length, g.annotations.aux_count);
    const rhythms = rhythmIntervals(a, g.header.n_samples);
    assert.deepEqual(rhythms.map((r) => [r.start, r.end, r.rhythm]), g.rhythm_intervals);
  });
}

Deno.test("wfdb: all 48 MIT-BIH records and annotations read with verified checksums", () => {
  const records = Deno.readTextFileSync(join(MITDB, "RECORDS")).trim().split(/\s+/);
  assert.equal(records.length, 48);
  const rhythms = new Set<string>();
  for (const record of records) {
    const r = readWfdbRecord(MITDB, record);
    assert.equal(r.nSamples, 650000, record);
    assert.equal(r.signals.length, 2, record);
    for (const s of r.signals) {
      assert.equal(wfdbChecksum(s.adc), s.checksum, `${record} ${s.name}`);
      assert.equal(s.adc[0], s.initialValue, `${record} ${s.name}`);
    }
    const a = readWfdbAnnotations(MITDB, record);
    assert.ok(a.sample.length > 0, record);
    for (let i = 1; i < a.sample.length; i++) {
      assert.ok(a.sample[i] >= a.sample[i - 1], `${record}: annotation ${i} out of order`);
    }
    for (const interval of rhythmIntervals(a, r.nSamples)) rhythms.add(interval.rhythm);
  }
  // The rhythm labels of the MIT-BIH Arrhythmia Database directory, and no others.
  assert.deepEqual(
    [...rhythms].sort(),
    [
      "AB",
      "AFIB",
      "AFL",
      "B",
      "BII",
      "IVR",
      "N",
      "NOD",
      "P",
      "PREX",
      "SBR",
      "SVTA",
      "T",
      "VFL",
      "VT",
    ],
  );
});

Deno.test("wfdb: header lines may end in CR LF; defaults follow the WFDB spec", () => {
  const header = parseWfdbHeader(
    "rec 2 500 1000\r\n# comment\r\nrec.dat 16 100(-5)/uV 16 3 7 123 0 lead I\r\nrec.dat 16\r\n",
    "rec.hea",
  );
  assert.equal(header.fs, 500);
  assert.equal(header.nSamples, 1000);
  assert.deepEqual(
    [
      header.signals[0].gain,
      header.signals[0].baseline,
      header.signals[0].units,
      header.signals[0].name,
    ],
    [100, -5, "uV", "lead I"],
  );
  assert.deepEqual([
    header.signals[0].adcZero,
    header.signals[0].initialValue,
    header.signals[0].checksum,
  ], [3, 7, 123]);
  // Absent gain → 200 adu/mV, baseline = ADC zero = 0, units mV.
  assert.deepEqual(
    [
      header.signals[1].gain,
      header.signals[1].baseline,
      header.signals[1].units,
      header.signals[1].initialValue,
    ],
    [200, 0, "mV", undefined],
  );
});

Deno.test("wfdb: a format-16 record round-trips and its checksum is enforced", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const a = [5, -3, 32767, -32768, 0, 100];
    const b = [-1, 2, 3, 4, -5, 6];
    const bytes = new Uint8Array(4 * a.length);
    const view = new DataView(bytes.buffer);
    a.forEach((v, t) => {
      view.setInt16(4 * t, v, true);
      view.setInt16(4 * t + 2, b[t], true);
    });
    Deno.writeFileSync(join(dir, "r16.dat"), bytes);
    const sum = (xs: number[]) => wfdbChecksum(Int16Array.from(xs));
    Deno.writeTextFileSync(
      join(dir, "r16.hea"),
      `r16 2 128 ${a.length}\nr16.dat 16 50(10)/uV 16 0 5 ${sum(a)} 0 A\nr16.dat 16 10 16 0 -1 ${
        sum(b)
      } 0 B\n`,
    );
    const r = readWfdbRecord(dir, "r16");
    assert.deepEqual(Array.from(r.signals[0].adc), a);
    assert.deepEqual(Array.from(r.signals[1].adc), b);
    // −32768 marks an invalid sample in format 16: digital WFDB_INVALID_SAMPLE, physical NaN.
    assert.ok(Number.isNaN(r.signals[0].data[3]));
    const valid = (xs: ArrayLike<number>) => Array.from(xs).filter((_, t) => t !== 3);
    assertClose(Float32Array.from(valid(r.signals[0].data)), valid(a.map((v) => (v - 10) / 50)), {
      rtol: 1e-6,
      label: "A",
    });
    assertClose(r.signals[1].data, b.map((v) => v / 10), { rtol: 1e-6, label: "B" });

    Deno.writeTextFileSync(
      join(dir, "r16.hea"),
      `r16 2 128 ${a.length}\nr16.dat 16 50 16 0 5 ${sum(a) + 1} 0 A\nr16.dat 16 10 16 0 -1 ${
        sum(b)
      } 0 B\n`,
    );
    assert.throws(() => readWfdbRecord(dir, "r16"), (e: unknown) => {
      assert.ok(e instanceof DataFormatError);
      assert.match(e.message, /r16\.dat/);
      assert.match(e.message, /signal 0 \(A\) checksum/);
      return true;
    });
    Deno.writeTextFileSync(
      join(dir, "r16.hea"),
      `r16 2 128 ${a.length}\nr16.dat 16 50 16 0 6 ${sum(a)} 0 A\nr16.dat 16 10 16 0 -1 ${
        sum(b)
      } 0 B\n`,
    );
    assert.throws(() => readWfdbRecord(dir, "r16"), /signal 0 \(A\) initial value/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("wfdb: a multi-segment header with an empty segment after the first is refused", () => {
  assert.throws(
    () => parseWfdbHeader("multi/3 2 360 1000\nseg1 500\nseg2 500\nseg3 0\n", "multi.hea"),
    (e: unknown) =>
      e instanceof DataFormatError && /multi\.hea: line 4 segment length/.test(e.message),
  );
});

Deno.test("wfdb: annotation modifiers SKIP, NUM, SUB, CHN and AUX", () => {
  const words: number[] = [];
  const word = (a: number, i: number) => words.push((a << 10) | i);
  word(1, 10); // N at 10
  word(61, 3); // SUB 3
  word(62, 1); // CHN 1 (persists)
  word(63, 3); // AUX "(N" + NUL, padded
  const aux = [0x28, 0x4e, 0x00, 0x00];
  const bytes: number[] = [];
  const flush = () => {
    for (const w of words.splice(0)) bytes.push(w & 0xff, w >> 8);
  };
  flush();
  bytes.push(...aux);
  word(59, 0); // SKIP 70000 (PDP-11 order: high word first)
  flush();
  bytes.push(1, 0, 0x70, 0x11);
  word(5, 0); // V at 10 + 70000
  word(60, 2); // NUM 2 (persists)
  word(28, 5); // + at 70015
  word(63, 5);
  flush();
  bytes.push(...new TextEncoder().encode("(AFIB"), 0);
  word(0, 0);
  flush();
  const a = decodeWfdbAnnotations(Uint8Array.from(bytes), "x.atr");
  assert.deepEqual(Array.from(a.sample), [10, 70010, 70015]);
  assert.deepEqual(a.symbol, ["N", "V", "+"]);
  assert.deepEqual(Array.from(a.code), [1, 5, 28]);
  assert.deepEqual(Array.from(a.subtype), [3, 0, 0]);
  assert.deepEqual(Array.from(a.chan), [1, 1, 1]);
  assert.deepEqual(Array.from(a.num), [0, 2, 2]);
  assert.deepEqual(a.aux, ["(N", "", "(AFIB"]);
  assert.deepEqual(rhythmIntervals(a, 80000), [
    { start: 10, end: 70015, rhythm: "N" },
    { start: 70015, end: 80000, rhythm: "AFIB" },
  ]);
});

Deno.test("wfdb: a missing directory gives MissingDataError naming files and `deno task data`", () => {
  const dir = join(Deno.makeTempDirSync(), "nowhere", "mitdb");
  for (const read of [() => readWfdbRecord(dir, "100"), () => readWfdbAnnotations(dir, "100")]) {
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof MissingDataError);
      assert.match(e.message, /100\.(hea|atr)/);
      assert.match(e.message, /deno task data/);
      return true;
    });
  }
});

Deno.test("wfdb: PhysioNet's CR LF header of record 100 reads like the LF copy", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const text = Deno.readTextFileSync(join(MITDB, "100.hea"));
    assert.ok(!text.includes("\r"));
    Deno.writeTextFileSync(join(dir, "100.hea"), text.replace(/\n/g, "\r\n"));
    Deno.symlinkSync(join(MITDB, "100.dat"), join(dir, "100.dat"));
    const crlf = readWfdbRecord(dir, "100");
    const lf = readWfdbRecord(MITDB, "100");
    assert.deepEqual(crlf.signals.map((s) => s.name), ["MLII", "V5"]);
    assert.deepEqual(crlf, lf);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
