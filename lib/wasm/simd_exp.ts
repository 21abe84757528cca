/**
 * `exp` on four f32 lanes as text for `emit.ts`, shared by the GELU and the
 * fused losses' column kernels: Cephes' `expf` (`eʸ = 2ⁿ·e^r`,
 * `n = round(y·log₂e)`, `r = y − n·ln 2` with `ln 2` split in two,
 * `e^r` by a degree-6 polynomial; relative error ≈ 1e−7).
 *
 * The argument is clamped to `[−86.6, 89]`: `2ⁿ` is formed from its exponent
 * bits as `2ⁿ⁻¹` times 2, so every finite result is exact up to
 * `e^88.72 = f32 max`, above which the product overflows to `+∞` as `expf`
 * does; below `e^−86.6 ≈ 2.3e−38` the result stays at that value instead of
 * reaching 0. NaN stays NaN.
 *
 * @module
 */

/** Cephes `expf`: `ln 2 = C1 + C2` split, and the polynomial's coefficients, highest first. */
const EXP = {
  c1: 0.693359375,
  c2: -2.12194440e-4,
  poly: [
    1.9875691500e-4,
    1.3981999507e-3,
    8.3334519073e-3,
    4.1665795894e-2,
    1.6666665459e-1,
    5.0000001201e-1,
  ],
};

/** The v128 constants {@linkcode expStatements} reads: `[local name, initialiser]`. */
export const EXP_CONSTANTS: readonly [string, string][] = [
  ["expOne", "f32x4.const 1"],
  ["expTwo", "f32x4.const 2"],
  ["expLow", "f32x4.const -86.6"],
  ["expHigh", "f32x4.const 89"],
  ["expLog2e", `f32x4.const ${Math.LOG2E}`],
  ["expC1", `f32x4.const ${EXP.c1}`],
  ["expC2", `f32x4.const ${EXP.c2}`],
  ...EXP.poly.map((c, i): [string, string] => [`expP${i}`, `f32x4.const ${c}`]),
  ["expBias", "i32x4.const 126"],
];

/**
 * Statements (one per line, each leaving the stack empty) that set the v128
 * local `out` to `exp(y)` of the v128 local `y`, using the v128 locals `n`
 * and `r` as scratch (`y` is clobbered). The locals of
 * {@linkcode EXP_CONSTANTS} must hold their values.
 *
 * @example
 * ```ts
 * const lines = expStatements("y", "e", "n", "r"); // e = exp(y)
 * ```
 */
export function expStatements(y: string, out: string, n: string, r: string): string[] {
  const horner = [
    `local.get expP0`,
    ...EXP.poly.slice(1).map((_, i) => `local.get ${r} f32x4.mul local.get expP${i + 1} f32x4.add`),
  ].join(" ");
  return [
    `local.get ${y} local.get expLow f32x4.max local.get expHigh f32x4.min local.set ${y}`,
    `local.get ${y} local.get expLog2e f32x4.mul f32x4.nearest local.set ${n}`,
    `local.get ${y} local.get ${n} local.get expC1 f32x4.mul f32x4.sub local.get ${n} local.get expC2 f32x4.mul f32x4.sub local.set ${r}`,
    `${horner} local.get ${r} local.get ${r} f32x4.mul f32x4.mul local.get ${r} f32x4.add local.get expOne f32x4.add local.get expTwo f32x4.mul local.set ${out}`,
    `local.get ${out} local.get ${n} i32x4.trunc_sat_f32x4_s local.get expBias i32x4.add i32.const 23 i32x4.shl f32x4.mul local.set ${out}`,
  ];
}

/** `exp` by the kernel's steps in float64 (for scalar tails and tests). */
export function expScalar(y: number): number {
  if (Number.isNaN(y)) return NaN;
  const x = Math.min(Math.max(y, -86.6), 89);
  const n = Math.round(x * Math.LOG2E);
  const r = x - n * EXP.c1 - n * EXP.c2;
  const p = EXP.poly.reduce((acc, c) => acc * r + c, 0);
  return (p * r * r + r + 1) * 2 * 2 ** (n - 1);
}
