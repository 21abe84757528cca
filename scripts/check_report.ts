/**
 * `deno run -A scripts/check_report.ts <report.html>`: exits 1 unless the
 * report parses, has a section with a chart for every study notebook, and
 * loads nothing external (see `lib/report/check.ts`).
 *
 * @module
 */
import { checkReport } from "../lib/report/mod.ts";

const TITLES = [
  "01 · Data",
  "02 · The losses and their defects",
  "03 · Training",
  "04 · Clustering",
  "05 · Linear probing",
  "06 · Findings",
];

const file = Deno.args[0];
if (!file) {
  console.error("usage: check_report.ts <report.html>");
  Deno.exit(2);
}
const result = checkReport(await Deno.readTextFile(file), TITLES);
for (const n of result.notebooks) console.log(`${n.title}: ${n.charts} chart(s)`);
for (const p of result.problems) console.error(`problem: ${p}`);
Deno.exit(result.problems.length ? 1 : 0);
