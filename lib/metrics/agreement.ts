/**
 * Agreement between two labellings of the same samples: normalised mutual
 * information and the adjusted Rand index, with sklearn's definitions and
 * limit cases (both labellings constant → 1; one constant, the other not → 0:
 * these are the values of the limits, not error fallbacks).
 *
 * @module
 */
import { ShapeError } from "../errors.ts";
import { encodeLabels, type LabelInput, toLabels } from "./matrix.ts";

/** Contingency table `[nA, nB]` of two labellings, with its margins. */
interface Contingency {
  /** Non-zero cells as (count) in row-major order of (a, b). */
  cells: { a: number; b: number; count: number }[];
  rowSums: Float64Array;
  colSums: Float64Array;
  n: number;
}

function contingency(a: LabelInput, b: LabelInput, fn: string): Contingency {
  const la = toLabels(a, `${fn}: a`);
  const lb = toLabels(b, `${fn}: b`, la.length);
  if (la.length === 0) throw new ShapeError(`${fn}: expected at least one label`);
  const ea = encodeLabels(la), eb = encodeLabels(lb);
  const nB = eb.classes.length;
  const table = new Map<number, number>();
  for (let i = 0; i < la.length; i++) {
    const key = ea.codes[i] * nB + eb.codes[i];
    table.set(key, (table.get(key) ?? 0) + 1);
  }
  const cells = [...table.entries()].sort((x, y) => x[0] - y[0]).map(([key, count]) => ({
    a: Math.floor(key / nB),
    b: key % nB,
    count,
  }));
  const rowSums = new Float64Array(ea.classes.length);
  const colSums = new Float64Array(nB);
  for (const c of cells) {
    rowSums[c.a] += c.count;
    colSums[c.b] += c.count;
  }
  return { cells, rowSums, colSums, n: la.length };
}

function entropy(sizes: Float64Array, n: number): number {
  if (sizes.length === 1) return 0;
  let h = 0;
  for (const s of sizes) h -= (s / n) * (Math.log(s) - Math.log(n));
  return h;
}

/**
 * Normalised mutual information with arithmetic-mean normalisation
 * (sklearn's default): `NMI = I(A; B) / ((H(A) + H(B)) / 2)`, natural logs.
 *
 * @param a labels `[n]` (e.g. ground truth)
 * @param b labels `[n]` (e.g. cluster ids)
 * @throws {ShapeError} when the lengths differ or are 0.
 */
export function nmi(a: LabelInput, b: LabelInput): number {
  const t = contingency(a, b, "nmi");
  const nA = t.rowSums.length, nB = t.colSums.length;
  if (nA === 1 && nB === 1) return 1;
  if (nA === 1 || nB === 1) return 0;
  const n = t.n, logN = Math.log(n);
  let mi = 0;
  for (const { a: i, b: j, count } of t.cells) {
    const p = count / n;
    const term = p * (Math.log(count) - logN) +
      p * (-Math.log(t.rowSums[i] * t.colSums[j]) + logN + logN);
    if (Math.abs(term) >= Number.EPSILON) mi += term;
  }
  mi = Math.max(mi, 0);
  if (mi < Number.EPSILON) return 0;
  const normaliser = (entropy(t.rowSums, n) + entropy(t.colSums, n)) / 2;
  return mi / normaliser;
}

/**
 * Adjusted Rand index: `ARI = 2 (TP·TN − FN·FP) / ((TP+FN)(FN+TN) + (TP+FP)(FP+TN))`
 * over the pair-confusion counts (ordered pairs, as sklearn), 1 when both
 * labellings agree on every pair.
 *
 * @param a labels `[n]`
 * @param b labels `[n]`
 * @throws {ShapeError} when the lengths differ or are 0.
 */
export function ari(a: LabelInput, b: LabelInput): number {
  const t = contingency(a, b, "ari");
  // Pair counts reach n⁴ in the products below, beyond 2^53 for n ≳ 10⁴: use BigInt.
  const n = BigInt(t.n);
  let sumSquares = 0n;
  for (const c of t.cells) sumSquares += BigInt(c.count) ** 2n;
  let rowDot = 0n, colDot = 0n;
  for (const c of t.cells) {
    rowDot += BigInt(c.count) * BigInt(t.colSums[c.b]);
    colDot += BigInt(c.count) * BigInt(t.rowSums[c.a]);
  }
  const tp = sumSquares - n;
  const fp = rowDot - sumSquares;
  const fn = colDot - sumSquares;
  const tn = n * n - fp - fn - sumSquares;
  if (fn === 0n && fp === 0n) return 1;
  return (2 * Number(tp * tn - fn * fp)) /
    Number((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}
