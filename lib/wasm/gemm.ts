/**
 * The wasm backend's `BatchMatMul` on a register-blocked f32x4 GEMM that
 * runs in the backend's own memory, with a fused multiply-add where the
 * engine has relaxed SIMD.
 *
 * ```
 * C_g = op(A_g) · op(B_g)     op(X) = X or Xᵀ (the kernel's transposeA / transposeB)
 * A_g [M, K], B_g [K, N] → C_g [M, N]; g over the batch (one side may be unbatched)
 * ```
 *
 * Each product packs `op(A)` into blocks of {@linkcode GEMM_ROWS} rows
 * (`[⌈M/5⌉][K][5]`) and `op(B)` into panels of {@linkcode GEMM_COLUMNS} columns
 * (`[⌈N/8⌉][K][8]`), zero-padded, so a transposed operand costs the same as
 * a plain one. The micro-kernel keeps a 5 × 8 tile of `C` in ten f32x4
 * accumulators and adds `a_rk · b_k·` for every `k`, two `k` per loop turn,
 * in a single pass over `K` (so every element of `C` is one sequential sum
 * from `k = 0`). Panels of `B` are taken a chunk at a time that fits the
 * L2 cache while every block of `A` passes over them.
 *
 * The tile's shape is set by Deno's V8, which checks every wasm memory
 * access explicitly (it installs no trap handler): a compare and a branch
 * per load. Per `k` the kernel loads `b_k·` as two vectors, `a_0..3,k` as
 * one vector whose lanes are broadcast by shuffles, and `a_4k` by a splat
 * load: 4 checked loads for 10 multiply-adds, where a 6 × 8 tile of splat
 * loads needs 8 for 12 (39–44 GFLOP/s against 45–49 here; with V8's checks
 * switched off, `--no-wasm-bounds-checks`, the 6 × 8 tile reaches 47–52).
 * Fourteen vector registers stay live, within the fifteen V8 allocates.
 *
 * Why by hand: tfjs' XNNPACK product runs at 30 GFLOP/s on this project's
 * 2-core machine, a transposed operand at 2.3 (it repacks per call), and a
 * batch far below its 2-D speed; with `f32x4.relaxed_madd` this kernel runs
 * at 45–49 GFLOP/s (`deno task bench --only gemm`). No library offers a
 * wasm GEMM that can work in tfjs' memory.
 *
 * Rounding: with the fused multiply-add each step `c ← a·b + c` rounds once,
 * so results differ from tfjs' (two roundings) in the last bits. Without
 * relaxed SIMD the kernel multiplies, then adds (33–37 GFLOP/s, still ahead
 * of XNNPACK).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor } from "../tf.ts";
import { GEMM_COLUMNS, GEMM_ROWS, gemmModuleBytes, hasRelaxedSimd } from "./gemm_kernels.ts";
import { instantiateOn } from "./emit.ts";
import { floatOffset, heapMemory, scratchSpace, wasmBackendMemory } from "./backend_memory.ts";
import type { WasmBackendMemory } from "./backend_memory.ts";

/** Bytes of packed `B` per chunk (panels that stay in L2 while `A` passes). */
const CHUNK_BYTES = 256 * 1024;

/** A product's shape: `batch` products of `[m, k]·[k, n]`. */
export interface GemmShape {
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Floats between the rows of `A` as stored (default its column count: `m` transposed, else `k`). */
  lda?: number;
  /** Floats between the rows of `B` as stored (default `k` transposed, else `n`). */
  ldb?: number;
  /** Floats between the rows of `C` (default `n`; batches stay `m·n` apart). */
  ldc?: number;
  /**
   * Only the tiles that meet the lower triangle `j ≤ i` (about half the work
   * of a square product whose upper triangle is mirrored afterwards); the
   * entries above the diagonal are then left unspecified.
   */
  lower?: boolean;
}

type PackFn = (dst: number, src: number, groups: number, k: number, rs: number, cs: number) => void;
type PackSideFn = (dst: number, src: number, groups: number, k: number, cs: number) => void;

/** A width's packers: any layout, and rows side by side (`rs = 1`). */
interface Packers {
  any: PackFn;
  side: PackSideFn;
}

/**
 * Packs `rows` rows of length `k` (element `(i, t)` at float offset
 * `src + i·rs + t·cs`) into `[⌈rows/W⌉][k][W]` at float offset `dst`: whole
 * groups in wasm (with vector copies where `rs = 1`), the last partial group
 * here, zero-padded.
 */
function packRows(
  pack: Packers,
  width: number,
  heap: Float32Array,
  dst: number,
  src: number,
  rows: number,
  k: number,
  rs: number,
  cs: number,
): void {
  const whole = Math.floor(rows / width);
  if (whole > 0) {
    if (rs === 1) pack.side(4 * dst, 4 * src, whole, k, 4 * cs);
    else pack.any(4 * dst, 4 * src, whole, k, 4 * rs, 4 * cs);
  }
  if (whole * width === rows) return;
  const base = dst + whole * k * width;
  for (let w = 0; w < width; w++) {
    const i = whole * width + w;
    for (let t = 0; t < k; t++) {
      heap[base + t * width + w] = i < rows ? heap[src + i * rs + t * cs] : 0;
    }
  }
}

type GemmFn = (
  ap: number,
  bp: number,
  c: number,
  mBlocks: number,
  nPanels: number,
  k: number,
  ldc: number,
) => void;

/** A GEMM bound to one wasm backend's memory, with its scratch space. */
export interface BoundGemm {
  /** Whether the kernel uses the fused multiply-add. */
  fused: boolean;
  /**
   * `C_g = op(A_g)·op(B_g)` for `g < batch` between float offsets of the
   * backend's heap (`aStride`/`bStride` floats between batch entries, 0 for
   * an operand shared by all).
   */
  run(
    a: number,
    b: number,
    c: number,
    shape: GemmShape,
    batch: number,
    aStride: number,
    bStride: number,
  ): void;
}

/** Binds the GEMM to a backend's memory (`null` where the memory is not reachable). */
export function bindGemm(backend: WasmBackendMemory, fused = hasRelaxedSimd()): BoundGemm | null {
  const memory = heapMemory(backend);
  const exports = memory && instantiateOn(gemmModuleBytes(fused), memory);
  if (!exports) return null;
  const gemm = exports.gemm as GemmFn;
  const packers = (width: number): Packers => ({
    any: exports[`pack${width}`] as PackFn,
    side: exports[`packSide${width}`] as PackSideFn,
  });
  const packA = packers(GEMM_ROWS), packB = packers(GEMM_COLUMNS);
  const reserve = scratchSpace(backend);
  return {
    fused,
    run(a, b, c, shape, batch, aStride, bStride) {
      const { m, k, n } = shape;
      const mBlocks = Math.ceil(m / GEMM_ROWS), nPanels = Math.ceil(n / GEMM_COLUMNS);
      const aPacked = mBlocks * GEMM_ROWS * k, bPacked = nPanels * GEMM_COLUMNS * k;
      const ldc = shape.ldc ?? n;
      const direct = n % GEMM_COLUMNS === 0; // C's rows are whole panels
      const full = direct ? Math.floor(m / GEMM_ROWS) : 0; // blocks written straight into C
      const tailRows = (mBlocks - full) * GEMM_ROWS;
      const tail = tailRows * nPanels * GEMM_COLUMNS;
      const ap = reserve(aPacked + bPacked + tail), bp = ap + aPacked, tp = bp + bPacked;
      // views are taken after every allocation (growing the memory detaches them)
      const heap = backend.wasm.HEAPF32;
      const chunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * k * GEMM_COLUMNS)));
      const ldTail = nPanels * GEMM_COLUMNS;
      for (let g = 0; g < batch; g++) {
        // element (i, t) of op(A) is A[i, t] or, transposed, A[t, i]; (t, j) of op(B) likewise
        if (g === 0 || aStride !== 0) {
          const lda = shape.lda ?? (shape.transposeA ? m : k);
          const [rs, cs] = shape.transposeA ? [1, lda] : [lda, 1];
          packRows(packA, GEMM_ROWS, heap, ap, a + g * aStride, m, k, rs, cs);
        }
        if (g === 0 || bStride !== 0) {
          const ldb = shape.ldb ?? (shape.transposeB ? k : n);
          const [rs, cs] = shape.transposeB ? [ldb, 1] : [1, ldb];
          packRows(packB, GEMM_COLUMNS, heap, bp, b + g * bStride, n, k, rs, cs);
        }
        const out = c + g * m * n;
        for (let p0 = 0; p0 < nPanels; p0 += chunk) {
          const panels = Math.min(chunk, nPanels - p0);
          const bChunk = 4 * (bp + p0 * k * GEMM_COLUMNS);
          // panels of this chunk that block b needs: all, or those meeting j ≤ i
          const needed = (b: number) => {
            if (!shape.lower) return panels;
            const last = Math.floor(Math.min(GEMM_ROWS * b + GEMM_ROWS - 1, m - 1) / GEMM_COLUMNS);
            return Math.max(0, Math.min(panels, last - p0 + 1));
          };
          // runs of blocks with the same panel count; whole blocks straight into C, the rest to the tail
          for (const [from, to] of [[0, full], [full, mBlocks]]) {
            for (let b = from; b < to;) {
              const count = needed(b);
              let end = b + 1;
              while (end < to && needed(end) === count) end++;
              if (count > 0) {
                const [at, ld] = b < full
                  ? [out + b * GEMM_ROWS * ldc, ldc]
                  : [tp + (b - full) * GEMM_ROWS * ldTail, ldTail];
                const aAt = 4 * (ap + b * GEMM_ROWS * k);
                gemm(aAt, bChunk, 4 * (at + p0 * GEMM_COLUMNS), end - b, count, k, 4 * ld);
              }
              b = end;
            }
          }
        }
        // the rows (or columns) past the whole tiles, copied out of the tail's tiles
        for (let i = full * GEMM_ROWS; i < m; i++) {
          const from = tp + (i - full * GEMM_ROWS) * ldTail;
          heap.copyWithin(out + i * ldc, from, from + n);
        }
      }
    },
  };
}

/** Product of the dimensions (1 for none). */
const size = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

/** The tfjs kernel config shape used here. */
type KernelConfig = ReturnType<typeof tf.getKernel>;
type KernelArgs = {
  inputs: Record<string, Tensor>;
  backend: unknown;
  attrs?: Record<string, unknown>;
};

let installed: { fused: boolean; original: KernelConfig; bound: BoundGemm } | null = null;

/** Options of {@linkcode installWasmGemm}. */
export interface InstallGemmOptions {
  /**
   * Use the fused multiply-add (the default where the engine has relaxed
   * SIMD; elsewhere the multiply-then-add kernel); false installs the multiply-then-add kernel,
   * for A/B timings.
   */
  fused?: boolean;
}

/**
 * Replaces the wasm backend's `BatchMatMul` by {@linkcode bindGemm}'s product
 * for every float32 product, small ones included, so that a product split
 * into tiles gives the same bits as the whole (each element is one
 * sequential sum over `k` either way); empty products, other dtypes and
 * batches broadcast both ways keep tfjs' kernel. Call after
 * the wasm backend has started; idempotent (a call asking for the other
 * kernel replaces the one in place). Returns whether the kernel is in place
 * and whether it fuses the multiply-add.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { installWasmGemm } from "./gemm.ts";
 * await tf.setBackend("wasm");
 * installWasmGemm(); // tf.matMul(a, b, false, true) now runs the packed kernel
 * ```
 */
export function installWasmGemm(
  options: InstallGemmOptions = {},
): { installed: boolean; fused: boolean } {
  // without relaxed SIMD the multiply-then-add kernel (33–37 GFLOP/s) still beats XNNPACK's (28–31)
  const fused = (options.fused ?? true) && hasRelaxedSimd();
  if (installed?.fused === fused) return { installed: true, fused };
  uninstallWasmGemm();
  const backend = wasmBackendMemory();
  const original = tf.getKernel("BatchMatMul", "wasm") as KernelConfig | undefined;
  if (!backend || !original) return { installed: false, fused: false };
  const bound = bindGemm(backend, fused);
  if (!bound) return { installed: false, fused: false };
  const fallback = original.kernelFunc as unknown as (args: KernelArgs) => unknown;
  const kernelFunc = (args: KernelArgs) => {
    const { a, b } = args.inputs;
    const transposeA = Boolean(args.attrs?.transposeA),
      transposeB = Boolean(args.attrs?.transposeB);
    const ra = a.shape.length, rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
    const batchA = size(outerA), batchB = size(outerB);
    const batch = Math.max(batchA, batchB);
    const shared = batchA === batchB || batchA === 1 || batchB === 1;
    if (
      a.dtype !== "float32" || b.dtype !== "float32" || k !== kb || !shared ||
      m * n * k === 0
    ) {
      return fallback(args);
    }
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    if (size(outer) !== batch) return fallback(args);
    const out = backend.makeOutput([...outer, m, n], "float32");
    bound.run(
      floatOffset(backend, a),
      floatOffset(backend, b),
      floatOffset(backend, out),
      { m, k, n, transposeA, transposeB },
      batch,
      batchA === 1 ? 0 : m * k,
      batchB === 1 ? 0 : k * n,
    );
    return out;
  };
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({ ...original, kernelFunc } as KernelConfig);
  installed = { fused: bound.fused, original, bound };
  return { installed: true, fused: bound.fused };
}

/** Whether the GEMM runs the wasm backend's products now, and which kernel. */
export function wasmGemmState(): { installed: boolean; fused: boolean } {
  return { installed: installed !== null, fused: installed?.fused ?? false };
}

/**
 * The GEMM that runs the wasm backend's products, for kernels that call it
 * between offsets of the backend's memory (null when not installed).
 */
export function installedGemm(): BoundGemm | null {
  return installed?.bound ?? null;
}

/** Puts tfjs' own `BatchMatMul` back (for A/B timings and tests); idempotent. */
export function uninstallWasmGemm(): void {
  if (!installed) return;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(installed.original);
  installed = null;
}
