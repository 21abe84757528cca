import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { makeRng } from "../lib/random.ts";
import { gelu, hierarchicalContrastiveLoss, instanceContrastiveLoss } from "../lib/ts2vec/mod.ts";
import { geluConv } from "../lib/ts2vec/conv_blocks.ts";
import { tapKernelsActive } from "../lib/ts2vec/taps_wasm.ts";
import { assertClose } from "./_util.ts";

/** `[B][T][C]` standard normal values. */
function randomSeq(b: number, t: number, c: number, seed: number): number[][][] {
  const rng = makeRng(seed);
  return Array.from(
    { length: b },
    () => Array.from({ length: t }, () => Array.from({ length: c }, () => rng.normal())),
  );
}

/**
 * `f(...inputs)` and its gradients with respect to each input, read back (the
 * tensors made on the way are disposed; the inputs are kept).
 */
function lossAndGrads<T extends Tensor[]>(
  f: (...xs: T) => Scalar,
  inputs: [...T],
): { value: number; grads: Float32Array[] } {
  const { value, grads } = tf.valueAndGrads(f as (...xs: Tensor[]) => Scalar)(inputs);
  const out = { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync<"float32">()) };
  tf.dispose([value, ...grads]);
  return out;
}

/** The loss as written before its gradients were given by hand: tfjs autodiff of the plain ops. */
function autodiffLoss(z1: Tensor3D, z2: Tensor3D, alpha: number): Scalar {
  const paired = (z: Tensor3D) => {
    const [, twoM] = z.shape;
    const m = twoM / 2;
    const sim = tf.matMul(z, z, false, true);
    const self = tf.mul(tf.eye(twoM), -1e30);
    const positive = tf.concat([
      tf.concat([tf.zeros([m, m]), tf.eye(m)], 1),
      tf.concat([tf.eye(m), tf.zeros([m, m])], 1),
    ]);
    return tf.mean(tf.sub(tf.logSumExp(tf.add(sim, self), 2), tf.sum(tf.mul(sim, positive), 2)));
  };
  const inst = (a: Tensor3D, b: Tensor3D) =>
    a.shape[0] === 1 ? tf.scalar(0) : paired(tf.transpose(tf.concat([a, b], 0), [1, 0, 2]));
  const temp = (a: Tensor3D, b: Tensor3D) => paired(tf.concat([a, b], 1));
  const halve = (z: Tensor3D) => {
    const [b, t, c] = z.shape;
    const h = Math.floor(t / 2);
    return tf.max(tf.reshape(tf.slice(z, [0, 0, 0], [b, 2 * h, c]), [b, h, 2, c]), 2) as Tensor3D;
  };
  let total: Scalar = tf.scalar(0);
  let d = 0;
  while (z1.shape[1] > 1) {
    total = tf.add(total, tf.add(tf.mul(inst(z1, z2), alpha), tf.mul(temp(z1, z2), 1 - alpha)));
    d++;
    z1 = halve(z1);
    z2 = halve(z2);
  }
  if (z1.shape[1] === 1) {
    total = tf.add(total, tf.mul(inst(z1, z2), alpha));
    d++;
  }
  return tf.div(total, d) as Scalar;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`hierarchical loss: hand-written gradients equal autodiff of the plain ops on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    // Odd lengths (a dropped last frame at some scales) and long sequences (2-D product loop).
    for (const [b, t, c] of [[3, 9, 5], [2, 300, 8]]) {
      const z1 = tf.tensor3d(randomSeq(b, t, c, 5 + t)),
        z2 = tf.tensor3d(randomSeq(b, t, c, 6 + t));
      const want = lossAndGrads((a, z) => autodiffLoss(a, z, 0.3), [z1, z2]);
      const got = lossAndGrads((a, z) => hierarchicalContrastiveLoss(a, z, { alpha: 0.3 }), [
        z1,
        z2,
      ]);
      assertClose(got.value, want.value, { rtol: 1e-5, label: `B=${b} T=${t} loss` });
      for (const i of [0, 1]) {
        const scale = Math.max(...want.grads[i].map(Math.abs));
        assertClose(got.grads[i], want.grads[i], {
          rtol: 1e-4,
          atol: 1e-5 * scale,
          label: `B=${b} T=${t} grad ${i}`,
        });
      }
      tf.dispose([z1, z2]);
    }
  });
}

Deno.test("hierarchical loss: positives carried by the temporal term (α = 0, B = 1) or alone (α = 1) match autodiff", async () => {
  await initBackend({ prefer: "wasm" });
  for (const [b, t, c, alpha] of [[3, 6, 4, 0], [3, 6, 4, 1], [1, 7, 3, 0.4], [2, 1, 3, 0.5]]) {
    const z1 = tf.tensor3d(randomSeq(b, t, c, 40 + t)),
      z2 = tf.tensor3d(randomSeq(b, t, c, 41 + t));
    const want = lossAndGrads((a, z) => autodiffLoss(a, z, alpha), [z1, z2]);
    const got = lossAndGrads((a, z) => hierarchicalContrastiveLoss(a, z, { alpha }), [z1, z2]);
    const label = `B=${b} T=${t} α=${alpha}`;
    assertClose(got.value, want.value, { rtol: 1e-5, label: `${label} loss` });
    for (const i of [0, 1]) {
      assertClose(got.grads[i], want.grads[i], {
        rtol: 1e-4,
        atol: 1e-6,
        label: `${label} grad ${i}`,
      });
    }
    tf.dispose([z1, z2]);
  }
});

Deno.test("hierarchical loss: a tie in the max-pool sends the gradient to the first frame, as torch", async () => {
  await initBackend({ prefer: "wasm" });
  // T = 2, equal frames in view 1: pooled to T' = 1, whose instance term sees the tie.
  const z1 = tf.tensor3d([[[0.5, -1], [0.5, -1]], [[1, 2], [1, 2]]]);
  const z2 = tf.tensor3d([[[0.2, 0.1], [0.3, 0.4]], [[-0.1, 0.5], [0.7, 0.2]]]);
  const g = tf.grad((a) => hierarchicalContrastiveLoss(a as Tensor3D, z2, { alpha: 1 }))(z1);
  const values = g.arraySync() as number[][][];
  // Scale 1 gives both frames a gradient; scale 2 (the pooled frame) adds to frame 0 only.
  const scale1 = tf.grad((a) => instanceContrastiveLoss(a as Tensor3D, z2))(z1)
    .arraySync() as number[][][];
  for (let b = 0; b < 2; b++) {
    for (let c = 0; c < 2; c++) {
      assertClose(values[b][1][c], scale1[b][1][c] / 2, { rtol: 1e-5, label: "second frame" });
      assert.notEqual(values[b][0][c], scale1[b][0][c] / 2);
    }
  }
  tf.dispose([z1, z2, g]);
});

Deno.test("gelu: value and gradient equal autodiff of ½·x·(1 + erf(x/√2))", async () => {
  await initBackend({ prefer: "wasm" });
  const x = tf.tensor1d([-6, -2.5, -1, -0.3, 0, 1e-4, 0.7, 1.5, 4, 9]);
  const plain = (v: tf.Tensor) =>
    tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.mul(v, Math.SQRT1_2))));
  assertClose(gelu(x).dataSync(), plain(x).dataSync(), { rtol: 1e-6, atol: 1e-7 });
  const want = tf.grad((v) => tf.sum(tf.mul(plain(v), tf.range(1, 11))))(x).dataSync();
  const got = tf.grad((v) => tf.sum(tf.mul(gelu(v), tf.range(1, 11))))(x).dataSync();
  assertClose(got, want, { rtol: 1e-5, atol: 1e-6, label: "gradient" });
  x.dispose();
});

/** `SamePadConv(GELU(x))` as plain tfjs ops (padded taps concatenated, one product), for autodiff. */
function plainGeluConv(x: Tensor3D, w: Tensor2D, bias: Tensor1D, d: number): Tensor3D {
  const [b, t, c] = x.shape;
  const a = tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const padded = tf.pad(a, [[0, 0], [d, d], [0, 0]]);
  const taps = [0, 1, 2].map((k) => tf.slice(padded, [0, k * d, 0], [b, t, c]));
  const cols = tf.reshape(tf.concat(taps, 2), [b * t, 3 * c]);
  return tf.reshape(tf.add(tf.matMul(cols, w, false, true), bias), [b, t, w.shape[0]]);
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`geluConv: value and gradients equal autodiff of the padded-taps product on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    // Dilations below T (convolutions), equal to and above T (centre tap only); widths that are
    // multiples of 4 run the wasm tap kernels (lib/ts2vec/taps_wasm.ts), the others tfjs' ops.
    const shapes = [[2, 7, 3, 4, 1], [2, 9, 3, 5, 4], [1, 6, 4, 3, 6], [2, 5, 3, 4, 8]];
    const tapShapes = [[2, 9, 4, 8, 2], [3, 12, 8, 4, 5], [2, 6, 8, 8, 6], [2, 5, 4, 4, 8]];
    assert.equal(tapKernelsActive(4, 8), backend === "wasm");
    for (const [b, t, c, out, d] of [...shapes, ...tapShapes]) {
      const rng = makeRng(100 * t + d);
      const draw = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
      const x = tf.tensor3d(draw(b * t * c), [b, t, c]);
      const w = tf.tensor2d(draw(out * 3 * c), [out, 3 * c]);
      const bias = tf.tensor1d(draw(out));
      const r = tf.tensor3d(draw(b * t * out), [b, t, out]);
      const run = (f: typeof plainGeluConv) =>
        lossAndGrads((xs, ws, bs) => tf.sum(tf.mul(f(xs, ws, bs, d), r)), [x, w, bias]);
      const want = run(plainGeluConv), got = run(geluConv);
      const label = `B=${b} T=${t} C=${c} out=${out} d=${d}`;
      assertClose(got.value, want.value, { rtol: 1e-5, atol: 1e-5, label: `${label} value` });
      ["x", "weight", "bias"].forEach((name, i) =>
        assertClose(got.grads[i], want.grads[i], {
          rtol: 1e-4,
          atol: 1e-5,
          label: `${label} ∂${name}`,
        })
      );
      tf.dispose([x, w, bias, r]);
    }
  });
}
