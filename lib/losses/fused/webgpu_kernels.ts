/**
 * WGSL kernels for the WebGPU backend that do a row block's whole element-wise
 * work in one dispatch: the forward kernel evaluates `f_j(S_ji)`, applies the
 * reference's diagonal rule and reduces the row in workgroup memory; the
 * backward kernel writes `w_j·f'_j(S_ji)` with the diagonal zeroed. tfjs
 * would need one dispatch (and one N×N buffer) per operation instead.
 *
 * Registered as the tfjs kernels {@linkcode COLUMN_SUMS_KERNEL} and
 * {@linkcode COLUMN_GRADIENTS_KERNEL} for the "webgpu" backend; the fused
 * losses call them when that backend is active.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";
import type { WebGPUBackend, WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";
import type { ColumnTermKind, ColumnTermOptions } from "./column_terms.ts";
import { OptionError } from "../../errors.ts";

/** Kernel name of the fused forward pass (row sums of `f_j` over a block). */
export const COLUMN_SUMS_KERNEL = "EmarginColumnSums";

/** Kernel name of the fused backward pass (`w_j·f'_j` over a block). */
export const COLUMN_GRADIENTS_KERNEL = "EmarginColumnGradients";

/** Attributes shared by both kernels. */
interface ColumnKernelAttrs {
  kind: ColumnTermKind;
  temperature: number;
  margin: number;
  gamma: number;
  /** Column index of the block's first row. */
  rowStart: number;
}

const WORKGROUP = 64;

const UNIFORMS = "rowStart : i32, columns : i32, invTemperature : f32, margin : f32, scale : f32,";

/**
 * WGSL of the per-column coefficients `(a, b)` of `t = a·s² + b·max(0, m − s)²`:
 * `a = (1 − v)·½·sign·scale`, `b = v·½·scale`, `scale` read from the uniform
 * struct named `uniforms`.
 */
function coefficientsSource(sign: "-1.0" | "1.0", uniforms: string): string {
  return `
fn coefficients(v : f32) -> vec2<f32> {
  return vec2<f32>((1.0 - v) * 0.5 * ${sign} * ${uniforms}.scale, v * 0.5 * ${uniforms}.scale);
}`;
}

/**
 * WGSL of the hinge kinds' `coefficients(v)`, `f(s) = term(s, c) = exp(a·s² +
 * b·max(0, m − s)²)` and `f'(s) = slope(s, f, c) = f·(2a·s − 2b·max(0, m − s))`,
 * `margin` and `scale` read from the uniform struct named `uniforms`
 * (`sign` −1 for LS_MARGIN, +1 for MARGIN). lib/webgpu's fused step builds
 * its LS_MARGIN programs on it too.
 *
 * @example
 * ```ts
 * const terms = hingeTermSource("-1.0", "u"); // LS_MARGIN, uniform `u`
 * ```
 */
export function hingeTermSource(sign: "-1.0" | "1.0", uniforms: string): string {
  return `${coefficientsSource(sign, uniforms)}
fn term(s : f32, c : vec2<f32>) -> f32 {
  let h = max(${uniforms}.margin - s, 0.0);
  return exp(c.x * (s * s) + c.y * (h * h));
}
fn slope(s : f32, e : f32, c : vec2<f32>) -> f32 {
  let h = max(${uniforms}.margin - s, 0.0);
  return e * (2.0 * c.x * s - 2.0 * c.y * h);
}`;
}

/**
 * WGSL of `f(s)` and `f'(s)` for one kind. `a`, `b` are the per-column
 * coefficients of the hinge kinds: `t = a·s² + b·max(0, m − s)²`.
 */
function termSource(kind: ColumnTermKind): string {
  if (kind === "stable") {
    throw new OptionError('the WGSL kernels cover "exp", "margin" and "lsMargin", not "stable"');
  }
  const sign = kind === "lsMargin" ? "-1.0" : "1.0";
  if (kind === "exp") {
    return `${coefficientsSource(sign, "uniforms")}
    fn term(s : f32, c : vec2<f32>) -> f32 { return exp(s * uniforms.invTemperature); }
    fn slope(s : f32, e : f32, c : vec2<f32>) -> f32 { return e * uniforms.invTemperature; }`;
  }
  return hingeTermSource(sign, "uniforms");
}

/**
 * WGSL of the diagonal's contribution, given its computed value `t`: the
 * reference multiplies it by 0 (0, or NaN where it overflowed); MARGIN_LOSS
 * instead zeroes `S_jj` first, so its term is `f_j(0)` and carries no gradient.
 */
function diagonalSource(kind: ColumnTermKind, forward: boolean): string {
  if (kind === "margin" && forward) return "term(0.0, c)";
  return "select(0.0, uniforms.NAN, isnan(t) || isinf(t))";
}

function uniformData(attrs: ColumnKernelAttrs, columns: number) {
  const scale = attrs.kind === "lsMargin" ? attrs.gamma / attrs.temperature : 1;
  return [
    { type: "int32", data: [attrs.rowStart] },
    { type: "int32", data: [columns] },
    { type: "float32", data: [1 / attrs.temperature] },
    { type: "float32", data: [attrs.margin] },
    { type: "float32", data: [scale] },
  ];
}

/** Forward program: one workgroup per row, `out_r = Σ_i f_{r0+r}(S_ri)` with the diagonal rule. */
function columnSumsProgram(rows: number, kind: ColumnTermKind): WebGPUProgram {
  const outputShape = [rows];
  const dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
  return {
    variableNames: ["S", "V"],
    outputShape,
    shaderKey: `emargin_column_sums_${kind}`,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, outputShape, [1, 1, 1]),
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: UNIFORMS,
    size: true,
    getUserCode: () => `
      ${termSource(kind)}
      var<workgroup> partial : array<f32, ${WORKGROUP}>;
      ${"fn main(index : i32)"} {
        let row = index / ${WORKGROUP};
        let n = uniforms.columns;
        var acc = 0.0;
        if (row < uniforms.size) {
          let c = coefficients(f32(V[row]));
          let diagonal = uniforms.rowStart + row;
          for (var i = i32(localId.x); i < n; i = i + ${WORKGROUP}) {
            let s = f32(S[row * n + i]);
            var t = term(s, c);
            if (i == diagonal) { t = ${diagonalSource(kind, true)}; }
            acc = acc + t;
          }
        }
        partial[localId.x] = acc;
        workgroupBarrier();
        for (var stride = ${WORKGROUP / 2}u; stride > 0u; stride = stride / 2u) {
          if (localId.x < stride) {
            partial[localId.x] = partial[localId.x] + partial[localId.x + stride];
          }
          workgroupBarrier();
        }
        if (localId.x == 0u && row < uniforms.size) {
          setOutputAtIndex(row, partial[0]);
        }
      }`,
  } as unknown as WebGPUProgram;
}

/** Backward program: `out_ri = w_r·f'_{r0+r}(S_ri)`, 0 on the diagonal. */
function columnGradientsProgram(
  rows: number,
  columns: number,
  kind: ColumnTermKind,
): WebGPUProgram {
  const outputShape = [rows, columns];
  const dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
  return {
    variableNames: ["S", "V", "W"],
    outputShape,
    shaderKey: `emargin_column_gradients_${kind}`,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, outputShape, [WORKGROUP, 1, 1]),
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: UNIFORMS,
    size: true,
    getUserCode: () => `
      ${termSource(kind)}
      ${"fn main(index : i32)"} {
        if (index < uniforms.size) {
          let n = uniforms.columns;
          let row = index / n;
          let i = index - row * n;
          let c = coefficients(f32(V[row]));
          let w = f32(W[row]);
          let s = f32(S[index]);
          var t = w * slope(s, term(s, c), c);
          if (i == uniforms.rowStart + row) { t = ${diagonalSource(kind, false)}; }
          setOutputAtIndex(index, t);
        }
      }`,
  } as unknown as WebGPUProgram;
}

function attrsOf(attrs: unknown): ColumnKernelAttrs {
  return attrs as ColumnKernelAttrs;
}

let registered = false;

/** Registers both kernels for the "webgpu" backend (idempotent). */
export function registerColumnKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: COLUMN_SUMS_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { s, v } = inputs as { s: tf.TensorInfo; v: tf.TensorInfo };
      const a = attrsOf(attrs);
      const [rows, columns] = s.shape;
      const program = columnSumsProgram(rows, a.kind);
      return (backend as WebGPUBackend).runWebGPUProgram(
        program,
        [s, v],
        "float32",
        uniformData(a, columns),
      );
    },
  });
  tf.registerKernel({
    kernelName: COLUMN_GRADIENTS_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { s, v, w } = inputs as { s: tf.TensorInfo; v: tf.TensorInfo; w: tf.TensorInfo };
      const a = attrsOf(attrs);
      const [rows, columns] = s.shape;
      const program = columnGradientsProgram(rows, columns, a.kind);
      return (backend as WebGPUBackend).runWebGPUProgram(
        program,
        [s, v, w],
        "float32",
        uniformData(a, columns),
      );
    },
  });
}

/** True when the active backend is WebGPU, where the fused kernels are used. */
export function usesColumnKernels(): boolean {
  return tf.getBackend() === "webgpu";
}

function kernelAttrs(o: ColumnTermOptions, rowStart: number): ColumnKernelAttrs {
  return {
    kind: o.kind,
    temperature: o.temperature,
    margin: o.margin,
    gamma: o.gamma,
    rowStart,
  };
}

/**
 * Row sums of a block with the reference's diagonal rule, in one dispatch.
 *
 * Shapes: `s [B, N]` (rows are columns `rowStart..rowStart+B−1` of `S`),
 * `v [B, 1]` → `[B]`.
 */
export function columnSumsKernel(
  s: Tensor2D,
  v: Tensor,
  o: ColumnTermOptions,
  rowStart: number,
): Tensor1D {
  registerColumnKernels();
  return tf.engine().runKernel(
    COLUMN_SUMS_KERNEL,
    { s, v: tf.reshape(v, [-1]) },
    kernelAttrs(o, rowStart) as unknown as tf.NamedAttrMap,
  ) as Tensor1D;
}

/**
 * `H_ri = w_r·f'(S_ri)` of a block with a zero diagonal, in one dispatch.
 *
 * Shapes: `s [B, N]`, `v, w [B, 1]` → `[B, N]`.
 */
export function columnGradientsKernel(
  s: Tensor2D,
  v: Tensor,
  w: Tensor,
  o: ColumnTermOptions,
  rowStart: number,
): Tensor2D {
  registerColumnKernels();
  return tf.engine().runKernel(
    COLUMN_GRADIENTS_KERNEL,
    { s, v: tf.reshape(v, [-1]), w: tf.reshape(w, [-1]) },
    kernelAttrs(o, rowStart) as unknown as tf.NamedAttrMap,
  ) as Tensor2D;
}
