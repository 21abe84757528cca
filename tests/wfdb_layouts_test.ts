/**
 * Multi-segment WFDB records (fixed and variable layout, gaps) and the
 * leniencies WFDB's own tools have — each with the strict case still refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeWfdbAnnotations,
  readWfdbAnnotations,
  readWfdbRecord,
  WFDB_INVALID_SAMPLE,
} from "../lib/data/wfdb/mod.ts";
import { DataFormatError } from "../lib/errors.ts";
import { encodeAnnotations, writeMultiSegment, writeRecord } from "./_wfdb_writer.ts";

const range = (n: number, f: (t: number) => number) => Array.from({ length: n }, (_, t) => f(t));

function withDir(run: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync();
  try {
    run(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("wfdb layouts: a fixed-layout record concatenates its segments, gaps as NaN", () =>
  withDir((dir) => {
    const a1 = range(5, (t) => t), b1 = range(5, (t) => 1 - t), a2 = range(4, (t) => 100 + t);
    const b2 = range(4, (t) => 50 - t);
    writeMultiSegment(dir, "fx", 100, [
      {
        name: "fx_1",
        nFrames: 5,
        signals: [{ name: "I", format: 212, values: a1, gain: 10 }, {
          name: "II",
          format: 212,
          values: b1,
          gain: 10,
        }],
      },
      { gap: 3 },
      {
        name: "fx_2",
        nFrames: 4,
        signals: [{ name: "I", format: 16, values: a2, gain: 10 }, {
          name: "II",
          format: 16,
          values: b2,
          gain: 10,
        }],
      },
    ]);
    const r = readWfdbRecord(dir, "fx");
    assert.equal(r.nSamples, 12);
    const gap = [WFDB_INVALID_SAMPLE, WFDB_INVALID_SAMPLE, WFDB_INVALID_SAMPLE];
    assert.deepEqual(Array.from(r.signals[0].adc), [...a1, ...gap, ...a2]);
    assert.deepEqual(Array.from(r.signals[1].adc), [...b1, ...gap, ...b2]);
    assert.deepEqual(
      Array.from(r.signals[0].data),
      [...a1, NaN, NaN, NaN, ...a2].map((v) => Math.fround(v / 10)),
    );
    // A segment whose length disagrees with the master header is refused, naming it.
    const master = Deno.readTextFileSync(join(dir, "fx.hea"));
    Deno.writeTextFileSync(
      join(dir, "fx.hea"),
      master.replace("fx_2 4", "fx_2 5").replace(" 12\n", " 13\n"),
    );
    assert.throws(
      () => readWfdbRecord(dir, "fx"),
      /fx_2\.hea: record line number of samples: expected 5/,
    );
  }));

Deno.test("wfdb layouts: a variable-layout record maps signals by name and rescales gains", () =>
  withDir((dir) => {
    const ecg = range(6, (t) => 10 * t - 20),
      pleth = range(6, (t) => t * t),
      ecg2 = range(4, (t) => 3 * t + 1);
    writeMultiSegment(
      dir,
      "vl",
      125,
      [
        {
          name: "vl_1",
          nFrames: 6,
          signals: [
            {
              name: "PLETH",
              format: 80,
              values: pleth,
              gain: 1,
              baseline: 0,
              units: "NU",
              fileName: "vl_1p.dat",
            },
            { name: "II", format: 16, values: ecg, gain: 200, baseline: 0 },
          ],
        },
        { gap: 2 },
        // ECG at half the layout's gain and another baseline: WFDB's sigmap rescales it.
        {
          name: "vl_2",
          nFrames: 4,
          signals: [{ name: "II", format: 212, values: ecg2, gain: 100, baseline: 5 }],
        },
      ],
      [
        { name: "II", gain: 200, baseline: 0, units: "mV" },
        { name: "V", gain: 200, baseline: 0, units: "mV" },
        { name: "PLETH", gain: 1, baseline: 0, units: "NU" },
      ],
    );
    const r = readWfdbRecord(dir, "vl");
    assert.deepEqual(r.signals.map((s) => s.name), ["II", "V", "PLETH"]);
    assert.equal(r.nSamples, 12);
    const X = WFDB_INVALID_SAMPLE;
    // (v − 5) · 2: the segment's digital values in the layout's gain and baseline.
    assert.deepEqual(Array.from(r.signals[0].adc), [...ecg, X, X, ...ecg2.map((v) => (v - 5) * 2)]);
    assert.ok(r.signals[1].adc.every((v) => v === X) && r.signals[1].data.every(Number.isNaN));
    assert.deepEqual(Array.from(r.signals[2].adc), [...pleth, ...Array(6).fill(X)]);
    const physical = [...ecg.map((v) => v / 200), NaN, NaN, ...ecg2.map((v) => (v - 5) / 100)];
    assert.deepEqual(Array.from(r.signals[0].data), physical.map(Math.fround));
    // The master header must declare as many signals as the layout has.
    const master = Deno.readTextFileSync(join(dir, "vl.hea"));
    Deno.writeTextFileSync(join(dir, "vl.hea"), master.replace("vl/4 3", "vl/4 2"));
    assert.throws(() => readWfdbRecord(dir, "vl"), /vl\.hea: record line number of signals/);
  }));

Deno.test("wfdb leniency: checksums compare modulo 2^16; a wrong one is still refused", () =>
  withDir((dir) => {
    const v = range(4, () => 30000); // Sum 120000 ≡ 54464 (mod 2^16), written unsigned.
    const header = writeRecord(dir, "ck", 250, 4, [{ name: "x", format: 16, values: v }]);
    assert.match(header, / -11072 0 x/); // The signed form the writer prints …
    Deno.writeTextFileSync(join(dir, "ck.hea"), header.replace(" -11072 0 x", " 54464 0 x"));
    assert.equal(readWfdbRecord(dir, "ck").signals[0].checksum, -11072); // … and the unsigned one read.
    Deno.writeTextFileSync(join(dir, "ck.hea"), header.replace(" -11072 0 x", " 54465 0 x"));
    assert.throws(
      () => readWfdbRecord(dir, "ck"),
      (e: unknown) =>
        e instanceof DataFormatError && /ck\.dat: signal 0 \(x\) checksum/.test(e.message),
    );
  }));

Deno.test("wfdb leniency: a Latin-1 header is read with a warning; control bytes are refused", () =>
  withDir((dir) => {
    const header = writeRecord(dir, "t", 250, 3, [{
      name: "temp",
      format: 16,
      values: [1, 2, 3],
      units: "XC",
    }]);
    const latin1 = Uint8Array.from(header, (c) => c.charCodeAt(0)).map((b, i) =>
      header.slice(i, i + 2) === "XC" ? 0xb0 : b
    );
    Deno.writeFileSync(join(dir, "t.hea"), latin1);
    const r = readWfdbRecord(dir, "t");
    assert.equal(r.signals[0].units, "°C");
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /t\.hea: not valid UTF-8 \(byte \d+ is 0xb0\); read as Latin-1/);
    // The same text in UTF-8 reads without a warning.
    Deno.writeTextFileSync(join(dir, "t.hea"), header.replace("XC", "°C"));
    assert.deepEqual(
      [readWfdbRecord(dir, "t").signals[0].units, readWfdbRecord(dir, "t").warnings],
      ["°C", []],
    );
    Deno.writeFileSync(join(dir, "t.hea"), latin1.map((b) => (b === 0xb0 ? 0x01 : b)));
    assert.throws(() => readWfdbRecord(dir, "t"), /t\.hea: byte \d+: expected text/);
  }));

Deno.test("wfdb leniency: negative SKIPs and times beyond 2^31 in annotation files", () =>
  withDir((dir) => {
    // Label definitions at time −1 (as some writers put them), then beats up to past 2^32.
    const annotations = [
      { sample: -1, code: 22, aux: "## 42 X custom" },
      { sample: 0, code: 1 },
      { sample: 2 ** 31 + 5, code: 5, subtype: 2 },
      { sample: 2 ** 32 - 1, code: 28, aux: "(AFIB", chan: 1 },
      { sample: 2 ** 40, code: 1, num: 3 },
    ];
    const bytes = encodeAnnotations(annotations);
    Deno.writeFileSync(join(dir, "a.atr"), bytes);
    const a = readWfdbAnnotations(dir, "a");
    assert.deepEqual(Array.from(a.sample), annotations.map((x) => x.sample));
    assert.deepEqual(a.symbol, ['"', "N", "V", "+", "N"]);
    assert.deepEqual(a.aux, ["## 42 X custom", "", "", "(AFIB", ""]);
    assert.deepEqual(Array.from(a.subtype), [0, 0, 2, 0, 0]);
    assert.deepEqual(Array.from(a.chan), [0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from(a.num), [0, 0, 0, 0, 3]);
    // A SKIP cut short is still refused.
    const first = bytes.indexOf(0xec, 1); // High byte of the first SKIP word (59 << 2 = 0xec).
    assert.throws(
      () => decodeWfdbAnnotations(bytes.subarray(0, first + 3), "cut.atr"),
      (e: unknown) => e instanceof DataFormatError && /cut\.atr: byte \d+ SKIP/.test(e.message),
    );
  }));

Deno.test("wfdb files: a directory in place of a signal file is refused, naming it", () =>
  withDir((dir) => {
    writeRecord(dir, "nr", 250, 3, [{ name: "x", format: 16, values: [1, 2, 3] }]);
    Deno.removeSync(join(dir, "nr.dat"));
    Deno.mkdirSync(join(dir, "nr.dat"));
    assert.throws(
      () => readWfdbRecord(dir, "nr"),
      (e: unknown) =>
        e instanceof DataFormatError && e.message.startsWith(`${join(dir, "nr.dat")}: file type`),
    );
  }));

Deno.test("wfdb layouts: fixed layout keeps digital values, a shorter segment's missing signal is invalid", () =>
  withDir((dir) => {
    writeMultiSegment(dir, "fy", 100, [
      {
        name: "fy_1",
        nFrames: 2,
        signals: [
          { name: "I", format: 16, values: [10, 20], gain: 10 },
          { name: "II", format: 16, values: [1, 2], gain: 10 },
        ],
      },
      // Another gain: rdsamp converts with the first segment's (10), digital values unchanged.
      {
        name: "fy_2",
        nFrames: 2,
        signals: [{ name: "I", format: 16, values: [30, 40], gain: 20 }],
      },
    ]);
    const r = readWfdbRecord(dir, "fy");
    assert.deepEqual(Array.from(r.signals[0].adc), [10, 20, 30, 40]);
    assert.deepEqual(Array.from(r.signals[0].data), [1, 2, 3, 4]);
    const X = WFDB_INVALID_SAMPLE;
    assert.deepEqual(Array.from(r.signals[1].adc), [1, 2, X, X]);
    // Segment checksums are not checked (WFDB skips them in multi-segment records) …
    const segment = Deno.readTextFileSync(join(dir, "fy_2.hea"));
    Deno.writeTextFileSync(join(dir, "fy_2.hea"), segment.replace(/ 70 0 I/, " 71 0 I"));
    assert.deepEqual(Array.from(readWfdbRecord(dir, "fy").signals[0].adc), [10, 20, 30, 40]);
    // … but the same header as a record of its own is refused.
    assert.throws(() => readWfdbRecord(dir, "fy_2"), /fy_2\.dat: signal 0 \(I\) checksum/);
  }));

Deno.test("wfdb leniency: a skewed record whose file lacks the read-ahead frames reads them as invalid", () =>
  withDir((dir) => {
    writeRecord(dir, "sk", 100, 4, [
      { name: "A", format: 16, values: [1, 2, 3, 4] },
      { name: "B", format: 16, values: [5, 6, 7, 8], skew: 2 },
    ]);
    // The writer stores 4 + 2 frames; cut the file to 5, then to the header's 4.
    const bytes = Deno.readFileSync(join(dir, "sk.dat"));
    const X = WFDB_INVALID_SAMPLE;
    for (const [frames, b] of [[5, [5, 6, 7, X]], [4, [5, 6, X, X]]] as const) {
      Deno.writeFileSync(join(dir, "sk.dat"), bytes.subarray(0, 4 * frames));
      const r = readWfdbRecord(dir, "sk");
      assert.deepEqual(Array.from(r.signals[0].adc), [1, 2, 3, 4]);
      assert.deepEqual(Array.from(r.signals[1].adc), b);
      assert.match(r.warnings[0], /sk\.dat: \d frames for 4 \+ skew 2/);
    }
    // Fewer frames than the header's length are still refused.
    Deno.writeFileSync(join(dir, "sk.dat"), bytes.subarray(0, 12));
    assert.throws(
      () => readWfdbRecord(dir, "sk"),
      /sk\.dat: byte length: expected 16 bytes for 4 to 6 frames/,
    );
  }));

Deno.test("wfdb leniency: a null annotation (code 0) as WFDB's putann writes it is read", () => {
  // putann writes a code-0 annotation at t as SKIP (t − 1) then the word 0x0001.
  const bytes = Uint8Array.of(0x00, 0xec, 0x00, 0x00, 0x63, 0x00, 0x01, 0x00, 0x05, 0x04, 0, 0);
  const a = decodeWfdbAnnotations(bytes, "null.atr");
  assert.deepEqual(Array.from(a.sample), [100, 105]);
  assert.deepEqual(Array.from(a.code), [0, 1]);
  assert.deepEqual(a.symbol, [" ", "N"]);
  // Codes 50–58 are not annotation codes and are still refused.
  assert.throws(
    () => decodeWfdbAnnotations(Uint8Array.of(0x05, 0xc8, 0, 0), "bad.atr"),
    /bad\.atr: byte 0 annotation code: expected a code in 0–49 or 59–63, found 50/,
  );
});

Deno.test("wfdb layouts: a length no file backs (gaps, null signals) is bounded, not allocated", () =>
  withDir((dir) => {
    writeMultiSegment(dir, "g", 100, [
      { name: "g_1", nFrames: 2, signals: [{ name: "I", format: 16, values: [1, 2] }] },
      { gap: 3 },
    ]);
    const master = Deno.readTextFileSync(join(dir, "g.hea"));
    Deno.writeTextFileSync(
      join(dir, "g.hea"),
      master.replace("~ 3", "~ 9999999999").replace(" 5\n", " 10000000001\n"),
    );
    assert.throws(
      () => readWfdbRecord(dir, "g"),
      /g\.hea: record line number of samples: expected at most/,
    );
    Deno.writeTextFileSync(join(dir, "n.hea"), "n 1 100 9999999999\n~ 0 200 16 0 0 0 0 none\n");
    assert.throws(
      () => readWfdbRecord(dir, "n"),
      /n\.hea: record line number of samples: expected at most/,
    );
    // A record of null signals with a sane length reads as all invalid.
    Deno.writeTextFileSync(join(dir, "n.hea"), "n 1 100 3\n~ 0 200 16 0 0 0 0 none\n");
    assert.deepEqual(
      Array.from(readWfdbRecord(dir, "n").signals[0].adc),
      Array(3).fill(WFDB_INVALID_SAMPLE),
    );
  }));
