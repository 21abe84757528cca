/**
 * `deno task bench [--only a,b] [--out FILE]`: runs the benchmark sections and
 * prints one table per section; writes all rows as JSON (default
 * `bench-results/bench.json`, atomically).
 *
 * Sections live in `bench/<name>.ts` and export `bench<Name>()` returning
 * `{ rows }`. Speed and memory targets are checked here, never in tests.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { repoRoot } from "../lib/paths.ts";
import { writeJsonAtomic } from "../lib/io.ts";

/** One benchmark section's result. */
export interface BenchSection {
  rows: Record<string, unknown>[];
  notes?: string[];
}

const SECTIONS: Record<string, string> = {
  train: "benchTrain",
  losses: "benchLosses",
  losses_fast: "benchLossesFast",
  grid: "benchGrid",
  data: "benchData",
  dreams: "benchDreams",
  notebook: "benchNotebook",
  torch: "benchTorch",
};

function formatCell(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
  }
  return v === null || v === undefined ? "" : String(v);
}

/** Renders rows as a plain-text table. */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => cols.map((c) => formatCell(r[c])));
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (xs: string[]) => xs.map((x, i) => x.padEnd(width[i])).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { only: { type: "string" }, out: { type: "string" } },
  });
  const only = values.only?.split(",").map((s) => s.trim());
  const out = values.out ?? join(repoRoot, "bench-results", "bench.json");
  const results: Record<string, BenchSection | { error: string }> = {};
  for (const [name, fn] of Object.entries(SECTIONS)) {
    if (only && !only.includes(name)) continue;
    const file = join(repoRoot, "bench", `${name}.ts`);
    if (!existsSync(file)) continue;
    console.log(`\n## ${name}`);
    try {
      const mod = await import(`../bench/${name}.ts`);
      const section = await (mod[fn] as () => Promise<BenchSection>)();
      results[name] = section;
      console.log(formatTable(section.rows));
      for (const note of section.notes ?? []) console.log(`note: ${note}`);
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      results[name] = { error: message };
      console.log(`section failed: ${message}`);
    }
  }
  await Deno.mkdir(dirname(out), { recursive: true });
  await writeJsonAtomic(out, {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    sections: results,
  });
  console.log(`\nwrote ${out}`);
}
