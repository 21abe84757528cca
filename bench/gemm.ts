/**
 * The wasm backend's matrix products: tfjs' own `BatchMatMul` (XNNPACK)
 * against the packed f32x4 GEMM of `lib/wasm/gemm.ts`, with and without the
 * fused multiply-add, in one process, on the products that dominate the
 * study's steps (the N×N similarity and its
 * gradients at N = 1600 and SimMTM's 4N = 6400, the FeatureProjector's
 * layers on ECG, TS2Vec's per-instance products), plain and with a
 * transposed operand; beside them the wasm arithmetic limits of
 * `bench/wasm_peak.ts`. Median of 7 after 2 warm-up runs each (`timeProduct`).
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { GEMM_COLUMNS, GEMM_ROWS, installWasmGemm, uninstallWasmGemm } from "../lib/wasm/mod.ts";
import { timeProduct } from "./timing.ts";
import { wasmFmaPeak, wasmSimdPeak } from "./wasm_peak.ts";

/** `[batch, m, k, n, transposeA, transposeB, what]`. */
const PRODUCTS: [number, number, number, number, boolean, boolean, string][] = [
  [1, 1600, 320, 1600, false, false, "similarity U·Uᵀ (explicit transpose), N = 1600"],
  [1, 1600, 320, 1600, false, true, "similarity U·Uᵀ (transposeB), N = 1600"],
  [1, 1600, 1600, 320, false, false, "gradient G·U, N = 1600"],
  [1, 320, 1600, 1600, true, false, "gradient Uᵀ·G (transposeA), N = 1600"],
  [1, 512, 320, 6400, false, false, "SimMTM logits block, 4N = 6400"],
  [1, 1600, 1502, 128, false, false, "ECG FeatureProjector first layer"],
  [76, 16, 320, 16, false, false, "TS2Vec instance products (batched)"],
];

/** One row per product: ms and GFLOP/s with tfjs' kernel and with ours. */
export async function benchGemm(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const backend = (await initBackend({ prefer: "wasm" })).name;
  if (backend !== "wasm") return { rows: [], notes: ["wasm backend unavailable"] };
  const rows: Record<string, unknown>[] = [];
  let fused = false;
  for (const [batch, m, k, n, ta, tb, what] of PRODUCTS) {
    const shapeA = ta ? [k, m] : [m, k], shapeB = tb ? [n, k] : [k, n];
    const a = tf.randomNormal(batch > 1 ? [batch, ...shapeA] : shapeA);
    const b = tf.randomNormal(batch > 1 ? [batch, ...shapeB] : shapeB);
    uninstallWasmGemm();
    const tfjsMs = await timeProduct(a, b, { transposeA: ta, transposeB: tb });
    installWasmGemm({ fused: false });
    const mulAddMs = await timeProduct(a, b, { transposeA: ta, transposeB: tb });
    fused = installWasmGemm().fused;
    const oursMs = await timeProduct(a, b, { transposeA: ta, transposeB: tb });
    tf.dispose([a, b]);
    const gflop = (2 * batch * m * k * n) / 1e9;
    rows.push({
      product: `${batch > 1 ? `${batch} × ` : ""}${m}×${k}×${n}${ta ? " Aᵀ" : ""}${
        tb ? " Bᵀ" : ""
      }`,
      what,
      tfjsMs,
      oursMulAddMs: mulAddMs,
      oursMs,
      tfjsGflops: gflop / (tfjsMs / 1e3),
      oursMulAddGflops: gflop / (mulAddMs / 1e3),
      oursGflops: gflop / (oursMs / 1e3),
      speedup: tfjsMs / oursMs,
    });
  }
  const peak = await wasmSimdPeak();
  const fma = await wasmFmaPeak();
  const best = Math.max(...rows.map((r) => r.oursGflops as number));
  return {
    rows,
    notes: [
      `ours: ${GEMM_ROWS} × ${GEMM_COLUMNS} tiles with ${
        fused ? "f32x4.relaxed_madd" : "f32x4.mul + f32x4.add (no relaxed SIMD here)"
      }; oursMulAdd: the same kernel with f32x4.mul + f32x4.add`,
      `wasm limits (bench/wasm_peak.ts): mul + add ${
        peak.gflops.toFixed(1)
      } GFLOP/s, relaxed_madd ${fma.gflops.toFixed(1)} GFLOP/s; the best product reaches ${
        (100 * best / fma.gflops).toFixed(0)
      } % of the FMA limit`,
      `load average (1/5/15 min) after: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
    ],
  };
}

if (import.meta.main) {
  const { rows, notes } = await benchGemm();
  console.table(rows);
  for (const note of notes) console.log(note);
}
