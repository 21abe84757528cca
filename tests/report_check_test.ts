import assert from "node:assert/strict";
import { checkReport } from "../lib/report/check.ts";

const page = (body: string) =>
  `<!doctype html><html><head><title>r</title></head><body>${body}</body></html>`;

Deno.test("checkReport: every notebook needs a section with a chart; scripts and external resources fail", () => {
  const good = page(
    `<article class="notebook"><h2>01 · Data</h2><svg xmlns="http://www.w3.org/2000/svg"></svg></article>` +
      `<article class="notebook"><h2>02 · Losses</h2><img src="data:image/png;base64,AAAA"></article>`,
  );
  assert.deepEqual(checkReport(good, ["01 · Data", "02 · Losses"]).problems, []);
  const noChart = checkReport(
    page(`<article class="notebook"><h2>01 · Data</h2><p>x</p></article>`),
    ["01 · Data", "03 · X"],
  );
  assert.deepEqual(noChart.problems, [
    'notebook "01 · Data" has no chart',
    'no section for notebook "03 · X"',
  ]);
  const unsafe = checkReport(
    page(
      `<article class="notebook"><h2>01 · Data</h2><svg></svg><script>1</script><img src="https://x.org/a.png"></article>`,
    ),
    ["01 · Data"],
  );
  assert.ok(unsafe.problems.some((p) => p.includes("<script>")));
  assert.ok(unsafe.problems.some((p) => p.includes("external")));
});
