import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor3D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { makeRng } from "../lib/random.ts";
import { pretrain, sequenceBatches } from "../lib/train/mod.ts";
import {
  createTs2vecEncoder,
  cropViews,
  drawCrop,
  hierarchicalContrastiveLoss,
  takePerRow,
  ts2vecObjective,
} from "../lib/ts2vec/mod.ts";
import { deviceClean, hostClean } from "../lib/ts2vec/input_clean.ts";
import { assertClose } from "./_util.ts";
import { OptionError, ShapeError } from "../lib/errors.ts";

type Seq = number[][][]; // [B][T][C]

function randomSeq(b: number, t: number, c: number, seed: number): Seq {
  const rng = makeRng(seed);
  return Array.from(
    { length: b },
    () => Array.from({ length: t }, () => Array.from({ length: c }, () => rng.normal())),
  );
}

const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);

/** Mean over anchors of −log softmax at the positive, self excluded (float64 loops). */
function pairedCE(groups: number[][][]): number {
  let total = 0, count = 0;
  for (const z of groups) {
    const m = z.length / 2;
    for (let i = 0; i < 2 * m; i++) {
      const pos = i < m ? i + m : i - m;
      let norm = 0;
      for (let j = 0; j < 2 * m; j++) if (j !== i) norm += Math.exp(dot(z[i], z[j]));
      total += Math.log(norm) - dot(z[i], z[pos]);
      count++;
    }
  }
  return total / count;
}

function loopLoss(z1: Seq, z2: Seq, alpha: number): number {
  const inst = (a: Seq, b: Seq) =>
    a.length === 1
      ? 0
      : pairedCE(a[0].map((_, t) => [...a.map((s) => s[t]), ...b.map((s) => s[t])]));
  const temp = (a: Seq, b: Seq) =>
    a[0].length === 1 ? 0 : pairedCE(a.map((s, i) => [...s, ...b[i]]));
  const pool = (a: Seq) =>
    a.map((s) =>
      Array.from(
        { length: Math.floor(s.length / 2) },
        (_, t) => s[2 * t].map((x, c) => Math.max(x, s[2 * t + 1][c])),
      )
    );
  let loss = 0, d = 0;
  while (z1[0].length > 1) {
    loss += alpha * inst(z1, z2) + (1 - alpha) * temp(z1, z2);
    d++;
    z1 = pool(z1);
    z2 = pool(z2);
  }
  if (z1[0].length === 1) {
    loss += alpha * inst(z1, z2);
    d++;
  }
  return loss / d;
}

Deno.test("hierarchical contrastive loss matches a loop implementation", async () => {
  await initBackend({ prefer: "cpu" });
  for (const [b, t, c, alpha] of [[3, 5, 4, 0.5], [2, 8, 3, 0.5], [1, 6, 2, 0.5], [3, 7, 2, 0.2]]) {
    const a = randomSeq(b, t, c, 10 * b + t), z = randomSeq(b, t, c, 20 * b + t);
    const got = tf.tidy(() =>
      hierarchicalContrastiveLoss(tf.tensor3d(a), tf.tensor3d(z), { alpha }).dataSync()[0]
    );
    assertClose(got, loopLoss(a, z, alpha), { rtol: 1e-5, label: `B=${b} T=${t}` });
  }
  // Hand-checkable: B=1, T=2, C=1 → temporal term only at the first scale,
  // logits among {1, 2, 3, 4}; scale 2 (T'=1) adds α·0.
  const a = [[[1], [2]]], z = [[[3], [4]]];
  const row = (i: number, pos: number, all: number[]) =>
    Math.log(all.filter((_, j) => j !== i).reduce((s, v) => s + Math.exp(all[i] * v), 0)) -
    all[i] * all[pos];
  const v = [1, 2, 3, 4];
  const temporal = (row(0, 2, v) + row(1, 3, v) + row(2, 0, v) + row(3, 1, v)) / 4;
  const got = tf.tidy(() =>
    hierarchicalContrastiveLoss(tf.tensor3d(a), tf.tensor3d(z)).dataSync()[0]
  );
  assertClose(got, (0.5 * temporal) / 2, { rtol: 1e-5, label: "hand" });
});

Deno.test("TS2Vec encoder: shapes, parameter count, receptive field", async () => {
  await initBackend({ prefer: "cpu" });
  const full = createTs2vecEncoder({ inFeatures: 5, seed: 1 });
  // input_fc 5·64+64, 10 blocks × 2 × (64·64·3+64), final 64·320·3+320 + 320·320·3+320 + 64·320+320.
  const expected = 5 * 64 + 64 + 10 * 2 * (64 * 64 * 3 + 64) + (64 * 320 * 3 + 320) +
    (320 * 320 * 3 + 320) + (64 * 320 + 320);
  assert.equal(full.parameterCount(), expected);
  const x = tf.randomNormal([2, 7, 5], 0, 1, "float32", 3) as Tensor3D;
  const y = full.apply(x, { training: false });
  assert.deepEqual(y.shape, [2, 7, 320]);
  tf.dispose([x, y]);
  full.dispose();

  // depth 2: dilations 1, 2, 4 → each output sees ±2·(1+2+4) = ±14 frames.
  const small = createTs2vecEncoder({ inFeatures: 3, outFeatures: 6, depth: 2, seed: 2 });
  const T = 40, t0 = 20;
  const base = randomSeq(1, T, 3, 5);
  const moved = base.map((s) => s.map((r, t) => (t === t0 ? r.map((v) => v + 1) : r)));
  const [y0, y1] = [base, moved].map((s) =>
    tf.tidy(() => small.apply(tf.tensor3d(s), { training: false }).arraySync() as Seq)
  );
  for (let t = 0; t < T; t++) {
    const changed = y0[0][t].some((v, c) => v !== y1[0][t][c]);
    assert.equal(changed, Math.abs(t - t0) <= 14, `frame ${t}`);
  }
  small.dispose();
});

Deno.test("TS2Vec encoder equals a tf.conv1d forward built from its torch state dict", async () => {
  await initBackend({ prefer: "cpu" });
  const enc = createTs2vecEncoder({ inFeatures: 3, outFeatures: 5, hidden: 4, depth: 2, seed: 7 });
  const s = enc.stateDict();
  assert.deepEqual(s["feature_extractor.net.0.conv1.conv.weight"].shape, [4, 4, 3]);
  const x = randomSeq(2, 9, 3, 11);
  x[1][4] = [NaN, 0, 1]; // a NaN row is zeroed
  const reference = tf.tidy(() => {
    const w = (name: string) => tf.tensor(s[name].values, s[name].shape);
    const gelu = (v: tf.Tensor) => tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.div(v, Math.SQRT2))));
    const conv = (h: tf.Tensor3D, name: string, dil: number) => {
      // torch [out, in, k] → tfjs filter [k, in, out]
      const filter = tf.transpose(w(`${name}.weight`), [2, 1, 0]) as tf.Tensor3D;
      return tf.add(tf.conv1d(h, filter, 1, "same", "NWC", dil), w(`${name}.bias`)) as tf.Tensor3D;
    };
    const xt = tf.tensor3d(x.map((q) => q.map((r) => (r.some(Number.isNaN) ? [0, 0, 0] : r))));
    let h = tf.add(
      tf.matMul(tf.reshape(xt, [18, 3]), w("input_fc.weight"), false, true),
      w("input_fc.bias"),
    );
    h = tf.mul(h, tf.tensor2d(Array.from({ length: 18 }, (_, i) => [i === 13 ? 0 : 1])));
    let z = tf.reshape(h, [2, 9, 4]) as tf.Tensor3D;
    for (let i = 0; i <= 2; i++) {
      const p = `feature_extractor.net.${i}`;
      const residual = i === 2 ? conv(z, `${p}.projector`, 1) : z;
      const a = conv(gelu(z) as tf.Tensor3D, `${p}.conv1.conv`, 2 ** i);
      z = tf.add(conv(gelu(a) as tf.Tensor3D, `${p}.conv2.conv`, 2 ** i), residual) as tf.Tensor3D;
    }
    return z.dataSync();
  });
  const got = tf.tidy(() => enc.apply(tf.tensor3d(x), { training: false }).dataSync());
  assertClose(got, reference, { rtol: 1e-5, atol: 1e-6, label: "ts2vec forward" });
  // State dicts round-trip through the tap permutation.
  const other = createTs2vecEncoder({
    inFeatures: 3,
    outFeatures: 5,
    hidden: 4,
    depth: 2,
    seed: 8,
  });
  other.loadStateDict(s);
  assert.deepEqual(other.stateDict(), s);
  other.dispose();
  enc.dispose();
});

Deno.test("crops overlap on [left, right) and stay inside the sequence", () => {
  const rng = makeRng(3);
  for (let i = 0; i < 500; i++) {
    const T = 2 + (i % 30);
    const c = drawCrop(4, T, rng);
    assert.ok(c.length >= 2 && c.length <= T && c.right === c.left + c.length);
    assert.ok(c.eleft >= 0 && c.eleft <= c.left && c.eright >= c.right && c.eright <= T);
    for (const o of c.offsets) assert.ok(o + c.eleft >= 0 && o + c.eright <= T);
  }
  const x = tf.tensor3d(
    Array.from({ length: 3 }, (_, b) => Array.from({ length: 12 }, (_, t) => [100 * b + t])),
  );
  const crop = drawCrop(3, 12, makeRng(9));
  const [v1, v2] = cropViews(x, crop);
  const a = v1.arraySync(), b = v2.arraySync();
  for (let s = 0; s < 3; s++) {
    for (let k = 0; k < crop.length; k++) {
      const fromEnd = a[s][a[s].length - crop.length + k][0];
      assert.equal(fromEnd, b[s][k][0]);
      assert.equal(fromEnd, 100 * s + crop.offsets[s] + crop.left + k);
    }
  }
  tf.dispose([x, v1, v2]);
});

Deno.test("takePerRow: windows copied in the wasm backend's memory equal the host cut; a window past T is a ShapeError", async () => {
  const values = Array.from(
    { length: 3 },
    (_, b) => Array.from({ length: 9 }, (_, t) => [100 * b + t, -t, 0.5 * b]),
  );
  const starts = Int32Array.from([0, 4, 2]);
  const cut = async (backend: "cpu" | "wasm") => {
    await initBackend({ prefer: backend });
    const x = tf.tensor3d(values);
    const out = takePerRow(x, starts, 5);
    const got = out.arraySync();
    assert.throws(() => takePerRow(x, Int32Array.from([0, 5, 0]), 5), ShapeError);
    tf.dispose([x, out]);
    return got;
  };
  const host = await cut("cpu");
  assert.deepEqual(await cut("wasm"), host);
  assert.deepEqual(host[1].map((r) => r[0]), [104, 105, 106, 107, 108]);
});

for (
  const [label, backbone, cropping] of [
    ["TS2Vec", "dilated-cnn", "overlap"],
    ["the shipped TS2Vec wrapper", "feature-projector", "padded-full"],
  ] as const
) {
  Deno.test(`${label}: pretraining is seeded, finite and leak-free`, async () => {
    await initBackend({ prefer: "wasm" });
    const T = 16, F = 4;
    const rng = makeRng(4);
    const x = Float32Array.from({ length: 6 * T * F }, () => rng.normal());
    const run = async () => {
      const enc = createTs2vecEncoder({
        inFeatures: F,
        outFeatures: 8,
        hidden: 8,
        depth: 3,
        seed: 5,
        backbone,
      });
      const counts: number[] = [];
      const result = await pretrain({
        encoder: enc,
        objective: ts2vecObjective({ seed: 6, cropping }),
        batches: sequenceBatches({ x, nSequences: 6, T, F }, { batchSize: 3, seed: 7 }),
        steps: 30,
        mode: "guarded",
        onStep: ({ step }) => {
          if (step === 5 || step === 30) counts.push(tf.memory().numTensors);
        },
      });
      enc.dispose();
      return { result, counts };
    };
    const first = await run(), second = await run();
    assert.equal(first.counts[0], first.counts[1]);
    assert.equal(first.result.nonFinite, 0);
    assert.deepEqual(first.result.losses, second.result.losses);
    assert.ok(first.result.losses.every((v) => v > 0));
  });
}

/** Which output frames of an eval-mode encoder change when input frame `t` changes. */
async function framesReached(backbone: "dilated-cnn" | "feature-projector", t: number) {
  await initBackend({ prefer: "wasm" });
  const T = 12, F = 3;
  const enc = createTs2vecEncoder({
    inFeatures: F,
    outFeatures: 6,
    hidden: 5,
    depth: 2,
    seed: 9,
    backbone,
  });
  const base = randomSeq(1, T, F, 10);
  const moved = structuredClone(base);
  moved[0][t] = moved[0][t].map((v) => v + 1);
  const outOf = async (s: Seq) => {
    const y = enc.apply(tf.tensor3d(s) as Tensor3D, { training: false });
    const values = (await y.array())[0];
    y.dispose();
    return values;
  };
  const [a, b] = [await outOf(base), await outOf(moved)];
  enc.dispose();
  return a.flatMap((row, i) => row.some((v, j) => Math.abs(v - b[i][j]) > 1e-6) ? [i] : []);
}

Deno.test("ts2vec backbones: the dilated CNN sees neighbouring frames, the shipped wrapper does not", async () => {
  // depth 2: dilations 1, 2, 4, two convs each → receptive field ±14 frames, all of T = 12
  assert.deepEqual(await framesReached("dilated-cnn", 5), [...Array(12).keys()]);
  assert.deepEqual(await framesReached("feature-projector", 5), [5]);
});

Deno.test("shipped TS2Vec wrapper: state dict holds the FeatureProjector under feature_extractor.", async () => {
  await initBackend({ prefer: "wasm" });
  const make = (seed: number) =>
    createTs2vecEncoder({ inFeatures: 3, outFeatures: 6, seed, backbone: "feature-projector" });
  const a = make(1), b = make(2);
  const state = a.stateDict();
  assert.deepEqual(state["feature_extractor.conv1.weight"].shape, [128, 64, 1]);
  assert.ok("feature_extractor.bn3.running_var" in state);
  assert.ok(!Object.keys(state).some((k) => k.includes(".net.")));
  assert.equal(a.name, "ts2vec-feature-projector");
  b.loadStateDict(state);
  const x = tf.tensor3d(randomSeq(2, 5, 3, 3)) as Tensor3D;
  const ya = a.apply(x, { training: false }), yb = b.apply(x, { training: false });
  assert.deepEqual(await ya.data(), await yb.data());
  tf.dispose([x, ya, yb]);
  a.dispose();
  b.dispose();
});

Deno.test("ts2vec options: unknown backbone or cropping is a typed error", () => {
  assert.throws(
    () =>
      createTs2vecEncoder({
        inFeatures: 3,
        seed: 1,
        backbone: "lstm" as "dilated-cnn",
      }),
    OptionError,
  );
  assert.throws(() => ts2vecObjective({ seed: 1, cropping: "x" as "overlap" }), OptionError);
});

Deno.test("TS2Vec input cleaning: the host scan equals the device ops (NaN entries zeroed, their rows and dropped timestamps masked)", async () => {
  await initBackend({ prefer: "wasm" });
  const x = randomSeq(2, 5, 3, 21);
  x[0][1][2] = NaN;
  x[1][3] = [NaN, NaN, 0.5];
  const keep = Float32Array.from([1, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
  for (
    const [label, values, mask] of [
      ["NaN rows, training", x, keep],
      ["NaN rows, eval", x, null],
      ["clean, training", randomSeq(2, 5, 3, 22), keep],
      ["clean, eval", randomSeq(2, 5, 3, 23), null],
    ] as const
  ) {
    const xt = tf.tensor3d(values as Seq);
    const host = hostClean(xt, mask), device = deviceClean(xt, mask);
    assertClose(host.clean.dataSync(), device.clean.dataSync(), { rtol: 0, atol: 0, label });
    const rows = (r: tf.Tensor | null) => r ? Array.from(r.dataSync()) : Array(10).fill(1);
    assert.deepEqual(rows(host.rows), rows(device.rows), label);
    tf.dispose([xt, host.clean, device.clean, host.rows ?? [], device.rows ?? []]);
  }
  assert.deepEqual(
    Array.from(hostClean(tf.tensor3d(x), null).rows!.dataSync()),
    [1, 0, 1, 1, 1, 1, 1, 1, 0, 1],
  );
});
