import assert from "node:assert/strict";
import { join } from "node:path";
import { NOT_COMPUTED, studyGrid } from "../lib/experiments/mod.ts";
import { coverageNotice, studyCoverage } from "../lib/views/mod.ts";
import type { ResultRecord, Study } from "../lib/experiments/mod.ts";

/** A data directory with HAPT present and Sleep-EDF as hypnograms only (like ../shared/datasets). */
async function dataDirFixture(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "hapt", "RawData"), { recursive: true });
  await Deno.writeTextFile(join(dir, "hapt", "RawData", "labels.txt"), "");
  await Deno.mkdir(join(dir, "sleep-edf"));
  await Deno.writeTextFile(join(dir, "sleep-edf", "SC4001EC-Hypnogram.edf"), "");
  return dir;
}

function studyOf(dataDir: string, computed: number): Study {
  const runs = studyGrid(["hapt"], "paper", dataDir);
  return {
    profile: "paper",
    dataDir,
    datasets: ["hapt"],
    // studyCoverage reads only the configs
    records: runs.slice(0, computed).map((config) => ({ config }) as unknown as ResultRecord),
    failures: runs.slice(computed).map((config) => ({ config, error: NOT_COMPUTED })),
    rejected: [],
    summary: [],
  };
}

function displayed(d: ReturnType<typeof coverageNotice>): string {
  return d[Symbol.for("Jupyter.display")]()["text/html"];
}

Deno.test("studyCoverage: present, absent and partial datasets; runs with results per dataset", async () => {
  const dir = await dataDirFixture();
  try {
    const rows = studyCoverage(studyOf(dir, 7));
    const hapt = rows.find((r) => r.dataset === "hapt")!;
    assert.deepEqual(
      [hapt.present, hapt.computed, hapt.planned, hapt.seeds, hapt.folds],
      [true, 7, studyGrid(["hapt"], "paper", dir).length, [1], [0]],
    );
    const sleep = rows.find((r) => r.dataset === "sleep-edf")!;
    assert.equal(sleep.present, false);
    assert.equal(sleep.partial, "hypnograms only, no PSG recordings");
    assert.match(sleep.howToGet, /deno task data --only sleep-edf/);
    assert.equal(rows.find((r) => r.dataset === "dreams")!.present, false);
    assert.equal(rows.length, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("coverageNotice says plainly what is absent and what was not computed", async () => {
  const dir = await dataDirFixture();
  try {
    const partial = displayed(coverageNotice(studyOf(dir, 7)));
    assert.match(partial, /Sleep-EDF \(sleep EEG\), the paper&#39;s sleep EEG dataset, is absent/);
    assert.match(partial, /deno task data --only sleep-edf --trust-on-first-use/);
    const planned = studyGrid(["hapt"], "paper", dir).length;
    assert.match(
      partial,
      new RegExp(`HAPT \\(activity\\): 7 of the profile&#39;s ${planned} runs`),
    );
    assert.match(partial, /\(seeds: 1; folds: 0\)/);
    const edited = studyOf(dir, 7);
    edited.rejected = [{
      file: "k.json",
      reason: 'field "contentHash": the record\'s content does not match its hash',
      config: edited.records[0].config,
    }];
    assert.match(
      displayed(coverageNotice(edited)),
      /The cached record of hapt · raw-features · seed 1 · fold 0 was rejected \(field &quot;contentHash&quot;/,
    );
    const full = displayed(coverageNotice(studyOf(dir, planned)));
    assert.doesNotMatch(full, /runs have results \(/);
    assert.match(full, new RegExp(`${planned} of ${planned}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
