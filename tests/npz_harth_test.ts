import assert from "node:assert/strict";
import { join } from "node:path";
import { zipSync } from "fflate";
import { parseNpy, readNpz, toFloat64, toInt32 } from "../lib/data/npz.ts";
import { HARTH_LABEL_MAP, parseHarthCsv, readHarthCsv } from "../lib/data/harth.ts";
import { loadDataset } from "../lib/data/datasets/mod.ts";
import { DataFormatError, MissingDataError } from "../lib/errors.ts";

/** Minimal `.npy` writer (format 1.0, header padded to 64 bytes) for the tests. */
function npyBytes(
  descr: string,
  shape: number[],
  payload: Uint8Array,
  { fortran = false, version = 1 }: { fortran?: boolean; version?: number } = {},
): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '${descr}', 'fortran_order': ${
    fortran ? "True" : "False"
  }, 'shape': (${dims}), }`;
  const prefix = version === 1 ? 10 : 12;
  while ((prefix + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const out = new Uint8Array(prefix + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(payload, prefix + header.length);
  return out;
}

/** Bytes of `values` as `size`-byte elements written by `set(view, offset, value, littleEndian)`. */
function encode(
  values: number[],
  size: number,
  littleEndian: boolean,
  set: (v: DataView, o: number, x: number, le: boolean) => void,
): Uint8Array {
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => set(view, i * size, x, littleEndian));
  return bytes;
}

const f4 = (v: DataView, o: number, x: number, le: boolean) => v.setFloat32(o, x, le);
const f8 = (v: DataView, o: number, x: number, le: boolean) => v.setFloat64(o, x, le);
const i4 = (v: DataView, o: number, x: number, le: boolean) => v.setInt32(o, x, le);
const i8 = (v: DataView, o: number, x: number, le: boolean) => v.setBigInt64(o, BigInt(x), le);

Deno.test("readNpz: float32/64 and int32/64 in both byte orders, stored and deflated", () => {
  const values = [1.5, -2.25, 3, 0, 1e10, -7];
  for (const le of [true, false]) {
    const o = le ? "<" : ">";
    const members = {
      "a.npy": npyBytes(`${o}f4`, [2, 3], encode(values, 4, le, f4)),
      "b.npy": npyBytes(`${o}f8`, [3, 2], encode(values, 8, le, f8)),
      "c.npy": npyBytes(`${o}i4`, [6], encode([1, -2, 3, 2147483647, -2147483648, 0], 4, le, i4)),
      "d.npy": npyBytes(`${o}i8`, [2, 1], encode([-5, 2 ** 40], 8, le, i8), { version: 2 }),
    };
    for (const level of [0, 6] as const) {
      const npz = readNpz(zipSync(members, { level }));
      assert.deepEqual(Object.keys(npz).sort(), ["a", "b", "c", "d"]);
      assert.deepEqual(npz.a.shape, [2, 3]);
      assert.equal(npz.a.dtype, "float32");
      assert.deepEqual([...npz.a.data as Float32Array], values);
      assert.ok(npz.b.data instanceof Float64Array);
      assert.deepEqual([...npz.b.data as Float64Array], values);
      assert.deepEqual([...npz.c.data as Int32Array], [1, -2, 3, 2147483647, -2147483648, 0]);
      assert.ok(npz.d.data instanceof BigInt64Array);
      assert.deepEqual([...npz.d.data as BigInt64Array], [-5n, 2n ** 40n]);
      assert.deepEqual([...toFloat64(npz.d)], [-5, 2 ** 40]);
      assert.throws(() => toInt32(npz.d), /int32 range/);
      assert.deepEqual([...toInt32(npz.c)], [1, -2, 3, 2147483647, -2147483648, 0]);
    }
  }
});

Deno.test("parseNpy: scalars, empty arrays and bool; Fortran order and bad sizes rejected", () => {
  const scalar = parseNpy(npyBytes("<f8", [], encode([4.5], 8, true, f8)), "s.npy");
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data as Float64Array], [4.5]);
  assert.equal(parseNpy(npyBytes("<f4", [0, 3], new Uint8Array()), "e.npy").data.length, 0);
  assert.deepEqual([
    ...parseNpy(npyBytes("|b1", [2], Uint8Array.of(1, 0)), "b.npy").data as Uint8Array,
  ], [1, 0]);
  assert.throws(
    () => parseNpy(npyBytes("<f4", [2], new Uint8Array(8), { fortran: true }), "f.npy"),
    (e: unknown) =>
      e instanceof DataFormatError && e.field === "header fortran_order" && e.file === "f.npy",
  );
  assert.throws(() => parseNpy(npyBytes("<f4", [3], new Uint8Array(8)), "short.npy"), /12 bytes/);
  assert.throws(() => parseNpy(npyBytes("<c16", [1], new Uint8Array(16)), "c.npy"), /descr/);
  assert.throws(() => parseNpy(npyBytes("|O", [1], new Uint8Array(8)), "o.npy"), /descr/);
  assert.throws(() => readNpz(Uint8Array.of(1, 2, 3)), DataFormatError);
  assert.throws(() => readNpz("/nonexistent.npz"), MissingDataError);
});

function harthCsv(n: number, seed: number, { extraHeader = true } = {}): string {
  const codes = Object.keys(HARTH_LABEL_MAP).map(Number);
  const lines = [
    extraHeader
      ? "timestamp,back_x,back_y,back_z,thigh_x,thigh_y,thigh_z,label"
      : "label,thigh_z,thigh_y,thigh_x,back_z,back_y,back_x",
  ];
  for (let i = 0; i < n; i++) {
    const code = codes[Math.floor(i / 400 + seed) % codes.length];
    const v = [0, 1, 2, 3, 4, 5].map((c) => Math.sin(0.01 * (c + 1) * i + seed).toFixed(5));
    lines.push(
      extraHeader
        ? `2019-01-12 00:00:${i},${v.join(",")},${code}`
        : `${code},${v.reverse().join(",")}`,
    );
  }
  return lines.join("\n") + "\n";
}

Deno.test("parseHarthCsv: columns by name, NaN rows dropped, labels mapped", () => {
  const text = "timestamp,back_x,back_y,back_z,thigh_x,thigh_y,thigh_z,label\n" +
    "t0,1,2,3,4,5,6,1\n" +
    "t1,NaN,2,3,4,5,6,1\n" +
    "t2,1,2,,4,5,6,6\n" +
    "t3,-1.5,2e-3,.5,4,5,6,140\n";
  const rec = parseHarthCsv(text, "S1.csv");
  assert.equal(rec.nSamples, 2);
  assert.equal(rec.droppedRows, 2);
  assert.deepEqual([...rec.labels], [0, 11]);
  assert.deepEqual([...rec.channels[0]], [1, -1.5]);
  assert.deepEqual([...rec.channels[1]], [2, 0.002]);
  // column order does not matter
  const reordered = parseHarthCsv(harthCsv(3, 0, { extraHeader: false }), "R.csv");
  const straight = parseHarthCsv(harthCsv(3, 0), "S.csv");
  assert.deepEqual(reordered.channels, straight.channels);
  assert.deepEqual(reordered.labels, straight.labels);
  assert.throws(
    () =>
      parseHarthCsv("back_x,back_y,back_z,thigh_x,thigh_y,thigh_z,label\n1,2,3,4,5,6,9\n", "L.csv"),
    (e: unknown) => e instanceof DataFormatError && e.field === "line 2 label",
  );
  assert.throws(() => readHarthCsv("/nonexistent/S006.csv"), MissingDataError);
});

Deno.test("loadDataset('harth') on CSV files written by the test: F = 156, T = 119, split by subject", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "harth"));
    for (let s = 0; s < 4; s++) {
      await Deno.writeTextFile(join(root, "harth", `S0${10 + s}.csv`), harthCsv(3600, s));
    }
    const d = await loadDataset("harth", { dataDir: root, cache: false });
    assert.equal(d.F, 156);
    assert.equal(d.T, 119);
    assert.equal(d.classNames.length, 12);
    assert.deepEqual(d.meta.subjects, { train: ["S010", "S011", "S012"], eval: ["S013"] });
    // 3600 samples → 143 frames → max(1, ⌈(143 − 118)/24⌉) = 2 windows per file
    assert.equal(d.train.nSequences, 6);
    assert.equal(d.eval.nSequences, 2);
    assert.equal(d.train.x.length, 6 * 119 * 156);
    for (const y of [...d.train.y, ...d.eval.y]) assert.ok(y >= -1 && y < 12);
    await assert.rejects(
      () => loadDataset("harth", { dataDir: join(root, "none"), cache: false }),
      MissingDataError,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
