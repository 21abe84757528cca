/**
 * `deno run -A scripts/screenshot.ts [REPORT] [--out DIR] [--widths 1400,800] [--height 900] [--check]`
 *
 * Screenshots of a built report's first screen in headless Chromium, one PNG
 * per window width (`DIR/<name>-<width>.png`; default REPORT
 * `reports/index.html`, DIR `bench-results/screenshots/`, git-ignored), and
 * with `--check` the layout check of `lib/report/layout.ts` at the same
 * widths (exit status 1 when it finds a problem). A taller `--height` shows
 * more of the page. Screenshots of a report built on DREAMS data show its
 * figures: keep them out of the repository (its licence allows no derivatives).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, extname, join, resolve } from "node:path";
import { checkLayout, findChromium, screenshot } from "../lib/report/mod.ts";
import { repoRoot } from "../lib/paths.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    out: { type: "string" },
    widths: { type: "string", default: "1400,800" },
    height: { type: "string", default: "900" },
    check: { type: "boolean", default: false },
  },
});

const report = resolve(positionals[0] ?? join(repoRoot, "reports", "index.html"));
const outDir = resolve(values.out ?? join(repoRoot, "bench-results", "screenshots"));
const widths = values.widths.split(",").map(Number);
const height = Number(values.height);
if (
  widths.some((w) => !Number.isInteger(w) || w < 200) || !Number.isInteger(height) || height < 200
) {
  console.error(
    `--widths ${values.widths} --height ${values.height}: expected whole numbers ≥ 200`,
  );
  Deno.exit(2);
}
const chromium = findChromium();
if (!chromium) {
  console.error("no chromium or chromium-browser on PATH (Debian: apt-get install chromium)");
  Deno.exit(2);
}

await Deno.mkdir(outDir, { recursive: true });
const name = basename(report, extname(report));
for (const width of widths) {
  const png = join(outDir, `${name}-${width}.png`);
  await screenshot(report, png, { chromium, width, height });
  console.log(`wrote ${png}`);
}
if (values.check) {
  let problems = 0;
  for (const r of await checkLayout(report, { chromium, widths, height })) {
    const c = r.counts;
    console.log(
      `${r.width} px: ${c.elements} elements, ${c.svgs} svgs, ${c.legends} legends, ` +
        `${c.images} images, ${c.scrollBoxes} scrolling boxes; ${r.problems.length} problem(s)`,
    );
    for (const p of r.problems) console.log(`  ${p}`);
    problems += r.problems.length;
  }
  if (problems) Deno.exit(1);
}
