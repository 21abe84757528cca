/**
 * Heatmaps (spectrograms) as PNG data, for displays where an SVG of one
 * rectangle per cell would be megabytes. Observable Plot's raster mark needs a
 * canvas, which the DOM used here (linkedom) does not provide, so the PNG is
 * encoded directly: 8-bit RGB rows deflated with `npm:fflate`; the PNG
 * container (signature, IHDR/IDAT/IEND chunks with CRC-32) is a few lines.
 *
 * @module
 */
import { zlibSync } from "fflate";
import { encodeBase64 } from "./base64.ts";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes an RGB image (`[height, width, 3]` bytes, row-major) as PNG. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter type "none"
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, RGB, deflate, no filter, no interlace
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlibSync(raw, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

// Viridis, 9 stops (matplotlib's), linearly interpolated.
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
}

/** How values map to colours: through `transform`, then `lo` … `hi` onto viridis (clipped). */
export interface ColourRange {
  transform: (v: number) => number;
  lo: number;
  hi: number;
}

/**
 * Encodes `values` (`[rows, cols]` row-major; rows run along x, columns along
 * y, low at the bottom) as a viridis PNG of `scale` pixels per cell
 * (nearest neighbour); non-finite cells are red.
 */
export function heatmapPng(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  { transform, lo, hi }: ColourRange,
  scale = 1,
): { png: Uint8Array; width: number; height: number } {
  const span = hi > lo ? hi - lo : 1;
  const width = rows * scale, height = cols * scale;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const c = cols - 1 - Math.floor(y / scale);
    for (let x = 0; x < width; x++) {
      const v = transform(values[Math.floor(x / scale) * cols + c]);
      const [R, G, B] = Number.isFinite(v) ? viridis((v - lo) / span) : [255, 0, 0];
      const o = (y * width + x) * 3;
      (rgb[o] = R), (rgb[o + 1] = G), (rgb[o + 2] = B);
    }
  }
  return { png: encodePng(rgb, width, height), width, height };
}

/** Options of {@linkcode heatmap}. */
export interface HeatmapOptions {
  /** Map values through log1p before colouring (spectrogram magnitudes). Default true. */
  log?: boolean;
  /** Pixels per cell (nearest-neighbour upscaling). Default 2. */
  scale?: number;
  /** Accessible description. */
  title?: string;
}

/** `log1p(max(0, v))` for magnitudes, else the value itself. */
export function colourTransform(log: boolean): (v: number) => number {
  return log ? (v) => Math.log1p(Math.max(0, v)) : (v) => v;
}

/**
 * A heatmap of `values` (`[rows, cols]` row-major; rows run along x, e.g.
 * frames, and columns along y, e.g. frequency bins, low at the bottom) as a
 * displayable PNG (`image/png` base64) with an `html` `<img>` form, coloured
 * over the full range of the values. `heatmapFigure` adds axes and
 * a colour scale.
 */
export function heatmap(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  { log = true, scale = 2, title = "heatmap" }: HeatmapOptions = {},
): { png: Uint8Array; html: string; [key: symbol]: () => Record<string, string> } {
  const transform = colourTransform(log);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < rows * cols; i++) {
    const v = transform(values[i]);
    if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  }
  const { png, width, height } = heatmapPng(values, rows, cols, { transform, lo, hi }, scale);
  const b64 = encodeBase64(png);
  const alt = title.replace(/[<>&"]/g, "");
  return {
    png,
    html:
      `<img alt="${alt}" width="${width}" height="${height}" src="data:image/png;base64,${b64}">`,
    [Symbol.for("Jupyter.display")]: () => ({ "image/png": b64 }),
  };
}
