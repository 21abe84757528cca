/**
 * Point labels that do not overlap: each label takes the first of eight
 * positions around its point (right, left, above, below, then the diagonals),
 * in rings one line height further out each, that collides with no label
 * placed before it and no point, else the position that overlaps least. Greedy, in the order given; good enough for
 * the few short labels of a scatter plot. Observable Plot has no label
 * placement of its own (its `text` mark draws where it is told), and the
 * d3-based label libraries need a browser to measure text, so the text box is
 * estimated from the character count.
 *
 * @module
 */

/** A point and its label, in pixels of the chart (y down). */
export interface LabelPoint {
  x: number;
  y: number;
  text: string;
}

/** Where a label's text goes: its anchor point (vertically centred) and alignment. */
export interface PlacedLabel {
  x: number;
  y: number;
  anchor: "start" | "middle" | "end";
}

/** Options of {@linkcode placeLabels}. */
export interface PlaceLabelsOptions {
  /** The drawing area labels must stay in: `[x0, y0, x1, y1]` pixels. */
  bounds: [number, number, number, number];
  /** Estimated width of one character in pixels. Default 6 (a 10-px sans font). */
  charWidth?: number;
  /** Height of a line of text in pixels. Default 11. */
  lineHeight?: number;
  /** Radius of the points' dots in pixels. Default 4. */
  radius?: number;
}

type Box = [number, number, number, number];

function overlap(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

function outside(box: Box, bounds: Box): number {
  const inner = overlap(box, bounds);
  return (box[2] - box[0]) * (box[3] - box[1]) - inner;
}

/**
 * Positions for the labels of `points`, one per point in the same order, so
 * that no two label boxes and no label and dot overlap where that is possible.
 *
 * @example
 * ```ts
 * import { placeLabels } from "./labels.ts";
 * const placed = placeLabels(
 *   [{ x: 50, y: 50, text: "1" }, { x: 54, y: 50, text: "2" }],
 *   { bounds: [0, 0, 200, 100] },
 * );
 * ```
 */
export function placeLabels(points: LabelPoint[], options: PlaceLabelsOptions): PlacedLabel[] {
  const { bounds, charWidth = 6, lineHeight = 11, radius = 4 } = options;
  const gap = radius + 2;
  const dots: Box[] = points.map((p) => [p.x - radius, p.y - radius, p.x + radius, p.y + radius]);
  const placed: Box[] = [];
  return points.map((p) => {
    const w = p.text.length * charWidth, h = lineHeight;
    // rings of eight positions, each ring a line height further out
    const candidates: PlacedLabel[] = [0, 1, 2, 3].flatMap((ring) => {
      const d = gap + ring * h, up = p.y - d - h / 2 + 2, down = p.y + d + h / 2 - 2;
      return [
        { x: p.x + d, y: p.y, anchor: "start" as const },
        { x: p.x - d, y: p.y, anchor: "end" as const },
        { x: p.x, y: p.y - d - h / 2, anchor: "middle" as const },
        { x: p.x, y: p.y + d + h / 2, anchor: "middle" as const },
        { x: p.x + d - 2, y: up, anchor: "start" as const },
        { x: p.x - d + 2, y: up, anchor: "end" as const },
        { x: p.x + d - 2, y: down, anchor: "start" as const },
        { x: p.x - d + 2, y: down, anchor: "end" as const },
      ];
    });
    const boxOf = (c: PlacedLabel): Box => {
      const x0 = c.anchor === "start" ? c.x : c.anchor === "end" ? c.x - w : c.x - w / 2;
      return [x0, c.y - h / 2, x0 + w, c.y + h / 2];
    };
    let best = candidates[0], bestCost = Infinity;
    for (const c of candidates) {
      const box = boxOf(c);
      const cost = placed.reduce((s, b) => s + overlap(box, b), 0) +
        dots.reduce((s, b) => s + overlap(box, b), 0) + 10 * outside(box, bounds);
      if (cost < bestCost) (best = c), (bestCost = cost);
      if (cost === 0) break;
    }
    // a little clear space around each label, so that "4" and "1" never read as "41"
    const [x0, y0, x1, y1] = boxOf(best);
    placed.push([x0 - 3, y0 - 1, x1 + 3, y1 + 1]);
    return best;
  });
}
