/**
 * WFDB signal formats, skew, samples per frame and FLAC: fixed byte strings
 * worked by hand from signal(5), and round trips through tests/_wfdb_writer.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as FlacApi from "libflacjs/dist/libflac.js";
import {
  decodeWfdbSamples,
  loadWfdbFlacDecoder,
  readWfdbRecord,
  readWfdbRecordAsync,
  WFDB_INVALID_SAMPLE,
  wfdbInvalidValue,
} from "../lib/data/wfdb/mod.ts";
import { DataFormatError } from "../lib/errors.ts";
import { makeRng } from "../lib/random.ts";
import { encodeSamples, type SignalToWrite, writeRecord } from "./_wfdb_writer.ts";

/** Hand-worked examples: bytes → samples, per signal(5). */
const WORKED: { format: number; bytes: number[]; samples: number[]; why: string }[] = [
  // 212: s0 = 0x123 from b0 and the low nibble of b1; s1 = 0xffe (−2) from b1's high nibble and b2.
  { format: 212, bytes: [0x23, 0xf1, 0xfe], samples: [291, -2], why: "two 12-bit samples" },
  // A lone last 212 sample takes a byte pair: 0x801 = −2047.
  { format: 212, bytes: [0x01, 0x08], samples: [-2047], why: "lone 212 sample" },
  // 310: w0 = 0xa802, w1 = 0x57fe: s0 = w0 bits 1–10 = 1, s1 = w1 bits 1–10 = 0x3ff (−1),
  // s2 = w0 bits 11–15 (0x15) | w1 bits 11–15 (0x0a) << 5 = 0x155 = 341.
  { format: 310, bytes: [0x02, 0xa8, 0xfe, 0x57], samples: [1, -1, 341], why: "310 triple" },
  // 311: w = 0x155ffc01: bits 0–9 = 1, bits 10–19 = 0x3ff (−1), bits 20–29 = 0x155.
  { format: 311, bytes: [0x01, 0xfc, 0x5f, 0x15], samples: [1, -1, 341], why: "311 triple" },
  {
    format: 24,
    bytes: [0x01, 0x00, 0x80, 0xff, 0xff, 0x7f],
    samples: [-8388607, 8388607],
    why: "24",
  },
  {
    format: 32,
    bytes: [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x80],
    samples: [-1, -(2 ** 31)],
    why: "32",
  },
  {
    format: 160,
    bytes: [0x00, 0x80, 0xff, 0xff, 0x01, 0x00],
    samples: [0, 32767, -32767],
    why: "160",
  },
  { format: 61, bytes: [0x01, 0x02, 0xff, 0xfe], samples: [258, -2], why: "61 big-endian" },
  { format: 80, bytes: [0x80, 0x00, 0xff], samples: [0, -128, 127], why: "80 offset binary" },
  { format: 16, bytes: [0x02, 0x01, 0xfe, 0xff], samples: [258, -2], why: "16 little-endian" },
  { format: 8, bytes: [0x00, 0x05, 0xfe, 0x80], samples: [0, 5, -2, -128], why: "8 (differences)" },
];

Deno.test("wfdb formats: the hand-worked byte strings decode, and the writer encodes them", () => {
  for (const { format, bytes, samples, why } of WORKED) {
    assert.deepEqual(
      Array.from(decodeWfdbSamples(Uint8Array.from(bytes), format, samples.length)),
      samples,
      why,
    );
    assert.deepEqual(Array.from(encodeSamples(format, samples)), bytes, `writer: ${why}`);
  }
});

Deno.test("wfdb formats: format 8 accumulates differences from the header's initial value", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeFileSync(join(dir, "d.dat"), Uint8Array.of(0x00, 0x05, 0xfe, 0x80));
    // Checksum: 100 + 105 + 103 − 25 = 283.
    Deno.writeTextFileSync(join(dir, "d.hea"), "d 1 100 4\nd.dat 8 10 8 0 100 283 0 x\n");
    const r = readWfdbRecord(dir, "d");
    assert.deepEqual(Array.from(r.signals[0].adc), [100, 105, 103, -25]);
    assert.deepEqual(Array.from(r.signals[0].data), [10, 10.5, 10.3, -2.5].map(Math.fround));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** Random values in a format's range, avoiding its invalid value. */
function values(format: number, n: number, seed: number): number[] {
  const rng = makeRng(seed);
  const bits: Record<number, number> = {
    80: 8,
    212: 12,
    310: 10,
    311: 10,
    16: 16,
    61: 16,
    160: 16,
    24: 24,
    32: 32,
    508: 8,
    516: 16,
    524: 24,
  };
  if (format === 8) {
    let v = rng.int(200) - 100;
    return Array.from({ length: n }, () => (v += rng.int(255) - 127));
  }
  const half = 2 ** (bits[format] - 1);
  return Array.from({ length: n }, () => Math.floor(rng.next() * (2 * half - 1)) - half + 1);
}

function assertSignal(
  r: ReturnType<typeof readWfdbRecord>,
  i: number,
  expected: number[],
  gain: number,
  baseline: number,
  label: string,
) {
  const s = r.signals[i];
  const invalid = wfdbInvalidValue(s.format);
  assert.deepEqual(
    Array.from(s.adc),
    expected.map((v) => (v === invalid ? WFDB_INVALID_SAMPLE : v)),
    label,
  );
  expected.forEach((v, t) => {
    const want = (v - baseline) / gain;
    if (v === invalid) assert.ok(Number.isNaN(s.data[t]), `${label} ${t}: NaN`);
    else {assert.ok(
        Math.abs(s.data[t] - want) <= 1e-6 * Math.max(1, Math.abs(want)),
        `${label} ${t}`,
      );}
  });
}

for (const format of [8, 16, 24, 32, 61, 80, 160, 212, 310, 311]) {
  Deno.test(`wfdb formats: format ${format} round-trips 2 signals × odd and even lengths`, () => {
    const dir = Deno.makeTempDirSync();
    try {
      for (const n of [1, 2, 3, 7, 64]) {
        const a = values(format, n, format + n), b = values(format, n, 7 * format + n);
        // One invalid sample, where the format has one.
        const invalid = wfdbInvalidValue(format);
        if (invalid !== undefined && n > 2) b[1] = invalid;
        const signals: SignalToWrite[] = [
          { name: "A", format, values: a, gain: 25.5, baseline: -3 },
          { name: "B", format, values: b, gain: 1000, baseline: 12, byteOffset: 0 },
        ];
        writeRecord(dir, "r", 360, n, signals);
        const r = readWfdbRecord(dir, "r");
        assert.equal(r.nSamples, n);
        assertSignal(r, 0, a, 25.5, -3, `fmt ${format} n ${n} A`);
        assertSignal(r, 1, b, 1000, 12, `fmt ${format} n ${n} B`);
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("wfdb formats: samples per frame, skew and byte offsets across two files", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const n = 9;
    const a = values(212, n, 1), b = values(212, 3 * n, 2), c = values(16, 2 * n, 3);
    const d = values(8, n, 4);
    writeRecord(dir, "m", 125, n, [
      { name: "A", format: 212, values: a },
      { name: "B", format: 212, values: b, samplesPerFrame: 3, skew: 2 },
      {
        name: "C",
        format: 16,
        values: c,
        samplesPerFrame: 2,
        skew: 1,
        fileName: "m_2.dat",
        byteOffset: 5,
      },
      { name: "D", format: 16, values: d, fileName: "m_2.dat", byteOffset: 5 },
    ]);
    const r = readWfdbRecord(dir, "m");
    assert.deepEqual(r.signals.map((s) => [s.samplesPerFrame, s.fs]), [
      [1, 125],
      [3, 375],
      [2, 250],
      [1, 125],
    ]);
    assertSignal(r, 0, a, 200, 0, "A");
    assertSignal(r, 1, b, 200, 0, "B");
    assertSignal(r, 2, c, 200, 0, "C");
    assertSignal(r, 3, d, 200, 0, "D");
    // Without the skew, B would start with the two frames of zeros stored before it.
    const text = Deno.readTextFileSync(join(dir, "m.hea"));
    Deno.writeTextFileSync(join(dir, "m.hea"), text.replace("212x3:2", "212x3"));
    assert.throws(() => readWfdbRecord(dir, "m"), /m\.dat: byte length|checksum/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("wfdb formats: format 8 with samples per frame and skew", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const a = values(8, 20, 5), b = values(8, 10, 6);
    writeRecord(dir, "e", 100, 10, [
      { name: "A", format: 8, values: a, samplesPerFrame: 2 },
      { name: "B", format: 8, values: b, skew: 3 },
    ]);
    const r = readWfdbRecord(dir, "e");
    assertSignal(r, 0, a, 200, 0, "A");
    assertSignal(r, 1, b, 200, 0, "B");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** A stream made by Debian's `flac` 1.4.2 from the 16-bit samples below (1 channel, 250 Hz). */
const FLAC_FIXTURE =
  "664c6143000000221000100000001b00001b000fa0f000000008d7f0cc884b7f70af0e39eaee65d5a6a984000028200000007265666572656e6365206c6962464c414320312e342e3220323032323130323200000000fff86e0800070019381008266011e870fffa3fff70ffff0038a6c0";
const FLAC_SAMPLES = [0, 1, -1, 1000, -32767, 32767, -32768, 7];

Deno.test("wfdb formats: FLAC needs the decoder loaded, then reads a stream made by the flac tool", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const bytes = Uint8Array.from(FLAC_FIXTURE.match(/../g)!.map((h) => parseInt(h, 16)));
    Deno.writeFileSync(join(dir, "f.dat"), bytes);
    const sum = FLAC_SAMPLES.reduce((s, v) => s + v, 0);
    Deno.writeTextFileSync(
      join(dir, "f.hea"),
      `f 1 250 8\nf.dat 516 100(0)/uV 16 0 0 ${sum} 0 EEG\n`,
    );
    // Before libFLAC is loaded the sync reader says what to do; the async one loads it.
    if (!(await import("../lib/data/wfdb/mod.ts")).wfdbFlacDecoderLoaded()) {
      assert.throws(
        () => readWfdbRecord(dir, "f"),
        (e: unknown) =>
          e instanceof DataFormatError && /f\.hea: signal 0 format/.test(e.message) &&
          /loadWfdbFlacDecoder/.test(e.message),
      );
    }
    const r = await readWfdbRecordAsync(dir, "f");
    assertSignal(r, 0, FLAC_SAMPLES, 100, 0, "flac fixture");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

for (const format of [508, 516, 524]) {
  Deno.test(`wfdb formats: FLAC format ${format} round-trips 3 signals with samples per frame`, async () => {
    await loadWfdbFlacDecoder();
    const flac = (FlacApi as unknown as { default: typeof FlacApi }).default;
    const dir = Deno.makeTempDirSync();
    try {
      const n = 5000; // More than one FLAC block.
      const a = values(format, n, 1), b = values(format, 2 * n, 2), c = values(format, n, 3);
      c[10] = wfdbInvalidValue(format)!;
      writeRecord(dir, "f", 250, n, [
        { name: "A", format, values: a, gain: 3 },
        { name: "B", format, values: b, samplesPerFrame: 2 },
        { name: "C", format, values: c, skew: 1 },
      ], flac);
      const r = readWfdbRecord(dir, "f");
      assertSignal(r, 0, a, 3, 0, "A");
      assertSignal(r, 1, b, 200, 0, "B");
      assertSignal(r, 2, c, 200, 0, "C");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}
