/**
 * Renders a built report in headless Chromium and checks the screenshot is a
 * real page. Ignored (with a message) where no Chromium is installed, except
 * under CI=true, where a missing browser fails the test.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as Plot from "@observablehq/plot";
import type { ICodeCell } from "@jupyterlab/nbformat";
import { unzlibSync } from "fflate";
import { buildReport, JUPYTER_DISPLAY, plot, screenshot } from "../lib/report/mod.ts";
import { readNotebook } from "../lib/notebook/mod.ts";
import { localHeader } from "./_report.ts";
import { chromiumTest } from "./_tools.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/report/", import.meta.url));

/** An 8-bit RGB(A) image: `pixels` holds `channels` bytes per pixel, row-major. */
interface Image {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/**
 * Decodes a non-interlaced 8-bit RGB or RGBA PNG (what Chromium writes):
 * concatenated IDAT chunks, zlib-inflated, then each scanline un-filtered
 * (filter types 0–4 of the PNG spec, §9). Written here because a full PNG
 * library is not a dependency of the project and the test needs only this case.
 */
function decodePng(bytes: Uint8Array): Image {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), signature, "PNG signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < bytes.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [bitDepth, colourType, , , interlace] = data.subarray(8, 13);
      assert.equal(bitDepth, 8, "8-bit PNG");
      assert.equal(interlace, 0, "non-interlaced PNG");
      channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
      assert.ok(channels > 0, `RGB or RGBA PNG, got colour type ${colourType}`);
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  const packed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((offset, chunk) => (packed.set(chunk, offset), offset + chunk.length), 0);
  const raw = unzlibSync(packed);
  const stride = width * channels;
  assert.equal(raw.length, height * (stride + 1), "scanline bytes");
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(filter, 0, `PNG filter type ${filter}`);
      out[i] = (line[i] + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

chromiumTest(
  "report_render_test",
  "report renders in headless Chromium to a non-blank page",
  async (chromium, dir) => {
    const notebook = await readNotebook(join(FIXTURES, "executed.ipynb"));
    const chart = plot({
      color: { legend: true },
      marks: [Plot.dot([{ x: 1, y: 1, g: "a" }, { x: 2, y: 3, g: "b" }], {
        x: "x",
        y: "y",
        fill: "g",
        r: 8,
      })],
    });
    const cell: ICodeCell = {
      cell_type: "code",
      execution_count: 1,
      metadata: {},
      source: "plot(...)",
      outputs: [{ output_type: "display_data", metadata: {}, data: chart[JUPYTER_DISPLAY]() }],
    };
    notebook.cells.splice(1, 0, cell);
    const { outFile } = await buildReport({
      title: "Render check",
      outFile: join(dir, "index.html"),
      header: localHeader("2026-11-25T20:00:00.000Z"),
      notebooks: [{ path: "notebooks/render.ipynb", notebook, trusted: true }],
    });
    const png = join(dir, "page.png");
    // screenshot() throws, with Chromium's stderr, unless it exits with status 0
    await screenshot(outFile, png, { chromium, width: 1200, height: 1600, timeoutSeconds: 60 });

    const image = decodePng(await Deno.readFile(png));
    assert.deepEqual([image.width, image.height], [1200, 1600]);
    const colours = new Map<number, number>();
    let dark = 0;
    const n = image.width * image.height;
    for (let i = 0; i < n; i++) {
      const [r, g, b] = image.pixels.subarray(i * image.channels, i * image.channels + 3);
      const key = (r << 16) | (g << 8) | b;
      colours.set(key, (colours.get(key) ?? 0) + 1);
      if (r + g + b < 200) dark++;
    }
    const white = colours.get(0xffffff) ?? 0;
    // A light page (mostly white background) with text and a chart on it.
    assert.ok(white / n > 0.4, `white share ${(white / n).toFixed(3)}`);
    assert.ok(dark / n > 0.002, `dark (text) share ${(dark / n).toFixed(4)}`);
    assert.ok(colours.size >= 16, `distinct colours: ${colours.size}`);
  },
);
