import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { BackendName } from "../lib/backend.ts";
import { ShapeError } from "../lib/errors.ts";
import { lsHatclLoss, lsMarginLoss, stableMarginLoss } from "../lib/losses/mod.ts";
import {
  fusedHatclLoss,
  fusedLsHatclLoss,
  fusedLsMarginLoss,
  fusedMarginLoss,
  fusedStableMarginLoss,
  resolveTileRows,
} from "../lib/losses/fused/mod.ts";
import { assertClose } from "./_util.ts";
import { f32, finiteScale, golden, goldenMismatches } from "./_losses_golden.ts";
import type { GoldenCase } from "./_losses_golden.ts";

/** The fused loss a golden case names, with a given block height. */
function fusedLoss(c: GoldenCase, tileRows?: number): (z: Tensor2D) => Scalar {
  const s = c.s ? tf.tensor1d(f32(c.s)) : null;
  const opts = { temperature: c.temperature, margin: c.margin ?? 0, tileRows };
  switch (c.loss) {
    case "hatcl":
      return (z) => fusedHatclLoss(z, opts);
    case "ls_hatcl":
      return (z) => fusedLsHatclLoss(z, opts);
    case "margin":
      return (z) => fusedMarginLoss(z, s as Tensor1D, opts);
    case "ls_margin":
      return (z) => fusedLsMarginLoss(z, s as Tensor1D, opts);
  }
}

function valueAndGrad(loss: (z: Tensor2D) => Scalar, z: Tensor2D) {
  const { value, grad } = tf.valueAndGrad(loss)(z);
  const result = { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  tf.dispose([value, grad]);
  return result;
}

/**
 * One golden case through one block height, with the tolerances of
 * tests/losses_test.ts: loss 1e−5 relative; finite gradients 1e−5 relative
 * plus 1e−5 of the largest entry; otherwise the finiteness pattern.
 */
function checkCase(c: GoldenCase, tileRows: number | undefined): string[] {
  const label = `${c.name} (tileRows ${tileRows ?? "default"})`;
  const z = tf.tensor2d(f32(c.z), [c.N, c.D]);
  const { loss, grad } = valueAndGrad(fusedLoss(c, tileRows), z);
  z.dispose();
  return goldenMismatches(c, label, loss, grad);
}

/** Smooth ReLU embeddings with a few transitions, as the encoder produces. */
function embeddings(n: number, d: number, seed: number): Tensor2D {
  return tf.tidy(() => {
    const base = tf.randomUniform([Math.ceil(n / 16), d], 0, 1, "float32", seed);
    const repeated = tf.reshape(tf.tile(tf.expandDims(base, 1), [1, 16, 1]), [-1, d]);
    const noise = tf.randomNormal([repeated.shape[0], d], 0, 0.2, "float32", seed + 1);
    return tf.relu(tf.slice(tf.add(repeated, noise), [0, 0], [n, d])) as Tensor2D;
  });
}

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  Deno.test(`fused losses match every golden case on ${backend}, untiled and tiled`, async () => {
    await initBackend({ prefer: backend });
    const problems: string[] = [];
    for (const c of golden.cases) {
      problems.push(...checkCase(c, undefined));
      // Blocks of 7 rows: uneven last block, blocks that straddle the sub-diagonal.
      if (c.N > 2) problems.push(...checkCase(c, 7));
    }
    assert.deepEqual(problems, []);
    assert.ok(golden.cases.length > 100);
  });

  Deno.test(`tiled fused losses equal the untiled ones on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const n = 300;
    const z = embeddings(n, 24, 3);
    const v = tf.tidy(() =>
      tf.cast(tf.greater(tf.randomUniform([n], 0, 1, "float32", 4), 0.7), "float32")
    ) as Tensor1D;
    const cases: [string, (tileRows?: number) => (z: Tensor2D) => Scalar][] = [
      [
        "lsMargin",
        (t) => (x) => fusedLsMarginLoss(x, v, { temperature: 0.1, margin: 5, tileRows: t }),
      ],
      [
        "margin",
        (t) => (x) =>
          fusedMarginLoss(x, tf.slice(v, [0], [n - 1]), {
            temperature: 0.1,
            margin: 1,
            tileRows: t,
          }),
      ],
      ["hatcl", (t) => (x) => fusedHatclLoss(x, { temperature: 0.1, tileRows: t })],
      ["lsHatcl", (t) => (x) => fusedLsHatclLoss(x, { temperature: 0.05, tileRows: t })],
    ];
    for (const [name, make] of cases) {
      const whole = valueAndGrad(make(n), z);
      for (const tile of [1, 64, 299]) {
        const tiled = valueAndGrad(make(tile), z);
        assertClose(tiled.loss, whole.loss, {
          rtol: 1e-5,
          atol: 0,
          label: `${name} loss, tile ${tile}`,
        });
        // On wasm the whole matrix goes through lib/losses/fused/wasm_kernels.ts, whose exp is
        // within 1–2 ulp of tfjs' (the tiles'); margin 5 at τ = 0.1 makes terms up to e^12.5 whose
        // cancellation in the gradient turns those ulps into ≈ 3e−5 of its largest entry.
        const gradScale = backend === "wasm" ? 1e-4 : 1e-5;
        const atol = gradScale * finiteScale(Float64Array.from(whole.grad));
        assertClose(tiled.grad, whole.grad, {
          rtol: 1e-5,
          atol,
          label: `${name} grad, tile ${tile}`,
        });
      }
    }
    tf.dispose([z, v]);
  });

  Deno.test(`fused losses leak no tensors on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const z = embeddings(40, 8, 5);
    const v = tf.ones([40]) as Tensor1D;
    const single = tf.ones([39]) as Tensor1D;
    const step = (tileRows?: number) => {
      const { value, grad } = tf.valueAndGrad((x: Tensor2D) =>
        tf.add(
          fusedLsMarginLoss(x, v, { temperature: 0.1, margin: 5, tileRows }),
          fusedLsHatclLoss(x, { temperature: 0.1, tileRows }),
        ) as Scalar
      )(z);
      tf.dispose([value, grad]);
      fusedMarginLoss(z, single, { temperature: 0.1, margin: 5, tileRows })
        .dispose();
    };
    for (const tileRows of [undefined, 9]) {
      step(tileRows);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step(tileRows);
      assert.equal(tf.memory().numTensors, before, `tileRows ${tileRows}`);
    }
    tf.dispose([z, v, single]);
  });
}

Deno.test("tiled working set grows with N·tileRows, not N²", async () => {
  await initBackend({ prefer: "wasm" });
  const d = 8, tileRows = 16;
  const peak = async (n: number, tile?: number) => {
    const z = embeddings(n, d, 7);
    const v = tf.ones([n]) as Tensor1D;
    const info = await tf.profile(() => {
      const { value, grad } = tf.valueAndGrad((x: Tensor2D) =>
        fusedLsMarginLoss(x, v, { temperature: 0.1, margin: 5, tileRows: tile })
      )(z);
      tf.dispose([value, grad]);
    });
    tf.dispose([z, v]);
    return info.peakBytes;
  };
  const [small, large, untiled] = [
    await peak(300, tileRows),
    await peak(1200, tileRows),
    await peak(1200),
  ];
  // Bytes per row of S: constant in N at a fixed block height (O(B·N + N·D) in all).
  const perRowSmall = small / 300, perRowLarge = large / 1200;
  assert.ok(
    Math.abs(perRowLarge / perRowSmall - 1) < 0.1,
    `peak bytes per row: ${perRowSmall} at N = 300, ${perRowLarge} at N = 1200`,
  );
  const n2 = 1200 * 1200 * 4;
  assert.ok(untiled > n2, `the untiled path holds N×N matrices (peak ${untiled} B)`);
  assert.ok(large < untiled / 5, `tiled peak ${large} B vs untiled ${untiled} B`);
});

Deno.test("fused losses default to whole matrices for small N and blocks for large N", () => {
  assert.equal(resolveTileRows(1600), 1600);
  assert.equal(resolveTileRows(16000), 512);
  assert.equal(resolveTileRows(100, 7), 7);
  assert.equal(resolveTileRows(100, 1000), 100);
});

Deno.test("fused losses agree with the reference on random smooth embeddings", async () => {
  await initBackend({ prefer: "cpu" });
  const n = 120;
  const z = embeddings(n, 16, 11);
  const v = tf.ones([n]) as Tensor1D;
  const pairs: [string, (x: Tensor2D) => Scalar, (x: Tensor2D) => Scalar][] = [
    [
      "lsMargin",
      (x) => lsMarginLoss(x, v, { temperature: 0.1, margin: 5 }),
      (x) => fusedLsMarginLoss(x, v, { temperature: 0.1, margin: 5, tileRows: 50 }),
    ],
    [
      "lsHatcl",
      (x) => lsHatclLoss(x, { temperature: 0.1 }),
      (x) => fusedLsHatclLoss(x, { temperature: 0.1, tileRows: 50 }),
    ],
  ];
  for (const [name, reference, fused] of pairs) {
    const want = valueAndGrad(reference, z);
    const got = valueAndGrad(fused, z);
    assertClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, label: `${name} loss` });
    const atol = 1e-5 * finiteScale(Float64Array.from(want.grad));
    assertClose(got.grad, want.grad, { rtol: 1e-5, atol, label: `${name} grad` });
  }
  tf.dispose([z, v]);
});

Deno.test("fused margin losses reject sim vectors of the wrong length", async () => {
  await initBackend({ prefer: "cpu" });
  const z = tf.randomNormal([6, 4]) as Tensor2D;
  const opts = { temperature: 0.1, margin: 5 };
  assert.throws(() => fusedMarginLoss(z, tf.ones([6]) as Tensor1D, opts), ShapeError);
  assert.throws(() => fusedLsMarginLoss(z, tf.ones([5]) as Tensor1D, opts), /s: .*length/);
  assert.throws(() => fusedHatclLoss(tf.zeros([1, 4]) as Tensor2D, opts), ShapeError);
  z.dispose();
});

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  Deno.test(`fused emargin-stable equals stableMarginLoss on ${backend}, untiled and tiled`, async () => {
    await initBackend({ prefer: backend });
    const n = 64;
    const z = embeddings(n, 12, 13);
    const x = tf.randomNormal([4, n / 4, 5], 0, 1, "float32", 14);
    const configs = [[0.05, 5], [0.1, 5], [0.5, 100], [0.1, 0.5]];
    for (const form of ["ls", "single"] as const) {
      for (const [temperature, margin] of configs) {
        const options = { temperature, margin, threshold: 0.2, form };
        const want = valueAndGrad((v) => stableMarginLoss(v, x, options), z);
        for (const tileRows of [undefined, 7]) {
          const got = valueAndGrad((v) => fusedStableMarginLoss(v, x, { ...options, tileRows }), z);
          const label = `${form} τ=${temperature} m=${margin} tileRows ${tileRows}`;
          assertClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, label });
          const atol = 1e-5 * finiteScale(Float64Array.from(want.grad));
          assertClose(got.grad, want.grad, { rtol: 1e-5, atol, label });
        }
      }
    }
    tf.dispose([z, x]);
  });
}
