import assert from "node:assert/strict";
import { join } from "node:path";
import { readEdf } from "../lib/data/edf.ts";
import {
  EXCLUDED_EPOCH,
  readSleepEdfHypnogram,
  SLEEP_STAGE_NAMES,
  SLEEP_STAGE_OF_TEXT,
  sleepStagesFromHypnogram,
} from "../lib/data/hypnogram.ts";
import { DataFormatError, MissingDataError } from "../lib/errors.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
import { makeRng } from "../lib/random.ts";
import { readGolden } from "./_util.ts";
import { type EdfSpec, writeEdf } from "./_edf_writer.ts";

const SLEEP_EDF = join(sharedDatasetsDir(), "sleep-edf");

interface GoldenHypnogram {
  edf_header: {
    version: string;
    patient: string;
    recording: string;
    startdate: string;
    starttime: string;
    header_bytes: number;
    reserved: string;
    n_records: number;
    record_duration: number;
    n_signals: number;
    signals: Record<string, string[]>;
  };
  n_annotations: number;
  annotations_first20: [number, number, string][];
  n_epochs_all: number;
  n_epochs_kept: number;
  stage_counts: Record<string, number>;
  excluded_epoch_counts: Record<string, number>;
  first_200_epochs_all: string[];
  first_200_epochs_kept: string[];
}

const golden = readGolden<{ sleep_edf: Record<string, GoldenHypnogram> }>("data.json")
  .sleep_edf["SC4001EC-Hypnogram.edf"];

Deno.test("edf: SC4001EC hypnogram header and annotations match the golden", () => {
  const { header, signals, annotations } = readEdf(join(SLEEP_EDF, "SC4001EC-Hypnogram.edf"));
  const g = golden.edf_header;
  assert.equal(header.version, g.version);
  assert.equal(header.patient, g.patient);
  assert.equal(header.recording, g.recording);
  assert.equal(header.startDate, g.startdate);
  assert.equal(header.startTime, g.starttime);
  assert.equal(header.headerBytes, g.header_bytes);
  assert.equal(header.reserved, g.reserved);
  assert.equal(header.nRecords, g.n_records);
  assert.equal(header.recordDuration, g.record_duration);
  assert.equal(header.signals.length, g.n_signals);
  const columns = {
    label: header.signals.map((s) => s.label),
    transducer: header.signals.map((s) => s.transducer),
    physical_dimension: header.signals.map((s) => s.physicalDimension),
    physical_min: header.signals.map((s) => s.physicalMin),
    physical_max: header.signals.map((s) => s.physicalMax),
    digital_min: header.signals.map((s) => s.digitalMin),
    digital_max: header.signals.map((s) => s.digitalMax),
    prefiltering: header.signals.map((s) => s.prefiltering),
    samples_per_record: header.signals.map((s) => s.samplesPerRecord),
  };
  for (const [name, values] of Object.entries(columns)) {
    const expected = g.signals[name];
    assert.deepEqual(values, typeof values[0] === "number" ? expected.map(Number) : expected, name);
  }
  assert.deepEqual(g.signals.reserved, [""]);
  assert.equal(signals.length, 0);
  assert.equal(annotations.length, golden.n_annotations);
  assert.deepEqual(
    annotations.slice(0, 20).map((a) => [a.onset, a.duration, a.text]),
    golden.annotations_first20,
  );
});

Deno.test("hypnogram: SC4001EC epochs, stage counts and exclusions match the golden", () => {
  const path = join(SLEEP_EDF, "SC4001EC-Hypnogram.edf");
  const stages = readSleepEdfHypnogram(path);
  assert.equal(stages.length, golden.n_epochs_all);
  const kept = stages.filter((s) => s !== EXCLUDED_EPOCH);
  assert.equal(kept.length, golden.n_epochs_kept);
  const counts = Object.fromEntries(
    SLEEP_STAGE_NAMES.map((name, c) => [name, kept.filter((s) => s === c).length]),
  );
  assert.deepEqual(counts, golden.stage_counts);
  // Each excluded epoch traced back to its annotation text.
  const { annotations } = readEdf(path);
  const textOfEpoch: string[] = [];
  for (const a of annotations) {
    for (let k = 0; k < Math.round(a.duration / 30); k++) textOfEpoch.push(a.text);
  }
  assert.equal(textOfEpoch.length, stages.length);
  const excluded: Record<string, number> = {};
  textOfEpoch.forEach((text, e) => {
    if (stages[e] === EXCLUDED_EPOCH) excluded[text] = (excluded[text] ?? 0) + 1;
  });
  assert.deepEqual(excluded, golden.excluded_epoch_counts);
  const named = Array.from(
    stages,
    (s, e) => s === EXCLUDED_EPOCH ? `EXCLUDED:${textOfEpoch[e]}` : SLEEP_STAGE_NAMES[s],
  );
  assert.deepEqual(named.slice(0, 200), golden.first_200_epochs_all);
  assert.deepEqual(
    Array.from(kept.subarray(0, 200), (s) => SLEEP_STAGE_NAMES[s]),
    golden.first_200_epochs_kept,
  );
});

Deno.test("hypnogram: all 20 Sleep-EDF cassette hypnograms read", () => {
  const files = [...Deno.readDirSync(SLEEP_EDF)].map((e) => e.name).filter((n) =>
    n.endsWith("-Hypnogram.edf")
  ).sort();
  assert.equal(files.length, 20);
  for (const name of files) {
    const { header, annotations } = readEdf(join(SLEEP_EDF, name));
    assert.equal(header.reserved, "EDF+C", name);
    const stages = readSleepEdfHypnogram(join(SLEEP_EDF, name));
    const end = annotations.at(-1)!.onset + annotations.at(-1)!.duration;
    assert.equal(stages.length, Math.round(end / 30), name);
    for (let c = 0; c < SLEEP_STAGE_NAMES.length; c++) {
      assert.ok(stages.includes(c), `${name} has ${SLEEP_STAGE_NAMES[c]}`);
    }
    assert.ok(stages.every((s) => s >= -1 && s <= 4), name);
  }
});

Deno.test("hypnogram: stage map, gaps, nEpochs and bad annotations", () => {
  assert.equal(SLEEP_STAGE_OF_TEXT["Sleep stage 4"], 3);
  const stages = sleepStagesFromHypnogram(
    [
      { onset: 0, duration: 60, text: "Sleep stage W" },
      { onset: 60, duration: 30, text: "Movement time" },
      { onset: 120, duration: 30, text: "Sleep stage R" },
      { onset: 150, duration: 60, text: "Sleep stage 4" },
    ],
    { nEpochs: 9 },
  );
  assert.deepEqual(Array.from(stages), [0, 0, -1, -1, 4, 3, 3, -1, -1]);
  assert.deepEqual(
    Array.from(
      sleepStagesFromHypnogram([{ onset: 0, duration: 90, text: "Sleep stage 2" }], { nEpochs: 2 }),
    ),
    [2, 2],
  );
  const bad = [
    [{ onset: 0, duration: 30, text: "Sleep stage X" }],
    [{ onset: 15, duration: 30, text: "Sleep stage 1" }],
    [{ onset: 0, duration: 60, text: "Sleep stage 1" }, {
      onset: 30,
      duration: 30,
      text: "Sleep stage 2",
    }],
    [{ onset: 0, duration: NaN, text: "Sleep stage 1" }],
  ];
  for (const annotations of bad) {
    assert.throws(() => sleepStagesFromHypnogram(annotations, { file: "h.edf" }), (e: unknown) => {
      assert.ok(e instanceof DataFormatError);
      assert.match(e.message, /^h\.edf: annotation \d/);
      return true;
    });
  }
});

function psgSpec(seed: number): EdfSpec {
  const rng = makeRng(seed);
  const nRecords = 4;
  return {
    patient: "X M 01-JAN-1970 Test",
    recording: "Startdate 01-JAN-1990 X X X",
    startDate: "01.01.90",
    startTime: "22.30.00",
    reserved: "EDF+C",
    recordDuration: 2,
    nRecords,
    signals: [
      {
        label: "EEG Fpz-Cz",
        physicalDimension: "uV",
        physicalMin: -192,
        physicalMax: 192,
        digitalMin: -2048,
        digitalMax: 2047,
        prefiltering: "HP:0.5Hz LP:100Hz",
        transducer: "Ag-AgCl electrodes",
        samplesPerRecord: 200,
        data: Float64Array.from({ length: nRecords * 200 }, () => 60 * rng.normal()),
      },
      {
        label: "Temp rectal",
        physicalDimension: "DegC",
        physicalMin: 34,
        physicalMax: 40,
        digitalMin: -32768,
        digitalMax: 32767,
        prefiltering: "",
        transducer: "Rectal thermistor",
        samplesPerRecord: 2,
        data: Float64Array.from({ length: nRecords * 2 }, (_, i) => 36.5 + 0.01 * i),
      },
    ],
    annotations: [
      [{ onset: 0, duration: 30, text: "Sleep stage W" }],
      [],
      [{ onset: 4.5, text: "Lights off" }, { onset: 5, duration: 1.25, text: "Arousal" }],
      [{ onset: 7, duration: 0, text: "Ünïcode note" }],
    ],
  };
}

Deno.test("edf: an EDF+C file written here round-trips (header, physical values, TALs)", () => {
  const spec = psgSpec(7);
  const file = readEdf(writeEdf(spec), { file: "test.edf" });
  const { header } = file;
  assert.equal(header.patient, spec.patient);
  assert.equal(header.recording, spec.recording);
  assert.equal(header.startDate, spec.startDate);
  assert.equal(header.startTime, spec.startTime);
  assert.equal(header.nRecords, spec.nRecords);
  assert.equal(header.recordDuration, spec.recordDuration);
  assert.equal(header.headerBytes, 256 * 4);
  assert.deepEqual(header.signals.map((s) => s.label), [
    "EEG Fpz-Cz",
    "Temp rectal",
    "EDF Annotations",
  ]);
  assert.equal(header.signals[0].prefiltering, "HP:0.5Hz LP:100Hz");
  assert.equal(header.signals[1].transducer, "Rectal thermistor");
  assert.equal(file.signals.length, 2);
  spec.signals.forEach((s, i) => {
    const got = file.signals[i];
    assert.equal(got.label, s.label);
    assert.equal(got.fs, s.samplesPerRecord / spec.recordDuration);
    assert.equal(got.physicalDimension, s.physicalDimension);
    assert.equal(got.data.length, s.data.length);
    const step = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
    for (let k = 0; k < s.data.length; k++) {
      const expected = Math.min(Math.max(s.data[k], s.physicalMin), s.physicalMax);
      assert.ok(
        Math.abs(got.data[k] - expected) <= step,
        `${s.label}[${k}]: ${got.data[k]} vs ${expected}`,
      );
    }
  });
  assert.deepEqual(file.annotations, [
    { onset: 0, duration: 30, text: "Sleep stage W" },
    { onset: 4.5, duration: 0, text: "Lights off" },
    { onset: 5, duration: 1.25, text: "Arousal" },
    { onset: 7, duration: 0, text: "Ünïcode note" },
  ]);
  const eegOnly = readEdf(writeEdf(spec), { label: "EEG Fpz-Cz" });
  assert.deepEqual(eegOnly.signals.map((s) => s.label), ["EEG Fpz-Cz"]);
  assert.throws(
    () => readEdf(writeEdf(spec), { label: "EOG", file: "t.edf" }),
    /t\.edf: signal label/,
  );
});

Deno.test("edf: plain EDF, unknown record count, EDF+D rejection", () => {
  const spec = { ...psgSpec(3), reserved: "", annotations: undefined };
  const plain = readEdf(writeEdf(spec));
  assert.equal(plain.signals.length, 2);
  assert.deepEqual(plain.annotations, []);
  const unknown = readEdf(writeEdf({ ...spec, nRecordsField: -1 }));
  assert.equal(unknown.header.nRecords, spec.nRecords);
  assert.throws(
    () => readEdf(writeEdf({ ...psgSpec(3), reserved: "EDF+D" }), { file: "d.edf" }),
    (e: unknown) =>
      e instanceof DataFormatError && /d\.edf: header reserved/.test(e.message) &&
      /EDF\+D/.test(e.message),
  );
});

Deno.test("edf: a missing file gives MissingDataError pointing at `deno task data`", () => {
  const path = join(Deno.makeTempDirSync(), "sleep-edf", "SC4001EC-Hypnogram.edf");
  assert.throws(() => readSleepEdfHypnogram(path), (e: unknown) => {
    assert.ok(e instanceof MissingDataError);
    assert.match(e.message, /SC4001EC-Hypnogram\.edf/);
    assert.match(e.message, /deno task data --only sleep-edf/);
    return true;
  });
});

Deno.test("edf: Latin-1 bytes in the header (°C, µV) read as MNE reads them, with a warning", () => {
  const spec = psgSpec(3);
  spec.signals[0].physicalDimension = "µV";
  spec.signals[1].physicalDimension = "°C";
  const bytes = writeEdf(spec);
  // The writer stores the header as Latin-1: "µ" is the single byte 0xb5, "°" is 0xb0.
  assert.ok(bytes.subarray(0, 1024).includes(0xb5) && bytes.subarray(0, 1024).includes(0xb0));
  const file = readEdf(bytes, { file: "latin1.edf" });
  assert.deepEqual(file.signals.map((s) => s.physicalDimension), ["µV", "°C"]);
  assert.equal(file.header.warnings.length, 2);
  assert.match(
    file.header.warnings[1],
    /latin1\.edf: header signal 1 physical dimension \(byte \d+\) is 0xb0/,
  );
  // The samples read as from the ASCII file.
  spec.signals[0].physicalDimension = "uV";
  spec.signals[1].physicalDimension = "degC";
  const ascii = readEdf(writeEdf(spec), { file: "ascii.edf" });
  assert.deepEqual(file.signals.map((s) => s.data), ascii.signals.map((s) => s.data));
  assert.deepEqual(ascii.header.warnings, []);
  // A control byte is still refused, naming the field.
  const control = bytes.slice();
  control[control.indexOf(0xb0)] = 0x01;
  assert.throws(
    () => readEdf(control, { file: "control.edf" }),
    (e: unknown) =>
      e instanceof DataFormatError &&
      /control\.edf: header signal 1 physical dimension/.test(e.message),
  );
});
