/**
 * Plausibility limits of the readers (issue #21, finding 4): Sleep-EDF
 * hypnogram onsets and durations within the recording, npz/npy size caps,
 * and non-regular files (FIFO, directory, links to devices) refused with a
 * typed error naming the path, before anything is opened or allocated.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { zipSync } from "fflate";
import {
  MAX_HYPNOGRAM_SECONDS,
  readSleepEdfHypnogram,
  sleepStagesFromHypnogram,
} from "../lib/data/hypnogram.ts";
import { readNpy, readNpz } from "../lib/data/npz.ts";
import {
  DataFormatError,
  MissingDataError,
  NotRegularFileError,
  SizeLimitError,
} from "../lib/errors.ts";
import { readRegularFile, readRegularFileSync, statRegularFileSync } from "../lib/io.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
import { makeRng } from "../lib/random.ts";
import { withTempDir } from "./_util.ts";

const SLEEP_EDF = join(sharedDatasetsDir(), "sleep-edf");
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** Makes a FIFO, a directory and links to /dev/zero and /dev/null named `<stem>.<kind><ext>`. */
async function nonRegular(dir: string, stem: string, ext: string) {
  const fifo = join(dir, `${stem}.fifo${ext}`);
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(made.success, "mkfifo failed");
  const folder = join(dir, `${stem}.dir${ext}`);
  await Deno.mkdir(folder);
  const zero = join(dir, `${stem}.zero${ext}`);
  await Deno.symlink("/dev/zero", zero);
  const nul = join(dir, `${stem}.null${ext}`);
  await Deno.symlink("/dev/null", nul);
  return [
    [fifo, /FIFO/],
    [folder, /directory/],
    [zero, /character device/],
    [nul, /character device/],
  ] as const;
}

function assertRefused(read: () => unknown, path: string, kind: RegExp): void {
  assert.throws(read, (e: unknown) => {
    assert.ok(e instanceof NotRegularFileError, `${path}: got ${e}`);
    assert.equal(e.file, path);
    assert.equal(e.field, "file type");
    assert.match(e.message, kind);
    return true;
  });
}

Deno.test("io: the guarded reads refuse FIFOs, directories and devices without blocking, and cap sizes", async () => {
  await withTempDir("emargin-limits-", async (dir) => {
    for (const [path, kind] of await nonRegular(dir, "x", ".bin")) {
      assertRefused(() => statRegularFileSync(path), path, kind);
      assertRefused(() => readRegularFileSync(path), path, kind);
      await assert.rejects(() => readRegularFile(path), NotRegularFileError);
    }
    const file = join(dir, "ok.bin");
    await Deno.writeFile(file, new Uint8Array(1000).fill(3));
    assert.deepEqual(readRegularFileSync(file, { maxBytes: 1000 }), new Uint8Array(1000).fill(3));
    assert.equal((await readRegularFile(file)).length, 1000);
    assert.throws(
      () => readRegularFileSync(file, { maxBytes: 999, limitOption: "--max" }),
      (e: unknown) =>
        e instanceof SizeLimitError && e.file === file && /raise --max/.test(e.message) &&
        /1000 bytes/.test(e.message),
    );
    assert.throws(() => statRegularFileSync(join(dir, "absent")), Deno.errors.NotFound);
  });
});

/** The TALs of a real hypnogram with the last annotation's onset and duration replaced. */
function retimed(original: Uint8Array, onset?: string, duration?: string): Uint8Array {
  const text = latin1.decode(original);
  const lastTal = new RegExp("\\+(\\d+)\x15(\\d+)\x14Sleep stage \\?\x14\0", "g");
  const last = [...text.matchAll(lastTal)].at(-1)!;
  const tal = `+${onset ?? last[1]}\x15${duration ?? last[2]}\x14Sleep stage ?\x14\0`;
  const grown = tal.length - last[0].length;
  const tail = text.slice(last.index! + last[0].length);
  // The annotation signal ends in zero padding: give up as many zeros as the TAL grew.
  assert.ok(tail.split("").every((c) => c === "\0") && tail.length > grown, "not enough padding");
  const out = text.slice(0, last.index!) + tal + tail.slice(grown);
  return Uint8Array.from(out, (c) => c.charCodeAt(0));
}

function hypnogramNames(): string[] {
  return [...Deno.readDirSync(SLEEP_EDF)].map((e) => e.name).filter((n) => n.endsWith(".edf"))
    .sort();
}

Deno.test("hypnogram: an onset of 9e10 s or 9e12 s in a 4.6 KB file is a typed error, not a huge array", async () => {
  const original = Deno.readFileSync(join(SLEEP_EDF, "SC4001EC-Hypnogram.edf"));
  await withTempDir("emargin-limits-", async (dir) => {
    for (const onset of ["90000000000", "9000000000000"]) {
      const path = join(dir, `SC4001EC-${onset.length}-Hypnogram.edf`);
      await Deno.writeFile(path, retimed(original, onset));
      assert.ok(Deno.statSync(path).size < 5000);
      assert.throws(() => readSleepEdfHypnogram(path), (e: unknown) => {
        assert.ok(e instanceof DataFormatError, String(e));
        assert.equal(e.file, path);
        assert.match(e.field, /^annotation 153 \("Sleep stage \?" at \d+ s\) onset$/);
        assert.match(e.message, new RegExp(`an onset within the ${MAX_HYPNOGRAM_SECONDS} s limit`));
        return true;
      });
    }
  });
});

Deno.test("hypnogram: ≥ 200 damaged real hypnograms with onsets or durations beyond the recording raise typed errors", async () => {
  const rng = makeRng(2121);
  const names = hypnogramNames();
  const rss0 = Deno.memoryUsage().rss;
  let raised = 0;
  await withTempDir("emargin-limits-", async (dir) => {
    for (let i = 0; i < 220; i++) {
      const name = names[i % names.length];
      const original = Deno.readFileSync(join(SLEEP_EDF, name));
      const kind = i % 4;
      // Multiples of 30 s so the epoch grid holds: only the limit can refuse them.
      const huge = String(
        30n * BigInt(MAX_HYPNOGRAM_SECONDS / 30 + 1 + rng.int(1e9)) ** BigInt(1 + rng.int(3)),
      );
      const bytes = kind === 0 || kind === 2
        ? retimed(original, huge)
        : retimed(original, undefined, huge);
      const path = join(dir, `${i}-${name}`);
      await Deno.writeFile(path, bytes);
      // kind 2 and 3: the recording's length is known (24 h, as a PSG would give it).
      const options = kind >= 2 ? { nEpochs: 2880 } : {};
      try {
        readSleepEdfHypnogram(path, options);
        assert.fail(`case ${i}: ${name} with ${huge} s was accepted`);
      } catch (e) {
        assert.ok(e instanceof DataFormatError, `case ${i}: got ${e}`);
        assert.equal(e.file, path);
        assert.match(e.field, /^annotation \d+ \(.*\) (onset|duration)$/, `case ${i}`);
        raised++;
      }
    }
  });
  assert.equal(raised, 220);
  const grown = (Deno.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(grown < 256, `RSS grew by ${grown.toFixed(0)} MiB`);
});

Deno.test("hypnogram: onsets must lie within the recording; the last stage may run past its end", () => {
  const stages = [
    { onset: 0, duration: 60, text: "Sleep stage W" },
    { onset: 60, duration: 600, text: "Sleep stage ?" },
  ];
  // 4 epochs of recording: the trailing "?" is cut at its end, as Sleep-EDF's runs past the PSG.
  assert.deepEqual([...sleepStagesFromHypnogram(stages, { nEpochs: 4 })], [0, 0, -1, -1]);
  assert.throws(
    () => sleepStagesFromHypnogram(stages, { nEpochs: 1, file: "h.edf" }),
    /h\.edf: annotation 1 .* onset: expected an onset within the recording's 30 s, found 60/,
  );
  assert.throws(
    () => sleepStagesFromHypnogram(stages, { recordingSeconds: 30, file: "h.edf" }),
    /within the recording's 30 s/,
  );
  assert.throws(
    () => sleepStagesFromHypnogram(stages, { maxSeconds: 600, file: "h.edf" }),
    /annotation 1 .* duration: expected an annotation ending within 600 s/,
  );
  assert.equal(sleepStagesFromHypnogram(stages, { maxSeconds: 660 }).length, 22);
  assert.throws(() => sleepStagesFromHypnogram(stages, { recordingSeconds: NaN }), DataFormatError);
  // All 20 real hypnograms (24 h each) pass with the default limit.
  for (const name of hypnogramNames()) {
    assert.equal(readSleepEdfHypnogram(join(SLEEP_EDF, name)).length, 2880, name);
    assert.equal(readSleepEdfHypnogram(join(SLEEP_EDF, name), { nEpochs: 2880 }).length, 2880);
  }
});

Deno.test("hypnogram, npz, npy: non-regular files are refused by path; missing ones stay MissingDataError", async () => {
  await withTempDir("emargin-limits-", async (dir) => {
    for (const [path, kind] of await nonRegular(dir, "SC4001EC-Hypnogram", ".edf")) {
      assertRefused(() => readSleepEdfHypnogram(path), path, kind);
    }
    for (const [path, kind] of await nonRegular(dir, "arrays", ".npz")) {
      assertRefused(() => readNpz(path), path, kind);
    }
    for (const [path, kind] of await nonRegular(dir, "array", ".npy")) {
      assertRefused(() => readNpy(path), path, kind);
    }
    assert.throws(() => readSleepEdfHypnogram(join(dir, "absent.edf")), MissingDataError);
    assert.throws(() => readNpz(join(dir, "absent.npz")), MissingDataError);
    assert.throws(() => readNpy(join(dir, "absent.npy")), MissingDataError);
    // A hypnogram file over the caller's limit.
    const real = join(SLEEP_EDF, "SC4001EC-Hypnogram.edf");
    assert.throws(() => readSleepEdfHypnogram(real, { maxBytes: 4000 }), SizeLimitError);
  });
});

Deno.test("npz: an archive that inflates past the cap is refused before inflating; the caller can raise the cap", async () => {
  // 8 MiB of zeros deflate to a few KiB.
  const n = 2 << 20;
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n},), }`;
  const padded = header.padEnd(118, " ") + "\n";
  const npyBytes = new Uint8Array(10 + padded.length + 4 * n);
  npyBytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
  npyBytes.set(encoder.encode(padded), 10);
  const zip = zipSync({ "x.npy": npyBytes }, { level: 9 });
  assert.ok(zip.length < 64 << 10, `${zip.length} bytes`);
  await withTempDir("emargin-limits-", async (dir) => {
    const path = join(dir, "zeros.npz");
    await Deno.writeFile(path, zip);
    assert.throws(() => readNpz(path, { maxBytes: 4 << 20 }), (e: unknown) => {
      assert.ok(e instanceof SizeLimitError, String(e));
      assert.equal(e.file, path);
      assert.equal(e.field, "member x.npy");
      assert.match(e.message, /raise the maxBytes option/);
      return true;
    });
    const { x } = readNpz(path, { maxBytes: 16 << 20 });
    assert.deepEqual([x.dtype, x.shape, x.data.length], ["float32", [n], n]);
    const npyPath = join(dir, "zeros.npy");
    await Deno.writeFile(npyPath, npyBytes);
    assert.throws(() => readNpy(npyPath, { maxBytes: 1 << 20 }), SizeLimitError);
    assert.equal(readNpy(npyPath).data.length, n);
  });
});
