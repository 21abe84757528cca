import assert from "node:assert/strict";
import { join } from "node:path";
import {
  HAPT_CLASS_NAMES,
  haptSampleLabels,
  listHaptRecordings,
  parseHaptLabels,
  readHaptLabels,
  readHaptRecording,
} from "../lib/data/hapt.ts";
import { DataFormatError, MissingDataError } from "../lib/errors.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
import { assertClose, readGolden } from "./_util.ts";

interface HaptGolden {
  file: string;
  shape: [number, number];
  first_50_rows: number[][];
  column_mean: number[];
  n_label_segments: number;
  label_segments: {
    experiment: number;
    user: number;
    activity_id: number;
    activity: string;
    start: number;
    end: number;
  }[];
  n_labelled_samples: number;
  labels_txt_total_rows: number;
}

const golden = readGolden<{ hapt: { exp01_user01: HaptGolden } }>("data.json").hapt.exp01_user01;
const dir = join(sharedDatasetsDir(), "hapt");

Deno.test("HAPT exp01/user01 accelerometer matches the golden exactly", () => {
  const rec = readHaptRecording(dir, 1, 1);
  assert.deepEqual([rec.nSamples, 3], golden.shape);
  assert.equal(rec.channels.length, 6);
  for (let r = 0; r < 50; r++) {
    for (let c = 0; c < 3; c++) {
      assert.equal(rec.channels[c][r], golden.first_50_rows[r][c], `row ${r} col ${c}`);
    }
  }
  const mean = [0, 1, 2].map((c) => rec.channels[c].reduce((a, b) => a + b, 0) / rec.nSamples);
  assertClose(mean, golden.column_mean, { rtol: 1e-12, atol: 1e-15, label: "column mean" });
  for (const c of rec.channels.slice(3)) assert.equal(c.length, rec.nSamples);
});

Deno.test("HAPT labels.txt: rows, exp01 segments and labelled samples match the golden", () => {
  const segments = readHaptLabels(dir);
  assert.equal(segments.length, golden.labels_txt_total_rows);
  const exp1 = segments.filter((s) => s.experiment === 1);
  assert.equal(exp1.length, golden.n_label_segments);
  assert.deepEqual(
    exp1.map((s) => ({
      experiment: s.experiment,
      user: s.user,
      activity_id: s.activityId,
      activity: HAPT_CLASS_NAMES[s.activityId - 1],
      start: s.start,
      end: s.end,
    })),
    golden.label_segments,
  );
  const labels = haptSampleLabels(segments, 1, 1, golden.shape[0]);
  let labelled = 0;
  for (const l of labels) if (l >= 0) labelled++;
  assert.equal(labelled, golden.n_labelled_samples);
  // 1-based inclusive: sample 250 (index 249) is the first STANDING sample, index 248 unlabelled
  assert.equal(labels[248], -1);
  assert.equal(labels[249], 4);
  assert.equal(labels[1231], 4);
  assert.equal(labels[1232], 6);
});

Deno.test("HAPT: 61 experiments of 30 users are listed in order", () => {
  const list = listHaptRecordings(dir);
  assert.equal(list.length, 61);
  assert.deepEqual(list[0], { experiment: 1, user: 1 });
  assert.deepEqual(list[60], { experiment: 61, user: 30 });
  assert.equal(new Set(list.map((r) => r.user)).size, 30);
});

Deno.test("HAPT: missing files and inconsistent segments raise typed errors", () => {
  assert.throws(() => readHaptRecording(dir, 99, 1), MissingDataError);
  assert.throws(() => listHaptRecordings("/nonexistent-hapt"), /acc_expXX_userYY/);
  const rows = parseHaptLabels("1 1 5 1 10\n1 1 4 8 12\n", "labels.txt");
  assert.throws(
    () => haptSampleLabels(rows, 1, 1, 20),
    (e: unknown) => e instanceof DataFormatError && /line 2/.test(e.message),
  );
  assert.throws(() => haptSampleLabels(rows, 1, 1, 11), /≤ 11/);
  assert.throws(() => haptSampleLabels(rows, 1, 2, 20), /user/);
});
