/**
 * Limited-memory BFGS on float64 vectors: the two-loop recursion (Nocedal &
 * Wright, _Numerical Optimization_, 2nd ed., Alg. 7.4) with a strong-Wolfe
 * line search (Alg. 3.5 / 3.6, cubic interpolation in the zoom).
 *
 * Hand-written on purpose: the npm registry has no maintained L-BFGS over
 * plain TypedArrays (the optimisers there are gradient-descent or
 * Levenberg–Marquardt fitters, or tie the solver to a tensor library), and
 * the probe needs a float64 solver it can drive to a gradient tolerance of
 * 1e-8 relative with warm starts.
 *
 * @module
 */

/**
 * The objective: writes ∇f(x) into `grad` and returns f(x). Must not keep
 * references to `x` or `grad`.
 */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

/** Options of {@linkcode minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Stop when max |∇f| ≤ this (absolute). */
  gradientTolerance: number;
  /** Stop after this many iterations (accepted steps). */
  maxIterations: number;
  /** Correction pairs kept. Default 10 (scipy's `maxcor`). */
  memory?: number;
}

/** Result of {@linkcode minimizeLbfgs}. */
export interface LbfgsResult {
  /** The last accepted point. */
  x: Float64Array;
  /** f(x). */
  f: number;
  /** ∇f(x). */
  grad: Float64Array;
  /** Accepted steps taken. */
  iterations: number;
  /** Objective evaluations, line-search trials included. */
  evaluations: number;
  /** max |∇f(x)|. */
  maxAbsGradient: number;
  /** True when max |∇f(x)| ≤ `gradientTolerance`. */
  converged: boolean;
}

const C1 = 1e-4, C2 = 0.9, MAX_TRIALS = 40, F_NOISE = 1e-12;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** max |v_i|. */
function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a > m) m = a;
  }
  return m;
}

/** A trial point of the line search: step, point, value, directional derivative, gradient. */
interface Trial {
  alpha: number;
  x: Float64Array;
  f: number;
  slope: number;
  grad: Float64Array;
}

/** Minimiser of the cubic through (a, fa, da), (b, fb, db), clamped inside [lo, hi] with a margin. */
function cubicStep(a: Trial, b: Trial): number {
  const lo = Math.min(a.alpha, b.alpha), hi = Math.max(a.alpha, b.alpha);
  const d1 = a.slope + b.slope - 3 * (a.f - b.f) / (a.alpha - b.alpha);
  const rad = d1 * d1 - a.slope * b.slope;
  let t = NaN;
  if (rad >= 0) {
    const d2 = Math.sign(b.alpha - a.alpha) * Math.sqrt(rad);
    t = b.alpha - (b.alpha - a.alpha) * (b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2);
  }
  const margin = 0.1 * (hi - lo);
  if (!Number.isFinite(t) || t < lo + margin || t > hi - margin) t = (lo + hi) / 2;
  return t;
}

/**
 * Strong-Wolfe line search along `p` from `start` (step 0, slope < 0), first
 * trial `alpha1`: bracketing, then zoom (Nocedal & Wright Alg. 3.5 / 3.6).
 * Values within rounding of f(0) are compared by slope only (the idea of
 * Hager & Zhang's approximate Wolfe test), so the search still progresses
 * once the decrease per step is below the float64 resolution of f. Returns
 * the accepted trial, or null when none was found within
 * {@linkcode MAX_TRIALS} evaluations (the caller stops there).
 */
function wolfeSearch(
  fg: ObjectiveWithGradient,
  start: Trial,
  p: Float64Array,
  alpha1: number,
  counter: { evaluations: number },
): Trial | null {
  const { f: f0, slope: d0 } = start, fTol = F_NOISE * Math.abs(f0);
  const armijo = (t: Trial) => Number.isFinite(t.f) && t.f <= f0 + C1 * t.alpha * d0 + fTol;
  const curvature = (t: Trial) => Math.abs(t.slope) <= -C2 * d0;
  const evaluate = (alpha: number): Trial => {
    const x = new Float64Array(p.length), grad = new Float64Array(p.length);
    for (let i = 0; i < x.length; i++) x[i] = start.x[i] + alpha * p[i];
    const f = fg(x, grad);
    counter.evaluations++;
    return { alpha, x, f, slope: dot(grad, p), grad };
  };
  let prev = start, alpha = alpha1, n = 0;
  let lo: Trial | null = null, hi: Trial = start;
  for (; n < MAX_TRIALS && lo === null; n++) { // bracketing
    const t = evaluate(alpha);
    if (!armijo(t) || (n > 0 && t.f > prev.f + fTol)) [lo, hi] = [prev, t];
    else if (curvature(t)) return t;
    else if (t.slope >= 0) [lo, hi] = [t, prev];
    else [prev, alpha] = [t, 2 * alpha];
  }
  for (; lo !== null && n < MAX_TRIALS; n++) { // zoom
    if (Math.abs(hi.alpha - lo.alpha) <= 1e-16 * Math.max(1, lo.alpha)) break;
    const t = evaluate(cubicStep(lo, hi));
    if (!armijo(t) || t.f > lo.f + fTol) hi = t;
    else {
      if (curvature(t)) return t;
      if (t.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
      lo = t;
    }
  }
  // A sufficient decrease without the curvature condition: accept it.
  return lo !== null && lo.alpha > 0 && lo.f < f0 ? lo : null;
}

/** Two-loop recursion: writes −H∇f into `p` from the stored pairs (oldest first). */
function twoLoop(
  g: Float64Array,
  s: Float64Array[],
  y: Float64Array[],
  rho: number[],
  p: Float64Array,
): void {
  const m = s.length, a = new Float64Array(m);
  for (let i = 0; i < p.length; i++) p[i] = -g[i];
  for (let j = m - 1; j >= 0; j--) {
    a[j] = rho[j] * dot(s[j], p);
    const yj = y[j];
    for (let i = 0; i < p.length; i++) p[i] -= a[j] * yj[i];
  }
  if (m > 0) {
    const gamma = dot(s[m - 1], y[m - 1]) / dot(y[m - 1], y[m - 1]);
    for (let i = 0; i < p.length; i++) p[i] *= gamma;
  }
  for (let j = 0; j < m; j++) {
    const b = rho[j] * dot(y[j], p), sj = s[j];
    for (let i = 0; i < p.length; i++) p[i] += (a[j] - b) * sj[i];
  }
}

/**
 * Minimises a smooth function with L-BFGS from `x0` (not modified).
 *
 * Stops when max |∇f| ≤ `gradientTolerance` (then `converged`), after
 * `maxIterations` accepted steps, or when the line search finds no point with
 * a sufficient decrease or the step no longer moves x (the limits of float64
 * precision; `converged` then reports the gradient test).
 *
 * @example
 * ```ts
 * const fg = (x: Float64Array, g: Float64Array) => {
 *   g[0] = 2 * (x[0] - 3);
 *   return (x[0] - 3) ** 2;
 * };
 * const r = minimizeLbfgs(fg, new Float64Array(1), { gradientTolerance: 1e-10, maxIterations: 50 });
 * // r.x[0] ≈ 3
 * ```
 */
export function minimizeLbfgs(
  fg: ObjectiveWithGradient,
  x0: Float64Array,
  options: LbfgsOptions,
): LbfgsResult {
  const { gradientTolerance, maxIterations, memory = 10 } = options;
  const x = Float64Array.from(x0), grad = new Float64Array(x.length);
  let cur: Trial = { alpha: 0, x, f: fg(x, grad), slope: 0, grad };
  const counter = { evaluations: 1 };
  const s: Float64Array[] = [], y: Float64Array[] = [], rho: number[] = [];
  const p = new Float64Array(x.length);
  let iterations = 0, gmax = maxAbs(grad);
  while (gmax > gradientTolerance && iterations < maxIterations && Number.isFinite(cur.f)) {
    twoLoop(cur.grad, s, y, rho, p);
    if (!(dot(cur.grad, p) < 0)) { // not a descent direction (rounding): restart
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < p.length; i++) p[i] = -cur.grad[i];
    }
    cur = { ...cur, alpha: 0, slope: dot(cur.grad, p) };
    const alpha1 = s.length === 0 ? Math.min(1, 1 / Math.sqrt(-cur.slope)) : 1;
    const next = wolfeSearch(fg, cur, p, alpha1, counter);
    if (next === null) break;
    const sk = new Float64Array(x.length), yk = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      sk[i] = next.x[i] - cur.x[i];
      yk[i] = next.grad[i] - cur.grad[i];
    }
    if (maxAbs(sk) === 0) break; // the step vanished below float64 resolution of x
    const sy = dot(sk, yk);
    if (sy > 1e-16 * dot(yk, yk)) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    cur = next;
    gmax = maxAbs(cur.grad);
    iterations++;
  }
  return {
    x: cur.x,
    f: cur.f,
    grad: cur.grad,
    iterations,
    evaluations: counter.evaluations,
    maxAbsGradient: gmax,
    converged: gmax <= gradientTolerance,
  };
}
