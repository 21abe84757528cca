/**
 * WGSL of the fused TS2Vec step's hierarchical contrastive loss
 * (lib/ts2vec/loss.ts, `temporal_unit = 0`): the overlap crop, max-pooling
 * by 2 per level with the argmax kept, per level the instance and temporal
 * cross-entropies (softmax rows over the group, self excluded) and their
 * gradient, the loss total and the gradient back to the encoder's output
 * through the crop and dropout.
 *
 * Level `l` holds `Z_l [2, B, T_l, C]` (view, sequence, time); its length
 * `T_l` and the number of levels `K` are read from `dims` each step, and a
 * level past `K` does nothing. Per level, with `n = 2B·T_l` rows per term:
 * instance term (groups `t`, rows `i = v·B + b`, weight `α/(n·K)`, when
 * `B > 1`) and temporal term (groups `b`, rows `i = v·T_l + t`, weight
 * `(1−α)/(n·K)`, when `T_l > 1`); a row's loss is
 * `LSE_{j≠i} z_i·z_j − z_i·z_pos(i)`, `pos(i) = i ± M`.
 *
 * @module
 */
import { bindings, FLAT_MAIN, STEP, TAIL_WG, treeSum } from "./shaders_common.ts";
import { DIMS } from "./shaders_ts2vec.ts";

/**
 * The loss programs' uniform: `batch = B`, `cols = C`, this `level`, the
 * padded encoder length `frames = T`, `alpha`, the temporal block's offset
 * in `P` (`pOff`) and this level's row-loss slots (`lossOff`, capacity `lossCap`).
 */
export const LEVEL_UNIFORM = `
struct U {
  batch : u32, cols : u32, level : u32, frames : u32,
  alpha : f32, pOff : u32, lossOff : u32, lossCap : u32,
};
fn levelLen(l : u32) -> u32 { return dims[${DIMS.levelLengths}u + l]; }
fn levelOn(l : u32) -> bool { return l < dims[${DIMS.levels}]; }`;

/**
 * Level 0: `Z_0[0, b, t] = out[b, z1Start + t]`, `Z_0[1, b, t] = out[B + b, t]`
 * for `t < crop_l`.
 */
export const TS_CROP = `${LEVEL_UNIFORM}
${bindings("uniform u: U, read dims: array<u32>, read Out, read_write Z")}
${FLAT_MAIN}
  let len = dims[${DIMS.crop}];
  if (index >= 2u * u.batch * len * u.cols) { return; }
  let c = index % u.cols;
  let r = index / u.cols;
  let t = r % len;
  let s = r / len;
  let src = select(t, t + dims[${DIMS.z1Start}], s < u.batch);
  Z[index] = Out[(s * u.frames + src) * u.cols + c];
}`;

/**
 * Level `l + 1` from level `l` (`u.level = l + 1`): `Z' [vb, p] = max(Z[vb, 2p], Z[vb, 2p+1])`,
 * `arg = 0` when the first is ≥ the second (torch's `max_pool1d` tie rule), else 1.
 */
export const TS_POOL = `${LEVEL_UNIFORM}
${
  bindings("uniform u: U, read dims: array<u32>, read Z, read_write Zn, read_write arg: array<u32>")
}
${FLAT_MAIN}
  if (!levelOn(u.level)) { return; }
  let len = levelLen(u.level);
  let prev = levelLen(u.level - 1u);
  if (index >= 2u * u.batch * len * u.cols) { return; }
  let c = index % u.cols;
  let r = index / u.cols;
  let p = r % len;
  let vb = r / len;
  let a = Z[(vb * prev + 2u * p) * u.cols + c];
  let b = Z[(vb * prev + 2u * p + 1u) * u.cols + c];
  let first = a >= b;
  Zn[index] = select(b, a, first);
  arg[index] = select(1u, 0u, first);
}`;

/** Row `i` of group `g` of a term: the member `j`'s vector start in `Z` (`len`, `u` in scope). */
const MEMBERS = `
fn memberAt(kind : u32, g : u32, j : u32, len : u32) -> u32 {
  if (kind == 0u) { return (j * len + g) * u.cols; }
  let v = j / len;
  return ((v * u.batch + g) * len + (j - v * len)) * u.cols;
}
fn groupSize(kind : u32, len : u32) -> u32 { return select(2u * len, 2u * u.batch, kind == 0u); }
fn termWeight(kind : u32, len : u32) -> f32 {
  let n = f32(2u * u.batch * len) * f32(dims[${DIMS.levels}]);
  if (kind == 0u) { return select(0.0, u.alpha / n, u.batch > 1u); }
  return select(0.0, (1.0 - u.alpha) / n, len > 1u);
}
fn pBase(kind : u32) -> u32 { return select(u.pOff, 0u, kind == 0u); }`;

/** `z_a·z_b` of the vectors starting at `a`, `b` in `Z`. */
const LOGIT = `
fn logit(a : u32, b : u32) -> f32 {
  var acc = 0.0;
  for (var c = 0u; c < u.cols; c = c + 1u) { acc = acc + Z[a + c] * Z[b + c]; }
  return acc;
}`;

/**
 * The logits of level `u.level`, one thread per entry `(g, i, j)` of both
 * terms' groups: `P[row(g, i) + j] = z_i·z_j` (instance entries first, `4B²·cap`
 * slots, then the temporal ones, `4B·cap²`, at `pOff`).
 */
export const TS_LOGITS = `${LEVEL_UNIFORM}
${bindings("uniform u: U, read dims: array<u32>, read Z, read_write P")}
${MEMBERS}
${LOGIT}
${FLAT_MAIN}
  if (!levelOn(u.level)) { return; }
  let len = levelLen(u.level);
  let cap = u.lossCap / (4u * u.batch);
  let instSlots = 4u * u.batch * u.batch * cap;
  let kind = select(1u, 0u, index < instSlots);
  let e = index - select(instSlots, 0u, kind == 0u);
  let n = groupSize(kind, len);
  if (e >= 2u * u.batch * len * n) { return; }
  let r = e / n;
  let j = e - r * n;
  let g = r / n;
  let i = r - g * n;
  P[pBase(kind) + e] = logit(memberAt(kind, g, i, len), memberAt(kind, g, j, len));
}`;

/**
 * One thread per row of both terms of level `u.level` (`kind = 0` instance,
 * 1 temporal), on the logits in `P`: `P_ij ← softmax_{j≠i}` (`P_ii = 0`) and
 * the weighted row loss `w·(LSE − z_i·z_pos)` into
 * `rowLoss[lossOff + kind·lossCap/2 + r]`; unused slots get 0.
 */
export const TS_ROWS = `${LEVEL_UNIFORM}
${bindings("uniform u: U, read dims: array<u32>, read_write P, read_write rowLoss")}
${MEMBERS}
${FLAT_MAIN}
  let perKind = u.lossCap / 2u;
  if (index >= u.lossCap) { return; }
  let kind = index / perKind;
  let r = index - kind * perKind;
  let len = select(0u, levelLen(u.level), levelOn(u.level));
  let w = termWeight(kind, len);
  if (r >= 2u * u.batch * len || w == 0.0) { rowLoss[u.lossOff + index] = 0.0; return; }
  let n = groupSize(kind, len);
  let i = r % n;
  let row = pBase(kind) + r * n;
  var peak = -3.0e38;
  for (var j = 0u; j < n; j = j + 1u) {
    if (j != i) { peak = max(peak, P[row + j]); }
  }
  var total = 0.0;
  for (var j = 0u; j < n; j = j + 1u) {
    if (j != i) { total = total + exp(P[row + j] - peak); }
  }
  let positive = P[row + (i + n / 2u) % n];
  for (var j = 0u; j < n; j = j + 1u) {
    P[row + j] = select(exp(P[row + j] - peak) / total, 0.0, j == i);
  }
  rowLoss[u.lossOff + index] = ((peak + log(total)) - positive) * w;
}`;

/**
 * `∂L/∂Z_l`, one thread per entry `(v, b, t, c)`: per term
 * `w·(Σ_j (P_ij + P_ji)·z_j[c] − 2·z_pos(i)[c])`, plus level `l + 1`'s
 * gradient where this entry was the pair's max.
 */
export const TS_LEVEL_GRAD = `${LEVEL_UNIFORM}
${
  bindings(
    "uniform u: U, read dims: array<u32>, read Z, read P, read arg: array<u32>, read dZn, read_write dZ",
  )
}
${MEMBERS}
fn termGrad(kind : u32, g : u32, i : u32, c : u32, len : u32) -> f32 {
  let w = termWeight(kind, len);
  if (w == 0.0) { return 0.0; }
  let n = groupSize(kind, len);
  let base = pBase(kind) + g * n * n;
  var acc = 0.0;
  for (var j = 0u; j < n; j = j + 1u) {
    acc = acc + (P[base + i * n + j] + P[base + j * n + i]) * Z[memberAt(kind, g, j, len) + c];
  }
  acc = acc - 2.0 * Z[memberAt(kind, g, (i + n / 2u) % n, len) + c];
  return acc * w;
}
${FLAT_MAIN}
  if (!levelOn(u.level)) { return; }
  let len = levelLen(u.level);
  if (index >= 2u * u.batch * len * u.cols) { return; }
  let c = index % u.cols;
  let r = index / u.cols;
  let t = r % len;
  let vb = r / len;
  let v = vb / u.batch;
  let b = vb - v * u.batch;
  var g = termGrad(0u, t, vb, c, len) + termGrad(1u, b, v * len + t, c, len);
  if (levelOn(u.level + 1u)) {
    let nextLen = levelLen(u.level + 1u);
    let p = t / 2u;
    if (p < nextLen) {
      let k = (vb * nextLen + p) * u.cols + c;
      if (arg[k] == t % 2u) { g = g + dZn[k]; }
    }
  }
  dZ[index] = g;
}`;

/** The step's loss: `losses[slot] = Σ rowLoss` (one workgroup). */
export const TS_TOTAL = `
struct U { count : u32 };
${STEP}
${bindings("uniform u: U, uniform step: Step, read rowLoss, read_write losses")}
var<workgroup> part : array<f32, ${TAIL_WG}>;
@compute @workgroup_size(${TAIL_WG})
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  let t = lid.x;
  var acc = 0.0;
  for (var i = t; i < u.count; i = i + ${TAIL_WG}u) { acc = acc + rowLoss[i]; }
${treeSum("acc", TAIL_WG)}
  if (t == 0u) { losses[step.slot] = part[0]; }
}`;

/**
 * The gradient at the encoder's output before dropout, `[2B, T, C]`:
 * `∂Z_0` at the overlap frames (view 1 from `z1Start`, view 2 from 0), 0
 * elsewhere, times `drop·scale` when `scale > 0`.
 */
export const TS_UNCROP = `
struct U { batch : u32, cols : u32, frames : u32, scale : f32 };
${bindings("uniform u: U, read dims: array<u32>, read dZ, read drop, read_write dOut")}
${FLAT_MAIN}
  if (index >= 2u * u.batch * u.frames * u.cols) { return; }
  let c = index % u.cols;
  let r = index / u.cols;
  let t = r % u.frames;
  let s = r / u.frames;
  let len = dims[${DIMS.crop}];
  let start = select(0u, dims[${DIMS.z1Start}], s < u.batch);
  var g = 0.0;
  if (t >= start && t - start < len) { g = dZ[(s * len + t - start) * u.cols + c]; }
  if (u.scale > 0.0) { g = g * (drop[index] * u.scale); }
  dOut[index] = g;
}`;
